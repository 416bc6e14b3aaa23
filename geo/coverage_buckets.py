"""Hourly buckets of learnt coverage: heard and expected reports per (cell, station).

`geo.coverage.Coverage` keeps one `Bucket` per hour of its window. Keys are
``cell << STATION_BITS | station``, so a cell's figures are one range of sorted keys and a
station's share of a cell is read off the same rows. Counts are integers (expected reports in
thousandths): sums do not depend on the order slices are added in.
"""

from __future__ import annotations

import numpy as np

from geo.arrays import distinct
from geo.detectors.base import I64, U8, B

STATION_BITS = 16  # room for 65,535 station names; more are folded into the last but one
NO_STATION = (1 << STATION_BITS) - 1  # rows of expected reports that no station heard


def is_class_b(msg_type: U8) -> B:
    """Return True for class B "CS" reports (types 18 and 19)."""
    return (msg_type == 18) | (msg_type == 19)  # type: ignore[no-any-return]


def reduce_keys(keys: I64, *values: I64) -> tuple[I64, ...]:
    """Return the unique keys (sorted) and the sum of each value column per key."""
    uk, inv = np.unique(keys, return_inverse=True)
    inv = inv.ravel()
    out: list[I64] = [uk]
    for v in values:  # float sums of integers are exact below 2**53
        out.append(np.rint(np.bincount(inv, weights=v, minlength=len(uk))).astype(np.int64))
    return tuple(out)


class Bucket:
    """One hour: heard and expected per (cell, station), keys ``cell << 16 | station``, sorted.

    A cell's figures are the sum over its range of keys. Slices are appended reduced and
    merged when the bucket is read (or has grown): lookups are rare (a gap's judgement), slices
    many, and integer sums do not care about the order.
    """

    _COMPACT_ROWS = 1 << 14

    def __init__(self) -> None:
        e = np.zeros(0, dtype=np.int64)
        self._keys, self._heard, self._exp = e, e, e
        self._cum_h, self._cum_e = np.zeros(1, np.int64), np.zeros(1, np.int64)
        self._raw: list[tuple[I64, I64, I64]] = []
        self._raw_rows = 0

    def add(self, keys: I64, heard: I64, exp: I64) -> None:
        """Add rows, reduced at once (thousands of fixes fall in a few hundred cells)."""
        k, h, e = reduce_keys(keys, heard, exp)
        self._raw.append((k, h, e))
        self._raw_rows += len(k)
        if self._raw_rows > self._COMPACT_ROWS:
            self._compact()

    def _compact(self) -> None:
        if not self._raw:
            return
        keys, heard, exp = (np.concatenate(c) for c in zip(*self._raw, strict=True))
        self._raw, self._raw_rows = [], 0
        self._keys, self._heard, self._exp = reduce_keys(
            np.concatenate([self._keys, keys]),
            np.concatenate([self._heard, heard]),
            np.concatenate([self._exp, exp]),
        )
        self._cum_h = np.concatenate([[0], np.cumsum(self._heard)])
        self._cum_e = np.concatenate([[0], np.cumsum(self._exp)])

    @property
    def cells(self) -> I64:
        """Return the cells with figures (each once)."""
        self._compact()
        return distinct(self._keys >> STATION_BITS)

    @property
    def expected(self) -> int:
        """Return the expected reports (thousandths) of the whole bucket."""
        self._compact()
        return int(self._cum_e[-1])

    def get(self, cells: I64) -> tuple[int, int]:
        """Return heard and expected summed over ``cells`` (each once)."""
        self._compact()
        lo = np.searchsorted(self._keys, cells << STATION_BITS)
        hi = np.searchsorted(self._keys, (cells + 1) << STATION_BITS)
        h = self._cum_h[hi] - self._cum_h[lo]
        e = self._cum_e[hi] - self._cum_e[lo]
        return int(h.sum()), int(e.sum())

    def stations(self, cell: int) -> dict[int, int]:
        """Return heard per station code in one cell."""
        self._compact()
        bounds = [cell << STATION_BITS, (cell + 1) << STATION_BITS]
        lo, hi = np.searchsorted(self._keys, bounds).tolist()
        mask = (1 << STATION_BITS) - 1
        return {
            int(k) & mask: int(h)
            for k, h in zip(self._keys[lo:hi], self._heard[lo:hi], strict=True)
            if h and int(k) & mask != NO_STATION
        }

    def to_state(self) -> dict[str, list[int]]:
        self._compact()
        return {
            "keys": self._keys.tolist(),
            "heard": self._heard.tolist(),
            "expected": self._exp.tolist(),
        }

    @classmethod
    def from_state(cls, obj: dict[str, list[int]]) -> Bucket:
        b = cls()
        keys, heard, exp = (  # (a bucket of an earlier layout restores empty)
            np.array(obj.get(k, []), dtype=np.int64) for k in ("keys", "heard", "expected")
        )
        if len(keys) != len(heard) or len(keys) != len(exp):
            return b
        b.add(keys, heard, exp)
        return b
