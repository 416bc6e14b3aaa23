"""The intercept picture of one vessel: own assets ranked, dark-area reach, zone entry times.

Glue over `geo.intercept` and `geo.reach`. Everything is taken at one "now", the engine's event
time that the route passes in (`LiveClock`, as ``/reach`` uses): the suspect's last fix is moved
along its course over ground at its speed to that time (`geo.intercept.dead_reckon`), and so is
an asset's when it is followed on AIS, and the age of every fix used is reported. A 5-minute-old
fix at 20 kn is 1.7 nm behind the vessel; solving from it would send the asset to the wrong
place. A suspect whose course or speed is unknown gets no intercept from a guessed course: each
asset says why, and the time it needs to reach the suspect's reachable area since the fix is
given instead, as for a dark vessel.

Zone entry times are given for the zones a watch officer acts on (territorial seas, contiguous
zones, SAR regions), from the same projected position: "it enters Maltese waters in 3 h"
decides who is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geo.events import format_time
from geo.intercept import (
    Asset,
    DeadReckoning,
    RankedIntercept,
    dead_reckon,
    rank_intercepts,
    time_to_reach_area,
    zone_entry,
)
from geo.reach import ReachableArea, reachable_area
from geo.vessel_speeds import max_speed_kn
from geo.zones import Zone, ZoneKind

ENTRY_KINDS = frozenset({ZoneKind.TERRITORIAL_SEA, ZoneKind.CONTIGUOUS_ZONE, ZoneKind.SAR_REGION})
#: Entries further than this are not worth showing (and cost more to find).
HORIZON_H = 24.0
NO_POSITION = "asset position unknown (no AIS fix yet and none set)"
DARK = "dark: where it is now is an area, not a point (see area_reach)"


@dataclass(frozen=True, slots=True)
class PlacedAsset:
    """An asset where it is taken to be now, and where that came from (for the answer)."""

    asset: Asset | None
    row: dict[str, Any]
    source: str | None  # "ais" or "configured"; None when it has no position
    fix_age_s: float | None = None
    projected_nm: float = 0.0

    def fields(self) -> dict[str, Any]:
        """Return the keys every answer row about this asset carries besides its result."""
        a = self.asset
        return {
            "position": None if a is None else {"lat": round(a.lat, 6), "lon": round(a.lon, 6)},
            "position_source": self.source,
            "fix_age_s": None if self.fix_age_s is None else round(self.fix_age_s, 1),
            "projected_nm": round(self.projected_nm, 3),
        }


def asset_position(asset: dict[str, Any], live: Any) -> tuple[float, float] | None:
    """Return an asset's last known position: its AIS fix when it has one, else as last set.

    The fix as reported, not moved on to now (`place_asset` does that for an intercept).
    """
    if asset.get("mmsi"):
        v = live.get(int(asset["mmsi"]))
        if v is not None and v["lat"] is not None:
            return float(v["lat"]), float(v["lon"])
    if asset.get("lat") is None or asset.get("lon") is None:
        return None
    return float(asset["lat"]), float(asset["lon"])


def place_asset(row: dict[str, Any], live: Any, now_ms: int) -> PlacedAsset:
    """Place an asset at ``now_ms``: on AIS when the live picture knows its MMSI, else as set.

    The AIS fix is moved on along the asset's own course and speed like the suspect's; one that
    cannot be (course unknown, over an hour old) is used as it is, and its age says how far to
    trust it.
    """
    speed = float(row["max_speed_kn"])
    mmsi, kind = row.get("mmsi"), row.get("kind") or "vessel"
    if mmsi:
        v = live.get(int(mmsi))
        if v is not None and v["lat"] is not None:
            fix_ms = v.get("last_seen_ms")
            if fix_ms is None:
                asset = Asset(row["name"], float(v["lat"]), float(v["lon"]), speed, mmsi, kind)
                return PlacedAsset(asset, row, "ais")
            dr = dead_reckon(
                float(v["lat"]), float(v["lon"]), v["course"], v["speed"], int(fix_ms), now_ms
            )
            asset = Asset(row["name"], dr.lat, dr.lon, speed, mmsi, kind)
            return PlacedAsset(asset, row, "ais", dr.age_s, dr.run_nm)
    if row.get("lat") is None or row.get("lon") is None:
        return PlacedAsset(None, row, None)
    asset = Asset(row["name"], float(row["lat"]), float(row["lon"]), speed, mmsi, kind)
    return PlacedAsset(asset, row, "configured")


def _unplaced_row(p: PlacedAsset, reason: str) -> dict[str, Any]:
    return {
        "asset": p.row["name"],
        "mmsi": p.row.get("mmsi"),
        "kind": p.row.get("kind") or "vessel",
        "max_speed_kn": float(p.row["max_speed_kn"]),
        "intercept": None,
        "reason": reason,
        **p.fields(),
    }


def _area(v: dict[str, Any], fix_ms: int, now_ms: int, land: Any) -> ReachableArea:
    return reachable_area(
        v["lat"],
        v["lon"],
        fix_ms,
        max(now_ms, fix_ms),
        last_speed_kn=v["speed"],
        max_speed_kn=max_speed_kn(v["ship_type"]),
        land=land,
        course_deg=v["course"],
    )


def area_reach_rows(placed: list[PlacedAsset], area: ReachableArea) -> list[dict[str, Any]]:
    """Return each placed asset's time to reach ``area`` (nearest, cover), soonest first."""
    rows = []
    for p in placed:
        if p.asset is None:
            continue
        reach = time_to_reach_area(p.asset, area).to_dict()
        rows.append({"asset": p.asset.name, "kind": p.asset.kind, **reach, **p.fields()})
    rows.sort(key=lambda r: r["nearest_h"])
    return rows


