"""Who gets there first? Intercepts, time to a dark vessel's area, time to a zone.

Intercept model: the asset runs at its maximum speed on a single straight (great-circle) leg;
the target holds its course and speed. In a `LocalFrame` centred on the target (so the target's
track is a straight line through the origin and its length is exact), the earliest time t >= 0
with ``|P_T + V_T t - P_A| = v_A t`` solves the quadratic

    (v_T² - v_A²) t² + 2 (d · V_T) t + |d|² = 0,    d = P_T - P_A,

and is then refined on the sphere (a few Newton steps on the great-circle distance) so that the
returned point is exactly ``v_A t`` from the asset and ``v_T t`` along the target's track by
`geo.geodesy.haversine_nm`. For the tens of miles of a real intercept the plane and the sphere
agree to well under 0.1 %. No solution exists when the target opens faster than the asset can
close (it is faster and not coming towards it).

The plane is only the starting guess: the answer is the great-circle one whatever the range
(at 200 nm the planar guess is off by up to 0.03 h, about 0.7 nm of the asset's run, and the
refinement removes it). What remains approximate is the model: the sphere, not the ellipsoid
(at most about 0.5 % in distance), and the target's constant course taken as a great circle
from its position, while a vessel holding a course follows the rhumb line. With the same
initial course the two end ``d² tan(lat) / (2 R)`` apart after ``d`` miles: east-west at 35°N
0.25 nm after a 50 nm run, 1.0 nm after 100 nm and 4.1 nm after 200 nm of the *target's* run
(north-south, none). A 200 nm target run is ten hours at 20 kn, by which time the suspect's
intentions matter far more. `time_to_zone` and `dead_reckon` use the rhumb line.

The target is where it is *now*: `dead_reckon` moves its last fix along its course over ground
at its speed to the time asked about, and refuses (with the reason) when the course or the
speed is unknown or the fix too old to trust, rather than solve for a guessed course. A target
slower than `STATIONARY_KN` is taken as stopped at its fix.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, Point

from geo.geodesy import (
    EARTH_RADIUS_NM,
    LocalFrame,
    destination_point,
    haversine_nm,
    initial_bearing_deg,
    rhumb_destination,
    rhumb_points,
)
from geo.reach import ReachableArea

NO_SPEED = "asset has no speed"
TOO_SLOW = "asset too slow: the target opens faster than the asset can close"
SAME_SPEED_OPENING = "asset no faster than the target, which is not closing"
AREA_OUTGROWS = (
    "asset no faster than the vessel can go: its area grows faster than it can be covered"
)
COURSE_UNKNOWN = "course unknown: no intercept from a guessed course"
SPEED_UNKNOWN = "speed unknown: no intercept from a guessed speed"
FIX_TOO_OLD = "last fix too old to dead-reckon"
BEYOND_HALF_GLOBE = "no meeting within half the globe: the asset closes too slowly"
#: The furthest an asset can steer to on one great circle: beyond, its run is no distance.
HALF_GLOBE_NM = math.pi * EARTH_RADIUS_NM

STATIONARY_KN = 0.5
"""Below this speed over ground a target is taken as stopped at its fix.

A vessel at anchor or drifting reports 0-0.5 kn with a course over ground that wanders all
round the compass (often "not available"); the position it drifts from its fix is at most
0.5 nm an hour, less than the asset's approach will show anyway."""

MAX_DEAD_RECKONING_H = 1.0
"""Oldest fix moved forward along its course: beyond it, no intercept from dead reckoning.

A vessel reporting normally is at most 30 minutes silent at sea before it counts as dark (the
``ais_gap`` floor), so this only refuses long-range (message 27) reporters and a picture
whose clock ran far past its fixes (a restart on stored positions)."""


@dataclass(frozen=True, slots=True)
class Asset:
    """An own patrol vessel or aircraft: where it is and how fast it can go (knots)."""

    name: str
    lat: float
    lon: float
    max_speed_kn: float
    mmsi: int | None = None
    kind: str = "vessel"


