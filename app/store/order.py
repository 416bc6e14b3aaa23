"""Rows of a batch in (vessel, time) order, by one sort of one integer key.

`numpy.lexsort` over (mmsi, time) is two stable sorts, over (mmsi, time, lat, lon) four; the
store sorted every batch of a capture both ways (its duplicate check, its vessel rows): 0.1 s
of the writing process's CPU for `bench.cli`'s real capture. MMSIs fit in 30 bits and a
batch's times, from its first, in 33 (99 days), so ``mmsi << 33 | (time - first)`` orders the
rows as the pair does, and one stable sort of it gives `numpy.lexsort`'s very order.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

_TIME_BITS = 33
_MMSI_LIMIT = 1 << (63 - _TIME_BITS)

IntArray = npt.NDArray[np.int64]


def by_vessel_time(mmsi: npt.NDArray[np.integer], time_ms: IntArray) -> IntArray:
    """Return ``np.lexsort((time_ms, mmsi))``, from one sort when the key fits in 63 bits."""
    if not mmsi.size:
        return np.zeros(0, dtype=np.int64)
    first = int(time_ms.min())
    if int(time_ms.max()) - first >= 1 << _TIME_BITS or not 0 <= mmsi.min() <= mmsi.max() < (
        _MMSI_LIMIT
    ):
        return np.lexsort((time_ms, mmsi))
    key = (mmsi.astype(np.int64) << _TIME_BITS) | (time_ms - first)
    return np.argsort(key, kind="stable")


def by_vessel_time_position(
    mmsi: npt.NDArray[np.integer],
    time_ms: IntArray,
    lat: npt.NDArray[np.floating],
    lon: npt.NDArray[np.floating],
) -> IntArray:
    """Return ``np.lexsort((lon, lat, time_ms, mmsi))``: `by_vessel_time`, ties sorted after.

    Rows sharing a vessel and a time (two messages in one second) are a few; only they are
    sorted again by position.
    """
    return ties_by_position(by_vessel_time(mmsi, time_ms), mmsi, time_ms, lat, lon)


def ties_by_position(
    order: IntArray,
    mmsi: npt.NDArray[np.integer],
    time_ms: IntArray,
    lat: npt.NDArray[np.floating],
    lon: npt.NDArray[np.floating],
) -> IntArray:
    """Sort, in place, the runs of equal (mmsi, time) of ``order`` (rows sorted by the pair).

    ``order`` may hold some of the rows only (`by_vessel_time` of all rows, restricted to a
    subset, is the subset's `by_vessel_time`: the sort is stable).
    """
    if order.size < 2:
        return order
    m, t = mmsi[order], time_ms[order]
    same = (m[1:] == m[:-1]) & (t[1:] == t[:-1])
    if not same.any():
        return order
    tied = np.zeros(order.size, dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    at = np.flatnonzero(tied)  # runs of equal (mmsi, time), in place in ``order``
    rows = order[at]
    again = np.lexsort((lon[rows], lat[rows], time_ms[rows], mmsi[rows]))
    order[at] = rows[again]
    return order
