"""Duplicate suppression: one payload heard by several stations is decoded once.

Aggregated feeds (AISHub, national networks) carry the same transmission from every station in
range. A payload identical to one seen less than ``window_ms`` earlier (event time) is a
duplicate. Real repeats are not lost: position payloads carry the UTC second and radio state, so
a vessel's next report differs from the last one.
"""

from __future__ import annotations

from collections import deque


class Deduplicator:
    """Remembers payloads for one window; memory is bounded by the traffic of one window.

    Expiry runs off a FIFO of (time, payload): popping from the front of a dict instead would
    cost O(n) per pop in CPython (iteration skips the deleted slots).
    """

    __slots__ = ("window_ms", "_seen", "_order")

    def __init__(self, window_ms: int = 10_000) -> None:
        self.window_ms = window_ms
        self._seen: dict[str, int] = {}
        self._order: deque[tuple[int, str]] = deque()

    def __len__(self) -> int:
        return len(self._seen)

    def is_duplicate(self, payload: str, t_ms: int) -> bool:
        """Return True if the payload was seen within the window; otherwise remember it."""
        window = self.window_ms
        if window <= 0:
            return False
        seen = self._seen
        last = seen.get(payload)
        if last is not None and abs(t_ms - last) < window:
            return True
        seen[payload] = t_ms
        order = self._order
        order.append((t_ms, payload))
        limit = t_ms - window
        while order[0][0] < limit:
            old_t, old_payload = order.popleft()
            if seen.get(old_payload) == old_t:
                del seen[old_payload]
        return False