@dataclass(frozen=True, slots=True)
class Target:
    """A suspect as last seen: position, course over ground and speed over ground (knots)."""

    lat: float
    lon: float
    course_deg: float
    speed_kn: float
    mmsi: int | None = None


@dataclass(frozen=True, slots=True)
class DeadReckoning:
    """A target's last fix moved to the time asked about, or why it cannot be.

    ``lat``/``lon`` is where the target is taken to be at ``now_ms``: the projected position
    when ``projected``, else the fix itself. ``reason`` is None when an intercept can be
    solved from it (`target`), else says why not (course or speed unknown, fix too old).
    ``motion`` names the case: "underway", "stationary", "course_unknown", "speed_unknown",
    "stale_fix".
    """

    lat: float
    lon: float
    fix_lat: float
    fix_lon: float
    fix_ms: int
    now_ms: int
    course_deg: float | None
    speed_kn: float | None
    motion: str
    run_nm: float = 0.0
    reason: str | None = None

    @property
    def age_s(self) -> float:
        """Age of the fix at ``now_ms`` in seconds (0 when the clock is behind the fix)."""
        return max(0, self.now_ms - self.fix_ms) / 1000.0

    @property
    def projected(self) -> bool:
        return self.run_nm > 0.0

    def target(self, mmsi: int | None = None) -> Target | None:
        """Return the intercept target at ``now_ms``, or None when ``reason`` says why not."""
        if self.reason is not None:
            return None
        if self.motion == "stationary":
            return Target(self.lat, self.lon, 0.0, 0.0, mmsi)
        assert self.course_deg is not None and self.speed_kn is not None
        return Target(self.lat, self.lon, self.course_deg, self.speed_kn, mmsi)


def known_course(course_deg: float | None) -> float | None:
    """Return a usable course over ground in [0, 360), or None (AIS 360 = not available)."""
    if course_deg is None or not math.isfinite(course_deg) or not 0.0 <= course_deg < 360.0:
        return None
    return float(course_deg)


def dead_reckon(
    lat: float,
    lon: float,
    course_deg: float | None,
    speed_kn: float | None,
    fix_ms: int,
    now_ms: int,
    *,
    max_age_h: float = MAX_DEAD_RECKONING_H,
) -> DeadReckoning:
    """Move a fix along its course over ground at its speed to ``now_ms`` (rhumb line).

    A moving target with an unknown course or speed is not moved, and ``reason`` says so:
    a course taken as 0° would send the intercept north of a vessel going anywhere else. A
    target slower than `STATIONARY_KN` stays at its fix. A clock behind the fix projects by
    nothing.

    Examples
    --------
    A fix five minutes old at 20 kn on 090: the target is now 1.667 nm further east.

    >>> dr = dead_reckon(35.0, 12.0, 90.0, 20.0, 0, 300_000)
    >>> dr.motion, dr.age_s, round(dr.run_nm, 4), dr.lat
    ('underway', 300.0, 1.6667, 35.0)
    >>> dead_reckon(35.0, 12.0, None, 20.0, 0, 300_000).reason
    'course unknown: no intercept from a guessed course'
    >>> dead_reckon(35.0, 12.0, None, 0.2, 0, 300_000).target(1).speed_kn
    0.0
    """
    course = known_course(course_deg)
    speed = None if speed_kn is None or not math.isfinite(speed_kn) else float(speed_kn)
    if speed is not None and speed < 0:
        raise ValueError("speed must be >= 0")

    def made(
        motion: str,
        reason: str | None = None,
        at: tuple[float, float] = (lat, lon),
        run: float = 0.0,
    ) -> DeadReckoning:
        return DeadReckoning(
            at[0], at[1], lat, lon, fix_ms, now_ms, course, speed, motion, run, reason
        )

    age_h = max(0, now_ms - fix_ms) / 3_600_000.0
    if speed is None:
        return made("speed_unknown", SPEED_UNKNOWN)
    if age_h > max_age_h:
        return made("stale_fix", f"{FIX_TOO_OLD} ({round(age_h * 60.0)} min old)")
    if speed < STATIONARY_KN:
        return made("stationary")
    if course is None:
        return made("course_unknown", COURSE_UNKNOWN)
    run = speed * age_h
    if run == 0.0:
        return made("underway")
    return made("underway", at=rhumb_destination(lat, lon, course, run), run=run)


