"""The service's data layer (`Repo`) on both backends: accounts, watchlist, alerts, audit.

These are the store-level guarantees the API relies on: tokens kept only as hashes and honoured
until expiry or revocation, a watchlist import that is all or nothing, one row per episode
that keeps its lifecycle across updates, and an audit entry with every change a person makes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from app.auth.passwords import use_fast_hasher
from app.auth.service import AuthService
from app.auth.tokens import hash_token
from app.identity import Role
from app.store import Store
from app.store.errors import AlreadyExists
from app.store.repo import AlertFilter, Repo
from app.wallclock import utcnow
from geo.events import Event, EventKind, Severity

from .data import HOUR, T0

use_fast_hasher()


@pytest.fixture
def repo(store: Store) -> Iterator[Repo]:
    yield Repo(store)


def test_tokens_are_stored_hashed_and_honour_expiry_and_revocation(repo: Repo) -> None:
    auth = AuthService(repo)
    auth.create_user("ops", "pw pw pw", Role.OFFICER)
    with pytest.raises(AlreadyExists, match="already exists"):
        auth.create_user("ops", "x", Role.OFFICER)
    token, _, user = auth.login("ops", "pw pw pw")
    t = repo.store.tables["api_tokens"]
    stored = repo.store.read(lambda c: c.execute(select(t.c.token_hash)).all())
    assert [r.token_hash for r in stored] == [hash_token(token)]
    assert token not in stored[0].token_hash
    assert auth.authenticate(token) == user
    assert auth.authenticate(token + "x") is None
    assert user.token_id is not None and auth.revoke(user.token_id)
    assert auth.authenticate(token) is None
    expired = repo.add_token(
        username="ops", name="old", kind="api", role=None,
        token_hash=hash_token("expired-token"), expires_at=utcnow() - timedelta(seconds=1),
    )  # fmt: skip
    assert expired.id and auth.authenticate("expired-token") is None


def test_a_watchlist_import_is_all_or_nothing_and_audited(repo: Repo) -> None:
    assert (
        repo.import_watch([{"mmsi": 1, "imo": None, "name": "A", "callsign": None, "note": None}])
        == 1
    )
    with pytest.raises((DBAPIError, OverflowError)):  # row 2 overflows its IMO: none stored
        repo.import_watch(
            [
                {"mmsi": 2, "imo": None, "name": "B", "callsign": None, "note": None},
                {"mmsi": 3, "imo": 2**70, "name": "C", "callsign": None, "note": None},
            ]
        )
    assert [(w["mmsi"], w["name"], w["note"]) for w in repo.list_watch()] == [(1, "A", "")]
    repo.audit("ana", "watchlist.import", target="watchlist", detail={"entries": 1})
    assert [(a["user"], a["action"], a["detail"]) for a in repo.audit_of("watchlist")] == [
        ("ana", "watchlist.import", {"entries": 1})
    ]


def ev(kind: EventKind, mmsi: int, start: int, end: int | None, zone: str | None = None,
       sev: Severity = Severity.MEDIUM) -> Event:  # fmt: skip
    return Event(kind, mmsi, start, end, 35.0, 12.0, sev, zone=zone, details={"n": 1})


def test_event_updates_keep_one_row_and_its_lifecycle(repo: Repo) -> None:
    [stored] = repo.write_events([ev(EventKind.AIS_GAP, 1, T0, None)])
    repo.acknowledge(stored["id"], "officer1")
    repo.write_events([ev(EventKind.AIS_GAP, 1, T0, T0 + HOUR)])  # the episode's update
    [again] = repo.list_alerts(AlertFilter(), limit=10)
    assert again["id"] == stored["id"] and again["end"] is not None
    assert (again["state"], again["acknowledged_by"]) == ("acknowledged", "officer1")
    done = repo.resolve(stored["id"], "officer2", "handed over")
    assert (done["state"], done["resolved_by"]) == ("resolved", "officer2")
    assert [c["text"] for c in done["comments"]] == ["handed over"]
    actions = [a["action"] for a in repo.audit_of(f"alert:{stored['id']}")]
    assert actions == ["acknowledge", "resolve"]


def test_alerts_filtered_by_kind_zone_vessel_severity_state_and_window(repo: Repo) -> None:
    repo.write_events([
        ev(EventKind.ZONE_ENTRY, 1, T0, T0, "alpha", Severity.HIGH),
        ev(EventKind.ZONE_ENTRY, 2, T0 + HOUR, T0 + HOUR, "beta"),
        ev(EventKind.LOITERING, 1, T0 + 2 * HOUR, T0 + 3 * HOUR),
        ev(EventKind.AIS_GAP, 3, T0 + 4 * HOUR, None, sev=Severity.LOW),
    ])  # fmt: skip

    def keys(**kw: object) -> list[tuple[str, int]]:
        rows = repo.list_alerts(AlertFilter(**kw), limit=100)  # type: ignore[arg-type]
        return sorted((a["kind"], a["mmsi"]) for a in rows)

    assert keys(kinds=["zone_entry"]) == [("zone_entry", 1), ("zone_entry", 2)]
    assert keys(zones=["beta"]) == [("zone_entry", 2)]
    assert keys(zones=[]) == []  # a scope with no zone sees nothing, not everything
    assert keys(mmsi=1) == [("loitering", 1), ("zone_entry", 1)]
    assert keys(min_severity="high") == [("zone_entry", 1)]
    assert keys(start_ms=T0 + 2 * HOUR + 1, end_ms=T0 + 10 * HOUR) == [
        ("ais_gap", 3),
        ("loitering", 1),
    ]
    gap = repo.list_alerts(AlertFilter(kinds=["ais_gap"]), limit=1)[0]
    repo.acknowledge(gap["id"], "a")
    assert keys(states=["new"]) == [("loitering", 1), ("zone_entry", 1), ("zone_entry", 2)]
