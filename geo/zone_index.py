"""Batch zone membership: which points of a batch lie inside which zones, in one call.

Boundary rule: a point is inside a zone when the zone *contains* it (shapely's ``contains`` /
``contains_xy``), so a point exactly on a zone's boundary is outside. With float positions this
is a measure-zero case; the detectors' hysteresis, not this rule, is what stops a vessel
jittering on a boundary from flapping. NaN (unavailable) coordinates are in no zone.

Method: an `STRtree` over the zones' bounding boxes finds, for each zone, the points whose
position can be inside it, and the zone's membership grid (`geo.zone_grid`: cells wholly inside
or outside, learnt once) answers for those points, the prepared geometry's ``contains_xy`` only
for points in cells its boundary crosses. `bench_zone_index` measures both ways: on 100k random
points over the shipped central-Med set (49 zones, 2 shared cores) this path answered 0.4-0.55 M
points/s before the grids, while ``STRtree.query(points, predicate="within")`` manages 4-7 k
points/s (it builds a Point per position and tests each pair without the prepared point-in-area
index).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import numpy.typing as npt
import shapely
from shapely import STRtree

from geo.zone_grid import ZoneGrid
from geo.zones import Zone

__all__ = ["ZoneIndex", "bench_zone_index"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: Above this many zones candidates come from the STRtree, below from a numpy box test per zone
#: (measured: with the ~60 shipped zones the numpy test is ~5x cheaper than building the boxes).
TREE_THRESHOLD = 128


class ZoneIndex:
    """Zones indexed for vectorised point membership; zone ``j`` is ``index.zones[j]``.

    Examples
    --------
    >>> from shapely.geometry import MultiPolygon, box
    >>> from geo.zones import Zone, ZoneKind
    >>> z = Zone("a", "A", ZoneKind.CUSTOM, MultiPolygon([box(12, 35, 13, 36)]))
    >>> idx = ZoneIndex([z])
    >>> pts, zs = idx.query(np.array([12.5, 14.0, np.nan]), np.array([35.5, 35.5, 35.5]))
    >>> pts.tolist(), zs.tolist()
    ([0], [0])
    """

    def __init__(self, zones: Iterable[Zone]) -> None:
        self.zones: tuple[Zone, ...] = tuple(zones)
        self._pos: dict[str, int] = {}
        for j, zone in enumerate(self.zones):
            if zone.id in self._pos:
                raise ValueError(f"duplicate zone id {zone.id!r} in ZoneIndex")
            self._pos[zone.id] = j
        geoms = [z.geometry for z in self.zones]
        self._geoms = np.array(geoms, dtype=object)
        shapely.prepare(self._geoms)
        self._tree = STRtree(geoms)
        self._boxes = np.array([z.bounds for z in self.zones], dtype=float).reshape(-1, 4)
        self._box_list: list[tuple[float, float, float, float]] = [
            (float(a), float(b), float(c), float(d)) for a, b, c, d in self._boxes.tolist()
        ]
        self._grids: dict[int, ZoneGrid | None] = {}  # built on a zone's first query

    def __len__(self) -> int:
        return len(self.zones)

    def position(self, zone_id: str) -> int:
        """Column of ``zone_id`` in `membership_matrix` and value in `query`'s zone array."""
        return self._pos[zone_id]

    def query(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[IntArray, IntArray]:
        """Return ``(point_idx, zone_idx)``: every pair of a point and a zone that contains it.

        Pairs are sorted by point, then zone, so the result is deterministic whatever the tree's
        internal order. A point in no zone appears in no pair.
        """
        x, y = _coords(lon, lat)
        empty = np.empty(0, dtype=np.intp)
        if not self.zones or x.size == 0:
            return empty, empty.copy()
        finite = np.isfinite(x) & np.isfinite(y)
        if not finite.all():
            keep = np.flatnonzero(finite)
            p, z = self._query_finite(x[keep], y[keep])
            return keep[p], z
        return self._query_finite(x, y)

    def _candidates(self, x: FloatArray, y: FloatArray) -> Iterator[tuple[int, IntArray]]:
        """Yield ``(zone, candidate points)`` for every zone whose bounding box holds points.

        Up to `TREE_THRESHOLD` zones a numpy box test per zone is cheapest (building one box
        geometry per point for the tree costs more than the whole test); past it, the STRtree
        keeps the work proportional to the pairs whose boxes actually overlap.
        """
        if len(self.zones) <= TREE_THRESHOLD:
            for j, (minx, miny, maxx, maxy) in enumerate(self._boxes):
                cand = np.flatnonzero((x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))
                if cand.size:
                    yield j, cand
            return
        point_idx, tree_idx = self._tree.query(shapely.box(x, y, x, y))
        order = np.argsort(tree_idx, kind="stable")
        tree_idx, point_idx = tree_idx[order], point_idx[order]
        starts = np.flatnonzero(np.r_[True, tree_idx[1:] != tree_idx[:-1]])
        for s, e in zip(starts, np.r_[starts[1:], tree_idx.size], strict=True):
            if e > s:
                yield int(tree_idx[s]), point_idx[s:e].astype(np.intp, copy=False)

    def _query_finite(self, x: FloatArray, y: FloatArray) -> tuple[IntArray, IntArray]:
        out_p: list[IntArray] = [np.empty(0, dtype=np.intp)]
        out_z: list[IntArray] = [np.empty(0, dtype=np.intp)]
        for j, cand in self._candidates(x, y):
            hit = cand[self._contains(j, x[cand], y[cand])]
            out_p.append(hit)
            out_z.append(np.full(hit.size, j, dtype=np.intp))
        p = np.concatenate(out_p)
        z = np.concatenate(out_z)
        order = np.lexsort((z, p))
        return p[order], z[order]

    def _grid(self, j: int) -> ZoneGrid | None:
        """Zone ``j``'s membership grid, made on its first query (from its stored cells if any)."""
        if j not in self._grids:
            self._grids[j] = ZoneGrid.over(self._geoms[j], self.zones[j].cells)
        return self._grids[j]

    def _contains(self, j: int, x: FloatArray, y: FloatArray) -> BoolArray:
        """``contains_xy`` of zone ``j`` for points in its bounding box, through its grid."""
        grid = self._grid(j)
        if grid is None:
            return np.asarray(shapely.contains_xy(self._geoms[j], x, y), dtype=np.bool_)
        return grid.contains(x, y)

    def _contains_one(self, j: int, x: float, y: float) -> bool:
        """`_contains` of one point (in zone ``j``'s bounding box)."""
        grid = self._grid(j)
        if grid is None:
            return bool(shapely.contains_xy(self._geoms[j], x, y))
        return grid.contains_one(x, y)

    def query_within(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[IntArray, IntArray]:
        """Return the same pairs as `query`, through ``STRtree.query(points, "within")``.

        Kept as the reference and for the benchmark; `query` is the faster path.
        """
        x, y = _coords(lon, lat)
        empty = np.empty(0, dtype=np.intp)
        if not self.zones or x.size == 0:
            return empty, empty.copy()
        keep = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        pi, zi = self._tree.query(shapely.points(x[keep], y[keep]), predicate="within")
        p = keep[pi].astype(np.intp, copy=False)
        z = zi.astype(np.intp, copy=False)
        order = np.lexsort((z, p))
        return p[order], z[order]

    def membership_matrix(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> BoolArray:
        """Return a ``(n_points, n_zones)`` bool matrix, True where the point is inside the zone."""
        x, _ = _coords(lon, lat)
        out = np.zeros((x.size, len(self.zones)), dtype=bool)
        p, z = self.query(lon, lat)
        out[p, z] = True
        return out

    def zones_at(self, lon: float, lat: float) -> list[Zone]:
        """Zones containing one point, in index order (empty for NaN coordinates).

        The same answer as `query` of one point; its bounding-box and grid tests run in Python,
        as numpy's per-call cost was most of a single point's query.
        """
        x, y = float(np.float64(lon)), float(np.float64(lat))  # as query's float arrays read them
        if not (math.isfinite(x) and math.isfinite(y)):
            return []
        return [
            self.zones[j]
            for j, (minx, miny, maxx, maxy) in enumerate(self._box_list)
            if minx <= x <= maxx and miny <= y <= maxy and self._contains_one(j, x, y)
        ]


def _coords(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(lon, dtype=np.float64).ravel()
    y = np.asarray(lat, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"lon and lat differ in length ({x.size} != {y.size})")
    return x, y


def bench_zone_index(
    zones: Sequence[Zone], n_points: int = 100_000, seed: int = 0, repeat: int = 3
) -> dict[str, float]:
    """Time `ZoneIndex.query` against `ZoneIndex.query_within` on random points in the zones' box.

    Returns the best of ``repeat`` runs per method, in points per second, and checks that both
    give identical pairs. For `make bench` and the zone report, never for tests (no timed asserts).
    """
    idx = ZoneIndex(zones)
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = shapely.total_bounds(idx._geoms)
    lon = rng.uniform(minx, maxx, n_points)
    lat = rng.uniform(miny, maxy, n_points)
    results: dict[str, float] = {}
    answers = []
    for name, fn in (("bbox_contains_xy", idx.query), ("strtree_within", idx.query_within)):
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            answer = fn(lon, lat)
            best = min(best, time.perf_counter() - t0)
        answers.append(answer)
        results[f"{name}_points_per_s"] = n_points / best
    if not all(np.array_equal(a, b) for a, b in zip(answers[0], answers[1], strict=True)):
        raise AssertionError("query and query_within disagree")
    results["pairs"] = float(answers[0][0].size)
    return results
