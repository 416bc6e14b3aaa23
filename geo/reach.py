"""Where could a dark vessel be now? The sea area it could have reached since its last fix.

Model: from its last fix the vessel moves at any speed up to ``max_speed_kn`` on any heading,
and cannot cross land. The reachable set after a time t is then every sea point whose
*sea-path* distance from the fix is at most ``r = max_speed * t``. It is not the disc minus the
land: a point behind an island or round a headland needs a way round, which is longer than the
straight line.

Method (iterative buffering): in a `LocalFrame` centred on the fix (azimuthal equidistant, so
the free-water disc is exact), start from the fix and grow the region ``steps`` times by
``s = r / steps``: buffer by s, intersect with the sea (the disc of radius r minus land), keep
only the pieces connected to the previous region. Paths can therefore bend round coasts at
every step, and a piece on the far side of a thin spit or island, reached only by a jump over
land, is dropped because it does not touch the region it grew from.

Accuracy, stated as what the result guarantees:

- It contains every sea point whose sea distance is at most r. The polygons circumscribe the
  true circles (never inscribed ones), so polygon approximation errs outward, by at most
  ``1 - cos(pi / (4 * quad_segs))`` = 0.12 % of the radius at the default 16 segments per
  quarter circle (0.5 % with the 8 used while growing). The frame shortens distances that are
  not radial from the fix by less than 0.15 % within 300 nm (see `geo.geodesy`).
- Every point it contains is joined to the fix by a path through the sea. In the lee of land
  the result reaches further than the true sea distance, never less: by about one step per
  headland rounded (a step's straight chord of at most s cuts the corner), plus about 1 % of
  the distance (the outward polygon approximation and the 0.5 % per step added to cover
  simplification). Behind Lampedusa, with a true way round of 4.75 nm, the point is first
  included at a radius of 4.64 nm (the tests check this against an exact visibility-graph
  shortest path). In open water the area is exactly the disc (to the 0.12 % above).
- Straits stay open: land used as an obstacle while growing is shrunk by 5 % of a step, never
  grown, and the result is cut with the exact coastline at the end.
- The coastline is the one passed in (GSHHG "h" is about 200 m along the coast). Beyond the
  land file's extent the model sees open sea. A fix that falls on land (a vessel in harbour,
  a coarse coast) starts from the nearest coast point (``start_snapped_nm`` says how far).

Cost: ``steps`` = 48 by default (fewer for a radius under 2.4 nm, the step never below 0.05
nm). 30 nm round Malta takes 0.1-0.2 s, 150 nm about 0.6 s, 600 nm two to three seconds on
one core; build the land once (`geo.land.load_land`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
import shapely.ops
from shapely.geometry import Point, Polygon, mapping

from geo.events import format_time
from geo.geodesy import LocalFrame, geodesic_area_nm2

MAX_RADIUS_NM = 3000.0
"""Largest reach modelled; beyond it the area is capped and flagged.

A 3,000 nm disc round the central Mediterranean already spans 50° of latitude; a longer gap
than that says "anywhere" better than any polygon.
"""

DEFAULT_MAX_STEPS = 48
SIMPLIFY_FRACTION = 0.005
"""Region simplification per step, as a fraction of the step (and added to the step)."""
OBSTACLE_FRACTION = 0.05
"""Obstacle shrink while growing, as a fraction of the step: keeps straits open."""
MIN_STEP_NM = 0.05
"""Smallest growth step, about half the GSHHG "h" vertex spacing: finer only chases noise."""

DEFAULT_COURSE_TOLERANCE_DEG = 30.0
"""Half-width of the likely sector: a vessel holding its course within ±30°.

