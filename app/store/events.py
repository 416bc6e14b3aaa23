"""Events and their alert lifecycle: new -> acknowledged -> resolved (or new -> resolved).

An event is stored once per episode (`geo.events.Event.key`): the engine's later updates of an
open episode (its end, details, severity) update that row and keep its lifecycle state. Every
state change records who and when, in the row and in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from app.store.audit import record
from app.store.errors import InvalidTransition, NotFound
from app.store.store import Store
from app.store.vessels import _insert
from geo.events import Event, EventKind, Severity

STATES = ("new", "acknowledged", "resolved")
_ALLOWED = {("new", "acknowledged"), ("new", "resolved"), ("acknowledged", "resolved")}


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event with its id and alert lifecycle."""

    id: int
    event: Event
    state: str
    acknowledged_by: str | None
    acknowledged_at_ms: int | None
    resolved_by: str | None
    resolved_at_ms: int | None


def event_key(e: Event) -> str:
    """Return the stored key of an episode (kind, mmsi, other, zone, start)."""
    return "|".join("" if v is None else str(v) for v in e.key())


def save_events(store: Store, events: Iterable[Event], *, now_ms: int) -> int:
    """Insert new episodes and update known ones (lifecycle kept); return rows written."""
    t = store.tables["events"]
    rows: dict[str, dict[str, Any]] = {}
    for e in events:
        rows[event_key(e)] = {
            "key": event_key(e), "kind": e.kind.value, "mmsi": e.mmsi,
            "other_mmsi": e.other_mmsi, "zone": e.zone, "start_time": e.start_ms,
            "end_time": e.end_ms, "lat": e.lat, "lon": e.lon, "severity": e.severity.value,
            "details": e.details, "state": "new", "created_at": now_ms, "updated_at": now_ms,
        }  # fmt: skip
    if not rows:
        return 0

    def run(conn: Connection) -> int:
        ins = _insert(conn, t)
        ex = ins.excluded
        keep = ("end_time", "lat", "lon", "severity", "details", "updated_at")
        stmt = ins.on_conflict_do_update(index_elements=["key"], set_={c: ex[c] for c in keep})
        conn.execute(stmt, list(rows.values()))
        return len(rows)

    return int(store.write(run, "saving events"))


def _stored(r: Any) -> StoredEvent:
    return StoredEvent(
        id=r.id,
        event=Event(
            kind=EventKind(r.kind), mmsi=r.mmsi, start_ms=r.start_time, end_ms=r.end_time,
            lat=r.lat, lon=r.lon, severity=Severity(r.severity), other_mmsi=r.other_mmsi,
            zone=r.zone, details=dict(r.details or {}),
        ),
        state=r.state, acknowledged_by=r.acknowledged_by, acknowledged_at_ms=r.acknowledged_at,
        resolved_by=r.resolved_by, resolved_at_ms=r.resolved_at,
    )  # fmt: skip


def set_state(store: Store, event_id: int, state: str, *, actor: str, now_ms: int) -> StoredEvent:
    """Move an alert along its lifecycle, recording who and when; resolved is final."""
    if state not in STATES:
        raise InvalidTransition(f"unknown alert state {state!r}")
    t = store.tables["events"]

    def run(conn: Connection) -> StoredEvent:
        row = conn.execute(select(t).where(t.c.id == event_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"no event with id {event_id}")
        if (row.state, state) not in _ALLOWED:
            raise InvalidTransition(f"alert {event_id} is {row.state}, cannot become {state}")
        values: dict[str, Any] = {"state": state, "updated_at": now_ms}
        if state == "acknowledged":
            values |= {"acknowledged_by": actor, "acknowledged_at": now_ms}
        else:
            values |= {"resolved_by": actor, "resolved_at": now_ms}
        conn.execute(t.update().where(t.c.id == event_id).values(**values))
        record(conn, store, actor=actor, action=f"alert.{state}", target=f"event:{event_id}",
               details={"from": row.state}, now_ms=now_ms)  # fmt: skip
        return _stored(conn.execute(select(t).where(t.c.id == event_id)).one())

    return store.write(run, "changing an alert")  # type: ignore[no-any-return]


def query_events(
    store: Store,
    *,
    kinds: Sequence[str] | None = None,
    zones: Sequence[str] | None = None,
    mmsi: int | None = None,
    severities: Sequence[str] | None = None,
    states: Sequence[str] | None = None,
    t0_ms: int | None = None,
    t1_ms: int | None = None,
    limit: int | None = None,
) -> list[StoredEvent]:
    """Return events matching every filter given; a window selects episodes overlapping it."""
    t = store.tables["events"]
    q = select(t)
    if kinds:
        q = q.where(t.c.kind.in_(list(kinds)))
    if zones:
        q = q.where(t.c.zone.in_(list(zones)))
    if mmsi is not None:
        q = q.where(or_(t.c.mmsi == mmsi, t.c.other_mmsi == mmsi))
    if severities:
        q = q.where(t.c.severity.in_(list(severities)))
    if states:
        q = q.where(t.c.state.in_(list(states)))
    if t1_ms is not None:
        q = q.where(t.c.start_time < t1_ms)
    if t0_ms is not None:
        q = q.where(or_(t.c.end_time.is_(None), and_(t.c.end_time >= t0_ms)))
    q = q.order_by(t.c.start_time, t.c.id)
    if limit is not None:
        q = q.limit(limit)
    return [_stored(r) for r in store.read(lambda c: c.execute(q).all())]
