"""What a day's situation report reads: episodes, their handling, reception, assets' fixes.

The daily report (`app.reports`) asks the store these questions and nothing else, so its
figures come from the same rows ``GET /api/v1/alerts`` lists and on both backends alike. Times
are epoch milliseconds; windows half-open, [t0, t1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, literal_column, or_, select

from app.store.alerts import AlertsRepo
from app.store.queries import BBox, track
from geo.alert_rules import Narrowing
from geo.events import Event, EventKind, Severity

#: Reception is counted in bins of this many milliseconds (a bin with no message is a gap).
BIN_MS = 10 * 60_000


@dataclass(frozen=True, slots=True)
class Episode:
    """One stored episode with what the desk did with it (if it is an alert)."""

    id: int
    kind: str
    mmsi: int
    other_mmsi: int | None
    zone: str | None
    start_ms: int
    end_ms: int | None
    lat: float | None
    lon: float | None
    severity: str
    details: dict[str, Any]
    #: An alert a person handles (``alert``), or folded into one (its situation has an alert).
    alert: bool
    alerted: bool
    rule: str | None
    state: str
    assignee: str | None
    acknowledged_by: str | None
    acknowledged_ms: int | None
    resolved_by: str | None
    resolved_ms: int | None
    created_ms: int

    def event(self) -> Event:
        """Return the episode as the engine's `Event` (for risk wording and scores)."""
        try:
            kind = EventKind(self.kind)
            sev = Severity(self.severity)
        except ValueError:
            kind, sev = EventKind.PARTNER_REPORT, Severity.MEDIUM
        return Event(
            kind,
            self.mmsi,
            self.start_ms,
            self.end_ms,
            self.lat,
            self.lon,
            sev,
            other_mmsi=self.other_mmsi,
            zone=self.zone,
            details=self.details,
        )


@dataclass(frozen=True, slots=True)
class StationReception:
    """One feed or station (a position's ``source``) over the window."""

    source: str
    messages: int
    first_ms: int
    last_ms: int


@dataclass(frozen=True, slots=True)
class Reception:
    """Messages heard in a window: per station and per `BIN_MS` bin (bin start -> count)."""

    stations: tuple[StationReception, ...]
    bins: dict[int, int]

    @property
    def messages(self) -> int:
        return sum(s.messages for s in self.stations)


