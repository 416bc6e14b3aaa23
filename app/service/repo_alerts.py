"""Events as alerts: one row per episode (`Event.key`), its lifecycle and comments.

The engine emits an open episode and later its closed version under the same key; the second
updates the row (end, details, severity) and keeps the lifecycle a person gave it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, update

from app.service import tables as t
from app.service.repo_base import RepoBase, now_ms
from geo.events import Event, Severity, format_time

SEVERITY_RANK = {s.value: i for i, s in enumerate(Severity)}


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """Filters of ``GET /alerts`` (all optional; lists are OR, fields AND)."""

    kinds: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    mmsi: int | None = None
    min_severity: str | None = None
    states: list[str] = field(default_factory=list)
    start_ms: int | None = None
    end_ms: int | None = None


def event_key(ev: Event) -> str:
    """Return the row key of an episode."""
    kind, mmsi, other, zone, start = ev.key()
    return f"{kind}|{mmsi}|{other if other is not None else ''}|{zone or ''}|{start}"


def _iso(ms: int | None) -> str | None:
    return None if ms is None else format_time(ms)


def alert_json(r: Any) -> dict[str, Any]:
    """Return the API's ``Alert`` for a row (joined with the vessel name)."""
    return {
        "id": r.id,
        "kind": r.kind,
        "mmsi": r.mmsi,
        "other_mmsi": r.other_mmsi,
        "zone": r.zone,
        "start": format_time(r.start_ms),
        "end": _iso(r.end_ms),
        "lat": r.lat,
        "lon": r.lon,
        "severity": r.severity,
        "details": r.details,
        "state": r.state,
        "assignee": r.assignee,
        "acknowledged_by": r.acknowledged_by,
        "acknowledged_at": _iso(r.acknowledged_ms),
        "resolved_by": r.resolved_by,
        "resolved_at": _iso(r.resolved_ms),
        "comments": r.comments,
        "vessel_name": r.vessel_name,
    }


def _alert_select() -> Any:
    return select(*t.events.c, t.vessels.c.name.label("vessel_name")).select_from(
        t.events.outerjoin(t.vessels, t.vessels.c.mmsi == t.events.c.mmsi)
    )


