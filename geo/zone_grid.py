"""A zone's membership grid: cells wholly inside or wholly outside answer without a polygon test.

``contains_xy`` on a prepared zone costs ~1 us a point, and with the shipped zones (89k vertices)
most of `mare detect`'s engine time was that test: ~970k point tests on the engine benchmark's
capture. Vessels keep to a few sea lanes, so the same cells of a zone are asked about again and
again. The grid splits a zone's bounding box into at most `CELLS` cells a side, classifies each
cell the first time a point falls in it, and keeps the answer:

- inside: the zone ``contains_properly`` the cell (the cell lies in the zone's interior), so
  every point of it is contained;
- outside: the cell is ``disjoint`` from the zone, so no point of it is;
- edge: anything else; its points go to ``contains_xy`` as before.

The answers are exactly ``contains_xy``'s (boundary points outside included): a cell is tested
grown by `MARGIN` degrees on every side, far more than the rounding that puts a point in a
cell, so the tested box holds every point that lands in the cell. On the engine benchmark's
capture ~12k cells are classified once, 7 % of them edges; the zone queries' CPU went from
0.65 s to 0.24-0.33 s (load 10-12).

Learning those cells was still half of the queries' cost in one run of `mare detect` (0.08-0.1
s of 0.17-0.2). The shipped zone set's grids are classified whole when it is built
(`learn_all`, 571k cells in ~2 s) and kept in its binary form (`geo.zone_binary`); a zone
loaded from there carries its grid (`Zone.cells`, the `state` bytes for `LAYOUT`), which
`over` takes instead of an empty one. Classifying a cell early or late gives the same answer.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import shapely
from shapely import Geometry

from geo.arrays import distinct

#: Most cells along the longer side of a zone's bounding box (a grid is at most 16 KiB). On the
#: engine benchmark's capture 64, 128 and 256 cost about the same: fewer, larger cells to learn
#: against more points in edge cells.
CELLS = 128
#: How far a cell's box is grown before it is classified (degrees; rounding is ~1e-13).
MARGIN = 1e-9

_UNKNOWN, _INSIDE, _OUTSIDE, _EDGE = 0, 1, 2, 3
#: What a stored grid was made for: grids made with other parameters are not used.
LAYOUT = {"cells": CELLS, "margin": MARGIN}


class ZoneGrid:
    """The membership grid of one prepared zone (see the module docstring).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> zone = box(0, 0, 2, 1)
    >>> _ = shapely.prepare(zone)
    >>> grid = ZoneGrid.over(zone)
    >>> grid.contains(np.array([0.5, 2.0, 1.0]), np.array([0.5, 0.5, 0.0])).tolist()
    [True, False, False]
    """

    __slots__ = ("geom", "minx", "miny", "size", "nx", "ny", "state")

    def __init__(self, geom: Geometry, minx: float, miny: float, size: float, nx: int, ny: int):
        self.geom = geom
        self.minx, self.miny, self.size = minx, miny, size
        self.nx, self.ny = nx, ny
        self.state = np.zeros(nx * ny, dtype=np.int8)

    @classmethod
    def over(cls, geom: Geometry, known: bytes | None = None) -> ZoneGrid | None:
        """Return the grid of a (prepared) zone, or None if its bounds give no cells.

        ``known``: its cells classified beforehand (`learn_all` of a grid of `LAYOUT`), used
        when they fit.
        """
        minx, miny, maxx, maxy = (float(v) for v in shapely.bounds(geom))
        size = max(maxx - minx, maxy - miny) / CELLS
        if not (math.isfinite(size) and size > 0):
            return None
        nx = int((maxx - minx) / size) + 1
        ny = int((maxy - miny) / size) + 1
        grid = cls(geom, minx, miny, size, nx, ny)
        if known is not None and len(known) == nx * ny:
            grid.state = np.frombuffer(known, dtype=np.int8).copy()
        return grid

    def learn_all(self) -> bytes:
        """Classify every cell not yet classified; return the grid's state to store."""
        cells = np.flatnonzero(self.state == _UNKNOWN)
        for i in range(0, cells.size, 1 << 14):
            self._classify(cells[i : i + (1 << 14)])
        return self.state.tobytes()

    def contains(
        self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.bool_]:
        """``contains_xy(zone, x, y)`` for finite points within the zone's bounding box."""
        # Within the bounding box a cell index is never negative: only the far edge needs
        # bounding (np.clip cost twice np.minimum on a part's few hundred points).
        ix = np.minimum(((x - self.minx) / self.size).astype(np.int64), self.nx - 1)
        iy = np.minimum(((y - self.miny) / self.size).astype(np.int64), self.ny - 1)
        cell = iy * self.nx + ix
        state = self.state[cell]
        unknown = state == _UNKNOWN
        if unknown.any():
            self._classify(distinct(cell[unknown]))
            state = self.state[cell]
        out: npt.NDArray[np.bool_] = state == _INSIDE
        edge = np.flatnonzero(state == _EDGE)
        if edge.size:
            out[edge] = shapely.contains_xy(self.geom, x[edge], y[edge])
        return out

    def contains_one(self, x: float, y: float) -> bool:
        """`contains` of one point, in Python: numpy's per-call cost was most of a point's test.

        The same cell as `contains` takes (float operations in the same order, truncated), so
        the same answer.
        """
        ix = min(max(int((x - self.minx) / self.size), 0), self.nx - 1)
        iy = min(max(int((y - self.miny) / self.size), 0), self.ny - 1)
        cell = iy * self.nx + ix
        state = int(self.state[cell])
        if state == _UNKNOWN:
            self._classify(np.array([cell], dtype=np.int64))
            state = int(self.state[cell])
        if state == _EDGE:
            return bool(shapely.contains_xy(self.geom, x, y))
        return state == _INSIDE

    def _classify(self, cells: npt.NDArray[np.int64]) -> None:
        ix, iy = cells % self.nx, cells // self.nx
        x0 = self.minx + ix * self.size
        y0 = self.miny + iy * self.size
        boxes = shapely.box(
            x0 - MARGIN, y0 - MARGIN, x0 + self.size + MARGIN, y0 + self.size + MARGIN
        )
        state = np.full(cells.size, _EDGE, dtype=np.int8)
        state[shapely.disjoint(self.geom, boxes)] = _OUTSIDE
        state[shapely.contains_properly(self.geom, boxes)] = _INSIDE
        self.state[cells] = state