@dataclass(frozen=True, slots=True)
class Intercept:
    """Where and when the asset meets the target, the heading to steer and the distance run.

    ``planar_time_h`` is the flat-frame solution before the spherical refinement, kept so a
    reader can see how little the refinement moved it.
    """

    lat: float
    lon: float
    time_h: float
    heading_deg: float
    distance_nm: float
    target_run_nm: float
    planar_time_h: float

    @property
    def minutes(self) -> float:
        return self.time_h * 60.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "lat": round(self.lat, 6),
            "lon": round(self.lon, 6),
            "time_h": round(self.time_h, 6),
            "minutes": round(self.minutes, 2),
            "heading_deg": round(self.heading_deg, 2),
            "distance_nm": round(self.distance_nm, 4),
            "target_run_nm": round(self.target_run_nm, 4),
        }


@dataclass(frozen=True, slots=True)
class RankedIntercept:
    """One asset's answer: its intercept, or None with the reason there is none."""

    asset: Asset
    intercept: Intercept | None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "asset": self.asset.name,
            "mmsi": self.asset.mmsi,
            "kind": self.asset.kind,
            "max_speed_kn": self.asset.max_speed_kn,
            "intercept": None if self.intercept is None else self.intercept.to_dict(),
            "reason": self.reason,
        }


def _planar_time(
    ax: float, ay: float, va: float, course_deg: float, vt: float
) -> tuple[float | None, str | None]:
    """Earliest t >= 0 for an asset at (ax, ay) and a target leaving the origin on course."""
    c_rad = math.radians(course_deg)
    vx, vy = vt * math.sin(c_rad), vt * math.cos(c_rad)
    dx, dy = -ax, -ay
    c = dx * dx + dy * dy
    if c <= 1e-18:
        return 0.0, None
    a = vt * vt - va * va
    b = 2.0 * (dx * vx + dy * vy)
    if va <= 0.0:
        # Met only if the target runs straight into the asset.
        cross = dx * vy - dy * vx
        on_track = abs(cross) <= 1e-9 * math.sqrt(c) * max(vt, 1e-300)
        return (math.sqrt(c) / vt, None) if b < 0.0 and on_track else (None, NO_SPEED)
    if abs(a) <= 1e-12 * max(1.0, va * va):
        return (-c / b, None) if b < 0.0 else (None, SAME_SPEED_OPENING)
    disc = b * b - 4.0 * a * c
    if disc < 0.0:
        return None, TOO_SLOW
    # Numerically stable pair of roots.
    q = -0.5 * (b + math.copysign(math.sqrt(disc), b))
    roots = [r for r in (q / a, c / q if q != 0.0 else math.inf) if 0.0 <= r < math.inf]
    if not roots:
        return None, TOO_SLOW
    return min(roots), None


def _refine_on_sphere(
    asset_lat: float,
    asset_lon: float,
    va: float,
    target_lat: float,
    target_lon: float,
    course_deg: float,
    vt: float,
    t0: float,
) -> float:
    """Newton steps on f(t) = gc(asset, target(t)) - v_A t from the planar root."""

    def f(t: float) -> float:
        p = destination_point(target_lat, target_lon, course_deg, vt * t)
        return float(haversine_nm(asset_lat, asset_lon, *p)) - va * t

    t = t0
    for _ in range(12):
        ft = f(t)
        if abs(ft) < 1e-10:
            return t
        h = max(1e-7, 1e-7 * t)
        slope = (f(t + h) - ft) / h
        if slope == 0.0:
            break
        step = ft / slope
        t_new = t - step
        if t_new < 0.0:
            break
        t = t_new
    return t if abs(f(t)) < 1e-6 else t0


