"""The encounter detector's candidates of each grid time, kept sorted for the next slice end.

At every slice end a grid time's new candidates are matched with its candidates already matched
and with each other (`EncounterDetector.tick`). On a dense feed most candidates of a grid time
come at one slice end and a few thousand more at each of the next (bench.cli's real capture: six
grid times of ~7k candidates at a slice end, ~1.2k of them new). Sorting all of them again at
every slice end, to sweep along one axis, was most of the matching. Here a grid time's
candidates stay sorted on a fixed axis (the widest of its first candidates; which one only
changes the speed, not the pairs): a slice end sorts its new candidates only, finds the pairs
among them by a sweep and those with the old ones by `numpy.searchsorted` into the old sorted
coordinate, then merges the new into the kept arrays. Every grid time's at once: a sparse feed
brings a few candidates to each of several grid times, where a numpy call per grid time was the
price.

A pair is two rows at most ``reach`` apart as unit vectors (`geo.geodesy.unit_vectors`): no
seam at ±180° and no singularity at the poles. Its rows come back as ``(i, j)`` with ``i``
arrived first (``seq``), as the full sweep gave them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from geo.detectors.base import F64, I64
from geo.geodesy import unit_vectors

#: Up to this many new rows, one sort of them all by (grid time, coordinate); past it, a sort
#: per grid time is faster (a few large grid times).
ONE_SORT_ROWS = 4096


@dataclass(slots=True)
class Points:
    """Candidate positions of one grid time: vessel slot, latitude, longitude.

    Sorted (`sort`) on their unit vectors' coordinate ``axis``, ties in arrival order: ``v``,
    the unit vectors by coordinate (3 rows: ``v[axis]`` is the sorted one, and a coordinate of
    many rows is gathered faster from a row of its own); ``seq``, each row's arrival index
    (0, 1, ...), the order a snapshot keeps and the one that orders a pair's rows. ``axis`` -1:
    not sorted yet (as loaded from a snapshot, in arrival order, ``v`` not made).
    """

    slot: I64
    lat: F64
    lon: F64
    v: F64 | None = None
    seq: I64 | None = None
    axis: int = -1

    def __len__(self) -> int:
        return len(self.slot)

    def sort(self) -> None:
        """Sort rows in arrival order on their widest axis (a snapshot's points, once)."""
        if self.axis >= 0:
            return
        v = unit_vectors(self.lat, self.lon).T if self.v is None else self.v
        axis = int(np.argmax(np.ptp(v, axis=1))) if len(self) else 0
        order = np.argsort(v[axis], kind="stable")
        self.slot, self.lat, self.lon = self.slot[order], self.lat[order], self.lon[order]
        self.v = np.ascontiguousarray(v[:, order])
        self.seq = order.astype(np.int64)
        self.axis = axis

    def arrived(self) -> tuple[I64, F64, F64]:
        """Slot, latitude and longitude in arrival order (a snapshot's)."""
        if self.seq is None:
            return self.slot, self.lat, self.lon
        order = np.argsort(self.seq)
        return self.slot[order], self.lat[order], self.lon[order]


@dataclass(slots=True)
class Matched:
    """A slice end's grid times (``whens``) with all their candidates, old and new, and the pairs.

    ``slot, lat, lon, v, seq``: the rows of every matched grid time, grid time after grid time
    (``start``: each one's first row), each sorted as kept; ``i, j``: rows of the pairs with a
    new row, ``seq[i] < seq[j]``, ``at``: their grid time's index.
    """

    whens: list[int]
    start: I64
    slot: I64
    lat: F64
    lon: F64
    v: F64
    seq: I64
    at: I64
    i: I64
    j: I64


def match(points: dict[int, Points], gt: I64, new: Points, reach: float) -> Matched:
    """Pair new candidates (grid times ``gt``, ascending) with their grid times', keep them all.

    ``new.v``: their unit vectors, made row by row (the same figures as a grid time's alone).
    The merged candidates replace ``points``' entries of those grid times.
    """
    assert new.v is not None
    m = len(gt)
    first = np.flatnonzero(np.concatenate(([True], gt[1:] != gt[:-1])))
    bounds = np.append(first, m)
    whens: list[int] = gt[first].tolist()
    olds = [points.get(w) for w in whens]
    for p in olds:
        if p is not None:
            p.sort()
    kept = [p for p in olds if p is not None and len(p)]
    n_old = np.array([len(p) if p is not None else 0 for p in olds], np.int64)
    m_new = np.diff(bounds)
    axis = np.array([p.axis if p is not None and len(p) else -1 for p in olds], np.intp)
    unset = axis < 0
    if unset.any():  # a grid time's first candidates: their widest axis (the first of equals)
        top, bottom = (
            np.maximum.reduceat(new.v, first, axis=1),
            np.minimum.reduceat(new.v, first, 1),
        )
        axis[unset] = np.argmax((top - bottom)[:, unset], axis=0)
    sid = np.repeat(np.arange(len(whens)), m_new)  # the grid time of each new row
    k = np.arange(m)
    xn = new.v[axis[sid], k]
    if m <= ONE_SORT_ROWS:
        order = np.argsort(_by_set(sid, xn), kind="stable")
    else:
        order = np.empty(m, np.intp)
        for r0, r1 in zip(first.tolist(), bounds[1:].tolist(), strict=True):
            order[r0:r1] = np.argsort(xn[r0:r1], kind="stable") + r0
    seq_new = k + (n_old - first)[sid]  # as they came
    nv = np.take(new.v, order, axis=1)  # new rows from here on: sorted by (grid time, x)
    xn = xn[order]
    key_new = _by_set(sid, xn)
    hi_new = _by_set(sid, xn + reach)
    # the kept rows of the same grid times, sorted by (grid time, x) too
    if kept:
        o_sid = np.repeat(np.arange(len(whens)), n_old)
        ov = np.concatenate([p.v for p in kept if p.v is not None], axis=1)
        key_old = _by_set(o_sid, np.concatenate([ov[p.axis, a:b] for p, a, b in _spans(kept)]))
        lo = np.searchsorted(key_old, _by_set(sid, xn - reach), side="left")
        hi = np.searchsorted(key_old, hi_new, side="right")
        at_new = np.searchsorted(key_old, key_new, side="right")  # where each new row goes
    else:
        ov = np.zeros((3, 0))
        lo = hi = at_new = np.zeros(m, np.intp)
    # pairs: each new row with the new rows after it within reach on the axis, and with the old
    # rows within reach either side; then the full distance
    a, b = _runs(k + 1, np.searchsorted(key_new, hi_new, side="right"), k)
    a, b = _close(nv, a, nv, b, reach)
    c, d = _runs(lo, hi, k)
    c, d = _close(nv, c, ov, d, reach)
    # merged: every grid time's old rows then its new ones, each in x order; ``perm`` takes them
    # from the old rows followed by the new ones as they came
    n_kept = ov.shape[1]
    n = n_kept + m
    pos_new = at_new + k
    is_old = np.ones(n, bool)
    is_old[pos_new] = False
    pos_old = np.flatnonzero(is_old)
    perm = np.empty(n, np.intp)
    perm[pos_new] = order + n_kept
    perm[pos_old] = np.arange(n_kept)

    def merge(old: list[Any], fresh: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return np.take(np.concatenate([*old, fresh], axis=-1), perm, axis=-1)

    slot = merge([p.slot for p in kept], new.slot)
    lat = merge([p.lat for p in kept], new.lat)
    lon = merge([p.lon for p in kept], new.lon)
    seq = merge([p.seq for p in kept], seq_new)
    v = merge([p.v for p in kept], new.v)
    at = np.concatenate([sid[a], sid[c]])
    i = np.concatenate([pos_new[a], pos_new[c]])
    j = np.concatenate([pos_new[b], pos_old[d]])
    swap = seq[i] > seq[j]
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    sizes = n_old + m_new
    start = np.cumsum(sizes) - sizes
    for s, w in enumerate(whens):
        r0, r1 = int(start[s]), int(start[s] + sizes[s])
        points[w] = Points(
            slot[r0:r1], lat[r0:r1], lon[r0:r1], v[:, r0:r1], seq[r0:r1], int(axis[s])
        )
    return Matched(whens, start, slot, lat, lon, v, seq, at, i, j)


def _spans(parts: list[Points]) -> list[tuple[Points, int, int]]:
    """Each part with its rows' span in the parts' concatenation."""
    out, a = [], 0
    for p in parts:
        out.append((p, a, a + len(p)))
        a += len(p)
    return out


def _close(va: F64, a: Any, vb: F64, b: Any, reach: float) -> tuple[Any, Any]:
    """Keep the pairs ``(a, b)`` (columns of ``va`` and ``vb``) at most ``reach`` apart."""
    d = np.take(va, a, axis=1) - np.take(vb, b, axis=1)  # faster than va[:, a] on either size
    close = np.einsum("ij,ij->j", d, d) <= reach * reach
    return a[close], b[close]


def sweep_rank(m: Matched, rows: I64) -> I64:
    """Return the position of ``rows`` in the full sweep of their grid time's rows.

    The full sweep: all of a grid time's rows in arrival order, sorted stably on their widest
    axis (the first of equals), as every slice end swept them before they were kept sorted. A
    pair's several observations at one grid time (a vessel twice at a time) were found in its
    order: `EncounterDetector` keeps that order so that the running sums, added in it, stay the
    same to the last bit.
    """
    out = np.zeros(len(rows), np.int64)
    sid = np.searchsorted(m.start, rows, side="right") - 1
    for s in np.unique(sid).tolist():
        a = int(m.start[s])
        b = int(m.start[s + 1]) if s + 1 < len(m.start) else len(m.slot)
        v, seq = m.v[:, a:b], m.seq[a:b]
        x = v[int(np.argmax(np.ptp(v, axis=1)))]
        mine = sid == s
        xp, sp = x[rows[mine] - a][:, None], seq[rows[mine] - a][:, None]
        out[mine] = ((x < xp) | ((x == xp) & (seq < sp))).sum(axis=1)
    return out


def _by_set(sid: Any, x: Any) -> npt.NDArray[np.complex128]:
    """Keys ordered by set, then by ``x``: complex numbers compare on their real part first.

    Both parts are the float64 given, so comparing keys of one set compares its ``x`` exactly.
    """
    key = np.empty(len(sid), np.complex128)
    key.real = sid
    key.imag = x
    return key


def _runs(lo: Any, hi: Any, at: Any) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """For each i, the positions ``lo[i] .. hi[i] - 1``, each beside ``at[i]``."""
    count = np.maximum(hi - lo, 0)
    total = int(count.sum())
    span = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    return np.repeat(at, count), np.repeat(lo, count) + span
