"""``/api/v1/reports`` on the running service: the midnight run, downloads, on demand, scope."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from app.api.services import services_of
from app.identity import Role
from app.reports import make_report
from app.store.repo import Repo
from geo.events import parse_time
from tests.app.api.conftest import PASSWORD, Service, make_settings, start
from tests.app.push.conftest import until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ZONE = "departure-zuwara"


@pytest.fixture(scope="module")
def service(day_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on the simulated day's database, with a liaison of one departure area."""
    for svc in start(make_settings(tmp_path_factory.mktemp("svc"), day_url)):
        auth = services_of(svc.app).auth
        if auth.repo.get_user("zuwara1") is None:
            auth.create_user("zuwara1", PASSWORD, Role.LIAISON, [ZONE])
        r = svc.client.post("/api/v1/auth/login", json={"username": "zuwara1",
                                                        "password": PASSWORD})  # fmt: skip
        svc.tokens["zuwara"] = r.json()["token"]
        yield svc


def reports(svc: Service, role: str, query: str = "") -> list[dict[str, Any]]:
    r = svc.get(f"/api/v1/reports{query}", role)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_the_service_reports_the_day_just_after_midnight(service: Service, day_url: str) -> None:
    daily = services_of(service.app).reports
    assert daily is not None
    ok = daily.runs["ok"]

    def by_schedule() -> list[dict[str, Any]]:
        return [r for r in reports(service, "admin", "?day=2026-06-02")
                if r["created_by"] == "schedule"]  # fmt: skip

    # the day after the simulated one (test_schedule.py reports that one): started on the real
    # clock, the service has not made it; at midnight it does, even of a day without traffic
    assert by_schedule() == []
    daily.clock = lambda: parse_time("2026-06-03T00:05:30Z")  # the wall clock, moved
    daily.wake()
    until(lambda: daily.runs["ok"] > ok, 120)
    made = by_schedule()
    assert sorted(str(r["zones"]) for r in made if r["zones"] in (None, [ZONE])) == [
        "None",
        str([ZONE]),
    ]
    whole = next(r for r in made if r["zones"] is None)
    pdf = service.get(f"/api/v1/reports/{whole['id']}")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert 'filename="sitrep-2026-06-02-all.pdf"' in pdf.headers["content-disposition"]
    repo = Repo.open(day_url)
    try:  # the same bytes as `mare report`
        assert pdf.content == make_report(repo, date(2026, 6, 2), "pdf")
    finally:
        repo.close()
    html = service.get(f"/api/v1/reports/{whole['id']}?format=html")
    assert html.status_code == 200 and html.text.startswith("<!DOCTYPE html>")
    assert len(pdf.content) == whole["files"]["pdf"]["size"]
    daily.wake()  # the same day again: nothing made twice
    until(lambda: daily.runs["ok"] > ok + 1, 60)
    assert sorted(r["id"] for r in by_schedule()) == sorted(r["id"] for r in made)


def test_a_liaison_sees_and_makes_only_its_zones_reports(service: Service) -> None:
    made = service.post("/api/v1/reports", "zuwara", json={"day": "2026-06-01"})
    assert made.status_code == 201, made.text
    mine = made.json()
    assert mine["zones"] == [ZONE] and mine["created_by"] == "zuwara1"
    other = service.post("/api/v1/reports", json={"day": "2026-06-01", "zones": ["arrival-malta"]})
    assert other.status_code == 201, other.text
    theirs = other.json()
    listed = reports(service, "zuwara")
    assert listed and all(r["zones"] == [ZONE] for r in listed)
    assert mine["id"] in {r["id"] for r in listed}
    assert theirs["id"] in {r["id"] for r in reports(service, "admin")}
    assert service.get(f"/api/v1/reports/{theirs['id']}", "zuwara").status_code == 404
    assert service.get(f"/api/v1/reports/{mine['id']}", "zuwara").status_code == 200
    outside = service.post("/api/v1/reports", "zuwara",
                           json={"day": "2026-06-01", "zones": ["arrival-malta"]})  # fmt: skip
    assert outside.status_code == 422 and outside.json()["detail"]["outside"] == ["arrival-malta"]
    audit = [a for a in services_of(service.app).repo.audit_by_action("report.generate")
             if a["target"] == f"report:{mine['id']}"]  # fmt: skip
    assert audit and audit[0]["actor"] == "zuwara1"
    assert audit[0]["detail"] == {"day": "2026-06-01", "zones": [ZONE], "narrow": []}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/api/v1/reports", {"day": "2026-02-30"}, 422),
        ("POST", "/api/v1/reports", {"day": "1 June"}, 422),
        ("POST", "/api/v1/reports", {"day": "2026-06-01", "zones": ["nowhere"]}, 422),
        ("POST", "/api/v1/reports", {"zones": None}, 422),
        ("GET", "/api/v1/reports?day=yesterday", None, 422),
        ("GET", "/api/v1/reports?limit=0", None, 422),
        ("GET", "/api/v1/reports?cursor=zzz", None, 422),
        ("GET", "/api/v1/reports/2147483647", None, 404),
        ("GET", "/api/v1/reports/1?format=docx", None, 422),
    ],
)
def test_bad_requests_are_4xx(
    service: Service, method: str, path: str, body: Any, status: int
) -> None:
    r = service.client.request(method, path, headers=service.headers("admin"), json=body)
    assert r.status_code == status, r.text
    assert r.json()["message"]


def test_reports_need_a_token(service: Service) -> None:
    assert service.client.get("/api/v1/reports").status_code == 401
    assert service.client.post("/api/v1/reports", json={"day": "2026-06-01"}).status_code == 401
