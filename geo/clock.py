"""The engine's guard against records stamped far ahead of event time (a corrupt clock).

Event time only moves forward, so one record from a receiver or logger with a wrong clock would
otherwise drag every timer with it: each vessel would look silent and get a false "went dark"
alert. A position more than ``future_max_s`` ahead of the running watermark (the latest accepted
time, in arrival order) is held back. If a record within the clock arrives next, the held ones
were corrupt: dropped and counted (``dropped``). If ``future_confirm_records`` consecutive records
are all ahead, each within ``future_max_s`` of the one before (a capture resuming after a hole, or
a quiet feed without a live clock), the clock really moved: the held records are let through in
their arrival order (``jumps``). Static reports stamped that far ahead of the clock are dropped.

Decisions are taken record by record in arrival order, so they do not depend on batch sizes. The
first record ever seen sets the clock: nothing is known before it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from ais_ingest.records import Batch, PositionColumns, PositionReport
from geo.config import EngineConfig


class ClockGuard:
    """Holds back, then drops or lets through, records far ahead of the clock; see the module."""

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self.held = PositionColumns.empty()  # ahead of the clock, not yet judged
        self.dropped = 0
        self.jumps = 0

    def filter(self, batch: Batch, watermark: int | None) -> Batch:
        """Return the batch without the records held back or dropped (the same object if none)."""
        pos = batch.positions
        n = len(pos)
        ahead = int(self.cfg.future_max_s * 1000)
        t = pos.time_ms
        clock = watermark if watermark is not None else (int(t[0]) if n else None)
        if n:
            assert clock is not None
            run = np.maximum.accumulate(np.r_[np.int64(clock), t[:-1]])
            suspect = np.flatnonzero(t > run + ahead)
            if len(suspect) or len(self.held):
                start = 0 if len(self.held) else int(suspect[0])
                pos, clock = self._scan(pos, start, int(run[start]))
            else:
                clock = max(clock, int(t.max()))
        statics = batch.statics
        if clock is not None and any(r.time_ms > clock + ahead for r in statics):
            statics = [r for r in statics if r.time_ms <= clock + ahead]
            self.dropped += len(batch.statics) - len(statics)
        if pos is batch.positions and statics is batch.statics:
            return batch
        return Batch(pos, statics)

    def _scan(self, pos: PositionColumns, start: int, clock: int) -> tuple[PositionColumns, int]:
        """Judge rows from ``start`` one by one; return the rows to use and the clock after."""
        ahead = int(self.cfg.future_max_s * 1000)
        h = len(self.held)
        both = PositionColumns.concat([self.held, pos]) if h else pos
        t = both.time_ms.tolist()
        order: list[int] = list(range(h, h + start))
        pending: list[int] = list(range(h))
        for i in range(h + start, len(t)):
            ti = t[i]
            if ti <= clock + ahead:
                self.dropped += len(pending)
                pending = []
                clock = max(clock, ti)
                order.append(i)
                continue
            if pending and abs(ti - t[pending[-1]]) > ahead:
                self.dropped += len(pending)  # not a run: the earlier one was corrupt
                pending = []
            pending.append(i)
            if len(pending) >= self.cfg.future_confirm_records:
                self.jumps += 1
                order += pending
                clock = max(t[j] for j in pending)
                pending = []
        self.held = both.take(np.array(pending, dtype=np.intp))
        return both.take(np.array(order, dtype=np.intp)), clock

    def drop_held(self) -> None:
        """End of a stream: records still held back were never confirmed, so they are dropped."""
        self.dropped += len(self.held)
        self.held = PositionColumns.empty()

    def to_state(self) -> dict[str, Any]:
        """Return the guard's state as plain JSON-able values."""
        return {
            "dropped": self.dropped,
            "jumps": self.jumps,
            "held": [asdict(self.held.report(i)) for i in range(len(self.held))],
        }

    def load_state(self, obj: dict[str, Any]) -> None:
        """Resume from `to_state` output (missing keys: a fresh guard)."""
        self.dropped = int(obj.get("dropped", 0))
        self.jumps = int(obj.get("jumps", 0))
        self.held = PositionColumns.from_reports([PositionReport(**r) for r in obj.get("held", [])])
