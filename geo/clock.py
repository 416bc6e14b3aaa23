"""The engine's guard against records stamped far ahead of event time (a corrupt clock).

Event time only moves forward, so one record from a receiver or logger with a wrong clock would
otherwise drag every timer with it: each vessel would look silent and get a false "went dark"
alert. But a feed also moves forward in steps of its own: a busy terrestrial feed by
milliseconds, an extract of two vessels reporting every ten minutes by ten minutes, satellite AIS
by an hour. A fixed bound on the step ("five minutes at most") cannot tell the two apart, so the
guard judges a step by evidence from the feed itself, record by record in arrival order (hence
the same decisions whatever the batch sizes):

In step with the feed
    A position at most ``max(future_max_s, pace)`` ahead of the clock (the latest accepted time)
    is accepted at once. The *pace* is the event time the feed's last ``future_pace_steps``
    forward steps covered: milliseconds on a busy feed, so five minutes rule there; ten-odd
    minutes for two vessels reporting every ten, so their next reports pass. A corrupt time
    stamp far ahead (hours on a busy feed, days or years on a sparse one) exceeds it.
Held, then judged
    A position further ahead starts a *run* of held records. Each later record is a witness:
    one within the feed's bound says time is still where it was (a vote against the run; it is
    accepted), one at or after the run's time (``future_max_s`` of slack) joins the run. The run
    is dropped (counted, ``future_time``) once the votes against it reach a quarter of its size,
    and let through, in arrival order, as soon as the run explains its own lead:

    - its own records span at least its lead over the clock, less ``future_max_s`` (the feed
      moves in steps that large: a sparse capture, whose first step is also judged this way,
      before it has a pace);
    - or ``future_confirm_records`` of them span ``future_confirm_span_s`` or more (the feed
      ran on at the new time without coming back, as a vessel reports: a capture resuming
      after a hole);
    - or ``future_confirm_bulk`` records (a busy feed resumed after an outage).

    Ten forged sentences stamped a year ahead explain nothing: they are one instant, and the
    real feed that follows votes them down. A receiver whose clock is an hour ahead is
    voted down by the others' records while they outnumber it four to one.
At the end of a stream
    A run still held is let through if it explains its lead as above, or if one of its records
    is vouched for by its own vessel: the vessel moved from its last fix about as far as its
    reported speed carries it over the claimed time (half to twice that, at 1 kn or more). A
    wrong time stamp does not move a ship: a record a day ahead lies a few metres from where a
    12-knot vessel was, not 288 nm. So a capture of two fixes an hour apart keeps both, and a
    corrupt last line is dropped (`finish`).
Records without a position
    (latitude or longitude unavailable, as a SAR aircraft's report often is) move no track and
    say nothing of where a vessel went: ahead of the feed's bound they are neither held nor
    witnesses, and are counted as what they are, ``no_position`` (`no_position`), not as a
    corrupt time. Within the bound they pass, and the engine counts them the same way.
A whole capture known beforehand (batch mode)
    A table is read whole and sorted by time before the engine sees a row, so its own times
    say what is plausible (`vouched_end`): a corrupt clock shows as a few records far beyond
    all the rest, a sparse capture as steps like the others. Every record up to the time the
    capture vouches for is in step (`trust_until`); the rules above judge only what lies
    beyond it. A satellite pass hours after a terrestrial track, or a vessel heard again in
    port four days after its last fix, is the capture's own data, not a clock far ahead.
Static reports
    are never held alone: within the feed's bound they pass; ahead of it they travel with a
    held run they agree with (released or dropped with it), otherwise they are dropped.

What the guard cannot see (the receive time of a line) is judged before it, by the decoder: in
live mode a line stamped more than five minutes ahead of its own receipt takes its receive
time (`ais_ingest.decoder.Decoder`, ``max_ahead_seconds``), so no sentence sent over UDP can
move event time beyond the wall clock, however many arrive together.

The first record ever seen sets the clock: nothing is known before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import numpy as np
import numpy.typing as npt

from ais_ingest.records import Batch, PositionColumns, PositionReport, StaticReport, has_position
from geo.config import KNOT_MS, EngineConfig
from geo.detectors.base import distance_m

#: A vessel's last accepted fix as the engine knows it: (time ms, lon, lat, speed kn or NaN).
LastFix = Callable[[int], tuple[int, float, float, float] | None]


#: A capture's tail beyond its vouched end holds less than this share of its records.
OUTLIER_TAIL_SHARE = 0.05
#: ... and the silence before it is longer than all the capture before it and than this.
OUTLIER_MIN_GAP_MS = 3_600_000


def vouched_end(times: npt.NDArray[np.int64]) -> int | None:
    """Return the latest time a whole capture's own times vouch for, or None if it has none.

    ``times`` are every record's time (any order). A tail of the capture is taken for a corrupt
    clock only if it holds under `OUTLIER_TAIL_SHARE` of the records and the silence before it
    is longer than the whole capture before it and than `OUTLIER_MIN_GAP_MS`: ten records
    stamped 2035 in a day's extract. A tail that is a good share of the capture, or that comes
    after a silence shorter than the capture so far, is data (a vessel's next satellite pass,
    its return after days in port): the capture's last time is vouched for. The largest such
    outlier tail decides.
    """
    n = len(times)
    if not n:
        return None
    t = np.sort(np.asarray(times, dtype=np.int64))
    k = np.arange(max(1, int(np.ceil(n * (1 - OUTLIER_TAIL_SHARE)))), n)  # tails t[k:]
    if len(k):
        gap = t[k] - t[k - 1]
        before = t[k - 1] - t[0]
        outlier = (gap > before) & (gap > OUTLIER_MIN_GAP_MS)
        if outlier.any():
            return int(t[k[np.argmax(outlier)] - 1])
    return int(t[-1])


class ClockGuard:
    """Holds back, then drops or lets through, records far ahead of the clock; see the module."""

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self.held = PositionColumns.empty()  # a run ahead of the clock, not yet judged
        self.held_statics: list[StaticReport] = []
        self.against = 0  # records since the run began that said time had not moved
        self.steps: list[int] = []  # clock values after its last forward steps (the pace)
        self.dropped = 0
        self.no_position = 0  # records without a position set aside ahead of the bound
        self.jumps = 0
        self._released_statics: list[StaticReport] = []  # of a run let through in this call
        self._released_at: list[int] = []  # where they go among this call's rows (`_released`)
        self._before: npt.NDArray[np.int64] | None = None  # `_scan`'s, for `filter`
        self.trusted_until: int | None = None  # records up to this time are in step (batch)

    # -- the rules -----------------------------------------------------------------------------

    @property
    def _tau(self) -> int:
        return int(self.cfg.future_max_s * 1000)

    def pace(self) -> int:
        """Event time (ms) the feed's last forward steps covered."""
        return self.steps[-1] - self.steps[0] if len(self.steps) > 1 else 0

    def bound(self) -> int:
        """How far (ms) ahead of the clock a record may be and still be in step with the feed."""
        return max(self._tau, self.pace())

    def trust_until(self, time_ms: int | None) -> None:
        """Take records up to ``time_ms`` as in step: the whole capture vouches for them.

        Batch mode only (`vouched_end` of a capture read whole); a live feed has no end.
        """
        self.trusted_until = time_ms

    def _in_step(self, t: int, clock: int) -> bool:
        return t <= clock + self.bound() or (
            self.trusted_until is not None and t <= self.trusted_until
        )

    def _explains(self, times: list[int], clock: int) -> bool:
        """Whether a held run's own records justify its lead over ``clock``."""
        n = len(times)
        lo, hi = min(times), max(times)
        span, lead = hi - lo, lo - clock
        return (
            (n >= 2 and span >= lead - self._tau)
            or (
                n >= self.cfg.future_confirm_records
                and span >= self.cfg.future_confirm_span_s * 1000
            )
            or n >= self.cfg.future_confirm_bulk
        )

    def _stepped(self, clock: int) -> None:
        keep = self.cfg.future_pace_steps + 1
        if not self.steps or clock > self.steps[-1]:
            self.steps.append(clock)
            if len(self.steps) > keep:
                del self.steps[: len(self.steps) - keep]

    # -- the pipeline --------------------------------------------------------------------------

    def filter(self, batch: Batch, watermark: int | None) -> Batch:
        """Return the records to use now, in arrival order (the same object if all of them)."""
        pos = batch.positions
        n = len(pos)
        t = pos.time_ms
        clock = watermark
        if clock is None and n:
            clock = int(t[0])
            self._stepped(clock)
        self._before = None
        if n and clock is not None:
            pos, clock = self._positions(pos, clock)
        kept_at = batch.arrivals()
        statics, released = self._statics(batch.statics, clock)
        if pos is batch.positions and statics is batch.statics and not released:
            return batch
        if statics is not batch.statics:
            keep = {id(r) for r in statics}
            kept_at = kept_at[[id(r) in keep for r in batch.statics]]
        if self._before is not None:  # where the kept statics are among the rows let through
            kept_at = self._before[kept_at]
        rel_at, self._released_at = self._released_at, []
        at = np.concatenate([np.asarray(rel_at, np.int64), kept_at]).astype(np.int64)
        order = np.argsort(at, kind="stable")  # a released run's statics where it was let through
        both = released + statics
        return Batch(pos, [both[i] for i in order.tolist()], at[order])

    def _positions(self, pos: PositionColumns, clock: int) -> tuple[PositionColumns, int]:
        t = pos.time_ms
        start = 0
        if not len(self.held):
            # Rows up to the first one beyond five minutes are in step whatever the pace, and
            # so are rows the whole capture vouches for.
            before = np.maximum.accumulate(np.r_[np.int64(clock), t[:-1]])
            ahead = t > before + self._tau
            if self.trusted_until is not None:
                ahead &= t > self.trusted_until
            beyond = np.flatnonzero(ahead)
            start = int(beyond[0]) if len(beyond) else len(t)
            if start:
                cm = np.maximum.accumulate(np.r_[np.int64(clock), t[:start]])
                for v in cm[1:][cm[1:] > cm[:-1]][-(self.cfg.future_pace_steps + 1) :].tolist():
                    self._stepped(int(v))
                clock = max(clock, int(cm[-1]))
            if start == len(t):
                return pos, clock
        return self._scan(pos, start, clock)

    def _scan(self, pos: PositionColumns, start: int, clock: int) -> tuple[PositionColumns, int]:
        """Judge rows from ``start`` one by one; return the rows to use and the clock after."""
        tau = self._tau
        h = len(self.held)
        both = PositionColumns.concat([self.held, pos]) if h else pos
        t = both.time_ms.tolist()
        placed = has_position(both.lat, both.lon).tolist()
        order: list[int] = list(range(h, h + start))
        run: list[int] = list(range(h))
        before = list(range(start))  # rows let through before each input row (`filter`)
        for i in range(h + start, len(t)):
            before.append(len(order))
            ti = t[i]
            in_step = self._in_step(ti, clock)
            if not placed[i] and not in_step:
                self.no_position += 1  # ahead, and no position to judge or to vouch for it
                continue
            if in_step:
                order.append(i)
                if ti > clock:
                    clock = ti
                    self._stepped(clock)
                if run:
                    self.against += 1
                    if 4 * self.against >= len(run):
                        run = self._drop(run)
                continue
            if run and ti < min(t[j] for j in run) - tau:
                self.against += 1  # ahead of the clock, yet behind the run: sides with neither
                if 4 * self.against < len(run):
                    self.dropped += 1
                    continue
                run = self._drop(run)
            run.append(i)
            times = [t[j] for j in run]
            if self._explains(times, clock):
                order += run
                clock = max(clock, max(times))
                self._released(times, len(order))
                run = []
        before.append(len(order))
        self._before = np.array(before, dtype=np.int64)
        self.held = both.take(np.array(run, dtype=np.intp))
        if not run:
            self.against = 0
        return both.take(np.array(order, dtype=np.intp)), clock

    def _drop(self, run: list[int]) -> list[int]:
        self.dropped += len(run) + len(self.held_statics)
        self.held_statics = []
        self.against = 0
        return []

    def _released(self, times: list[int], at: int) -> None:
        """Count a run let through; its own steps are the feed's pace from now on.

        ``at``: how many rows of this call's output come before the run's static reports.
        """
        self.jumps += 1
        self.against = 0
        self.steps = sorted(set(times))[-(self.cfg.future_pace_steps + 1) :]
        self._released_at += [at] * len(self.held_statics)
        self._released_statics += self.held_statics
        self.held_statics = []

    def _statics(
        self, statics: list[StaticReport], clock: int | None
    ) -> tuple[list[StaticReport], list[StaticReport]]:
        """Return (statics to use, statics of a run released in this batch)."""
        released, self._released_statics = self._released_statics, []
        if clock is None or not statics:
            return statics, released
        limit = max(clock + self.bound(), self.trusted_until or clock)
        if all(r.time_ms <= limit for r in statics):
            return statics, released
        keep: list[StaticReport] = []
        run_from = int(self.held.time_ms.min()) - self._tau if len(self.held) else None
        for r in statics:
            if r.time_ms <= limit:
                keep.append(r)
            elif run_from is not None and r.time_ms >= run_from:
                self.held_statics.append(r)
            else:
                self.dropped += 1
        return keep, released

    def _vouched(self, i: int, last_fix: LastFix) -> bool:
        """Whether held row ``i``'s vessel moved as far as its time stamp says it had time to."""
        h = self.held
        prev = last_fix(int(h.mmsi[i]))
        lon, lat, sog = float(h.lon[i]), float(h.lat[i]), float(h.speed[i])
        if prev is None or lon != lon or lat != lat:
            return False
        t0, lon0, lat0, sog0 = prev
        speeds = [v for v in (sog, sog0) if v == v]
        dt = (int(h.time_ms[i]) - t0) / 1000.0
        if not speeds or dt <= 0 or lon0 != lon0:
            return False
        kn = sum(speeds) / len(speeds)
        if kn < 1.0:
            return False
        expected = kn * KNOT_MS * dt
        return 0.5 * expected <= distance_m(lon0, lat0, lon, lat) <= 2.0 * expected

    def finish(self, watermark: int | None, last_fix: LastFix | None = None) -> Batch:
        """End of a stream: let a held run through if it is explained or vouched for."""
        times = self.held.time_ms.tolist()
        out = Batch()
        if (
            times
            and watermark is not None
            and (
                self._explains(times, watermark)
                or (
                    last_fix is not None
                    and any(self._vouched(i, last_fix) for i in range(len(times)))
                )
            )
        ):
            self._released(times, len(times))
            out = Batch(self.held, self._released_statics, np.array(self._released_at, np.int64))
            self._released_statics, self._released_at = [], []
        else:
            self.dropped += len(times) + len(self.held_statics)
        self.held = PositionColumns.empty()
        self.held_statics = []
        self.against = 0
        return out

    @property
    def holding(self) -> int:
        """Records held back now (positions and statics)."""
        return len(self.held) + len(self.held_statics)

    def to_state(self) -> dict[str, Any]:
        """Return the guard's state as plain JSON-able values."""
        return {
            "dropped": self.dropped,
            "no_position": self.no_position,
            "jumps": self.jumps,
            "against": self.against,
            "steps": list(self.steps),
            "held": [asdict(self.held.report(i)) for i in range(len(self.held))],
            "held_statics": [asdict(r) for r in self.held_statics],
        }

    def load_state(self, obj: dict[str, Any]) -> None:
        """Resume from `to_state` output (missing keys: a fresh guard)."""
        self.dropped = int(obj.get("dropped", 0))
        self.no_position = int(obj.get("no_position", 0))
        self.jumps = int(obj.get("jumps", 0))
        self.against = int(obj.get("against", 0))
        self.steps = [int(v) for v in obj.get("steps", [])]
        self.held = PositionColumns.from_reports([PositionReport(**r) for r in obj.get("held", [])])
        self.held_statics = [StaticReport(**r) for r in obj.get("held_statics", [])]