def solve_intercept(
    asset_lat: float,
    asset_lon: float,
    asset_speed_kn: float,
    target_lat: float,
    target_lon: float,
    target_course_deg: float,
    target_speed_kn: float,
) -> tuple[Intercept | None, str | None]:
    """Like `intercept`, but say why when there is no solution: ``(result, reason)``."""
    if asset_speed_kn < 0 or target_speed_kn < 0:
        raise ValueError("speeds must be >= 0")
    frame = LocalFrame(target_lat, target_lon)
    ax, ay = frame.forward(asset_lat, asset_lon)
    t_plane, reason = _planar_time(
        float(ax), float(ay), asset_speed_kn, target_course_deg, target_speed_kn
    )
    if t_plane is None:
        return None, reason
    # A chase closing at a hair's speed "meets" after laps of the globe (1 kn after 0.99999 kn
    # from a mile astern: 100,000 h): no course the asset can hold reaches it.
    if asset_speed_kn * t_plane > HALF_GLOBE_NM:
        return None, BEYOND_HALF_GLOBE
    if t_plane == 0.0:
        t = 0.0
    else:
        t = _refine_on_sphere(
            asset_lat,
            asset_lon,
            asset_speed_kn,
            target_lat,
            target_lon,
            target_course_deg,
            target_speed_kn,
            t_plane,
        )
    if asset_speed_kn * t > HALF_GLOBE_NM:
        return None, BEYOND_HALF_GLOBE
    run = target_speed_kn * t
    lat, lon = destination_point(target_lat, target_lon, target_course_deg, run)
    dist = float(haversine_nm(asset_lat, asset_lon, lat, lon))
    heading = (
        initial_bearing_deg(asset_lat, asset_lon, lat, lon)
        if dist > 1e-9
        else target_course_deg % 360.0
    )
    return Intercept(lat, lon, t, heading, dist, run, t_plane), None


def intercept(
    asset_lat: float,
    asset_lon: float,
    asset_speed_kn: float,
    target_lat: float,
    target_lon: float,
    target_course_deg: float,
    target_speed_kn: float,
) -> Intercept | None:
    """Earliest constant-velocity intercept of a target by an asset at its maximum speed.

    Returns None when no intercept exists (the asset is too slow for this geometry); see
    `solve_intercept` for the reason.

    Examples
    --------
    Stern chase: the target 20 nm dead ahead (due north) making 10 kn north; the asset at
    30 kn closes at 20 kn, so 1 h, 30 nm run, 10 nm beyond the target's position:

    >>> from geo.geodesy import destination_point
    >>> t_lat, t_lon = destination_point(35.0, 12.0, 0.0, 20.0)
    >>> i = intercept(35.0, 12.0, 30.0, t_lat, t_lon, 0.0, 10.0)
    >>> round(i.time_h, 6), round(i.distance_nm, 4), round(i.heading_deg, 3)
    (1.0, 30.0, 0.0)

    Too slow: a 10 kn asset cannot catch a 20 kn target running away from it:

    >>> intercept(35.0, 12.0, 10.0, t_lat, t_lon, 0.0, 20.0) is None
    True
    """
    return solve_intercept(
        asset_lat,
        asset_lon,
        asset_speed_kn,
        target_lat,
        target_lon,
        target_course_deg,
        target_speed_kn,
    )[0]


