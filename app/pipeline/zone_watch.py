"""Zone changes made by another process reach this engine (PostGIS LISTEN/NOTIFY).

The store announces every zone change on ``mare_zones`` in the changing transaction, so a
notification arrives only once the change is visible. A change made through this service's own
API already reloads the engine synchronously (the route calls ``Pipeline.set_zones``); the
notification of that change reloads it once more, which is harmless. The listener waits at most
`WAIT_S` between checks for stop, so a change from elsewhere takes effect within about that
long. SQLite is one process: nothing to listen to.

When the listening connection breaks (PostgreSQL restarted, backend terminated), the watcher
reconnects with a doubling delay capped at `RETRY_MAX_S`, listens again and reloads the zones
once: a change committed while it was away sent a notification nobody heard. An outage is
logged once when it starts and once when it ends, not on every attempt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from app.store.notify import ListenerLost, ZoneListener

log = logging.getLogger(__name__)

#: Longest wait for a notification before looking at the stop flag again (seconds).
WAIT_S = 0.25
#: First and longest delay between reconnection attempts (seconds).
RETRY_MIN_S = 0.1
RETRY_MAX_S = 5.0


class ZoneWatcher:
    """A daemon thread: on each announced zone version, load the zones and hand them over."""

    def __init__(
        self, url: str, load: Callable[[], Sequence[Any]], apply: Callable[[Sequence[Any]], None]
    ) -> None:
        self._listener = ZoneListener(url)  # LISTEN before start returns: no change is missed
        self._load = load
        self._apply = apply
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="zone-watch", daemon=True)
        self.reloads = 0
        #: Times the listening connection was re-established.
        self.reconnects = 0

    def start(self) -> None:
        """Start listening in the background."""
        self._thread.start()

    def _run(self) -> None:
        delay = RETRY_MIN_S
        stale = False  # a reload is owed (after a reconnect, or one that failed)
        failing = False  # the current reload failure was logged already
        try:
            while not self._stop.is_set():
                try:
                    heard = self._listener.wait(RETRY_MIN_S if stale else WAIT_S)
                except ListenerLost as exc:
                    self._reconnect(str(exc))
                    stale = True
                    continue
                if not (heard or stale):
                    continue
                try:
                    self._apply(self._load())
                except Exception:  # noqa: BLE001 - keep listening; the API path still reloads
                    if not failing:
                        log.exception("zone reload failed; retrying until it succeeds")
                    failing = stale = True
                    self._stop.wait(delay)
                    delay = min(delay * 2, RETRY_MAX_S)
                    continue
                if failing:
                    log.info("zone reload succeeded again")
                self.reloads += 1
                failing = stale = False
                delay = RETRY_MIN_S
        finally:
            self._listener.close()

    def _reconnect(self, why: str) -> None:
        """Listen again on a new connection; back off while the server stays away."""
        log.warning("zone listener lost its connection (%s); reconnecting", why.strip())
        began = time.monotonic()
        delay = RETRY_MIN_S
        attempts = 0
        while not self._stop.wait(delay):
            attempts += 1
            try:
                self._listener.reconnect()
            except Exception:  # noqa: BLE001 - server still away: try again later
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            self.reconnects += 1
            log.warning(
                "zone listener reconnected after %.1f s (%d attempts); reloading the zones",
                time.monotonic() - began,
                attempts,
            )
            return

    def stop(self) -> None:
        """Stop the thread (returns within about `WAIT_S`, or the current connect attempt)."""
        self._stop.set()
        self._thread.join(timeout=10)
