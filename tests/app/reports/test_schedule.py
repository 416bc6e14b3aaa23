"""The midnight schedule on an injected clock: which day, when, for whom, and only once."""

from __future__ import annotations

from datetime import date

import pytest

from app.reports import make_report
from app.reports.schedule import (
    AFTER_MIDNIGHT_S,
    DailyReports,
    ReportScope,
    day_over,
    liaison_scopes,
    next_delay,
)
from app.store.repo import Repo
from geo.alert_rules import Narrowing
from geo.events import parse_time

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def ms(iso: str) -> int:
    return parse_time(iso)


def test_the_day_reported_is_the_last_one_over_by_the_wait() -> None:
    assert AFTER_MIDNIGHT_S == 300.0
    assert day_over(ms("2026-06-02T00:04:59Z")) == date(2026, 5, 31)
    assert day_over(ms("2026-06-02T00:05:00Z")) == date(2026, 6, 1)
    assert day_over(ms("2026-06-02T23:59:59Z")) == date(2026, 6, 1)
    assert next_delay(ms("2026-06-01T23:00:00Z")) == 3600 + 300
    assert next_delay(ms("2026-06-02T00:04:00Z")) == 60
    assert next_delay(ms("2026-06-02T00:05:00Z")) == 86_400
    assert next_delay(ms("2026-06-02T00:05:00Z"), after_s=0) == 86_400 - 300


def test_each_scope_is_made_once_after_midnight(repo: Repo) -> None:
    zones = ("arrival-lampedusa", "departure-zuwara")
    narrow = (Narrowing("serious", kinds=frozenset({"encounter", "zone_exit"})),)
    scopes = [ReportScope(None), ReportScope(zones), ReportScope(zones, narrow)]
    now = {"ms": ms("2026-06-01T23:59:00Z")}
    daily = DailyReports(repo, lambda: scopes, clock=lambda: now["ms"])
    before = {r.id for r in repo.reports()}
    # on the day itself the day before is due: at the start only if anything happened then
    assert daily.run_once(catching_up=True) == []
    now["ms"] = ms("2026-06-02T00:05:01Z")
    made = daily.run_once()
    assert [(r.day, r.zones, r.narrow) for r in made] == [
        ("2026-06-01", None, ()),
        ("2026-06-01", zones, ()),
        ("2026-06-01", zones, ("serious",)),
    ]
    assert {r.created_by for r in made} == {"schedule"}
    assert daily.run_once() == [] and daily.run_once(catching_up=True) == []  # once a scope
    assert daily.runs == {"ok": 4, "failed": 0}
    whole = made[0]
    assert repo.report_file(whole.id, "pdf") == make_report(repo, date(2026, 6, 1), "pdf")
    assert repo.report_file(whole.id, "html") == make_report(repo, date(2026, 6, 1), "html")
    narrowed = repo.report_file(made[2].id, "pdf")
    assert narrowed != repo.report_file(made[1].id, "pdf")
    assert not [a for a in repo.audit_by_action("report.") if a["target"] == f"report:{whole.id}"]
    for r in made:  # leave the module's store as it was for the other tests
        assert r.id not in before


def test_the_scopes_are_the_whole_area_and_each_liaisons(repo: Repo) -> None:
    from app.identity import Role

    pair = ["arrival-linosa", "arrival-pantelleria"]
    for name, zones in (("l1", pair), ("l2", pair[::-1]),
                        ("l3", ["gone", "arrival-se-sicily", "arrival-linosa"]),
                        ("l4", ["gone"])):  # fmt: skip
        if repo.get_user(name) is None:
            repo.create_user(username=name, password_hash="x", role=Role.LIAISON, zones=zones)
    serious = Narrowing("serious", users=frozenset({"l2"}))
    got = liaison_scopes(repo, lambda user, role: (serious,) if user == "l2" else ())
    keys = [(s.zones, s.narrow_ids) for s in got]
    assert len(keys) == len(set(keys))  # one report per scope, however many liaisons share it
    assert keys[0] == (None, ())
    assert all(z for z, _ in keys[1:])  # a liaison whose zones are all gone has no report
    ours = [k for k in keys if k[0] and "arrival-linosa" in k[0]]
    assert ours == [
        (("arrival-linosa", "arrival-pantelleria"), ()),
        (("arrival-linosa", "arrival-pantelleria"), ("serious",)),
        (("arrival-linosa", "arrival-se-sicily"), ()),
    ]


def test_a_failed_run_is_counted_and_does_not_raise(repo: Repo) -> None:
    def broken() -> list[ReportScope]:
        raise RuntimeError("no scopes today")

    daily = DailyReports(repo, broken, clock=lambda: ms("2026-06-02T01:00:00Z"))
    assert daily.run_once() == []
    assert daily.runs["failed"] == 1 and daily.last_error == "no scopes today"
