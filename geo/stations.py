"""Receiving stations that fall silent: a data-quality condition, not vessels going dark.

When a shore station loses power or its uplink, every vessel it alone was hearing falls silent
at once. Judged one by one, each of them "went dark at sea", and a watch floor gets dozens of
``ais_gap`` alerts for one broken receiver. Mare tells the two apart from the feed itself:

- each station's report rate (reports a second, from the tag block ``s:`` or the feed's name)
  is kept per closed slice, an average halving every ``station_rate_half_life_s``;
- a station is **down** once it hears several vessels (``station_min_vessels`` in a slice,
  lately: a station hearing one or two falls silent when they do, and their silence is
  theirs), was busy (``station_busy_per_min`` reports a minute or more: a station hearing one
  boat an hour is silent for ordinary reasons), and has been silent for ``station_silent_k``
  times its usual interval between reports and at least ``station_silent_min_s``, while the
  feed went on: another station talked after it fell silent (a hole in the whole feed, a
  capture that resumes hours later, is not one receiver's outage: its vessels' silences stay
  gaps);
- the outage ends at the station's next report; past outages are kept for a day
  (``coverage_window_s``), so a silence judged after the station came back is still explained.

A vessel's silence is *explained* by an outage of the station that heard its last fix when,
taking out the time that station was down, what is left is not longer than the vessel's
silence threshold: it would not have been a gap with the receiver working. Explained silences
raise no ``ais_gap`` and are counted (`geo.engine.Engine.record_counts`, ``/metrics``,
``mare detect``'s summary) with the outages themselves.

Deterministic: updated at slice closes on event time, like the coverage map.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from geo.arrays import distinct
from geo.config import EngineConfig
from geo.detectors.base import I64


@dataclass(slots=True)
class Outage:
    """One station's silence: from its last report before, to its first after (None: going on)."""

    station: int
    since_ms: int
    until_ms: int | None = None


class StationWatch:
    """Report rates and outages of the receiving stations, by station code."""

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self.rate: dict[int, float] = {}  # reports a second, as of the station's last report
        self.last: dict[int, int] = {}  # end of the last slice with a report of the station
        self.closed: list[Outage] = []  # ended outages within the window
        self.explained = 0  # silences put down to an outage (no ais_gap raised)
        self.ships: dict[int, float] = {}  # vessels heard in a slice lately (a decaying peak)
        self._at = -1  # end of the last slice committed

    def heard(self, station: I64, end_ms: int, slot: I64 | None = None) -> None:
        """Take a closed slice's reports (station code and vessel slot per report) at its end."""
        span_s = (end_ms - self._at) / 1000.0 if self._at >= 0 else self.cfg.slice_s
        span_s = max(span_s, 1.0)
        self._at = end_ms
        if not len(station):
            return
        counts = np.bincount(station)
        decay = 2.0 ** (-span_s / self.cfg.station_rate_half_life_s)
        if slot is not None and len(slot) == len(station):
            pairs = distinct(station * (1 << 32) + slot)
            ships = np.bincount(pairs >> 32, minlength=len(counts))
            for s in np.flatnonzero(ships).tolist():
                self.ships[s] = max(float(ships[s]), self.ships.get(s, 0.0) * decay)
        for s in np.flatnonzero(counts).tolist():
            last = self.last.get(s)
            if last is not None and self._down_since(s, end_ms - int(span_s * 1000)) is not None:
                self.closed.append(Outage(s, last, end_ms - int(span_s * 1000)))
            old = self.rate.get(s)
            now = float(counts[s]) / span_s
            if old is not None and last is not None:
                # a silence before this slice counts as nothing heard, in one decay step
                gap_decay = 2.0 ** (-(end_ms - last) / 1000.0 / self.cfg.station_rate_half_life_s)
                now = old * gap_decay + (1.0 - decay) * now
            self.rate[s] = now
            self.last[s] = end_ms
        horizon = end_ms - int(self.cfg.coverage_window_s * 1000)
        self.closed = [o for o in self.closed if o.until_ms is None or o.until_ms >= horizon]

    def _down_since(self, s: int, now_ms: int) -> int | None:
        """Return when station ``s`` fell silent if it is down at ``now_ms``, else None."""
        last = self.last.get(s)
        rate = self.rate.get(s, 0.0)
        if last is None or rate * 60.0 < self.cfg.station_busy_per_min:
            return None
        if self.ships.get(s, 0.0) < self.cfg.station_min_vessels:
            return None  # a station hearing one or two vessels falls silent when they do
        silent_s = (now_ms - last) / 1000.0
        needed = max(self.cfg.station_silent_min_s, self.cfg.station_silent_k / rate)
        if silent_s < needed:
            return None
        # the feed went on: another station talked after this one fell silent (a hole in the
        # whole feed, a capture that resumes hours later, is not one receiver's outage)
        others = max((t for st, t in self.last.items() if st != s), default=-1)
        return last if others > last else None

    def outages(self, now_ms: int) -> list[Outage]:
        """Outages within the window, ended or going on at ``now_ms``, oldest first."""
        going = [
            Outage(s, since)
            for s in sorted(self.last)
            if (since := self._down_since(s, now_ms)) is not None
        ]
        return sorted(self.closed + going, key=lambda o: (o.since_ms, o.station))

    def explains(self, station: int, t0: int, t1: int, threshold_s: float) -> bool:
        """Whether an outage of ``station`` explains a vessel silent from ``t0`` to ``t1``.

        The silence less the time the station was down must not exceed the threshold.
        """
        if station < 0:
            return False
        covered = 0
        for o in self.outages(t1):
            if o.station != station:
                continue
            a, b = max(t0, o.since_ms), min(t1, t1 if o.until_ms is None else o.until_ms)
            covered += max(0, b - a)
        return covered > 0 and (t1 - t0 - covered) / 1000.0 <= threshold_s

    def to_state(self) -> dict[str, Any]:
        return {
            "rate": [[s, r] for s, r in sorted(self.rate.items())],
            "last": [[s, t] for s, t in sorted(self.last.items())],
            "closed": [[o.station, o.since_ms, o.until_ms] for o in self.closed],
            "explained": self.explained,
            "ships": [[s, v] for s, v in sorted(self.ships.items())],
            "at": self._at,
        }

    def load_state(self, obj: dict[str, Any]) -> None:
        self.rate = {int(s): float(r) for s, r in obj.get("rate", [])}
        self.last = {int(s): int(t) for s, t in obj.get("last", [])}
        self.closed = [Outage(int(s), int(a), b) for s, a, b in obj.get("closed", [])]
        self.explained = int(obj.get("explained", 0))
        self.ships = {int(s): float(v) for s, v in obj.get("ships", [])}
        self._at = int(obj.get("at", -1))
