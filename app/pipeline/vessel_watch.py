"""Vessels stored by another process reach this service's live picture without a restart.

`mare ingest` (or a second service) writes positions and vessels into the same database; the
live picture of a running service is in memory and saw none of it ("vessel … not found" until
a restart). The store announces every batch it writes, as it does zone changes:

- PostGIS: ``NOTIFY mare_vessels, '<writer>'`` in the writing transaction (delivered on commit
  only), ``<writer>`` naming the `Store` that wrote; this service ignores its own batches, which
  its pipeline put in the picture before storing them.
- SQLite: one file, no server to notify through; the watcher polls ``PRAGMA data_version`` on a
  connection of its own, which changes exactly when another connection has committed.

On a change the watcher compares the stored vessels' latest fix times with the picture's and
hands over the rows it lacks or holds older (`LivePicture.adopt`); at most once per `GAP_S`, so
a writer storing twenty batches a second costs one comparison a second. A lost listening
connection is re-established with a doubling delay and followed by one comparison, since a
notification sent meanwhile was heard by nobody.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from app.store import Store
from app.store.notify import VESSELS_CHANNEL, Listener, ListenerLost

log = logging.getLogger(__name__)

#: Longest wait for a notification (or between SQLite polls) before looking at the stop flag.
WAIT_S = 0.25
#: Shortest time between two comparisons of the store with the live picture (seconds).
GAP_S = 1.0
RETRY_MAX_S = 5.0


class Changes(Protocol):
    """Where the news of another process's writes comes from."""

    def wait(self, timeout_s: float) -> bool:
        """Return whether another writer committed (raise `ListenerLost` when cut off)."""
        ...

    def reconnect(self) -> None: ...

    def close(self) -> None: ...


class PostgresChanges:
    """LISTEN on ``mare_vessels``; a payload other than our own writer's is news."""

    def __init__(self, url: str, own: str) -> None:
        self._listener = Listener(url, VESSELS_CHANNEL, "mare-vessel-listener")
        self._own = own

    def wait(self, timeout_s: float) -> bool:
        return any(p != self._own for p in self._listener.wait_payloads(timeout_s))

    def reconnect(self) -> None:
        self._listener.reconnect()

    def close(self) -> None:
        self._listener.close()


class SqliteChanges:
    """Poll ``PRAGMA data_version`` of a connection of our own (SQLite's change counter)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._seen = self._version()

    def _version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def wait(self, timeout_s: float) -> bool:
        time.sleep(timeout_s)
        try:
            now = self._version()
        except sqlite3.Error as exc:
            raise ListenerLost(str(exc)) from exc
        changed, self._seen = now != self._seen, now
        return changed

    def reconnect(self) -> None:
        self.close()
        self._conn = sqlite3.connect(self._path, check_same_thread=False)
        self._seen = self._version()

    def close(self) -> None:
        self._conn.close()


def vessel_changes(store: Store, url: str) -> Changes:
    """Return how this store hears of other writers: LISTEN on PostGIS, data_version on SQLite."""
    if store.postgis:
        return PostgresChanges(url, store.writer)
    database = store.engine.url.database
    if not database or database == ":memory:":
        raise ValueError("a SQLite store shared with other processes lives in a file")
    return SqliteChanges(database)


class VesselWatcher:
    """A daemon thread: when another writer stored vessels, hand what is new to ``apply``."""

    def __init__(
        self,
        changes: Changes,
        fresh: Callable[[], list[dict[str, Any]]],
        apply: Callable[[list[dict[str, Any]]], None],
    ) -> None:
        self._changes = changes
        self._fresh = fresh
        self._apply = apply
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vessel-watch", daemon=True)
        #: Comparisons made, and vessels handed over (for tests and /metrics).
        self.checks = 0
        self.adopted = 0

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        due = False
        last = 0.0
        try:
            while not self._stop.is_set():
                try:
                    due = self._changes.wait(WAIT_S) or due
                except ListenerLost as exc:
                    self._reconnect(str(exc))
                    due = True
                    continue
                if not due or time.monotonic() - last < GAP_S:
                    continue
                last = time.monotonic()
                try:
                    rows = self._fresh()
                    if rows:
                        self._apply(rows)
                except Exception:  # noqa: BLE001 - keep watching; the next change retries
                    log.exception("reading vessels stored elsewhere failed; retrying")
                    continue
                self.checks += 1
                self.adopted += len(rows)
                due = False
        finally:
            self._changes.close()

    def _reconnect(self, why: str) -> None:
        log.warning("vessel listener lost its connection (%s); reconnecting", why.strip())
        delay = WAIT_S
        while not self._stop.wait(delay):
            try:
                self._changes.reconnect()
            except Exception:  # noqa: BLE001 - still away: try again later
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            log.warning("vessel listener reconnected")
            return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
