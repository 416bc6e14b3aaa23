"""Multipart reassembly: fragments of one message joined in order, orphans counted and dropped.

Fragments are keyed by (source, talker, channel, sequence id), or by the tag block group when a
``g:`` field ties them, so interleaved messages from different stations or channels never mix.
Fragment k is accepted only right after fragment k-1 of the same key (what gpsd does too); a
fragment that does not continue its key makes the pending message an orphan. Pending messages
older than the timeout are dropped, and at most ``max_pending`` are held, so an endless stream of
orphans cannot grow memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Key = tuple[str, ...]


@dataclass(slots=True)
class _Pending:
    total: int
    next_num: int
    started_ms: int
    station: str
    payloads: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Assembled:
    """A complete message: payload, last fragment's fill bits, raw lines, first fragment's time.

    The time and station are the first fragment's: NMEA 4.10 groups often tag only the first line.
    """

    payload: str
    fill: int
    lines: tuple[str, ...]
    time_ms: int = 0
    station: str = ""


class Assembler:
    """Joins fragments; reports orphaned lines through ``orphaned`` (a running count)."""

    __slots__ = ("timeout_ms", "max_pending", "_pending", "orphaned", "_last_sweep_ms")

    def __init__(self, *, timeout_ms: int = 5_000, max_pending: int = 10_000) -> None:
        self.timeout_ms = timeout_ms
        self.max_pending = max_pending
        self._pending: dict[Key, _Pending] = {}
        self.orphaned = 0  # lines dropped as orphan fragments
        self._last_sweep_ms = 0

    def __len__(self) -> int:
        return len(self._pending)

    def add(
        self,
        key: Key,
        num: int,
        total: int,
        payload: str,
        fill: int,
        now_ms: int,
        line: str,
        station: str = "",
    ) -> Assembled | None:
        """Add fragment ``num`` of ``total``; return the message when it is complete."""
        pend = self._pending.get(key)
        if num == 1:
            if pend is not None:  # a new message restarts the key: the old one can never finish
                self.orphaned += len(pend.payloads)
                del self._pending[key]
            if len(self._pending) >= self.max_pending:
                self._evict_oldest()
            self._pending[key] = _Pending(total, 2, now_ms, station, [payload], [line])
            self._maybe_sweep(now_ms)
            return None
        if pend is None or pend.next_num != num or pend.total != total:
            self.orphaned += 1  # out of order, or its first fragment was never seen
            if pend is not None:
                self.orphaned += len(pend.payloads)
                del self._pending[key]
            return None
        pend.payloads.append(payload)
        pend.lines.append(line)
        if num < total:
            pend.next_num += 1
            return None
        del self._pending[key]
        return Assembled(
            "".join(pend.payloads), fill, tuple(pend.lines), pend.started_ms, pend.station
        )

    def _evict_oldest(self) -> None:
        key = next(iter(self._pending))  # dicts keep insertion order: the first is the oldest
        self.orphaned += len(self._pending.pop(key).payloads)

    def _maybe_sweep(self, now_ms: int) -> None:
        if now_ms - self._last_sweep_ms < self.timeout_ms // 2:
            return
        self._last_sweep_ms = now_ms
        self.expire(now_ms)

    def expire(self, now_ms: int) -> None:
        """Drop pending messages started more than the timeout before ``now_ms``."""
        limit = now_ms - self.timeout_ms
        stale = [k for k, p in self._pending.items() if p.started_ms < limit]
        for k in stale:
            self.orphaned += len(self._pending.pop(k).payloads)

    def flush(self) -> None:
        """End of stream: every pending fragment is an orphan."""
        for p in self._pending.values():
            self.orphaned += len(p.payloads)
        self._pending.clear()