def _zone_entries(dr: DeadReckoning, zones: tuple[Zone, ...]) -> list[dict[str, Any]]:
    """Entries on the present course from where the vessel is now (stopped: the zones it is in)."""
    target = dr.target()
    if target is None:
        return []
    entries: list[dict[str, Any]] = []
    for z in zones:
        if z.kind not in ENTRY_KINDS:
            continue
        e = zone_entry(
            target.lat, target.lon, target.course_deg, target.speed_kn, z.geometry, HORIZON_H
        )
        if e is not None:
            entries.append(
                {
                    "zone": z.id,
                    "name": z.name,
                    "kind": z.kind.value,
                    "hours": round(e.time_h, 3),
                    "lat": round(e.lat, 6),
                    "lon": round(e.lon, 6),
                    "distance_nm": round(e.distance_nm, 3),
                }
            )
    entries.sort(key=lambda e: e["hours"])
    return entries


def intercept_picture(
    v: dict[str, Any],
    assets: list[dict[str, Any]],
    zones: tuple[Zone, ...],
    live: Any,
    land: Any,
    now_ms: int,
) -> dict[str, Any]:
    """Return the ``/intercepts`` answer of docs/api.md for ``v`` at event time ``now_ms``."""
    placed = [place_asset(row, live, now_ms) for row in assets]
    known_fix = v.get("last_seen_ms") is not None
    fix_ms = int(v["last_seen_ms"]) if known_fix else now_ms
    dr = dead_reckon(float(v["lat"]), float(v["lon"]), v["course"], v["speed"], fix_ms, now_ms)
    reason = DARK if v["dark"] else dr.reason
    target = {
        "mmsi": v["mmsi"],
        "lat": v["lat"],
        "lon": v["lon"],
        "speed": v["speed"],
        "course": v["course"],
        "last_seen": v["last_seen"],
        "dark": v["dark"],
        "at": format_time(max(now_ms, fix_ms)),
        "fix_age_s": round(dr.age_s, 1) if known_fix else None,
        "position": {"lat": round(dr.lat, 6), "lon": round(dr.lon, 6)},
        "projected_nm": round(dr.run_nm, 3),
        "motion": "dark" if v["dark"] else dr.motion,
        "reason": reason,
    }
    intercepts: list[dict[str, Any]] = []
    area_reach: list[dict[str, Any]] = []
    solvable = dr.target(v["mmsi"])
    if v["dark"]:
        # Dark: where it could be by now, not where its last course would have taken it.
        area_reach = area_reach_rows(placed, _area(v, fix_ms, now_ms, land))
    elif solvable is not None:
        by_asset = {id(p.asset): p for p in placed if p.asset is not None}
        ranked = rank_intercepts([p.asset for p in placed if p.asset is not None], solvable)
        intercepts = [{**r.to_dict(), **by_asset[id(r.asset)].fields()} for r in ranked]
    else:
        area_reach = area_reach_rows(placed, _area(v, fix_ms, now_ms, land))
        order = {r["asset"]: i for i, r in enumerate(area_reach)}
        for p in sorted(
            (p for p in placed if p.asset is not None), key=lambda p: order[p.row["name"]]
        ):
            assert p.asset is not None and reason is not None
            intercepts.append({**RankedIntercept(p.asset, None, reason).to_dict(), **p.fields()})
    intercepts += [_unplaced_row(p, NO_POSITION) for p in placed if p.asset is None]
    # A dark vessel's entries are on its last course from where that puts it now (up to an
    # hour after the fix, `dead_reckon`'s limit): the question a watch officer asks first.
    entries = _zone_entries(dr, zones)
    return {
        "target": target,
        "intercepts": intercepts,
        "area_reach": area_reach,
        "zone_entries": entries,
        "zone_entries_reason": dr.reason,
    }
