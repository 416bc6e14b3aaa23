"""What a day's situation report says: figures, lists and series read from the store.

`build_report` asks the store (`app.store.daily`) and turns rows into a `DayReport`, a plain
value the renderers (`app.reports.pdf`, `app.reports.html`) only lay out. The definitions are
here and in docs/reports.md, once:

- the day is a UTC calendar day, [00:00, 24:00);
- an episode is *of the day* when it started in it; *alerts* are the stored alerts of the day
  (``GET /api/v1/alerts?start=D&end=D+1`` lists them, with those still open from before);
- *departures* are exits from departure areas, *arrivals* entries into arrival areas, that the
  alert rules made or folded into an alert (routine traffic's passages are counted apart);
- *dark hours* are the hours of the day inside AIS gaps where receivers hear well (a vessel
  lost at the edge of coverage is not dark);
- the risk of a vessel is `geo.risk.risk_score` at the end of the day over its episodes of the
  7 days before, worded as the dashboard words it.

A report for zones (a liaison's) holds what `app.auth.scope.Scope` shows for those zones: the
episodes of those zones, the vessels that bear them, contacts inside them, reception in their
box.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.store.contacts import list_contacts
from app.store.daily import BIN_MS, Episode, Reception
from app.store.repo import Repo
from geo.alert_rules import Narrowing
from geo.config import EngineConfig
from geo.detectors.base import describe_place, format_duration
from geo.risk import at_coverage_edge, departure_waters, describe, risk_score
from geo.zones import Zone, ZoneKind

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
#: Days of history the day is set against (the two comparisons: 7 and 28 days).
TREND_DAYS = 28
#: Episodes before the day end that count in a vessel's risk (the score halves every 24 h).
RISK_LOOKBACK_MS = 7 * DAY_MS
TOP_VESSELS = 20
#: Series of the trend plots, in order: key, title.
SERIES = (
    ("departures", "Departures"),
    ("encounters", "Encounters"),
    ("dark_hours", "Dark hours"),
    ("alerts", "Alerts"),
)


class ReportError(ValueError):
    """A report that cannot be made as asked (a bad day, an unknown zone)."""


def parse_day(text: str) -> date:
    """Return the UTC day of ``YYYY-MM-DD``; `ReportError` for anything else."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ReportError(f"day {text!r} is not a date (YYYY-MM-DD)") from None
    if len(text.strip()) != 10:
        raise ReportError(f"day {text!r} is not a date (YYYY-MM-DD)")
    return day


def day_start_ms(day: date) -> int:
    """Return 00:00 UTC of ``day`` in epoch milliseconds."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class VesselRisk:
    """A vessel's risk at the end of the day and why, in words."""

    mmsi: int
    name: str
    flag: str
    score: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Handling:
    """What the desk did with a set of alerts: counts, who, and how fast (minutes, median)."""

    alerts: int
    acknowledged: int
    assigned: int
    resolved: int
    open: int
    ack_minutes: float | None
    resolve_minutes: float | None
    by: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class MapPoint:
    """Something to draw on the day's map."""

    layer: str
    lon: float
    lat: float
    label: str = ""


@dataclass(frozen=True, slots=True)
class DayReport:
    """Everything one report shows; rendering adds nothing but layout."""

    day: date
    #: Zone ids the report is scoped to (None: the whole area) and their names.
    zones: tuple[str, ...] | None
    zone_names: dict[str, str]
    narrow: tuple[str, ...]
    figures: dict[str, int | float]
    trend: dict[str, list[float]]
    alerts: list[dict[str, Any]]
    carried_over: int
    by_kind: list[tuple[str, Handling]]
    by_zone: list[tuple[str, Handling]]
    all_alerts: Handling
    top: list[VesselRisk]
    watchlist: list[dict[str, Any]]
    departures: list[dict[str, Any]]
    arrivals: list[dict[str, Any]]
    encounters: list[dict[str, Any]]
    dark: list[dict[str, Any]]
    dark_targets: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    assets: list[dict[str, Any]]
    stations: list[dict[str, Any]]
    gaps: list[tuple[int, int]]
    messages: int
    points: list[MapPoint]
    extent: tuple[float, float, float, float]
    zone_shapes: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def scope_text(self) -> str:
        if self.zones is None:
            return "whole area"
        return "zones " + ", ".join(self.zone_names.get(z, z) for z in self.zones)