class AlertsRepo(RepoBase):
    """Alerts: written by the pipeline, read and acted on through the API."""

    def write_events(self, evs: list[Event]) -> list[dict[str, Any]]:
        """Insert new episodes, update known ones; return their alerts (with ids)."""
        if not evs:
            return []
        latest: dict[str, Event] = {}
        for ev in evs:
            latest[event_key(ev)] = ev
        keys = list(latest)
        recorded = now_ms()
        with self.engine.begin() as c:
            known = {
                k: i
                for k, i in c.execute(
                    select(t.events.c.key, t.events.c.id).where(t.events.c.key.in_(keys))
                )
            }
            for key, ev in latest.items():
                values = {
                    "end_ms": ev.end_ms,
                    "lat": ev.lat,
                    "lon": ev.lon,
                    "severity": ev.severity.value,
                    "severity_rank": SEVERITY_RANK[ev.severity.value],
                    "details": ev.details,
                }
                if key in known:
                    c.execute(update(t.events).where(t.events.c.id == known[key]).values(**values))
                else:
                    c.execute(
                        t.events.insert().values(
                            key=key,
                            kind=ev.kind.value,
                            mmsi=ev.mmsi,
                            other_mmsi=ev.other_mmsi,
                            zone=ev.zone,
                            start_ms=ev.start_ms,
                            state="new",
                            comments=[],
                            recorded_ms=recorded,
                            **values,
                        )
                    )
            rows = c.execute(_alert_select().where(t.events.c.key.in_(keys))).all()
        by_key = {r.key: r for r in rows}
        return [alert_json(by_key[k]) for k in keys if k in by_key]

    def _where(self, q: Any, f: AlertFilter) -> Any:
        e = t.events.c
        if f.kinds:
            q = q.where(e.kind.in_(f.kinds))
        if f.zones:
            q = q.where(e.zone.in_(f.zones))
        if f.mmsi is not None:
            q = q.where(or_(e.mmsi == f.mmsi, e.other_mmsi == f.mmsi))
        if f.min_severity is not None:
            q = q.where(e.severity_rank >= SEVERITY_RANK[f.min_severity])
        if f.states:
            q = q.where(e.state.in_(f.states))
        if f.start_ms is not None:  # overlaps the window: still open or ended after its start
            q = q.where(or_(e.end_ms.is_(None), e.end_ms >= f.start_ms))
        if f.end_ms is not None:
            q = q.where(e.start_ms <= f.end_ms)
        return q

    def list_alerts(
        self, f: AlertFilter, *, limit: int, before_id: int | None = None
    ) -> list[dict[str, Any]]:
        q = self._where(_alert_select(), f)
        if before_id is not None:
            q = q.where(t.events.c.id < before_id)
        q = q.order_by(t.events.c.id.desc()).limit(limit)
        with self.engine.connect() as c:
            return [alert_json(r) for r in c.execute(q)]

    def get_alert(self, alert_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            row = c.execute(_alert_select().where(t.events.c.id == alert_id)).first()
        return None if row is None else alert_json(row)

    def alerts_for_vessel(self, mmsi: int, limit: int) -> list[dict[str, Any]]:
        return self.list_alerts(AlertFilter(mmsi=mmsi), limit=limit)

    def alerts_recorded_after(self, after_ms: int) -> list[dict[str, Any]]:
        """Return alerts first stored after ``after_ms``, oldest first (SSE resumption)."""
        q = _alert_select().where(t.events.c.recorded_ms > after_ms).order_by(t.events.c.id)
        with self.engine.connect() as c:
            return [alert_json(r) for r in c.execute(q.limit(10_000))]

    def mmsis_with_alerts(self, zones: frozenset[str]) -> set[int]:
        if not zones:
            return set()
        e = t.events.c
        with self.engine.connect() as c:
            rows = c.execute(select(e.mmsi, e.other_mmsi).where(e.zone.in_(sorted(zones)))).all()
        out: set[int] = set()
        for m, o in rows:
            out.add(int(m))
            if o is not None:
                out.add(int(o))
        return out

    def alert_counts(self, zones: frozenset[str] | None) -> tuple[dict[str, int], int]:
        """Return alerts by kind and how many are not resolved (within ``zones`` if given)."""
        e = t.events.c
        q = select(e.kind, e.state, func.count()).group_by(e.kind, e.state)
        if zones is not None:
            q = q.where(e.zone.in_(sorted(zones)))
        by_kind: Counter[str] = Counter()
        open_n = 0
        with self.engine.connect() as c:
            for kind, state, n in c.execute(q):
                by_kind[kind] += n
                if state != "resolved":
                    open_n += n
        return dict(by_kind), open_n

    # -- lifecycle ----------------------------------------------------------------------------

    def _change(
        self, alert_id: int, user: str, action: str, values: dict[str, Any], detail: Any = None
    ) -> dict[str, Any]:
        with self.engine.begin() as c:
            if values:
                c.execute(update(t.events).where(t.events.c.id == alert_id).values(**values))
            self._audit(c, user, action, f"alert:{alert_id}", detail)  # type: ignore[attr-defined]
        alert = self.get_alert(alert_id)
        assert alert is not None
        return alert

    def acknowledge(self, alert_id: int, user: str) -> dict[str, Any]:
        return self._change(
            alert_id,
            user,
            "acknowledge",
            {"state": "acknowledged", "acknowledged_by": user, "acknowledged_ms": now_ms()},
        )

    def assign(self, alert_id: int, user: str, assignee: str | None) -> dict[str, Any]:
        return self._change(
            alert_id, user, "assign", {"assignee": assignee}, {"assignee": assignee}
        )

    def resolve(self, alert_id: int, user: str, note: str | None) -> dict[str, Any]:
        current = self.get_alert(alert_id)
        assert current is not None
        ms = now_ms()
        values: dict[str, Any] = {"state": "resolved", "resolved_by": user, "resolved_ms": ms}
        if current["acknowledged_by"] is None:
            values.update(acknowledged_by=user, acknowledged_ms=ms)
        if note:
            values["comments"] = [
                *current["comments"],
                {"user": user, "time": format_time(ms), "text": note},
            ]
        return self._change(alert_id, user, "resolve", values, {"note": note} if note else None)

    def comment(self, alert_id: int, user: str, text: str) -> dict[str, Any]:
        current = self.get_alert(alert_id)
        assert current is not None
        comments = [
            *current["comments"],
            {"user": user, "time": format_time(now_ms()), "text": text},
        ]
        return self._change(alert_id, user, "comment", {"comments": comments}, {"text": text})
