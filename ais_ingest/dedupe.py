"""Duplicate suppression: one payload heard by several stations is decoded once.

Aggregated feeds (AISHub, national networks) carry the same transmission from every station in
range. A payload identical to one seen less than ``window_ms`` earlier (event time) is a
duplicate. Real repeats are not lost: position payloads carry the UTC second and radio state, so
a vessel's next report differs from the last one.
"""

from __future__ import annotations


class Deduplicator:
    """Remembers payloads for one window; memory is bounded by the traffic of one window."""

    __slots__ = ("window_ms", "_seen", "_ops")

    def __init__(self, window_ms: int = 10_000) -> None:
        self.window_ms = window_ms
        self._seen: dict[str, int] = {}
        self._ops = 0

    def __len__(self) -> int:
        return len(self._seen)

    def is_duplicate(self, payload: str, t_ms: int) -> bool:
        """Return True if the payload was seen within the window; otherwise remember it."""
        if self.window_ms <= 0:
            return False
        seen = self._seen
        last = seen.get(payload)
        if last is not None and abs(t_ms - last) < self.window_ms:
            return True
        if last is not None:
            del seen[payload]  # re-insert so insertion order stays roughly time order
        seen[payload] = t_ms
        self._ops += 1
        if self._ops >= 4096:
            self._ops = 0
            self._prune(t_ms)
        return False

    def _prune(self, now_ms: int) -> None:
        limit = now_ms - self.window_ms
        seen = self._seen
        while seen:
            key = next(iter(seen))
            if seen[key] >= limit:
                break
            del seen[key]