def hhmm(ms: int) -> str:
    """Return a time as HH:MM UTC."""
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%H:%M")


def _when(ms: int, t0: int) -> str:
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


def _dark_ms(ep: Episode, t0: int, t1: int) -> int:
    """Return how long the gap ``ep`` kept its vessel dark within [t0, t1)."""
    end = ep.end_ms if ep.end_ms is not None else t1
    return max(0, min(end, t1) - max(ep.start_ms, t0))


class _Scope:
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


def build_report(
    repo: Repo,
    day: date,
    *,
    zones: Sequence[str] | None = None,
    narrow: Sequence[Narrowing] = (),
) -> DayReport:
    """Read the day from the store and return its report (`ReportError` on an unknown zone)."""
    all_zones = repo.list_zones()
    known = {z.id: z for z in all_zones}
    if zones is not None:
        unknown = sorted(set(zones) - set(known))
        if unknown:
            raise ReportError(f"unknown zone(s): {', '.join(unknown)}")
        if not zones:
            raise ReportError("a report for zones needs at least one zone")
    scope = _Scope(all_zones, zones)
    zone_ids = None if scope.ids is None else list(scope.ids)
    t0 = day_start_ms(day)
    t1 = t0 + DAY_MS
    h0 = t0 - TREND_DAYS * DAY_MS
    history = repo.episodes_overlapping(h0, t1, zones=zone_ids, narrow=narrow)
    today = [e for e in history if e.start_ms < t1 and (e.end_ms is None or e.end_ms >= t0)]
    new = [e for e in today if e.start_ms >= t0]
    departure_ids = {z.id for z in all_zones if z.kind is ZoneKind.DEPARTURE_HOTSPOT}
    arrival_ids = {z.id for z in all_zones if z.kind is ZoneKind.ARRIVAL_AREA}

    def departure(e: Episode) -> bool:
        return e.kind == "zone_exit" and e.zone in departure_ids

    def arrival(e: Episode) -> bool:
        return e.kind == "zone_entry" and e.zone in arrival_ids

    def gap(e: Episode) -> bool:
        return e.kind == "ais_gap" and not at_coverage_edge(e.event())

    alerts = [e for e in new if e.alert]
    carried = [e for e in today if e.alert and e.start_ms < t0]
    mmsis = sorted({m for e in new for m in (e.mmsi, e.other_mmsi) if m is not None})
    in_scope = None if zone_ids is None else repo.mmsis_with_alerts(frozenset(zone_ids))
    facts = repo.vessel_facts(mmsis)

    def name(m: int | None) -> str:
        if m is None:
            return ""
        f = facts.get(m) or {}
        return (f.get("name") or "").strip() or str(m)

    def place(e: Episode) -> str:
        return describe_place(e.details.get("near") or e.details.get("last_seen_near"))

    def zone_name(z: str | None) -> str:
        return known[z].name if z in known else (z or "")

    assigned = repo.assignments([a.id for a in alerts])
    by_kind: dict[str, list[Episode]] = defaultdict(list)
    by_zone: dict[str, list[Episode]] = defaultdict(list)
    for a in alerts:
        by_kind[a.kind].append(a)
        by_zone[zone_name(a.zone) or "(no zone)"].append(a)

    # trend: each of the 28 days before and the day itself
    trend: dict[str, list[float]] = {k: [0.0] * (TREND_DAYS + 1) for k, _ in SERIES}
    for e in history:
        i = (e.start_ms - h0) // DAY_MS
        if 0 <= i <= TREND_DAYS:
            if departure(e) and e.alerted:
                trend["departures"][i] += 1
            if e.kind == "encounter":
                trend["encounters"][i] += 1
            if e.alert:
                trend["alerts"][i] += 1
        if gap(e):
            for j in range(TREND_DAYS + 1):
                d0 = h0 + j * DAY_MS
                trend["dark_hours"][j] += _dark_ms(e, d0, d0 + DAY_MS) / HOUR_MS
    trend["dark_hours"] = [round(v, 1) for v in trend["dark_hours"]]

    dark = [e for e in today if gap(e)]
    dark_hours = round(sum(_dark_ms(e, t0, t1) for e in dark) / HOUR_MS, 1)
    contacts = [
        c
        for c in list_contacts(repo.store, since_ms=t0, until_ms=t1 - 1, limit=100_000)
        if scope.holds(c.contact.lon, c.contact.lat)
    ]
    reception = repo.reception(t0, t1, scope.bbox())
    top = _top_vessels(
        repo, all_zones, t1, mmsis if in_scope is None else [m for m in mmsis if m in in_scope]
    )
    watch = _watchlist(repo, t0, t1, new, in_scope, name, place)

    def row(e: Episode, what: str) -> dict[str, Any]:
        return {
            "time": _when(e.start_ms, t0),
            "end": "open" if e.end_ms is None else _when(e.end_ms, t0),
            "mmsi": e.mmsi,
            "name": name(e.mmsi),
            "other": "" if e.other_mmsi is None else f"{name(e.other_mmsi)} ({e.other_mmsi})",
            "zone": zone_name(e.zone),
            "where": place(e),
            "what": what,
            "alert": "yes" if e.alert else ("folded" if e.alerted else "no"),
            "severity": e.severity,
        }

    departures = [e for e in new if departure(e)]
    arrivals = [e for e in new if arrival(e)]
    encounters = [e for e in new if e.kind == "encounter"]
    targets = [e for e in new if e.kind == "dark_target"]
    assets = _assets(repo, t0, t1)
    points = _points(new, dark, contacts, assets, departure, arrival)
    figures: dict[str, int | float] = {
        "departures": sum(1 for e in departures if e.alerted),
        "departures_routine": sum(1 for e in departures if not e.alerted),
        "arrivals": sum(1 for e in arrivals if e.alerted),
        "arrivals_routine": sum(1 for e in arrivals if not e.alerted),
        "encounters": len(encounters),
        "dark_episodes": sum(1 for e in dark if e.start_ms >= t0),
        "dark_hours": dark_hours,
        "dark_targets": len(targets),
        "contacts": len(contacts),
        "alerts": len(alerts),
        "alerts_open": sum(1 for a in alerts if a.state != "resolved"),
        "carried_over": len(carried),
        "watchlist_vessels": len(watch),
        "messages": reception.messages,
        "stations": len(reception.stations),
        "vessels": len(mmsis),
    }
    return DayReport(
        day=day,
        zones=scope.ids,
        zone_names={z.id: z.name for z in scope.zones} if scope.ids is not None else {},
        narrow=tuple(sorted(n.id for n in narrow)),
        figures=figures,
        trend=trend,
        alerts=[
            {
                **row(a, a.kind.replace("_", " ")),
                "id": a.id,
                "state": a.state,
                "assignee": a.assignee or (assigned.get(a.id) or ("",))[0],
                "ack": _handled(a.acknowledged_by, a.acknowledged_ms, a.created_ms),
                "resolved": _handled(a.resolved_by, a.resolved_ms, a.created_ms),
                "summary": describe(a.event(), a.mmsi),
            }
            for a in alerts
        ],
        carried_over=len(carried),
        by_kind=sorted(
            ((k, handling(v, assigned)) for k, v in by_kind.items()),
            key=lambda kv: (-kv[1].alerts, kv[0]),
        ),
        by_zone=sorted(
            ((k, handling(v, assigned)) for k, v in by_zone.items()),
            key=lambda kv: (-kv[1].alerts, kv[0]),
        ),
        all_alerts=handling(alerts, assigned),
        top=top,
        watchlist=watch,
        departures=[row(e, "left " + zone_name(e.zone)) for e in departures],
        arrivals=[row(e, "reached " + zone_name(e.zone)) for e in arrivals],
        encounters=[row(e, describe(e.event(), e.mmsi)) for e in encounters],
        dark=[
            {
                **row(e, describe(e.event(), e.mmsi)),
                "hours": round(_dark_ms(e, t0, t1) / HOUR_MS, 1),
            }
            for e in dark
        ],
        dark_targets=[row(e, str(e.details.get("summary") or "dark target")) for e in targets],
        contacts=[
            {
                "time": hhmm(c.contact.time_ms),
                "kind": c.contact.kind.value,
                "source": c.contact.source,
                "lat": round(c.contact.lat, 3),
                "lon": round(c.contact.lon, 3),
                "explained": "AIS " + str(c.mmsi)
                if c.mmsi is not None
                else (f"target {c.target}" if c.target is not None else "not fused"),
                "people": "" if c.contact.people is None else c.contact.people,
            }
            for c in contacts
        ],
        assets=assets,
        stations=[
            {
                "source": s.source or "(unnamed feed)",
                "messages": s.messages,
                "first": hhmm(s.first_ms),
                "last": hhmm(s.last_ms),
            }
            for s in reception.stations
        ],
        gaps=_reception_gaps(reception, t0, t1),
        messages=reception.messages,
        points=points,
        extent=_extent(points, scope, all_zones),
        zone_shapes=[(z.kind.value, z.geometry) for z in _map_zones(scope, all_zones)],
    )


