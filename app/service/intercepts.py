"""The intercept picture of one vessel: own assets ranked, dark-area reach, zone entry times.

Glue over `geo.intercept` and `geo.reach`. Zone entry times are given for the zones a
watch officer acts on (territorial seas, contiguous zones, SAR regions): "it enters Maltese
waters in 3 h" decides who is called.
"""

from __future__ import annotations

from typing import Any

from geo.events import format_time
from geo.intercept import Asset, Target, rank_intercepts, time_to_reach_area, zone_entry
from geo.reach import reachable_area
from geo.vessel_speeds import max_speed_kn
from geo.zones import Zone, ZoneKind

ENTRY_KINDS = frozenset({ZoneKind.TERRITORIAL_SEA, ZoneKind.CONTIGUOUS_ZONE, ZoneKind.SAR_REGION})
#: Entries further than this are not worth showing (and cost more to find).
HORIZON_H = 24.0


def asset_position(asset: dict[str, Any], live: Any) -> tuple[float, float] | None:
    """Return an asset's position: from the live feed when it has an MMSI, else as last set."""
    if asset.get("mmsi"):
        v = live.get(int(asset["mmsi"]))
        if v is not None and v["lat"] is not None:
            return float(v["lat"]), float(v["lon"])
    if asset.get("lat") is None or asset.get("lon") is None:
        return None
    return float(asset["lat"]), float(asset["lon"])


def intercept_picture(
    v: dict[str, Any],
    assets: list[dict[str, Any]],
    zones: tuple[Zone, ...],
    live: Any,
    land: Any,
    now_ms: int,
) -> dict[str, Any]:
    """Return the ``/intercepts`` answer of docs/api.md for vessel ``v`` (Vessel JSON + keys)."""
    own: list[Asset] = []
    for row in assets:
        pos = asset_position(row, live)
        if pos is not None:
            own.append(
                Asset(
                    row["name"],
                    pos[0],
                    pos[1],
                    float(row["max_speed_kn"]),
                    row.get("mmsi"),
                    row["kind"],
                )
            )
    speed = float(v["speed"] or 0.0)
    course = float(v["course"] or 0.0)
    target = {
        "mmsi": v["mmsi"],
        "lat": v["lat"],
        "lon": v["lon"],
        "speed": v["speed"],
        "course": v["course"],
        "last_seen": v["last_seen"],
        "dark": v["dark"],
    }
    intercepts: list[dict[str, Any]] = []
    area_reach: list[dict[str, Any]] = []
    if v["dark"] and v.get("last_seen_ms") is not None:
        now = max(now_ms, int(v["last_seen_ms"]))
        area = reachable_area(
            v["lat"],
            v["lon"],
            int(v["last_seen_ms"]),
            now,
            last_speed_kn=v["speed"],
            max_speed_kn=max_speed_kn(v["ship_type"]),
            land=land,
            course_deg=v["course"],
        )
        target["at"] = format_time(now)
        for a in own:
            area_reach.append(
                {"asset": a.name, "kind": a.kind, **time_to_reach_area(a, area).to_dict()}
            )
        area_reach.sort(key=lambda r: r["nearest_h"])
    else:
        ranked = rank_intercepts(own, Target(v["lat"], v["lon"], course, speed, v["mmsi"]))
        intercepts = [r.to_dict() for r in ranked]
    entries: list[dict[str, Any]] = []
    if speed > 0.1 and v["course"] is not None:
        for z in zones:
            if z.kind not in ENTRY_KINDS:
                continue
            e = zone_entry(v["lat"], v["lon"], course, speed, z.geometry, HORIZON_H)
            if e is not None:
                entries.append(
                    {
                        "zone": z.id,
                        "name": z.name,
                        "kind": z.kind.value,
                        "hours": round(e.time_h, 3),
                    }
                )
        entries.sort(key=lambda e: e["hours"])
    return {
        "target": target,
        "intercepts": intercepts,
        "area_reach": area_reach,
        "zone_entries": entries,
    }