class DailyRepo(AlertsRepo):
    """The daily report's reads, as part of `Repo`."""

    def episodes_overlapping(
        self,
        t0_ms: int,
        t1_ms: int,
        *,
        zones: Sequence[str] | None = None,
        narrow: Sequence[Narrowing] = (),
        kinds: Sequence[str] | None = None,
        mmsis: Sequence[int] | None = None,
    ) -> list[Episode]:
        """Return episodes that overlap [t0, t1), alerts or not, by start then id.

        ``zones`` (None: every zone, and episodes without one) and ``narrow`` scope them as
        `app.auth.scope.Scope` scopes alerts, so a liaison's report holds what its alert list
        holds; ``mmsis`` keeps the episodes either vessel of which is listed.
        """
        e = self._events
        hosts = select(e.c.situation).where(e.c.alert, e.c.situation.is_not(None))
        alerted = or_(e.c.alert, e.c.situation.in_(hosts)).label("alerted")
        q = select(*e.c, alerted).where(
            e.c.start_time < t1_ms, or_(e.c.end_time.is_(None), e.c.end_time >= t0_ms)
        )
        if zones is not None:
            q = q.where(e.c.zone.in_(sorted(zones)))
        if kinds is not None:
            q = q.where(e.c.kind.in_(sorted(kinds)))
        if mmsis is not None:
            ms = sorted({int(m) for m in mmsis})
            q = q.where(or_(e.c.mmsi.in_(ms), e.c.other_mmsi.in_(ms)))
        q = self._narrowed(q, narrow).order_by(e.c.start_time, e.c.id)
        return [
            Episode(
                r.id,
                r.kind,
                r.mmsi,
                r.other_mmsi,
                r.zone,
                r.start_time,
                r.end_time,
                r.lat,
                r.lon,
                r.severity,
                dict(r.details or {}),
                bool(r.alert),
                bool(r.alerted),
                r.rule,
                r.state,
                r.assignee,
                r.acknowledged_by,
                r.acknowledged_at,
                r.resolved_by,
                r.resolved_at,
                r.created_at,
            )
            for r in self._rows(q)
        ]

    def day_has_data(self, t0_ms: int, t1_ms: int) -> bool:
        """Return whether anything was stored for [t0, t1): an episode or a position."""
        e = self._events
        p = self.store.tables["positions"]
        ev = select(e.c.id).where(e.c.start_time >= t0_ms, e.c.start_time < t1_ms).limit(1)
        pos = select(p.c.mmsi).where(p.c.time >= t0_ms, p.c.time < t1_ms).limit(1)

        def run(c: Any) -> bool:
            return c.execute(ev).first() is not None or c.execute(pos).first() is not None

        return bool(self.store.read(run, "reading"))

    def vessel_facts(self, mmsis: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Return name, callsign, IMO, ship type and flag of stored vessels by MMSI."""
        if not mmsis:
            return {}
        v = self.store.tables["vessels"]
        q = select(v.c.mmsi, v.c.name, v.c.callsign, v.c.imo, v.c.ship_type, v.c.flag).where(
            v.c.mmsi.in_(sorted({int(m) for m in mmsis}))
        )
        return {r.mmsi: r._asdict() for r in self._rows(q)}

    def assignments(self, alert_ids: Sequence[int]) -> dict[int, tuple[str, int]]:
        """Return, per alert, who assigned it last and when (the audit log's ``assign``)."""
        if not alert_ids:
            return {}
        a = self.store.tables["audit_log"]
        targets = [f"alert:{i}" for i in sorted(set(alert_ids))]
        q = (
            select(a.c.target, a.c.actor, a.c.time)
            .where(a.c.action == "assign", a.c.target.in_(targets))
            .order_by(a.c.time, a.c.id)
        )
        out: dict[int, tuple[str, int]] = {}
        for r in self._rows(q):
            out[int(r.target.split(":", 1)[1])] = (r.actor, int(r.time))
        return out

    def reception(self, t0_ms: int, t1_ms: int, bbox: BBox | None = None) -> Reception:
        """Return the positions stored in [t0, t1) per station and per `BIN_MS` bin.

        A bin without any position is a gap in reception (the feed down, or nothing in range);
        ``bbox`` limits it to positions in a box (a liaison's zones).
        """
        p = self.store.tables["positions"]
        conds: list[Any] = [p.c.time >= t0_ms, p.c.time < t1_ms]
        if bbox is not None:
            conds += [p.c.lon.between(bbox[0], bbox[2]), p.c.lat.between(bbox[1], bbox[3])]
        where = and_(*conds)
        src = func.coalesce(p.c.source, "")
        per_station = (
            select(src.label("source"), func.count(), func.min(p.c.time), func.max(p.c.time))
            .where(where)
            .group_by(src)
            .order_by(src)
        )
        # the bin of a time, in the backend's own terms (timestamptz on PostGIS, ms on SQLite)
        sql = (
            f"floor(extract(epoch from positions.time) / {BIN_MS // 1000})"
            if self.store.postgis
            else f"positions.time / {BIN_MS}"
        )
        bucket: Any = literal_column(sql).label("bucket")
        per_bin = select(bucket, func.count()).where(where).group_by(bucket)

        def run(c: Any) -> Reception:
            stations = tuple(
                StationReception(str(s), int(n), int(first), int(last))
                for s, n, first, last in (
                    (r[0], r[1], self._ms(r[2]), self._ms(r[3])) for r in c.execute(per_station)
                )
            )
            bins = {int(b) * BIN_MS: int(n) for b, n in c.execute(per_bin)}
            return Reception(stations, dict(sorted(bins.items())))

        return self.store.read(run, "reading reception")  # type: ignore[no-any-return]

    def _ms(self, value: Any) -> int:
        from app.store.schema import EpochMs

        return int(EpochMs().process_result_value(value, self.engine.dialect) or 0)

    def last_fix(self, mmsi: int, t0_ms: int, t1_ms: int) -> tuple[float, float, int] | None:
        """Return the vessel's last stored fix in [t0, t1) as (lon, lat, time ms), or None."""
        cols = track(self.store, mmsi, t0_ms, t1_ms)
        if not cols["time"].size:
            return None
        return float(cols["lon"][-1]), float(cols["lat"][-1]), int(cols["time"][-1])
