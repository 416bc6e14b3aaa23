"""One log line when the live feed's records are set aside: forged or corrupt clocks above all.

`/metrics` counts every record the decoder restamped and the engine did not use, by reason; a
watch officer's log should also say it, once, not once a batch: at most one line a minute,
when lines were restamped or records dropped for a time far ahead (a wrong or forged clock,
issue 15), or when more than 1 % of the records since the last line were set aside.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("app.pipeline")

#: Share of records set aside since the last line above which the log says so.
WARN_SHARE = 0.01
_SET_ASIDE = ("future_time", "same_time", "out_of_order")


class SetAsideLog:
    """Compares the counters with the last line's and logs the difference (see the module)."""

    def __init__(self, period_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.period_s = period_s
        self.clock = clock
        self._last: dict[str, int] = {}
        self._at: float | None = None

    def check(self, counts: dict[str, Any], times: dict[str, int]) -> str | None:
        """Log (and return) a line if one is due; ``counts`` is `Engine.record_counts`."""
        now = self.clock()
        if self._at is not None and now - self._at < self.period_s:
            return None
        cur = {k: int(counts["unused"].get(k, 0)) for k in _SET_ASIDE}
        cur["records"] = int(counts["records"])
        cur["restamped"] = int(times.get("restamped", 0))
        d = {k: v - self._last.get(k, 0) for k, v in cur.items()}
        aside = sum(d[k] for k in _SET_ASIDE)
        if not (d["future_time"] or d["restamped"] or aside > WARN_SHARE * max(d["records"], 1)):
            return None
        self._last, self._at = cur, now
        line = (
            f"records set aside since the last report: {d['restamped']:,} lines stamped more "
            f"than MARE_MAX_AHEAD_SECONDS after their receipt took their receive time; of "
            f"{d['records']:,} records, {d['future_time']:,} stamped far ahead of the feed's "
            f"time, {d['same_time']:,} at the same time as their vessel's previous fix, "
            f"{d['out_of_order']:,} older than its latest (mare_engine_records_unused)"
        )
        log.warning(line)
        return line
