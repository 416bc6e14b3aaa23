"""The report's counts are the API's: the same day read through ``/api/v1`` by the same people."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from app.api.services import services_of
from app.identity import Role
from app.reports import build_report
from app.store.repo import Repo
from tests.app.api.conftest import PASSWORD, Service, make_settings, start

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

DAY = date(2026, 6, 1)
WINDOW = "start=2026-06-01T00:00:00Z&end=2026-06-01T23:59:59.999Z&limit=10000"


@pytest.fixture(scope="module")
def service(day_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on the simulated day's database."""
    yield from start(make_settings(tmp_path_factory.mktemp("svc"), day_url))


def day_alerts(svc: Service, token: str) -> list[dict[str, Any]]:
    r = svc.client.get(f"/api/v1/alerts?{WINDOW}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def busiest_zone(repo: Repo) -> str:
    report = build_report(repo, DAY)
    zones = Counter(a["zone"] for a in report.alerts if a["zone"])
    zone_id = {z.name: z.id for z in repo.list_zones()}
    return zone_id[zones.most_common(1)[0][0]]


def test_alert_counts_equal_the_apis(service: Service, day_url: str) -> None:
    repo = Repo.open(day_url)
    try:
        report = build_report(repo, DAY)
        zone = busiest_zone(repo)
        scoped = build_report(repo, DAY, zones=[zone])
    finally:
        repo.close()
    items = day_alerts(service, service.tokens["admin"])
    of_day = [a for a in items if a["start"] >= "2026-06-01T00:00:00Z"]
    assert report.figures["alerts"] == len(of_day) > 0
    assert report.carried_over == len(items) - len(of_day)
    assert {k: h.alerts for k, h in report.by_kind} == dict(Counter(a["kind"] for a in of_day))
    assert report.all_alerts.acknowledged == sum(1 for a in of_day if a["acknowledged_by"])
    assert report.all_alerts.resolved == sum(1 for a in of_day if a["state"] == "resolved")
    assert report.figures["alerts_open"] == sum(1 for a in of_day if a["state"] != "resolved")
    assert sorted(a["id"] for a in report.alerts) == sorted(a["id"] for a in of_day)
    # every alert the store holds is of this day: /stats counts the same by kind
    stats = service.get("/api/v1/stats").json()
    assert stats["alerts_by_kind"] == {k: h.alerts for k, h in report.by_kind}
    assert stats["alerts_open"] == report.figures["alerts_open"]

    # a liaison of the busiest zone: its alert list is the zone's report
    auth = services_of(service.app).auth
    if auth.repo.get_user("coast1") is None:
        auth.create_user("coast1", PASSWORD, Role.LIAISON, [zone])
    login = service.client.post(
        "/api/v1/auth/login", json={"username": "coast1", "password": PASSWORD}
    )
    token = login.json()["token"]
    own = [a for a in day_alerts(service, token) if a["start"] >= "2026-06-01T00:00:00Z"]
    assert scoped.figures["alerts"] == len(own) > 0
    assert {a["zone"] for a in own} == {zone}
    assert {k: h.alerts for k, h in scoped.by_kind} == dict(Counter(a["kind"] for a in own))
    assert scoped.figures["alerts"] < report.figures["alerts"]
