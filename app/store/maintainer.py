"""The service's own database maintenance: at start, then every period, in a worker thread.

`Store.maintain` creates the coming days' partitions, builds the GiST of days that are over
and applies ``MARE_RETENTION_DAYS``. A service that never ran it would write into partitions
it creates on demand, keep every position forever and query closed days through BRIN alone,
so the service runs it itself rather than relying on someone scheduling ``mare db maintain``.

The thread's first run starts right after the service did (the API is ready meanwhile: a
GiST build of a full day takes tens of seconds). The next run is one period later, or just
after the next UTC midnight if that comes sooner, so a day's GiST is built as soon as the
day is over. A failed run is logged in one line and tried again at the next; it never stops
the service. Several processes on one PostGIS take turns (`maintain_exclusive`): a run that
finds another one going is counted as ``skipped``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.store.engine import one_line
from app.store.maintenance import maintain_exclusive
from app.store.store import Store

if TYPE_CHECKING:
    pass

log = logging.getLogger("app.maintenance")

DAY_S = 86_400
#: Wait after midnight UTC before indexing the day just over, for its last rows to come in.
AFTER_MIDNIGHT_S = 120.0
#: How long `Maintainer.stop` waits for a run in progress before leaving it to the process exit
#: (an interrupted GiST build leaves an invalid index, which the next run drops and rebuilds).
STOP_WAIT_S = 5.0
OUTCOMES = ("ok", "skipped", "failed")


def next_delay(now_s: float, period_s: float) -> float:
    """Return the seconds until the next run: one period, or just after midnight if sooner."""
    to_midnight = DAY_S - (now_s % DAY_S) + AFTER_MIDNIGHT_S
    return max(0.0, min(period_s, to_midnight))


@dataclass
class MaintenanceStatus:
    """What the runs did so far, read by /metrics (plain fields, replaced whole by the thread)."""

    runs: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    #: Partitions created, indexed and dropped, and rows deleted (SQLite), over all runs.
    done: dict[str, int] = field(default_factory=dict)
    last_outcome: str | None = None
    last_started_s: float | None = None
    last_duration_s: float | None = None
    last_ok_s: float | None = None
    last_error: str | None = None


class Maintainer:
    """A daemon thread running `maintain_exclusive` on ``store`` at start and every period."""

    def __init__(
        self,
        store: Store,
        retention_days: int,
        period_s: float,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.retention_days = retention_days
        self.period_s = period_s
        self.clock = clock
        self.status = MaintenanceStatus()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="maintenance", daemon=True)

    def start(self) -> None:
        """Start the thread; its first run begins at once."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, waiting up to `STOP_WAIT_S` for a run in progress."""
        self._stop.set()
        self._thread.join(STOP_WAIT_S)
        if self._thread.is_alive():
            log.warning("maintenance still running at stop; left to finish or be interrupted")

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(next_delay(self.clock(), self.period_s))

    def run_once(self) -> str:
        """Run maintenance now; record and return its outcome (never raises an Exception)."""
        st = self.status
        started = self.clock()
        t0 = time.monotonic()
        error: str | None = None
        summary: dict[str, Any] | None = None
        try:
            summary = maintain_exclusive(self.store, int(started * 1000), self.retention_days)
            outcome = "ok" if summary is not None else "skipped"
        except Exception as exc:  # noqa: BLE001 - logged, counted, tried again next period
            outcome, error = "failed", one_line(exc)
            log.error("database maintenance failed (retried in %.0f s): %s", self.period_s, error)
            log.debug("database maintenance failure", exc_info=True)
        st.last_duration_s = time.monotonic() - t0
        st.last_started_s = started
        st.last_outcome = outcome
        st.last_error = error
        st.runs[outcome] += 1
        if outcome == "ok":
            st.last_ok_s = started
        for key, value in (summary or {}).items():
            n = len(value) if isinstance(value, list) else int(value)
            st.done[key] = st.done.get(key, 0) + n
        if summary and any(summary.values()):
            log.info("database maintenance: %s", _describe(summary))
        return outcome


def _describe(summary: dict[str, Any]) -> str:
    parts = []
    for key, value in summary.items():
        shown = ", ".join(value) if isinstance(value, list) else str(value)
        if shown and shown != "0":
            parts.append(f"{key.replace('_', ' ')} {shown}")
    return "; ".join(parts)
