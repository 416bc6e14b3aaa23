"""Where each vessel was in the last hour, to about ten metres: to know a stale repeat.

Some feeds (satellite providers' store-and-forward, merged feeds) hand on, 10 to 25 minutes
late and with a new time, a position the vessel already reported: a trawler at 8 kn "is"
suddenly 3 km back along its own wake, then ahead again (gpsdio-segment's 367382540). Each such
fix is a jump no craft can make, and those repeats are consistent with one another, so without
this memory they become a second transmitter and a high shared-MMSI alert on one vessel.

A record that reports way on (``stale_min_sog_kn``, 1 kn) in the same 1e-4 degree cell
(11 m north-south, less east-west) as a record of its MMSI between a minute and an hour before
is marked a *repeat*; the outlier filter then decides whether it is stale (`geo.tracker`): a
moving vessel is not at one place twice within the hour, a second transmitter is not at the
first's old places, and a stopped one (a moored clone reporting 0 kn) is not judged by it.

The memory is a direct-mapped hash table of the records of the last hour or so, one 64-bit
entry each (a 32-bit fingerprint of MMSI and cell, and the time in seconds), 2**18 entries: an
hour of a 70-message-a-second feed, each written over by a later record that hashes alike. It
is kept once per batch, vectorised over the batch's moving records: about 1 % of the engine's
time on `mare detect`'s capture, where a table looked up slice part by slice part cost 3 %.
The answer is the one record after another gives, whatever the batches: a slot two of a
batch's records write in a way the vectorised rule does not follow (two places that hash
alike, a cell's records out of time order, more than ``window_s`` apart) is kept one record at
a time (`_one_by_one`), so live (2,048 lines a batch) and `mare detect` (8,192) mark the same
repeats.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from geo.detectors.base import F64, I64, B

#: Records this far apart in time or less are not each other's repeat, seconds: a vessel
#: moving slowly may report twice from one cell within a minute.
MIN_AGE_S = 60
_P = np.int64(3_600_007)  # cells in a row of longitude and then some: a cell's number
_Q = np.int64(0x5BD1E995)  # mixes the MMSI into the cell's number before the hash
_MULT = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing
_HIGH = np.uint64(0xFFFFFFFF00000000)
_LOW = np.uint64(0xFFFFFFFF)
_MASK64 = (1 << 64) - 1
_BIG = np.int64(1 << 40)  # apart from one slot's times to the next's in a running minimum


class RecentPlaces:
    """The feed's recent records by MMSI and place (see the module docstring)."""

    def __init__(self, bits: int = 18, window_s: float = 3600.0, min_sog_kn: float = 1.0) -> None:
        self.bits = bits
        self.window_s = int(window_s)
        self.min_sog_kn = min_sog_kn
        self._shift = np.uint64(64 - bits)
        self.table = np.zeros(1 << bits, dtype=np.uint64)
        self._scratch = np.zeros(1 << bits, dtype=np.intp)  # `_several`'s, by slot
        self._mark = np.zeros(1 << bits, dtype=np.bool_)

    def repeats(self, mmsi: I64, t_ms: I64, lon: F64, lat: F64, sog: Any, valid: B) -> B:
        """Mark the records at a place their MMSI held a minute to ``window_s`` before.

        The batch in slice order (`geo.engine`); ``valid`` marks records with a position. Every
        moving record is remembered; the earliest of several in one cell is kept.
        """
        out = np.zeros(len(t_ms), dtype=np.bool_)
        with np.errstate(invalid="ignore"):
            rows = np.flatnonzero(valid & (sog >= self.min_sog_kn))
        if not len(rows):
            return out
        cell = (lat[rows] * 1e4).astype(np.int64) * _P + (lon[rows] * 1e4).astype(np.int64)
        h = (mmsi[rows].astype(np.int64) * _Q + cell).view(np.uint64) * _MULT
        idx = (h >> self._shift).astype(np.intp)
        fp = (h << np.uint64(self.bits)) & _HIGH  # bits the index did not use
        entry = fp | (t_ms[rows] // 1000).astype(np.uint64)
        several = self._several(idx)
        if several is not None:
            out[rows[several[self._shared_slots(idx[several], entry[several])]]] = True
            alone = np.ones(len(rows), dtype=np.bool_)
            alone[several] = False
            rows, idx, entry = rows[alone], idx[alone], entry[alone]
        # One record a slot now. One subtraction compares fingerprints and times: for the same
        # fingerprint it is the record's age; for another (or an empty entry, or a newer one)
        # it is 2**32 or more.
        age = entry - self.table[idx]
        recent = age <= self.window_s
        out[rows[recent & (age >= MIN_AGE_S)]] = True
        write = ~recent
        self.table[idx[write]] = entry[write]
        return out

    def _several(self, idx: Any) -> Any:
        """Return the records (positions in ``idx``) whose slot another one shares, or None."""
        rank = np.arange(len(idx))
        self._scratch[idx] = rank  # each slot keeps its last writer: no sort
        shared = self._scratch[idx] != rank
        if not shared.any():
            return None
        self._mark[idx[shared]] = True
        several = np.flatnonzero(self._mark[idx])
        self._mark[idx[shared]] = False
        return several

    def _shared_slots(self, idx: Any, entry: Any) -> Any:
        """Keep slots that several records share, one record after another; return the repeats.

        Such a slot's records are one cell of one vessel most of the time, in any order (a
        merged feed's copies from several receivers) and within ``window_s``: then the slot's
        entry stays as the batch found it up to the first record not recent by it, and from
        there it is the earliest record seen since, which a running minimum gives for all
        such slots at once. A slot two places share, or records further apart, goes through
        `_one_by_one`.
        """
        n = len(idx)
        order = np.argsort(idx, kind="stable")  # each slot's records in arrival order
        si, se = idx[order], entry[order]
        starts = np.flatnonzero(np.r_[True, si[1:] != si[:-1]])
        groups = len(starts)
        g = np.repeat(np.arange(groups), np.diff(np.r_[starts, n]))
        fp, secs = se & _HIGH, (se & _LOW).astype(np.int64)
        one_place = ~np.logical_or.reduceat(fp != fp[starts][g], starts)
        span = np.maximum.reduceat(secs, starts) - np.minimum.reduceat(secs, starts)
        easy = one_place & (span <= self.window_s)
        at = np.arange(n)
        age0 = se - self.table[si]  # against the entry the batch found
        first_write = np.minimum.reduceat(np.where(age0 <= self.window_s, n, at), starts)
        before = at < first_write[g]
        hit = before & (age0 >= MIN_AGE_S)
        # the earliest record since the first write, each slot on its own (offsets of _BIG)
        low = np.minimum.accumulate(np.where(before, _BIG // 2, secs) - g * _BIG)
        earlier = np.empty(n, dtype=np.int64)
        earlier[:1] = 0
        earlier[1:] = low[:-1]
        hit |= (at > first_write[g]) & (secs - (earlier + g * _BIG) >= MIN_AGE_S)
        hit &= easy[g]
        wrote = easy & (first_write < n)
        ends = np.r_[starts[1:], n] - 1
        kept = (low[ends] + np.arange(groups) * _BIG).astype(np.uint64)
        self.table[si[starts[wrote]]] = fp[starts[wrote]] | kept[wrote]
        rest = np.flatnonzero(~easy[g])
        for k in self._one_by_one(si[rest], se[rest]):
            hit[rest[k]] = True
        out = np.empty(n, dtype=np.bool_)
        out[order] = hit
        return out

    def _one_by_one(self, idx: Any, entry: Any) -> list[int]:
        """Keep ``idx``'s slots one record at a time (arrival order); return the repeats' ranks."""
        table, window = self.table, self.window_s
        hits: list[int] = []
        for k, (i, e) in enumerate(zip(idx.tolist(), entry.tolist(), strict=True)):
            age = (e - int(table[i])) & _MASK64
            if age <= window:
                if age >= MIN_AGE_S:
                    hits.append(k)
            else:
                table[i] = e
        return hits

    def to_state(self) -> dict[str, Any]:
        """Return the entries of the last ``window_s`` (older ones can no longer match).

        As base64 of little-endian arrays (index 32-bit, entry 64-bit): a busy feed fills the
        table, and 2**18 entries as JSON numbers were ~7 MB of the engine's snapshot, slow to
        write every few seconds; packed they are 3.5 MB at most.
        """
        ts = self.table & np.uint64(0xFFFFFFFF)
        used = self.table != 0
        since = int(ts[used].max()) - self.window_s if used.any() else 0
        live = np.flatnonzero(used & (ts >= since))
        return {
            "bits": self.bits,
            "window_s": self.window_s,
            "idx_b64": _packed(live.astype("<u4")),
            "entry_b64": _packed(self.table[live].astype("<u8")),
        }

    @classmethod
    def from_state(cls, obj: dict[str, Any], window_s: float, min_sog_kn: float) -> RecentPlaces:
        """Rebuild the memory from `to_state`, or from a snapshot of JSON lists (before)."""
        out = cls(int(obj.get("bits", 18)), window_s, min_sog_kn)
        if "idx_b64" in obj:
            idx = _unpacked(obj["idx_b64"], "<u4").astype(np.intp)
            entry = _unpacked(obj["entry_b64"], "<u8").astype(np.uint64)
        else:
            idx = np.array(obj.get("idx", []), dtype=np.intp)
            entry = np.array(obj.get("entry", []), dtype=np.uint64)
        if len(idx) != len(entry) or (len(idx) and int(idx.max()) >= len(out.table)):
            raise ValueError("recent places: indexes and entries do not match the table")
        out.table[idx] = entry
        return out


def _packed(a: Any) -> str:
    return base64.b64encode(a.tobytes()).decode("ascii")


def _unpacked(text: str, dtype: str) -> Any:
    return np.frombuffer(base64.b64decode(text.encode("ascii"), validate=True), dtype=dtype)
