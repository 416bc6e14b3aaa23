"""Real-time replay: when to hand out a line, given its event time and a speed factor.

Pure (the clock is an argument) so the rules are tested without sleeping:

- the first line with a time anchors event time to wall time;
- a line is due at ``anchor_wall + (event - anchor_event) / speed``; lines already late go at
  once (a slow consumer is caught up, not slowed further);
- a line without a time keeps pace with the previous one (it is due right after it);
- stations' clocks disagree by seconds, so small steps back in time are just early lines; a
  step back of more than ``rewind`` seconds (the next of several captures starts earlier) sets
  a new anchor rather than firing the whole capture at once.
"""

from __future__ import annotations

#: Backwards steps larger than this (seconds of event time) start a new anchor.
REWIND = 60.0


class Pacer:
    """Compute how long to wait before each line of a replay at ``speed`` x real time."""

    __slots__ = ("speed", "rewind", "_anchor_event", "_anchor_wall", "_latest", "_last")

    def __init__(self, speed: float, *, rewind: float = REWIND) -> None:
        if not speed > 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self.rewind = rewind
        self._anchor_event: float | None = None
        self._anchor_wall = 0.0
        self._latest = 0.0
        self._last: float | None = None

    def delay(self, event: float | None, now: float) -> float:
        """Return the seconds to wait before the line heard at ``event``; ``now`` is monotonic."""
        if event is None:
            event = self._last
            if event is None:
                return 0.0
        self._last = event
        if self._anchor_event is None or event < self._latest - self.rewind:
            self._anchor_event, self._anchor_wall, self._latest = event, now, event
            return 0.0
        if event > self._latest:
            self._latest = event
        due = self._anchor_wall + (event - self._anchor_event) / self.speed
        return max(0.0, due - now)
