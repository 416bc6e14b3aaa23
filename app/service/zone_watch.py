"""Zone changes made by another process reach this engine (PostGIS LISTEN/NOTIFY).

The store announces every zone change on ``mare_zones`` in the changing transaction, so a
notification arrives only once the change is visible. A change made through this service's own
API already reloads the engine synchronously (the route calls ``Pipeline.set_zones``); the
notification of that change reloads it once more, which is harmless. The listener waits at most
`WAIT_S` between checks for stop, so a change from elsewhere takes effect within about that
long. SQLite is one process: nothing to listen to.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from app.store.notify import ZoneListener

log = logging.getLogger(__name__)

#: Longest wait for a notification before looking at the stop flag again (seconds).
WAIT_S = 0.25


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

    def start(self) -> None:
        """Start listening in the background."""
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    if self._listener.wait(WAIT_S):
                        self._apply(self._load())
                        self.reloads += 1
                except Exception:  # noqa: BLE001 - keep listening; the API path still reloads
                    if self._stop.is_set():
                        return
                    log.exception("zone reload after a notification failed")
                    self._stop.wait(1.0)
        finally:
            self._listener.close()

    def stop(self) -> None:
        """Stop the thread (returns within about `WAIT_S`)."""
        self._stop.set()
        self._thread.join(timeout=5)