def rank_intercepts(assets: Iterable[Asset], target: Target) -> list[RankedIntercept]:
    """Every asset's intercept of the target, soonest first; those that cannot, last, with why.

    Ties (times equal to about 4 ms) keep the order the assets were given in, so a
    configuration can list its preferred asset first.

    Examples
    --------
    >>> from geo.geodesy import destination_point
    >>> tgt = Target(*destination_point(35.0, 12.0, 90.0, 30.0), course_deg=90.0, speed_kn=15.0)
    >>> ranked = rank_intercepts([Asset("slow", 35.0, 12.0, 10.0),
    ...                           Asset("fast", 35.0, 12.0, 45.0)], tgt)
    >>> [(r.asset.name, None if r.intercept is None else round(r.intercept.time_h, 3))
    ...  for r in ranked]
    [('fast', 1.0), ('slow', None)]
    """
    results = [
        RankedIntercept(
            a,
            *solve_intercept(
                a.lat,
                a.lon,
                a.max_speed_kn,
                target.lat,
                target.lon,
                target.course_deg,
                target.speed_kn,
            ),
        )
        for a in assets
    ]
    return sorted(
        results,
        key=lambda r: (
            r.intercept is None,
            math.inf if r.intercept is None else round(r.intercept.time_h, 6),
        ),
    )


@dataclass(frozen=True, slots=True)
class AreaReach:
    """How soon an asset reaches a dark vessel's reachable area, and covers all of it.

    Times are hours from the area's ``now_ms``. ``cover_h`` is None, with ``reason``, when the
    asset is no faster than the dark vessel (its area outgrows the asset).
    """

    nearest_h: float
    cover_h: float | None
    nearest_nm: float
    farthest_nm: float
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "nearest_h": round(self.nearest_h, 4),
            "cover_h": None if self.cover_h is None else round(self.cover_h, 4),
            "nearest_nm": round(self.nearest_nm, 3),
            "farthest_nm": round(self.farthest_nm, 3),
            "reason": self.reason,
        }


def time_to_reach_area(asset: Asset, area: ReachableArea) -> AreaReach:
    """Time for an asset to reach the nearest point of a dark vessel's area, and to cover it all.

    The model: the area keeps growing at the dark vessel's maximum speed ``v`` while the asset
    runs straight at ``v_A`` (an aircraft exactly; a patrol vessel as long as no land is in its
    way).

    - Nearest: the near edge, ``d_near`` away now, comes towards the asset at up to ``v``, so
      they meet after ``d_near / (v_A + v)``. Exact in open water; where the coast shields that
      edge it is optimistic, and never more than ``d_near / v_A`` late.
    - Cover: every point of the area at a later time is within ``v * tau`` of the area now, so
      the farthest point is at most ``d_far + v * tau`` away, and the asset's own reach
      ``v_A * tau`` covers the whole area once ``tau = d_far / (v_A - v)``. Exact for an
      open-water disc (``d_far`` = distance to the fix + radius), an upper bound otherwise; it
      exists only if ``v_A > v``.

    Examples
    --------
    A fix 100 nm east of the asset, dark for 2 h at up to 15 kn (a 30 nm disc); a 40 kn asset
    meets its near edge after 70 / 55 h and covers it after 130 / 25 = 5.2 h:

    >>> from geo.geodesy import destination_point
    >>> from geo.reach import reachable_area
    >>> lat, lon = destination_point(35.0, 12.0, 90.0, 100.0)
    >>> area = reachable_area(lat, lon, 0, 7_200_000, last_speed_kn=10.0, max_speed_kn=15.0)
    >>> r = time_to_reach_area(Asset("patrol", 35.0, 12.0, 40.0), area)
    >>> round(r.nearest_h, 2), round(r.cover_h, 2)
    (1.27, 5.2)
    """
    frame = LocalFrame(asset.lat, asset.lon)
    local = frame.to_local(area.geometry)
    origin = Point(0.0, 0.0)
    nearest = 0.0 if shapely.covers(local, origin) else float(shapely.distance(local, origin))
    coords = shapely.get_coordinates(local)
    farthest = float(np.max(np.hypot(coords[:, 0], coords[:, 1]))) if len(coords) else 0.0
    # The polygon circumscribes its circles; do not report beyond the modelled radius.
    fix_x, fix_y = frame.forward(area.lat, area.lon)
    farthest = min(farthest, math.hypot(float(fix_x), float(fix_y)) + area.radius_nm)
    v, va = area.max_speed_kn, asset.max_speed_kn
    if nearest == 0.0:
        nearest_h = 0.0
    elif va + v > 0.0:
        nearest_h = nearest / (va + v)
    else:
        nearest_h = math.inf
    if va > v:
        return AreaReach(nearest_h, farthest / (va - v), nearest, farthest)
    return AreaReach(nearest_h, None, nearest, farthest, AREA_OUTGROWS)