def _handled(who: str | None, at: int | None, created: int) -> str:
    if who is None or at is None:
        return ""
    return f"{who}, {format_duration(max(0, at - created) / 1000)}"


def _top_vessels(repo: Repo, zones: list[Zone], t1: int, mmsis: list[int]) -> list[VesselRisk]:
    """Return the riskiest vessels of the day at its end, with their reasons in words."""
    if not mmsis:
        return []
    episodes = repo.episodes_overlapping(t1 - RISK_LOOKBACK_MS, t1, mmsis=mmsis)
    events = [e.event() for e in episodes]
    cfg = EngineConfig()
    where = departure_waters(zones)
    facts = repo.vessel_facts(mmsis)
    out = []
    for m in mmsis:
        r = risk_score(m, events, t1, cfg, where)
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


def _watchlist(
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


def _assets(repo: Repo, t0: int, t1: int) -> list[dict[str, Any]]:
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


def _points(
    new: list[Episode],
    dark: list[Episode],
    contacts: list[Any],
    assets: list[dict[str, Any]],
    departure: Any,
    arrival: Any,
) -> list[MapPoint]:
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


def _map_zones(scope: _Scope, zones: list[Zone]) -> list[Zone]:
    """Return the zones drawn: the scope's, else the departure and arrival areas."""
    if scope.ids is not None:
        return scope.zones
    kinds = (ZoneKind.DEPARTURE_HOTSPOT, ZoneKind.ARRIVAL_AREA)
    return [z for z in zones if z.kind in kinds]


#: Least span of the map, in degrees: enough coast around a small zone to know where it is.
MIN_SPAN = 4.0


def _extent(
    points: list[MapPoint], scope: _Scope, zones: list[Zone]
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
        for z in _map_zones(scope, zones):
            xs += [z.bounds[0], z.bounds[2]]
            ys += [z.bounds[1], z.bounds[3]]
    if not xs:
        xs, ys = [10.0, 16.0], [32.0, 38.0]  # the central Mediterranean
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w = max(x1 - x0 + 0.6, MIN_SPAN)
    h = max(y1 - y0 + 0.6, MIN_SPAN * 0.6)
    return (round(cx - w / 2, 4), round(cy - h / 2, 4), round(cx + w / 2, 4), round(cy + h / 2, 4))


def _reception_gaps(reception: Reception, t0: int, t1: int) -> list[tuple[int, int]]:
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


def day_range(day: date, days: int) -> list[date]:
    """Return the ``days`` days before ``day`` and ``day`` itself, oldest first."""
    return [day - timedelta(days=days - i) for i in range(days + 1)]
