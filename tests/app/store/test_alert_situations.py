"""One alert per situation: events that are not alerts, and a zone visit folded into one alert."""

from __future__ import annotations

from app.store import Store
from app.store.repo import AlertFilter, Repo
from geo.alert_rules import Decision
from geo.events import Event, EventKind, Severity
from geo.triage import Triaged, situation_key

T0 = 1_780_300_000_000
H = 3_600_000


def visit(kind: EventKind, start: int, end: int | None, **details: object) -> Event:
    details = {"zone_kind": "departure_hotspot", "summary": kind.value, **details}
    return Event(
        kind, 642000001, start, end, 33.0, 12.1, Severity.HIGH, zone="departure-zuwara",
        details=details,
    )  # fmt: skip


def tri(ev: Event, alert: bool, severity: Severity = Severity.HIGH) -> Triaged:
    return Triaged(ev, Decision(alert, "r" if alert else "quiet", severity), situation_key(ev))


def test_entry_dwell_and_exit_of_one_visit_are_one_alert_that_updates(store: Store) -> None:
    repo = Repo(store)
    entry = visit(EventKind.ZONE_ENTRY, T0, T0)
    assert repo.write_events([tri(entry, alert=False)]) == []  # only recorded
    dwell = visit(EventKind.ZONE_DWELL, T0, None)
    [alert] = repo.write_events([tri(dwell, alert=True)])
    assert alert["kind"] == "zone_dwell" and alert["related"] == [] and alert["rule"] == "r"
    leave = visit(EventKind.ZONE_EXIT, T0 + 2 * H, T0 + 2 * H, inside_s=7200.0)
    closed = visit(EventKind.ZONE_DWELL, T0, T0 + 2 * H)
    [again] = repo.write_events([tri(closed, alert=True), tri(leave, alert=True)])
    assert again["id"] == alert["id"]
    assert [r["kind"] for r in again["related"]] == ["zone_exit"]
    assert again["end"] == "2026-06-01T09:46:40Z"  # the closed dwell's own end
    assert again["related"][0]["start"] == "2026-06-01T09:46:40Z"
    # one alert in the lists and counts; every event on the vessel
    alerts = repo.list_alerts(AlertFilter(), limit=10)
    assert [a["id"] for a in alerts] == [alert["id"]]
    assert repo.alert_counts(None) == ({"zone_dwell": 1}, 1)
    history = repo.alerts_for_vessel(642000001, 10)
    assert sorted((h["kind"], h["alert"]) for h in history) == [
        ("zone_dwell", True),
        ("zone_entry", False),
        ("zone_exit", False),
    ]


def test_a_later_event_of_the_situation_raises_the_alerts_severity(store: Store) -> None:
    repo = Repo(store)
    entry = visit(EventKind.ZONE_ENTRY, T0, T0)
    [alert] = repo.write_events([tri(entry, alert=True, severity=Severity.MEDIUM)])
    assert alert["severity"] == "medium"
    leave = visit(EventKind.ZONE_EXIT, T0 + H, T0 + H, inside_s=3600.0)
    [updated] = repo.write_events([tri(leave, alert=False, severity=Severity.CRITICAL)])
    assert updated["id"] == alert["id"] and updated["severity"] == "critical"
    assert (updated["start"], updated["end"]) == (alert["start"], alert["end"])  # its episode's


def test_an_event_becomes_an_alert_when_a_later_version_is_decided_one(store: Store) -> None:
    repo = Repo(store)
    gap = Event(EventKind.AIS_GAP, 5, T0, None, 33.0, 12.0, Severity.MEDIUM)
    assert repo.write_events([tri(gap, alert=False)]) == []
    closed = Event(EventKind.AIS_GAP, 5, T0, T0 + H, 33.0, 12.0, Severity.MEDIUM)
    [alert] = repo.write_events([tri(closed, alert=True)])
    assert alert["alert"] and alert["end"] is not None
    assert len(repo.alerts_for_vessel(5, 10)) == 1


def test_events_without_a_decision_are_alerts_as_before_rules(store: Store) -> None:
    repo = Repo(store)
    gap = Event(EventKind.AIS_GAP, 6, T0, None, 33.0, 12.0, Severity.MEDIUM)
    [alert] = repo.write_events([gap])
    assert alert["alert"] and alert["rule"] is None
