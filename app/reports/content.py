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

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from app.reports.model import (
    DAY_MS,
    HOUR_MS,
    SERIES,
    TREND_DAYS,
    DayReport,
    Handling,
    MapPoint,
    ReportError,
    VesselRisk,
    day_start_ms,
    hhmm,
    parse_day,
)
from app.reports.parts import (
    ReportArea,
    assets,
    dark_ms,
    extent,
    handled,
    handling,
    map_zones,
    points,
    reception_gaps,
    top_vessels,
    watchlist,
    when,
)
from app.store.contacts import list_contacts
from app.store.daily import Episode
from app.store.repo import Repo
from geo.alert_rules import Narrowing
from geo.detectors.base import describe_place
from geo.risk import at_coverage_edge, describe
from geo.zones import ZoneKind

__all__ = [
    "DAY_MS",
    "SERIES",
    "DayReport",
    "Handling",
    "MapPoint",
    "ReportError",
    "VesselRisk",
    "build_report",
    "day_start_ms",
    "hhmm",
    "parse_day",
]


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
    scope = ReportArea(all_zones, zones)
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
                trend["dark_hours"][j] += dark_ms(e, d0, d0 + DAY_MS) / HOUR_MS
    trend["dark_hours"] = [round(v, 1) for v in trend["dark_hours"]]

    dark = [e for e in today if gap(e)]
    dark_hours = round(sum(dark_ms(e, t0, t1) for e in dark) / HOUR_MS, 1)
    contacts = [
        c
        for c in list_contacts(repo.store, since_ms=t0, until_ms=t1 - 1, limit=100_000)
        if scope.holds(c.contact.lon, c.contact.lat)
    ]
    reception = repo.reception(t0, t1, scope.bbox())
    top = top_vessels(
        repo, all_zones, t1, mmsis if in_scope is None else [m for m in mmsis if m in in_scope]
    )
    watch = watchlist(repo, t0, t1, new, in_scope, name, place)

    def row(e: Episode, what: str) -> dict[str, Any]:
        return {
            "time": when(e.start_ms, t0),
            "end": "open" if e.end_ms is None else when(e.end_ms, t0),
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
    own = assets(repo, t0, t1)
    drawn = points(new, dark, contacts, own, departure, arrival)
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
                "ack": handled(a.acknowledged_by, a.acknowledged_ms, a.created_ms),
                "resolved": handled(a.resolved_by, a.resolved_ms, a.created_ms),
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
                "hours": round(dark_ms(e, t0, t1) / HOUR_MS, 1),
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
        assets=own,
        stations=[
            {
                "source": s.source or "(unnamed feed)",
                "messages": s.messages,
                "first": hhmm(s.first_ms),
                "last": hhmm(s.last_ms),
            }
            for s in reception.stations
        ],
        gaps=reception_gaps(reception, t0, t1),
        messages=reception.messages,
        points=drawn,
        extent=extent(drawn, scope, all_zones),
        zone_shapes=[(z.kind.value, z.geometry) for z in map_zones(scope, all_zones)],
    )
