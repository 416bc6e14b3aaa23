"""The simulated world: land and sea, named places, sea routes that never touch the coast.

Land is GSHHG high resolution (``geo/data/coast/land_gshhg_h.geojson``): it keeps Lampedusa, Linosa,
Lampione, Filfla and the Kerkennah islands, which a route between Libya and Sicily must avoid.
Routes are planned on a sea grid (A*, 8-connected) whose cells keep a clearance from the coast,
then shortened by line of sight; every leg of every route is checked against the land buffered by
a small margin, so interpolated positions stay at sea whatever the report time. Positions are
linear in lon/lat between waypoints, the same plane shapely tests legs in, so "leg at sea" implies
"every point of the leg at sea".
"""

from __future__ import annotations

import csv
import heapq
import json
import math
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt
import shapely
import shapely.ops
from shapely.geometry import LineString, shape

from geo import shipped

LAND_FILE = shipped.LAND_FILE
PLACES_FILE = shipped.PLACES_FILE

#: The simulated area (lon0, lat0, lon1, lat1): the Sicily channel, Malta, Tunisia east coast and
#: Tripolitania, with room for lanes to enter and leave.
BBOX = (9.8, 31.9, 17.2, 38.6)
#: Safety margin of every leg from land, km. Larger than GSHHG-h's vertex error near harbours.
LEG_MARGIN_KM = 0.4
#: Clearance of the planning grid from land, km: big ships keep a few miles off the coast.
GRID_CLEARANCE_KM = 4.0
GRID_STEP_DEG = 0.04
#: Harbour points where the nearest open water is an enclosed bay the grid cannot reach:
#: Augusta's roads lie outside the breakwaters.
HARBOUR_OVERRIDES: dict[str, tuple[float, float]] = {"Augusta": (15.25, 37.20)}
KM_PER_DEG_LAT = 111.2
EARTH_RADIUS_M = 6_371_008.8
NM = 1852.0

F64 = npt.NDArray[np.float64]
Point = tuple[float, float]  # (lon, lat)


def haversine_m(lon1: F64, lat1: F64, lon2: F64, lat2: F64) -> F64:
    """Great-circle distance in metres (vectorised)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0))))


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance between two (lon, lat) points, metres."""
    return float(
        haversine_m(np.array([a[0]]), np.array([a[1]]), np.array([b[0]]), np.array([b[1]]))[0]
    )


