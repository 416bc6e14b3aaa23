"""The live event clock: how far the engine may let event time pass without new records.

`Engine.advance(now)` fires "went dark" alerts and dwell timers. Feeding it the wall clock
would be wrong twice: a replayed or delayed feed (event times hours behind) would see every
vessel go dark at once, and a receiver outage would too. So event time runs on from the last
record's event time at the wall clock's pace, but for at most ``outage_s`` after the last
record: a silent feed is a receiver problem, not a fleet going dark together.
"""

from __future__ import annotations

import time


class LiveClock:
    """Event-time clock driven by the records the engine has seen."""

    def __init__(self, outage_s: float = 600.0) -> None:
        self.outage_s = outage_s
        self._event_ms: int | None = None
        self._at = 0.0

    def saw(self, event_ms: int) -> None:
        """Note the engine's watermark after a batch (event time reached)."""
        if self._event_ms is None or event_ms > self._event_ms:
            self._event_ms = event_ms
        self._at = time.monotonic()

    def now_ms(self) -> int | None:
        """Return event time now, or None before any record."""
        if self._event_ms is None:
            return None
        elapsed = min(time.monotonic() - self._at, self.outage_s)
        return self._event_ms + int(elapsed * 1000)
