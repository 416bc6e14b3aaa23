"""Each vessel's demonstrated report rate and its own recent reception, per engine slot.

`geo.coverage.Coverage` judges a place by heard over expected reports; what a vessel "should"
have sent is measured against a reference interval, ITU-R M.1371's nominal one for its class
and speed, or the vessel's own demonstrated interval if longer (`VesselReception.reference_s`;
see the `geo.coverage` module docstring for why a mean of several intervals, in seconds). The
same intervals give the vessel's own recent reception (heard over expected, halving every
``coverage_track_half_life_s``), which needs no map, and whether the feed samples it sparsely
(`VesselReception.evidence_needed`).

Per-vessel state lives here and stays with the engine that owns the vessel; the map's cells are
what several engines share (`geo.coverage_exchange`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from geo.config import EngineConfig
from geo.detectors.base import F64, I64

MILLI = 1000
HOUR_MS = 3_600_000
#: Upward drift of a vessel's best demonstrated rate: doubles in 6 h without better evidence,
#: so a vessel that leaves terrestrial range for satellite-only reception is re-learned.
_RATE_DOUBLING_MS = 6 * HOUR_MS
#: Fewest expected reports a reception figure rests on for a sparsely sampled vessel.
_MIN_SPARSE_EVIDENCE = 3
#: A vessel heard at best once in this many nominal intervals is sampled sparsely: one at a
#: station's fringe, heard one report in three, is not; a class B boat of a 5-minute extract
#: (one report in ten of its 30 s) must not sit on the boundary.
_SPARSE_X = 5.0
#: Intervals in the running mean that makes the demonstrated rate: a rate must be shown over
#: several reports, not by one short interval (see the `geo.coverage` module docstring).
_RATE_INTERVALS = 8
#: Intervals in one slice that show a rate by themselves (a vessel heard every few seconds).
_RATE_SLICE_INTERVALS = 3
#: A slice's mean interval this many times under the running mean is an extract's odd one.
_RATE_OUTLIER = 4.0
#: The per-slot arrays, by their names in a snapshot.
PER_SLOT = ("every_s", "rate_t", "rate_m", "rate_n", "trk_h", "trk_e", "trk_t", "st_last")


class VesselReception:
    """Per slot: best demonstrated interval, running mean of intervals, own reception."""

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self.min_evidence_milli = int(cfg.coverage_min_evidence * MILLI)
        # best demonstrated interval in seconds (0: none yet) and when it was set
        self.every_s: F64 = np.zeros(0)
        self.rate_t: I64 = np.zeros(0, dtype=np.int64)
        # the running mean of the last intervals (s), and how many it has seen
        self.rate_m: F64 = np.zeros(0)
        self.rate_n: I64 = np.zeros(0, dtype=np.int64)
        # the vessel's own recent reception (heard, expected; decayed) and when it was updated
        self.trk_h: F64 = np.zeros(0)
        self.trk_e: F64 = np.zeros(0)
        self.trk_t: I64 = np.zeros(0, dtype=np.int64)
        self.st_last: I64 = np.zeros(0, dtype=np.int64)  # station of the last fix, code + 1

    def ensure(self, n: int) -> None:
        """Grow the arrays to hold slot ``n - 1``."""
        if n > len(self.every_s):
            cap = max(n, 2 * len(self.every_s), 256)
            for name in PER_SLOT:
                old = getattr(self, name)
                new = np.zeros(cap, dtype=old.dtype)
                new[: len(old)] = old
                setattr(self, name, new)

    def reference_s(self, slot: I64, nominal_s: F64) -> F64:
        """Interval against which a vessel's reports are expected: nominal, or its own if longer."""
        self.ensure(int(slot.max()) + 1 if len(slot) else 0)
        r = self.every_s[slot] if len(slot) else np.zeros(0)
        return np.maximum(nominal_s, r)

    def merge_rates(self, parts: list[dict[str, Any]], end_ms: int) -> None:
        """Fold a closed slice's intervals into each vessel's demonstrated rate."""
        slot = np.concatenate([p["rate_slot"] for p in parts])
        if not len(slot):
            return
        r = np.concatenate([p["rate_r"] for p in parts])
        counts = np.bincount(slot)
        us = np.flatnonzero(counts)
        c = counts[us]
        sums = np.rint(np.bincount(slot, weights=r)[us])  # exact: integers below 2**53
        mean = sums / c / MILLI
        self.ensure(int(us.max()) + 1)
        # The slice's intervals enter the running mean as one step of their count (order-free).
        n_old = self.rate_n[us]
        # (a plain mean of the first ones, so a first odd interval does not linger)
        keep = np.where(
            n_old < _RATE_INTERVALS, n_old / (n_old + c), (1.0 - 1.0 / _RATE_INTERVALS) ** c
        )
        running = keep * self.rate_m[us] + (1.0 - keep) * mean
        self.rate_m[us] = running
        self.rate_n[us] = n_old + c
        old = self.every_s[us]
        age = (end_ms - self.rate_t[us]) / _RATE_DOUBLING_MS
        drifted = np.where(old > 0, old * np.exp2(np.minimum(age, 60.0)), np.inf)
        # A slice of several intervals shows a rate by itself (a terrestrial feed: the best
        # slice is the vessel heard at its nominal rate), and so does one near the vessel's
        # running mean (a vessel at a station's fringe, heard one report in three); one or two
        # far under it do not (an extract's odd short interval): the running mean stands.
        shown_here = np.where(
            (c >= _RATE_SLICE_INTERVALS) | (mean * _RATE_OUTLIER >= running), mean, running
        )
        # Until the mean has seen its intervals it is the rate as it stands (not yet a floor).
        shown = n_old >= _RATE_INTERVALS
        self.every_s[us] = np.where(shown, np.minimum(drifted, shown_here), shown_here)
        self.rate_t[us] = end_ms

    def merge_tracks(self, parts: list[dict[str, Any]], end_ms: int) -> None:
        """Fold a closed slice's heard and expected reports into each vessel's own reception."""
        slot = np.concatenate([p["slot"] for p in parts])
        own = np.concatenate([p["own"] for p in parts])
        if not len(slot):  # only other engines' contributions (`add_shared`)
            return
        heard = np.bincount(slot)
        us = np.flatnonzero(heard)
        exp = np.rint(np.bincount(slot, weights=own)[us]) / MILLI
        self.ensure(int(us.max()) + 1)
        decay = np.exp2(-(end_ms - self.trk_t[us]) / (self.cfg.coverage_track_half_life_s * 1000))
        self.trk_h[us] = self.trk_h[us] * decay + heard[us]
        self.trk_e[us] = self.trk_e[us] * decay + exp
        self.trk_t[us] = end_ms

    def own_reception(self, slot: int, evidence: float | None = None) -> tuple[float | None, float]:
        """Return a vessel's own recent reception (heard over expected) and its evidence.

        None under ``evidence`` expected reports (``coverage_track_evidence`` unless given).
        """
        need = self.cfg.coverage_track_evidence if evidence is None else evidence
        if slot >= len(self.trk_e) or self.trk_e[slot] < need or self.trk_e[slot] <= 0.0:
            return None, float(self.trk_e[slot]) if slot < len(self.trk_e) else 0.0
        return min(1.0, float(self.trk_h[slot] / self.trk_e[slot])), float(self.trk_e[slot])

    def last_station(self, slot: int) -> int:
        """Return the code of the station that heard a vessel's last fix (-1: not known)."""
        return int(self.st_last[slot]) - 1 if slot < len(self.st_last) else -1

    def evidence_needed(self, slot: int | None, nominal_s: float | None = None) -> int:
        """Return the expected reports (thousandths) a reception figure needs for a vessel.

        ``coverage_min_evidence`` reports on a terrestrial feed. A vessel the feed samples
        sparsely, its best demonstrated interval ``every_s`` more than `_SPARSE_X` times its
        nominal one ``nominal_s`` (a decimated extract, satellite passes; a vessel at the fringe
        of a station, heard one report in three, is not), is judged where vessels are sampled
        alike, and there each expected report stands for many: `_MIN_SPARSE_EVIDENCE` of them
        (a cell silent for three of its expected reports) are evidence enough.
        """
        if slot is None or nominal_s is None or slot >= len(self.every_s):
            return self.min_evidence_milli
        if self.every_s[slot] <= _SPARSE_X * nominal_s:
            return self.min_evidence_milli
        return min(self.min_evidence_milli, _MIN_SPARSE_EVIDENCE * MILLI)

    def to_state(self) -> dict[str, list[Any]]:
        """Return the per-slot arrays by name (JSON-able)."""
        n = len(self.every_s)
        return {name: getattr(self, name)[:n].tolist() for name in PER_SLOT}

    def load_state(self, obj: dict[str, Any]) -> None:
        """Inverse of `to_state` (missing arrays restore as zeros: older snapshots)."""
        n = len(obj.get("rate_t", []))
        self.ensure(n)
        for name in PER_SLOT:
            arr = getattr(self, name)
            arr[:n] = np.array(obj.get(name, [0] * n), dtype=arr.dtype)