def bearing_deg(lon1: F64, lat1: F64, lon2: F64, lat2: F64) -> F64:
    """Return initial true bearing from point 1 to point 2, degrees in [0, 360)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    x = np.sin(dl) * np.cos(p2)
    y = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.asarray(np.degrees(np.arctan2(x, y)) % 360.0)


def offset(p: Point, bearing: float, dist_m: float) -> Point:
    """Return the point ``dist_m`` metres from ``p`` on ``bearing`` (flat-earth, short hops)."""
    dlat = dist_m * math.cos(math.radians(bearing)) / (KM_PER_DEG_LAT * 1000)
    dlon = (
        dist_m
        * math.sin(math.radians(bearing))
        / (KM_PER_DEG_LAT * 1000 * math.cos(math.radians(p[1])))
    )
    return (p[0] + dlon, p[1] + dlat)


@dataclass(frozen=True, slots=True)
class Place:
    """A named coastal place of ``geo/data/places.csv`` with a harbour point at sea."""

    name: str
    country: str
    roles: frozenset[str]
    lon: float
    lat: float
    sea: Point  # nearest point at sea with room to manoeuvre, the harbour entrance stand-in


class NoRoute(Exception):
    """No sea route joins two points (one is on land or enclosed)."""


class World:
    """Land, places and routes; one per process (see `world()`), built in about a second."""

    def __init__(self, land_file: Path = LAND_FILE, places_file: Path = PLACES_FILE) -> None:
        with land_file.open() as f:
            features = json.load(f)["features"]
        self.land = shapely.union_all([shape(ft["geometry"]) for ft in features])
        shapely.prepare(self.land)
        self.land_margin = self.land.buffer(LEG_MARGIN_KM / KM_PER_DEG_LAT)
        shapely.prepare(self.land_margin)
        self._places_file = places_file
        self._clear_cache: dict[float, shapely.Geometry] = {}
        self._route_cache: dict[tuple[Point, Point], list[Point]] = {}

    # -- sea and land ------------------------------------------------------------------------
    def on_land(self, lon: F64, lat: F64) -> npt.NDArray[np.bool_]:
        """Return True where a point is on land (GSHHG level 1, lakes not cut out)."""
        return np.asarray(shapely.contains_xy(self.land, lon, lat))

    def near_land(self, lon: F64, lat: F64) -> npt.NDArray[np.bool_]:
        """Return True where a point is on land or closer to it than the leg margin."""
        return np.asarray(shapely.contains_xy(self.land_margin, lon, lat))

    def leg_at_sea(self, a: Point, b: Point) -> bool:
        """Return True if the straight leg a-b keeps the leg margin from land all along."""
        if a == b:
            return not bool(self.near_land(np.array([a[0]]), np.array([a[1]]))[0])
        return not bool(self.land_margin.intersects(LineString([a, b])))

    def path_at_sea(self, points: list[Point]) -> bool:
        """Return True if every leg of a polyline is at sea (see `leg_at_sea`)."""
        if len(points) == 1:
            return self.leg_at_sea(points[0], points[0])
        lines = [LineString([a, b]) for a, b in zip(points, points[1:], strict=False)]
        return not bool(np.any(shapely.intersects(self.land_margin, lines)))

    def in_bbox(self, p: Point) -> bool:
        """Return True inside the simulated area."""
        return BBOX[0] <= p[0] <= BBOX[2] and BBOX[1] <= p[1] <= BBOX[3]

    def nearest_sea(self, p: Point, clearance_km: float = 1.0) -> Point:
        """Return the nearest point to ``p`` that is at least ``clearance_km`` from land."""
        clear = self._clear(clearance_km)
        if not clear.contains(shapely.Point(p)):
            return p
        best = shapely.ops.nearest_points(clear.boundary, shapely.Point(p))[0]
        # Step a little further out so the point is strictly outside the buffer.
        q = (best.x + (best.x - p[0]) * 0.05, best.y + (best.y - p[1]) * 0.05)
        if self.near_land(np.array([q[0]]), np.array([q[1]]))[0]:
            raise NoRoute(f"no sea near {p}")
        return q

    def _clear(self, clearance_km: float) -> shapely.Geometry:
        if clearance_km not in self._clear_cache:
            geom = self.land.buffer(clearance_km / KM_PER_DEG_LAT)
            shapely.prepare(geom)
            self._clear_cache[clearance_km] = geom
        return self._clear_cache[clearance_km]

    # -- places ------------------------------------------------------------------------------
    @cached_property
    def places(self) -> dict[str, Place]:
        """Places of ``geo/data/places.csv`` inside the area, keyed by name."""
        out: dict[str, Place] = {}
        with self._places_file.open(newline="") as f:
            for row in csv.DictReader(f):
                p = (float(row["lon"]), float(row["lat"]))
                if not self.in_bbox(p):
                    continue
                out[row["name"]] = Place(
                    name=row["name"],
                    country=row["country"],
                    roles=frozenset(row["role"].split(";")),
                    lon=p[0],
                    lat=p[1],
                    sea=HARBOUR_OVERRIDES.get(row["name"]) or self.nearest_sea(p, 1.2),
                )
        return out

    def place(self, name: str) -> Place:
        """Return a place by its exact name in ``places.csv``."""
        return self.places[name]

    # -- route planning ----------------------------------------------------------------------
    @cached_property
    def _grid(self) -> tuple[F64, F64, npt.NDArray[np.bool_]]:
        lons = np.arange(BBOX[0], BBOX[2] + 1e-9, GRID_STEP_DEG)
        lats = np.arange(BBOX[1], BBOX[3] + 1e-9, GRID_STEP_DEG)
        gx, gy = np.meshgrid(lons, lats)
        clear = self._clear(GRID_CLEARANCE_KM)
        sea = ~shapely.contains_xy(clear, gx.ravel(), gy.ravel()).reshape(gx.shape)
        return lons, lats, sea

    def _nearest_cell(self, p: Point) -> tuple[int, int]:
        lons, lats, sea = self._grid
        j0 = int(round((p[0] - lons[0]) / GRID_STEP_DEG))
        i0 = int(round((p[1] - lats[0]) / GRID_STEP_DEG))
        best: tuple[float, int, int] | None = None
        for r in range(0, 40):
            for i in range(i0 - r, i0 + r + 1):
                for j in range(j0 - r, j0 + r + 1):
                    if max(abs(i - i0), abs(j - j0)) != r:
                        continue
                    if not (0 <= i < len(lats) and 0 <= j < len(lons)) or not sea[i, j]:
                        continue
                    c = (float(lons[j]), float(lats[i]))
                    d = (c[0] - p[0]) ** 2 + (c[1] - p[1]) ** 2
                    if (best is None or d < best[0]) and self.leg_at_sea(p, c):
                        best = (d, i, j)
            if best is not None:
                return best[1], best[2]
        raise NoRoute(f"no sea cell reachable from {p}")

    def route(self, a: Point, b: Point) -> list[Point]:
        """Return waypoints from a to b (both at sea), every leg at sea; cached.

        Raises
        ------
        NoRoute
            If an end is on land or the grid does not connect them.
        """
        key = (a, b)
        if key in self._route_cache:
            return list(self._route_cache[key])
        for p in (a, b):
            if self.near_land(np.array([p[0]]), np.array([p[1]]))[0]:
                raise NoRoute(f"{p} is on land or within {LEG_MARGIN_KM} km of it")
        if self.leg_at_sea(a, b):
            path = [a, b]
        else:
            path = self._astar(a, b)
        self._route_cache[key] = path
        return list(path)

    def _astar(self, a: Point, b: Point) -> list[Point]:
        lons, lats, sea = self._grid
        start, goal = self._nearest_cell(a), self._nearest_cell(b)
        coslat = math.cos(math.radians(35.0))
        moves = [
            (di, dj, math.hypot(di, dj * coslat))
            for di in (-1, 0, 1)
            for dj in (-1, 0, 1)
            if di or dj
        ]

        def h(c: tuple[int, int]) -> float:
            return math.hypot(c[0] - goal[0], (c[1] - goal[1]) * coslat)

        frontier: list[tuple[float, float, tuple[int, int]]] = [(h(start), 0.0, start)]
        came: dict[tuple[int, int], tuple[int, int] | None] = {start: None}
        cost = {start: 0.0}
        ni, nj = sea.shape
        while frontier:
            _, g, cur = heapq.heappop(frontier)
            if cur == goal:
                break
            if g > cost[cur]:
                continue
            for di, dj, w in moves:
                nxt = (cur[0] + di, cur[1] + dj)
                if not (0 <= nxt[0] < ni and 0 <= nxt[1] < nj) or not sea[nxt]:
                    continue
                ng = g + w
                if ng < cost.get(nxt, math.inf):
                    cost[nxt] = ng
                    came[nxt] = cur
                    # Weighted A* (1.3): near-shortest paths, string-pulled afterwards anyway.
                    heapq.heappush(frontier, (ng + 1.3 * h(nxt), ng, nxt))
        if goal not in came:
            raise NoRoute(f"no sea route from {a} to {b}")
        cells: list[tuple[int, int]] = []
        c: tuple[int, int] | None = goal
        while c is not None:
            cells.append(c)
            c = came[c]
        cells.reverse()
        pts = [a] + [(float(lons[j]), float(lats[i])) for i, j in cells] + [b]
        return self._shorten(pts)

    def _shorten(self, pts: list[Point]) -> list[Point]:
        """Drop waypoints while the leg that skips them stays at sea (string pulling)."""
        out = [pts[0]]
        i = 0
        while i < len(pts) - 1:
            j = len(pts) - 1
            while j > i + 1 and not self.leg_at_sea(pts[i], pts[j]):
                j = max(i + 1, i + (j - i) // 2) if j - i > 8 else j - 1
            out.append(pts[j])
            i = j
        return out

    def route_via(self, points: list[Point]) -> list[Point]:
        """Route through a list of via points in order."""
        out: list[Point] = [points[0]]
        for a, b in zip(points, points[1:], strict=False):
            out.extend(self.route(a, b)[1:])
        return out


@cache
def world() -> World:
    """Return the process-wide `World` (land and planning grid are built once)."""
    return World()
