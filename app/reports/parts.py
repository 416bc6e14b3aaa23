"""The parts of a day's report read apart: risk, watchlist, assets, the map, reception gaps.

Each takes the store (`Repo`) or rows already read and returns plain values for `DayReport`;
`app.reports.content.build_report` calls them.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from app.reports.model import (
    DAY_MS,
    RISK_LOOKBACK_MS,
    TOP_VESSELS,
    Handling,
    MapPoint,
    VesselRisk,
    hhmm,
)
from app.store.daily import BIN_MS, Episode, Reception
from app.store.repo import Repo
from geo.config import EngineConfig
from geo.detectors.base import format_duration
from geo.events import Event
from geo.risk import departure_waters, describe, risk_score
from geo.zones import Zone, ZoneKind


def when(ms: int, t0: int) -> str:
    """Return a time of the day as HH:MM, one from another day with its date."""
    if t0 <= ms < t0 + DAY_MS:
        return hhmm(ms)
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%d %b %H:%M")


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def handling(alerts: Sequence[Episode], assigned: dict[int, tuple[str, int]]) -> Handling:
    """Summarise the desk's handling of ``alerts`` (times from when the store recorded each)."""
    ack = [a for a in alerts if a.acknowledged_ms is not None]
    res = [a for a in alerts if a.resolved_ms is not None]
    people: Counter[str] = Counter()
    for a in alerts:
        for who in {a.acknowledged_by, a.resolved_by, (assigned.get(a.id) or (None,))[0]}:
            if who:
                people[who] += 1
    return Handling(
        alerts=len(alerts),
        acknowledged=len(ack),
        assigned=sum(1 for a in alerts if a.assignee or a.id in assigned),
        resolved=len(res),
        open=sum(1 for a in alerts if a.state != "resolved"),
        ack_minutes=_median([((a.acknowledged_ms or 0) - a.created_ms) / 60_000 for a in ack]),
        resolve_minutes=_median([((a.resolved_ms or 0) - a.created_ms) / 60_000 for a in res]),
        by=tuple(sorted(people.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def dark_ms(ep: Episode, t0: int, t1: int) -> int:
    """Return how long the gap ``ep`` kept its vessel dark within [t0, t1)."""
    end = ep.end_ms if ep.end_ms is not None else t1
    return max(0, min(end, t1) - max(ep.start_ms, t0))


class ReportArea:
    """The zones a report is scoped to, as geometry (None: everything)."""

    def __init__(self, zones: list[Zone], ids: Sequence[str] | None) -> None:
        self.ids = None if ids is None else tuple(sorted(set(ids)))
        self.zones = zones if ids is None else [z for z in zones if z.id in set(ids)]

    def holds(self, lon: float, lat: float) -> bool:
        if self.ids is None:
            return True
        from shapely.geometry import Point

        pt = Point(lon, lat)
        return any(z.geometry.covers(pt) for z in self.zones)

    def bbox(self) -> tuple[float, float, float, float] | None:
        if self.ids is None or not self.zones:
            return None
        b = [z.bounds for z in self.zones]
        return (
            min(x[0] for x in b),
            min(x[1] for x in b),
            max(x[2] for x in b),
            max(x[3] for x in b),
        )


def handled(who: str | None, at: int | None, created: int) -> str:
    """Return "who, how long after the alert was recorded" ("" when not done)."""
    if who is None or at is None:
        return ""
    return f"{who}, {format_duration(max(0, at - created) / 1000)}"


def top_vessels(repo: Repo, zones: list[Zone], t1: int, mmsis: list[int]) -> list[VesselRisk]:
    """Return the riskiest vessels of the day at its end, with their reasons in words."""
    if not mmsis:
        return []
    episodes = repo.episodes_overlapping(t1 - RISK_LOOKBACK_MS, t1, mmsis=mmsis)
    by_vessel: dict[int, list[Event]] = defaultdict(list)
    for e in episodes:  # each vessel scored on its own episodes only: one pass, not one a vessel
        ev = e.event()
        by_vessel[e.mmsi].append(ev)
        if e.other_mmsi is not None:
            by_vessel[e.other_mmsi].append(ev)
    cfg = EngineConfig()
    where = departure_waters(zones)
    facts = repo.vessel_facts(mmsis)
    out = []
    for m in mmsis:
        r = risk_score(m, by_vessel.get(m, []), t1, cfg, where)
        if r.score <= 0:
            continue
        f = facts.get(m) or {}
        out.append(
            VesselRisk(
                m, (f.get("name") or "").strip(), f.get("flag") or "", r.score, tuple(r.explain())
            )
        )
    out.sort(key=lambda v: (-v.score, v.mmsi))
    return out[:TOP_VESSELS]


def watchlist(
    repo: Repo,
    t0: int,
    t1: int,
    new: list[Episode],
    in_scope: set[int] | None,
    name: Any,
    place: Any,
) -> list[dict[str, Any]]:
    """Return watchlisted vessels active in the day: matched today, or listed and heard."""
    listed = {int(w["mmsi"]): w for w in repo.list_watch() if w.get("mmsi")}
    matched = {e.mmsi: e for e in new if e.kind == "watchlist_match"}
    out = []
    for m in sorted(set(listed) | set(matched)):
        if in_scope is not None and m not in in_scope:
            continue
        fix = repo.last_fix(m, t0, t1)
        own = [e for e in new if m in (e.mmsi, e.other_mmsi) and e.kind != "watchlist_match"]
        if fix is None and m not in matched and not own:
            continue
        hit = matched.get(m)
        note = (listed.get(m) or {}).get("note") or (hit.details.get("note") if hit else "") or ""
        out.append(
            {
                "mmsi": m,
                "name": name(m),
                "matched": hhmm(hit.start_ms) if hit else "",
                "last_heard": ""
                if fix is None
                else f"{hhmm(fix[2])} at {fix[1]:.3f}N {fix[0]:.3f}E",
                "episodes": "; ".join(
                    f"{hhmm(e.start_ms)} {describe(e.event(), m)}" for e in own[:6]
                )
                + ("; ..." if len(own) > 6 else ""),
                "note": note,
            }
        )
    return out


def assets(repo: Repo, t0: int, t1: int) -> list[dict[str, Any]]:
    """Return own assets where they were at the end of the day (their AIS, else as set)."""
    out = []
    for a in repo.list_assets():
        fix = repo.last_fix(int(a["mmsi"]), t0, t1) if a.get("mmsi") else None
        if fix is not None:
            lon, lat, where = fix[0], fix[1], f"AIS {hhmm(fix[2])}"
        elif a.get("lat") is not None and a.get("lon") is not None:
            lon, lat, where = float(a["lon"]), float(a["lat"]), "as set"
        else:
            continue
        out.append(
            {
                "name": a["name"],
                "kind": a["kind"],
                "lon": round(lon, 4),
                "lat": round(lat, 4),
                "position": where,
            }
        )
    return out


def points(
    new: list[Episode],
    dark: list[Episode],
    contacts: list[Any],
    assets: list[dict[str, Any]],
    departure: Any,
    arrival: Any,
) -> list[MapPoint]:
    """Return what the map draws: the day's events by layer, contacts and own assets."""
    pts: list[MapPoint] = []
    for e in new:
        if e.lon is None or e.lat is None:
            continue
        if departure(e) and e.alerted:
            pts.append(MapPoint("departure", e.lon, e.lat))
        elif arrival(e) and e.alerted:
            pts.append(MapPoint("arrival", e.lon, e.lat))
        elif e.kind == "encounter":
            pts.append(MapPoint("encounter", e.lon, e.lat))
        elif e.kind == "dark_target":
            pts.append(MapPoint("dark_target", e.lon, e.lat))
    for e in dark:
        if e.lon is not None and e.lat is not None:
            pts.append(MapPoint("dark", e.lon, e.lat))
    for c in contacts:
        pts.append(MapPoint("contact", c.contact.lon, c.contact.lat))
    for a in assets:
        pts.append(MapPoint("asset", a["lon"], a["lat"], a["name"]))
    return pts


def map_zones(scope: ReportArea, zones: list[Zone]) -> list[Zone]:
    """Return the zones drawn: the scope's, else the departure and arrival areas."""
    if scope.ids is not None:
        return scope.zones
    kinds = (ZoneKind.DEPARTURE_HOTSPOT, ZoneKind.ARRIVAL_AREA)
    return [z for z in zones if z.kind in kinds]


#: Least span of the map, in degrees: enough coast around a small zone to know where it is.
MIN_SPAN = 4.0


def extent(
    points: list[MapPoint], scope: ReportArea, zones: list[Zone]
) -> tuple[float, float, float, float]:
    """Return the map's (min lon, min lat, max lon, max lat)."""
    box = scope.bbox()
    xs: list[float] = []
    ys: list[float] = []
    if box is not None:
        xs += [box[0], box[2]]
        ys += [box[1], box[3]]
    else:
        for p in points:
            if p.layer != "asset":
                xs.append(p.lon)
                ys.append(p.lat)
        for z in map_zones(scope, zones):
            xs += [z.bounds[0], z.bounds[2]]
            ys += [z.bounds[1], z.bounds[3]]
    if not xs:
        xs, ys = [10.0, 16.0], [32.0, 38.0]  # the central Mediterranean
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w = max(x1 - x0 + 0.6, MIN_SPAN)
    h = max(y1 - y0 + 0.6, MIN_SPAN * 0.6)
    return (round(cx - w / 2, 4), round(cy - h / 2, 4), round(cx + w / 2, 4), round(cy + h / 2, 4))


def reception_gaps(reception: Reception, t0: int, t1: int) -> list[tuple[int, int]]:
    """Return the day's stretches without any message ([start, end) ms), longest first."""
    gaps: list[tuple[int, int]] = []
    start: int | None = None
    b = t0 - t0 % BIN_MS
    while b < t1:
        if reception.bins.get(b, 0) == 0:
            start = b if start is None else start
        elif start is not None:
            gaps.append((start, b))
            start = None
        b += BIN_MS
    if start is not None:
        gaps.append((start, t1))
    gaps.sort(key=lambda g: (-(g[1] - g[0]), g[0]))
    return gaps
