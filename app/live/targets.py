"""Dark targets as the dashboard and the API show them: where, how old, seen by whom, reach.

Read from the engine's fusion state (on the event loop, where the engine runs) into plain
dicts; the reachable area (from the last contact, at the speed of the boat's kind, clipped by
land) and the time each own asset needs to reach it are computed from those dicts in a worker
thread, the same way as for an AIS vessel that went dark (`app.live.intercepts`).
"""

from __future__ import annotations

from typing import Any

from app.live.intercepts import area_reach_rows, place_asset
from geo.detectors.contacts import ContactFusion
from geo.detectors.dark_tracks import DarkTrack, target_label
from geo.events import format_time
from geo.reach import ReachableArea, reachable_area


def target_view(fusion: ContactFusion, tr: DarkTrack, now_ms: int) -> dict[str, Any]:
    """Return one dark target of the fusion as the API's Target JSON (docs/api.md)."""
    last = tr.last
    speed, course = tr.velocity()
    return {
        "number": tr.number,
        "target": target_label(tr.number),
        "lat": last.lat,
        "lon": last.lon,
        "radius_m": last.radius,
        "first_seen": format_time(tr.first.time_ms),
        "last_seen": format_time(last.time_ms),
        "last_seen_ms": last.time_ms,
        "age_s": max(0, now_ms - last.time_ms) // 1000,
        "source": f"{last.kind.value} {last.source}".strip(),
        "kinds": sorted({c.kind.value for c in tr.contacts}),
        "sources": sorted({c.source for c in tr.contacts if c.source}),
        "n_contacts": len(tr.contacts),
        "people": tr.people,
        "length_m": tr.length_m,
        "speed_kn": None if speed is None else round(speed, 1),
        "course": None if course is None else round(course),
        "max_speed_kn": tr.max_speed_kn(),
        "zone": tr.zone,
        "closed": tr.closed,
        "associated": fusion.associated(tr),
        "contacts": [c.to_dict() for c in tr.contacts[-10:]],
    }


def list_targets(fusion: ContactFusion, now_ms: int, *, closed: bool) -> list[dict[str, Any]]:
    """Return the open dark targets (and the closed ones still kept, if asked), by number."""
    return [
        target_view(fusion, fusion.tracks[n], now_ms)
        for n in sorted(fusion.tracks)
        if closed or not fusion.tracks[n].closed
    ]


def target_area(t: dict[str, Any], now_ms: int, land: Any) -> ReachableArea:
    """Return where a dark target could be at ``now_ms``: from its last contact, at its bound."""
    return reachable_area(
        t["lat"],
        t["lon"],
        t["last_seen_ms"],
        max(now_ms, t["last_seen_ms"]),
        last_speed_kn=t["speed_kn"],
        max_speed_kn=t["max_speed_kn"],
        land=land,
        course_deg=t["course"],
    )


def target_intercepts(
    t: dict[str, Any], assets: list[dict[str, Any]], live: Any, land: Any, now_ms: int
) -> dict[str, Any]:
    """Return "who gets there first" for a dark target: each asset's time to its area."""
    placed = [place_asset(row, live, now_ms) for row in assets]
    area = target_area(t, now_ms, land)
    return {
        "target": {**t, "dark": True, "at": format_time(max(now_ms, t["last_seen_ms"]))},
        "intercepts": [],
        "area_reach": area_reach_rows(placed, area),
        "unplaced": [p.row["name"] for p in placed if p.asset is None],
    }
