"""The service's daily reports: made just after each UTC midnight for every scope, and kept.

At `AFTER_MIDNIGHT_S` past each midnight (UTC, on the service's wall clock, `app.wallclock`:
the desk's day, not the engine's event time, which lags a live feed and runs ahead in a demo)
the day just over is reported for the whole area and for each liaison's zones (under the
narrowings that apply to that liaison, so a report never shows a liaison more than its alert
list does), and stored (`app.store.reports`). A scope whose report of that day is stored
already is not made again, so a restart does not repeat the work; at the start the day just
over is made if it is missing and anything happened in it (a service that was down at
midnight catches up). A failed run is logged in one line and tried again at the next midnight
or on demand; it never stops the service.

The clock is an argument (`DailyReports.clock`), so a test moves it past midnight and calls
`DailyReports.wake` rather than waiting for a day.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from app.identity import Role
from app.reports.content import DAY_MS, build_report, day_start_ms
from app.store.engine import one_line
from app.store.repo import Repo
from app.store.reports import StoredReport
from app.wallclock import now_ms
from geo.alert_rules import Narrowing

log = logging.getLogger("app.reports")

#: Wait after midnight UTC before reporting the day just over, for its last rows to come in
#: (the pipeline's batches, a feed's backlog); longer than the store maintenance's two minutes.
AFTER_MIDNIGHT_S = 300.0
#: How long `DailyReports.stop` waits for a report being made.
STOP_WAIT_S = 10.0
#: Who the stored reports of the schedule name as their maker.
SCHEDULE_ACTOR = "schedule"


@dataclass(frozen=True, slots=True)
class ReportScope:
    """What one report covers: zones (None: the whole area) and the narrowings it is made under."""

    zones: tuple[str, ...] | None
    narrow: tuple[Narrowing, ...] = ()

    @property
    def narrow_ids(self) -> tuple[str, ...]:
        return tuple(sorted(n.id for n in self.narrow))


def generate(repo: Repo, day: date, scope: ReportScope, *, actor: str, audit: bool) -> StoredReport:
    """Make the day's report of ``scope`` in both formats and store it (replacing an older)."""
    from app.reports import render_all

    report = build_report(repo, day, zones=scope.zones, narrow=scope.narrow)
    files = render_all(report)
    return repo.save_report(day.isoformat(), scope.zones, scope.narrow_ids, files,
                            actor=actor, audit=audit)  # fmt: skip


def day_over(now: int, after_s: float = AFTER_MIDNIGHT_S) -> date:
    """Return the last UTC day that ended at least ``after_s`` before ``now`` (epoch ms)."""
    shifted = now - int(after_s * 1000)
    today = datetime.fromtimestamp(shifted // 1000, tz=UTC).date()
    return today - timedelta(days=1)


def next_delay(now: int, after_s: float = AFTER_MIDNIGHT_S) -> float:
    """Return the seconds from ``now`` (epoch ms) to the next run, ``after_s`` past a midnight."""
    offset = int(after_s * 1000)
    nxt = (now - offset) // DAY_MS * DAY_MS + DAY_MS + offset
    return max(0.0, (nxt - now) / 1000.0)


def liaison_scopes(
    repo: Repo, narrowings: Callable[[str, str], tuple[Narrowing, ...]]
) -> list[ReportScope]:
    """Return the whole area and each liaison's scope (known zones only), once each."""
    known = {z.id for z in repo.list_zones()}
    out = [ReportScope(None)]
    seen: set[tuple[tuple[str, ...] | None, tuple[str, ...]]] = {(None, ())}
    for user in repo.list_users():
        if user.role is not Role.LIAISON or user.disabled:
            continue
        zones = tuple(sorted(z for z in user.zones or () if z in known))
        if not zones:
            continue
        narrow = narrowings(user.username, user.role.value)
        key = (zones, tuple(sorted(n.id for n in narrow)))
        if key not in seen:
            seen.add(key)
            out.append(ReportScope(zones, narrow))
    return out


class DailyReports:
    """A daemon thread making the stored daily reports just after each UTC midnight."""

    def __init__(
        self,
        repo: Repo,
        scopes: Callable[[], Sequence[ReportScope]],
        *,
        clock: Callable[[], int] = now_ms,
        after_midnight_s: float = AFTER_MIDNIGHT_S,
    ) -> None:
        self.repo = repo
        self.scopes = scopes
        self.clock = clock
        self.after_midnight_s = after_midnight_s
        self.runs = {"ok": 0, "failed": 0}
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="daily-reports", daemon=True)

    def start(self) -> None:
        """Start the thread; it catches up the day just over at once if it is missing."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, waiting up to `STOP_WAIT_S` for a report being made."""
        self._stop.set()
        self._wake.set()
        self._thread.join(STOP_WAIT_S)

    def wake(self) -> None:
        """Make the thread look at its clock now (a test that moved the clock, say)."""
        self._wake.set()

    def _run(self) -> None:
        first = True
        while not self._stop.is_set():
            self.run_once(catching_up=first)
            first = False
            self._wake.wait(next_delay(self.clock(), self.after_midnight_s))
            self._wake.clear()

    def run_once(self, *, catching_up: bool = False) -> list[StoredReport]:
        """Make the missing reports of the day just over; never raises an Exception.

        ``catching_up`` (the start): only when something happened that day, so a service
        started on an empty or long-idle database makes no empty report.
        """
        day = day_over(self.clock(), self.after_midnight_s)
        made: list[StoredReport] = []
        try:
            t0 = day_start_ms(day)
            quiet = catching_up and not self.repo.day_has_data(t0, t0 + DAY_MS)
            for scope in () if quiet else self.scopes():
                if self.repo.has_report(day.isoformat(), scope.zones, scope.narrow_ids):
                    continue
                started = time.monotonic()
                made.append(generate(self.repo, day, scope, actor=SCHEDULE_ACTOR, audit=False))
                log.info("daily report %s (%s) made in %.1f s", day.isoformat(),
                         "whole area" if scope.zones is None else ",".join(scope.zones),
                         time.monotonic() - started)  # fmt: skip
            self.runs["ok"] += 1
            self.last_error = None
        except Exception as exc:  # noqa: BLE001 - logged and tried again at the next run
            self.runs["failed"] += 1
            self.last_error = one_line(exc)
            log.error("daily reports of %s failed: %s", day.isoformat(), self.last_error)
        return made