@dataclass(frozen=True, slots=True)
class ZoneEntry:
    """When and where a vessel holding its course first enters a zone (hours from now)."""

    time_h: float
    lat: float
    lon: float
    distance_nm: float


def zone_entry(
    lat: float,
    lon: float,
    course_deg: float,
    speed_kn: float,
    zone: Any,
    horizon_h: float = 48.0,
    *,
    sample_nm: float = 1.0,
) -> ZoneEntry | None:
    """First entry into `zone` (lon/lat polygons) along the rhumb line, within the horizon.

    The track is sampled every ``sample_nm`` along the rhumb line and the first crossing found
    exactly on that polyline; between samples the polyline and the rhumb line differ by
    millimetres. Already inside (boundary included) means entry at 0.
    """
    here = Point(lon, lat)
    if shapely.covers(zone, here):
        return ZoneEntry(0.0, lat, lon, 0.0)
    total = speed_kn * horizon_h
    if total <= 0.0:
        return None
    n = int(min(20_000, max(16, math.ceil(total / sample_nm))))
    dist = np.linspace(0.0, total, n + 1)
    lats, lons = rhumb_points(lat, lon, course_deg, dist)
    track = LineString(np.column_stack([lons, lats]))
    crossing = shapely.intersection(track, zone)
    if crossing.is_empty:
        return None
    pts = shapely.points(shapely.get_coordinates(crossing))
    along = shapely.line_locate_point(track, pts)
    first = float(np.min(along))
    seg = np.hypot(np.diff(lons), np.diff(lats))
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    i = int(np.clip(np.searchsorted(cum, first, side="right") - 1, 0, n - 1))
    frac = 0.0 if seg[i] == 0.0 else (first - cum[i]) / seg[i]
    d_nm = float(dist[i] + frac * (dist[i + 1] - dist[i]))
    p = track.interpolate(first)
    return ZoneEntry(d_nm / speed_kn, float(p.y), float(p.x), d_nm)


def time_to_zone(
    target_lat: float,
    target_lon: float,
    course_deg: float,
    speed_kn: float,
    zone_geometry: Any,
    horizon_h: float = 48.0,
) -> float | None:
    """Return hours until a vessel on its course and speed enters a zone (0 if inside).

    None when it does not enter within ``horizon_h``. For a territorial sea or SAR region
    polygon in lon/lat; see `zone_entry` for the entry point.

    Examples
    --------
    A 10 kn vessel heading due east, 30 nm short of a box: 3 h.

    >>> from shapely.geometry import box
    >>> from geo.geodesy import rhumb_points
    >>> _, (west,) = rhumb_points(35.0, 12.0, 90.0, np.array([30.0]))
    >>> round(time_to_zone(35.0, 12.0, 90.0, 10.0, box(west, 34.5, west + 1, 35.5)), 6)
    3.0
    >>> time_to_zone(35.0, 12.0, 270.0, 10.0, box(west, 34.5, west + 1, 35.5)) is None
    True
    """
    entry = zone_entry(target_lat, target_lon, course_deg, speed_kn, zone_geometry, horizon_h)
    return None if entry is None else entry.time_h