Twice the ±15° that a course over ground wanders in a seaway for small craft, so a vessel
that altered course moderately stays inside."""

DEFAULT_SPEED_TOLERANCE = 0.25
"""Relative band on the last speed for the likely sector (±25 %)."""


@dataclass(frozen=True, slots=True)
class ReachableArea:
    """The reachable area of a dark vessel and the parameters it was computed from.

    ``geometry`` and ``likely`` are shapely geometries in lon/lat (WGS84 degrees); areas are in
    square nautical miles on the sphere. ``likely`` is None when the course is unknown or the
    likely sector holds no reachable sea.
    """

    lat: float
    lon: float
    last_fix_ms: int
    now_ms: int
    elapsed_h: float
    last_speed_kn: float | None
    max_speed_kn: float
    radius_nm: float
    geometry: Any
    area_nm2: float
    course_deg: float | None = None
    likely: Any = None
    likely_area_nm2: float | None = None
    land_clipped: bool = False
    capped: bool = False
    steps: int = 0
    step_nm: float = 0.0
    start_snapped_nm: float = 0.0
    parameters: dict[str, float] = field(default_factory=dict)

    def to_geojson(self) -> dict[str, Any]:
        """Return a GeoJSON FeatureCollection: the reachable area, the likely area, the fix.

        Each feature carries ``kind`` ("reachable", "likely", "last_fix") and the parameters a
        map legend or an API client needs; coordinates are rounded to 1e-5° (about 1 m).
        """
        common: dict[str, Any] = {
            "last_fix": format_time(self.last_fix_ms),
            "at": format_time(self.now_ms),
            "elapsed_h": round(self.elapsed_h, 4),
            "radius_nm": round(self.radius_nm, 3),
            "max_speed_kn": self.max_speed_kn,
            "last_speed_kn": self.last_speed_kn,
            "course_deg": self.course_deg,
        }
        features: list[dict[str, Any]] = [
            _feature(
                self.geometry,
                {
                    **common,
                    "kind": "reachable",
                    "area_nm2": round(self.area_nm2, 3),
                    "land_clipped": self.land_clipped,
                    "capped": self.capped,
                    "step_nm": round(self.step_nm, 4),
                },
            )
        ]
        if self.likely is not None:
            features.append(
                _feature(
                    self.likely,
                    {
                        **common,
                        "kind": "likely",
                        "area_nm2": None
                        if self.likely_area_nm2 is None
                        else round(self.likely_area_nm2, 3),
                        **self.parameters,
                    },
                )
            )
        features.append(_feature(Point(self.lon, self.lat), {**common, "kind": "last_fix"}))
        return {"type": "FeatureCollection", "features": features}


def _feature(geometry: Any, properties: dict[str, Any]) -> dict[str, Any]:
    rounded = shapely.transform(geometry, lambda c: np.round(c, 5))
    return {"type": "Feature", "geometry": mapping(rounded), "properties": properties}


def _circle(radius: float, quad_segs: int) -> Any:
    """Polygon that circumscribes the circle of `radius` about the origin (edges tangent)."""
    return Point(0.0, 0.0).buffer(radius / math.cos(math.pi / (4 * quad_segs)), quad_segs=quad_segs)


def _sector(course_deg: float, half_width_deg: float, r_lo: float, r_hi: float, n: int = 32) -> Any:
    """Annular sector about the origin in the local frame (azimuths from north, clockwise)."""
    az = np.radians(np.linspace(course_deg - half_width_deg, course_deg + half_width_deg, n + 1))
    # Circumscribe the outer arc so the sector never cuts inside its stated radius.
    outer_r = r_hi / math.cos(math.radians(half_width_deg) / n) if r_hi > 0 else 0.0
    outer = np.column_stack([outer_r * np.sin(az), outer_r * np.cos(az)])
    if r_lo <= 0.0:
        ring = np.vstack([[[0.0, 0.0]], outer])
    else:
        inner = np.column_stack([r_lo * np.sin(az), r_lo * np.cos(az)])[::-1]
        ring = np.vstack([outer, inner])
    return Polygon(ring).buffer(0)


def _grow_through_sea(start: Any, land: Any, radius: float, steps: int, quad_segs: int) -> Any:
    """Grow `start` by ``radius / steps`` per step round `land`, never jumping over it.

    Speed-ups, each erring outward (more area, never less): the region is simplified after
    each step by 2 % of the step and the step enlarged by as much; the land used as an obstacle
    is simplified and then shrunk by 5 % of the step (so a passage is never narrowed); only land
    near the growing region is subtracted. The caller intersects the result with the exact sea.
    """
    step = radius / steps
    simplify_by = SIMPLIFY_FRACTION * step
    grow_by = step / math.cos(math.pi / (4 * quad_segs)) + simplify_by
    shrink = OBSTACLE_FRACTION * step
    obstacles = shapely.get_parts(shapely.simplify(land, shrink).buffer(-shrink))
    obstacles = obstacles[~shapely.is_empty(obstacles)]
    tree = shapely.STRtree(obstacles)
    tol = max(1e-9, step * 1e-7)
    region = start
    for _ in range(steps):
        grown = region.buffer(grow_by, quad_segs=quad_segs)
        near = tree.query(grown)
        if len(near):
            grown = shapely.difference(grown, shapely.union_all(obstacles[near]))
        parts = _polygons(grown)
        keep = parts[shapely.dwithin(parts, region, tol)]
        if len(keep) == 0:
            break
        region = shapely.simplify(shapely.union_all(keep), simplify_by, preserve_topology=True)
    return region


def _polygons(geometry: Any) -> Any:
    """Return the polygon parts of a geometry as an array (line and point slivers dropped)."""
    parts = shapely.get_parts(geometry)
    return parts[(shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)]


def _connected_to(start: Any, geometry: Any, tol: float) -> Any:
    """Keep the parts of `geometry` joined to `start` through parts at most `tol` apart."""
    parts = _polygons(geometry)
    if len(parts) <= 1:
        return geometry
    tree = shapely.STRtree(parts)
    reached = set(int(i) for i in tree.query(start, predicate="dwithin", distance=tol))
    frontier = list(reached)
    while frontier:
        i = frontier.pop()
        for j in tree.query(parts[i], predicate="dwithin", distance=tol):
            if int(j) not in reached:
                reached.add(int(j))
                frontier.append(int(j))
    return shapely.union_all(parts[sorted(reached)])


def reachable_area(
    lat: float,
    lon: float,
    last_fix_ms: int,
    now_ms: int,
    *,
    last_speed_kn: float | None,
    max_speed_kn: float,
    land: Any = None,
    course_deg: float | None = None,
    course_tolerance_deg: float = DEFAULT_COURSE_TOLERANCE_DEG,
    speed_tolerance: float = DEFAULT_SPEED_TOLERANCE,
    max_steps: int = DEFAULT_MAX_STEPS,
    quad_segs: int = 16,
) -> ReachableArea:
    """Compute the sea area a vessel could have reached since its last fix.

    Parameters
    ----------
    lat, lon
        Last fix, degrees.
    last_fix_ms, now_ms
        Time of the last fix and the time asked about, epoch milliseconds (no clock is read).
    last_speed_kn
        Speed over ground at the last fix, or None. A vessel seen doing more than
        ``max_speed_kn`` can evidently do it, so the bound used is the larger of the two.
    max_speed_kn
        Speed bound, e.g. from `geo.vessel_speeds.max_speed_kn` for the vessel's AIS type.
    land
        Land polygons in lon/lat (see `geo.land.load_land`), or None for open water.
    course_deg
        Course over ground at the last fix; with ``last_speed_kn`` it gives the likely area: the
        sector ``course ± course_tolerance_deg`` between ``(1 ± speed_tolerance) * last_speed *
        elapsed``, within the reachable area.
    max_steps, quad_segs
        Growth steps round coasts and segments per quarter circle; see the module docstring
        for the error they bound.

    Returns
    -------
    ReachableArea
        With ``geometry`` a Polygon or MultiPolygon in lon/lat (a Point when no time elapsed).

    Raises
    ------
    ValueError
        If ``now_ms`` is before the fix or a speed is negative.

    Examples
    --------
    Two hours at up to 15 kn in open water: a 30 nm disc, about pi * 30**2 nm²:

    >>> a = reachable_area(35.0, 12.0, 0, 2 * 3_600_000, last_speed_kn=12.0, max_speed_kn=15.0,
    ...                    course_deg=90.0)
    >>> a.radius_nm, round(a.area_nm2 / (math.pi * 30**2), 3)
    (30.0, 1.001)

    Held course 090 at 12 kn ± 25 %: the likely area is the ±30° sector 18 to 30 nm out,
    (60 / 360) * pi * (30**2 - 18**2) = 301.6 nm²:

    >>> a.parameters["likely_min_nm"], a.parameters["likely_max_nm"], round(a.likely_area_nm2)
    (18.0, 30.0, 302)
    """
    if now_ms < last_fix_ms:
        raise ValueError(f"now ({now_ms}) is before the last fix ({last_fix_ms})")
    if max_speed_kn < 0 or (last_speed_kn is not None and last_speed_kn < 0):
        raise ValueError("speeds must be >= 0")
    speed = max(max_speed_kn, last_speed_kn or 0.0)
    elapsed_h = (now_ms - last_fix_ms) / 3_600_000.0
    radius = speed * elapsed_h
    capped = radius > MAX_RADIUS_NM
    r = min(radius, MAX_RADIUS_NM)
    frame = LocalFrame(lat, lon)
    if r <= 0.0:
        return ReachableArea(
            lat=lat,
            lon=lon,
            last_fix_ms=last_fix_ms,
            now_ms=now_ms,
            elapsed_h=elapsed_h,
            last_speed_kn=last_speed_kn,
            max_speed_kn=speed,
            radius_nm=radius,
            geometry=Point(lon, lat),
            area_nm2=0.0,
            course_deg=course_deg,
        )

    disc = _circle(r, quad_segs)
    land_local = _local_land(land, frame, disc)
    steps = 0
    step_nm = 0.0
    snapped = 0.0
    if land_local is None:
        region = disc
    else:
        origin = Point(0.0, 0.0)
        start: Any = origin
        if shapely.covers(land_local, origin):
            start = shapely.ops.nearest_points(land_local.boundary, origin)[0]
            snapped = float(start.distance(origin))
        steps = max(1, min(max_steps, math.ceil(r / MIN_STEP_NM)))
        step_nm = r / steps
        grown = _grow_through_sea(start, land_local, r, steps, max(4, quad_segs // 2))
        sea = shapely.difference(disc, land_local)
        region = _connected_to(start, shapely.intersection(grown, sea), 0.02 * step_nm)
    geometry = frame.to_lonlat(region)
    likely = None
    likely_area = None
    params: dict[str, float] = {}
    if course_deg is not None and last_speed_kn is not None and last_speed_kn > 0:
        r_lo = max(0.0, last_speed_kn * (1 - speed_tolerance)) * elapsed_h
        r_hi = min(speed, last_speed_kn * (1 + speed_tolerance)) * elapsed_h
        params = {
            "course_tolerance_deg": course_tolerance_deg,
            "speed_tolerance": speed_tolerance,
            "likely_min_nm": round(r_lo, 3),
            "likely_max_nm": round(r_hi, 3),
        }
        if r_hi > r_lo:
            sector = _sector(course_deg, course_tolerance_deg, r_lo, min(r_hi, r), n=32)
            inside = shapely.intersection(sector, region)
            if not inside.is_empty and inside.area > 0:
                likely = frame.to_lonlat(inside)
                likely_area = geodesic_area_nm2(likely)
    return ReachableArea(
        lat=lat,
        lon=lon,
        last_fix_ms=last_fix_ms,
        now_ms=now_ms,
        elapsed_h=elapsed_h,
        last_speed_kn=last_speed_kn,
        max_speed_kn=speed,
        radius_nm=radius,
        geometry=geometry,
        area_nm2=geodesic_area_nm2(geometry),
        course_deg=course_deg,
        capped=capped,
        likely=likely,
        likely_area_nm2=likely_area,
        land_clipped=land_local is not None,
        steps=steps,
        step_nm=step_nm,
        start_snapped_nm=snapped,
        parameters=params,
    )


def _local_land(land: Any, frame: LocalFrame, disc_local: Any) -> Any:
    """Land near the disc, in the local frame, or None when no land comes within the disc."""
    if land is None or land.is_empty:
        return None
    ring = frame.to_lonlat(disc_local)
    minx, miny, maxx, maxy = ring.bounds
    pad_x, pad_y = 0.02 * (maxx - minx) + 1e-6, 0.02 * (maxy - miny) + 1e-6
    near = shapely.clip_by_rect(land, minx - pad_x, miny - pad_y, maxx + pad_x, maxy + pad_y)
    if near.is_empty:
        return None
    # Long straight edges (the data's clip lines) must bend like the map's, not cut chords.
    near = shapely.segmentize(near, 0.02)
    local = shapely.make_valid(frame.to_local(near))
    if not shapely.intersects(local, disc_local) or local.area == 0.0:
        return None
    return local
