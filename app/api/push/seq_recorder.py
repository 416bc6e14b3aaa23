"""Write each published alert's sequence id onto its stored row (``events.stream_seq``).

The hub numbers alerts as it publishes them; that number is the SSE event id. A stream that
resumes from an id the hub's ring no longer holds (or from before a restart) reads the store
instead, and can do so on the same clock only if the store knows each row's number. Writing it
inside the hub's publish would make publishing wait on the database, so the hub hands each
numbered entry here (in order, under its lock: a deque append) and a thread of its own writes
them in batches. `SeqRecorder.wait_recorded` lets a resuming stream wait until every number up
to its resume window is written, so the store answers for all of them.

While the database is away the numbers wait in memory (bounded by `PENDING_MAX`) and the
writer retries with a capped doubling delay, logging once per outage.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from app.live.hub import AlertEntry, Hub

log = logging.getLogger(__name__)

#: Numbers kept while the database is away; beyond this the oldest are forgotten (those rows
#: fall back to their write time when a stream resumes from the store).
PENDING_MAX = 100_000
RETRY_MIN_S = 0.1
RETRY_MAX_S = 5.0


class SeqRecorder:
    """A daemon thread writing ``(alert id, seq)`` pairs through ``write``."""

    def __init__(self, write: Callable[[list[tuple[int, int]]], None]) -> None:
        self._write = write
        self._pending: deque[tuple[int, int]] = deque()
        self._cond = threading.Condition()
        self._queued = 0  # highest seq handed over
        self._done = 0  # every seq up to here is written
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="alert-seqs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def observe(self, entry: AlertEntry) -> None:
        """Take a numbered alert (the hub's alert observer; never waits on the database)."""
        alert_id = entry.alert.get("id")
        with self._cond:
            self._queued = entry.seq
            if isinstance(alert_id, int):
                self._pending.append((alert_id, entry.seq))
                if len(self._pending) > PENDING_MAX:
                    self._pending.popleft()
            self._cond.notify_all()

    def wait_recorded(self, seq: int, timeout: float) -> bool:
        """Wait until every number up to ``seq`` that was handed over is written (blocking)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._done >= min(seq, self._queued), timeout)

    def _run(self) -> None:
        delay = RETRY_MIN_S
        failing = False
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopping or self._done < self._queued)
                if self._done >= self._queued:
                    return  # stopping, everything written
                batch, self._pending = list(self._pending), deque()
                upto = self._queued
            try:
                if batch:
                    self._write(batch)
            except Exception:  # noqa: BLE001 - the database is away: keep them, try again
                if not failing:
                    log.exception("recording alert sequence ids failed; retrying")
                failing = True
                with self._cond:
                    self._pending.extendleft(reversed(batch))  # in order, before newer ones
                    while len(self._pending) > PENDING_MAX:
                        self._pending.popleft()
                    if self._cond.wait_for(lambda: self._stopping, delay):
                        return
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            if failing:
                log.info("recording alert sequence ids works again")
            failing, delay = False, RETRY_MIN_S
            with self._cond:
                self._done = upto
                self._cond.notify_all()

    def stop(self) -> None:
        """Write what is pending (while the database answers), then end the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout=10)


#: Longest a resuming stream waits for the numbers to be written before reading the store.
WAIT_S = 5.0


def attach(hub: Hub, repo: Any) -> SeqRecorder:
    """Record ``hub``'s numbers through ``repo`` and resume its streams from ``repo``; started.

    Call before anything publishes: rows this process writes from now on are its own to
    publish, so a resuming stream never takes them from the store under their write time.
    """
    started = int(time.time() * 1000)
    recorder = SeqRecorder(repo.record_stream_seqs)
    hub.add_alert_observer(recorder.observe)

    async def history(after: int, upto: int) -> list[tuple[int, dict[str, Any]]]:
        await asyncio.to_thread(recorder.wait_recorded, upto, WAIT_S)
        rows: list[tuple[int, dict[str, Any]]] = await asyncio.to_thread(
            repo.alerts_published_between, after, upto, started
        )
        return rows

    hub.alert_history = history
    recorder.start()
    return recorder
