"""The encounter detector's open pairs as columns, and the observations that update them.

A port full of slow vessels keeps thousands of pairs open and brings thousands of observations
at every slice end (bench.cli's real capture: 10k pairs, 9k observations a slice end). Updated
one observation at a time in Python, they were a fifth of the engine there. Here the
observations of a pair that only extend its episode (no break, no report, no stitch) update its
row in whole-array steps; the few others go through `EncounterDetector.tick`'s rules one by one
(`PairTable.absorb` says which).

The figures stay those of the one-by-one rules: running sums are added in the same order, one
observation of every pair at a time, so every mean is the same to the last bit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from geo.detectors.base import F64, I64, B
from geo.geodesy import lat_lon_of
from geo.tracker import Fleet

Key = tuple[int, int]
#: A pair's key in one integer: ``lo << 32 | hi`` (MMSIs are 30-bit in AIS, and dark targets'
#: numbers under 2**31, see `geo.detectors.dark_tracks`), so integer order is (lo, hi) order.
SHIFT = 32
#: Slot of a vessel not looked up yet (a pair loaded from a snapshot); -1 is "not in the fleet".
UNKNOWN = -2


def pack(lo: Any, hi: Any) -> Any:
    """One integer per pair from its lower and higher MMSI (scalars or arrays)."""
    return (lo << SHIFT) | hi


def unpack(key: int) -> Key:
    """Return the (lower, higher) MMSIs of a packed key."""
    return key >> SHIFT, key & ((1 << SHIFT) - 1)


@dataclass(slots=True)
class Pair:
    """An open encounter candidate; ``sx, sy, sz`` sum the midpoints as vectors."""

    start: int
    last: int
    n: int
    sx: float
    sy: float
    sz: float
    min_m: float
    sum_m: float
    emitted: bool = False
    details: dict[str, Any] | None = None
    unheard_ms: int = 0  # silences of both that the episode was stitched across
    # (set aside unheard) each vessel's last fix then, and when both had been heard since
    quiet0: int = -1
    quiet1: int = -1
    back: int = -1

    def where(self) -> tuple[float, float]:
        """Mean position (lat, lon) of the pair over the episode, right across ±180°."""
        lat, lon = lat_lon_of(np.array([[self.sx, self.sy, self.sz]]))
        return float(lat[0]), float(lon[0])


PAIR_FIELDS = tuple(f.name for f in fields(Pair))
_SUMS = ("sx", "sy", "sz", "sum_m")  # the running sums, in this order in `PairTable.absorb`
_NOT_INT = {"details": object, "emitted": np.bool_, "min_m": np.float64} | dict.fromkeys(
    _SUMS, np.float64
)
#: the packed key and the vessels' fleet slots (lower, higher MMSI), then `Pair`'s fields
COLUMNS: dict[str, Any] = {"key": np.int64, "s0": np.int64, "s1": np.int64} | {
    name: _NOT_INT.get(name, np.int64) for name in PAIR_FIELDS
}
Cols = dict[str, npt.NDArray[Any]]


@dataclass(slots=True)
class Observations:
    """Pairs together at grid times, in order of (time, lo, hi): one row per pair and time.

    ``s0, s1``: the fleet slots of the lower and higher MMSI; ``x, y, z``: the sum of their unit
    vectors (twice the midpoint, as the pair's running sums take it). ``by_pair``: the rows in
    order of (lo, hi), stably, if known (the detector has it from its own sorts).
    """

    when: I64
    lo: I64
    hi: I64
    s0: I64
    s1: I64
    dist: F64
    x: F64
    y: F64
    z: F64
    by_pair: I64 | None = None

    def __len__(self) -> int:
        return len(self.when)


def _empty() -> Cols:
    return {name: np.zeros(0, dtype) for name, dtype in COLUMNS.items()}


def _concat(parts: list[Cols]) -> Cols:
    return {name: np.concatenate([p[name] for p in parts]) for name in COLUMNS}


def _placed(col: npt.NDArray[Any], old: B, new: npt.NDArray[Any], at: Any) -> npt.NDArray[Any]:
    """``col`` at the rows ``old``, ``new`` at the rows ``at`` (`numpy.insert` costs more)."""
    out = np.empty(len(old), col.dtype)
    out[old] = col
    out[at] = new
    return out


def _take(cols: Cols, idx: Any) -> Cols:
    return {name: col[idx] for name, col in cols.items()}


class PairTable:
    """Open encounter candidates, one row per pair in key order (columns `COLUMNS`)."""

    def __init__(self) -> None:
        self.cols: Cols = _empty()

    def __len__(self) -> int:
        return len(self.cols["key"])

    @property
    def keys(self) -> I64:
        return self.cols["key"]

    def pairs(self, idx: Any = None) -> list[tuple[Key, Pair]]:
        """Return the rows ``idx`` (all by default) as ``(key, Pair)``, in key order."""
        cols = self.cols if idx is None else _take(self.cols, idx)
        values = [cols[name].tolist() for name in PAIR_FIELDS]
        keys = [unpack(k) for k in cols["key"].tolist()]
        return [(k, Pair(*v)) for k, v in zip(keys, zip(*values, strict=True), strict=True)]

    @staticmethod
    def rows(pairs: dict[Key, Pair], slots: dict[Key, tuple[int, int]]) -> Cols:
        """Columns of the given pairs (``slots``: their vessels' slots if known)."""
        items = sorted(pairs.items())
        cols = {
            "key": np.array([pack(a, b) for (a, b), _ in items], np.int64),
            "s0": np.array([slots.get(k, (UNKNOWN, UNKNOWN))[0] for k, _ in items], np.int64),
            "s1": np.array([slots.get(k, (UNKNOWN, UNKNOWN))[1] for k, _ in items], np.int64),
        }
        for name in PAIR_FIELDS:
            values = [getattr(p, name) for _, p in items]
            col = np.empty(len(values), COLUMNS[name])
            col[:] = values
            cols[name] = col
        return cols

    def put(self, keep: B, *added: Cols) -> None:
        """Keep the rows ``keep``, add ``added`` (keys not kept, none twice), back in key order.

        The kept rows stay in key order, so the added ones are inserted among them: a copy of
        each column, where sorting them all took three (three times a slice end, 10k pairs on
        bench.cli's real capture).
        """
        cols = self.cols if keep.all() else _take(self.cols, keep)
        parts = [a for a in added if len(a["key"])]
        if parts:
            new = _concat(parts) if len(parts) > 1 else parts[0]
            order = np.argsort(new["key"], kind="stable")
            new = _take(new, order)
            at = np.searchsorted(cols["key"], new["key"]) + np.arange(len(new["key"]))
            old = np.ones(len(cols["key"]) + len(at), bool)
            old[at] = False
            cols = {name: _placed(cols[name], old, new[name], at) for name in COLUMNS}
        self.cols = cols

    def find(self, keys: I64) -> tuple[I64, B]:
        """Row of each key, and whether it has one."""
        idx = np.searchsorted(self.keys, keys)
        if not len(self):
            return np.zeros(len(keys), np.int64), np.zeros(len(keys), bool)
        row = np.minimum(idx, len(self) - 1)
        return row, self.keys[row] == keys

    def heard(self, fleet: Fleet) -> I64:
        """Latest time up to which both vessels of each pair are known (their older last fix)."""
        cols = self.cols
        for side, shift in (("s0", SHIFT), ("s1", 0)):
            slots = cols[side]
            todo = np.flatnonzero(slots == UNKNOWN)
            if len(todo):
                mmsi = (cols["key"][todo] >> shift) & ((1 << SHIFT) - 1)
                found = [fleet.slot_of.get(m, UNKNOWN) for m in mmsi.tolist()]
                slots[todo] = found
        t = fleet.t
        # a slot not in the fleet (UNKNOWN still): never heard
        t0 = np.where(cols["s0"] >= 0, t[np.maximum(cols["s0"], 0)], -1)
        t1 = np.where(cols["s1"] >= 0, t[np.maximum(cols["s1"], 0)], -1)
        out: I64 = np.minimum(t0, t1)
        return out

    def _at(self, name: str, row: I64, present: B, default: Any) -> npt.NDArray[Any]:
        """Column ``name`` at ``row`` where ``present``, else ``default``."""
        if not len(self):
            return np.full(len(row), default, COLUMNS[name])
        return np.where(present, self.cols[name][row], default)

    def absorb(
        self, obs: Observations, brk: int, min_ms: int, aside: I64
    ) -> tuple[I64, dict[Key, Pair], dict[Key, tuple[int, int]]]:
        """Apply the observations that only extend an episode; return those left for the rules.

        Left: every observation of a pair that at one of them breaks (more than ``brk`` after
        its last time together), is reported (lasts ``min_ms``) or comes back from being set
        aside (packed keys ``aside``). Returns their indices in ``obs``, their pairs taken out
        of the table and the slots of their vessels: `tick` applies them one by one, then `put`
        takes the pairs back.
        """
        key = pack(obs.lo, obs.hi)
        order = obs.by_pair  # by pair, each pair's in time order
        if order is None:
            order = np.argsort(key, kind="stable")
        ks, w = key[order], obs.when[order]
        m = len(ks)
        first = np.concatenate(([True], ks[1:] != ks[:-1]))
        starts = np.flatnonzero(first)
        count = np.diff(np.append(starts, m))
        group = np.repeat(np.arange(len(starts)), count)
        ukey = ks[starts]
        row, present = self.find(ukey)
        # a new pair starts at its first observation: its last time together is that one
        last = self._at("last", row, present, 0)
        last[~present] = w[starts[~present]]
        start = np.minimum(self._at("start", row, present, 0), w[starts])
        start[~present] = w[starts[~present]]
        # the pair's last time together before each observation (times rise within a pair)
        before = np.maximum(last[group], np.concatenate((w[:1], w[:-1])))
        before[first] = last
        breaks = np.zeros(len(starts), bool)
        breaks[group[w - before > brk]] = True
        end = np.maximum(last, w[starts + count - 1])
        reported = ~self._at("emitted", row, present, False) & (end - start >= min_ms)
        slow = breaks | reported | np.isin(ukey, aside)
        upd, new = ~slow & present, ~slow & ~present
        # running sums of the others, one observation of each pair at a time, as the rules add
        acc = np.zeros((len(starts), len(_SUMS)))
        if upd.any():
            acc[upd] = np.column_stack([self.cols[c][row[upd]] for c in _SUMS])
        vals = np.take(np.column_stack([obs.x, obs.y, obs.z, obs.dist]), order, axis=0)
        fast = np.flatnonzero(~slow[group])
        rank = (np.arange(m) - starts[group])[fast]
        by_rank = np.argsort(rank, kind="stable")
        fast, rank = fast[by_rank], rank[by_rank]
        edges = np.flatnonzero(np.concatenate(([True], rank[1:] != rank[:-1], [True])))
        for a, b in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
            i = fast[a:b]  # at most one observation of each pair
            acc[group[i]] += vals[i]
        near = np.minimum.reduceat(vals[:, 3], starts)
        if upd.any():
            r = row[upd]
            cols = self.cols
            cols["start"][r] = start[upd]
            cols["last"][r] = end[upd]
            cols["n"][r] += count[upd]
            for j, c in enumerate(_SUMS):
                cols[c][r] = acc[upd, j]
            cols["min_m"][r] = np.minimum(cols["min_m"][r], near[upd])
        s0, s1 = obs.s0[order[starts]], obs.s1[order[starts]]
        taken = dict(self.pairs(row[slow & present]))
        where = zip(ukey[slow].tolist(), s0[slow].tolist(), s1[slow].tolist(), strict=True)
        slots = {unpack(k): (a, b) for k, a, b in where}
        keep = np.ones(len(self), bool)
        keep[row[slow & present]] = False
        n = int(new.sum())
        added = {
            "key": ukey[new],
            "s0": s0[new],
            "s1": s1[new],
            "start": start[new],
            "last": end[new],
            "n": count[new],
            "sx": acc[new, 0],
            "sy": acc[new, 1],
            "sz": acc[new, 2],
            "min_m": near[new],
            "sum_m": acc[new, 3],
            "emitted": np.zeros(n, bool),
            "details": np.full(n, None, object),
            "unheard_ms": np.zeros(n, np.int64),
            "quiet0": np.full(n, -1, np.int64),
            "quiet1": np.full(n, -1, np.int64),
            "back": np.full(n, -1, np.int64),
        }
        self.put(keep, added)
        left = np.zeros(m, bool)
        left[order] = slow[group]
        return np.flatnonzero(left), taken, slots

    # -- snapshot --------------------------------------------------------------------------------

    def to_state(self) -> list[list[Any]]:
        """Return the pairs as JSON-ready rows ``[lo, hi, fields]``, in key order (snapshot)."""
        return [[a, b, asdict(p)] for (a, b), p in self.pairs()]
