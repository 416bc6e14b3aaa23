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


class RecentPlaces:
    """The feed's recent records by MMSI and place (see the module docstring)."""

    def __init__(self, bits: int = 18, window_s: float = 3600.0, min_sog_kn: float = 1.0) -> None:
        self.bits = bits
        self.window_s = int(window_s)
        self.min_sog_kn = min_sog_kn
        self._shift = np.uint64(64 - bits)
        self.table = np.zeros(1 << bits, dtype=np.uint64)

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
        table = self.table
        # One subtraction compares fingerprints and times: for the same fingerprint it is the
        # record's age; for another (or an empty entry, or a newer one) it is 2**32 or more.
        age = entry - table[idx]
        recent = age <= self.window_s
        hit = recent & (age >= MIN_AGE_S)
        # The earliest record of a cell wins: the batch's in reverse order (the last write of
        # an index is its first record), and not over an entry of the same cell still recent.
        write = ~recent
        table[idx[write][::-1]] = entry[write][::-1]
        age = entry - table[idx]
        hit |= (age >= MIN_AGE_S) & (age <= self.window_s)
        out[rows[hit]] = True
        return out

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
