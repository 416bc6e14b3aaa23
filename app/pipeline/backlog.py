"""Writes the database refused, kept in order in memory until it is back (bounded, oldest out).

While the database is away the pipeline keeps running: positions reach the live picture and
alerts reach the people on watch (unstored, ``stored: false``), and what should have been
written waits here. Every write of the pipeline is idempotent (positions on their natural key,
events on their episode key, vessel states last-writer-wins), so a write whose commit was in
fact made before the connection dropped is written again harmlessly. Each stage has its own
bound: a long outage drops the oldest positions first and never an event to make room for
positions; what is dropped is counted for its stage.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Positions kept while the database is away: ~10 minutes of the central Med picture
#: (~2,000 records/s would be 20 minutes at 1,000/s); some 100 MB at worst.
BACKLOG_RECORDS = 1_000_000
#: Events kept: far more than hours of alerts at the rates the engine produces.
BACKLOG_EVENTS = 20_000


@dataclass(slots=True, eq=False)  # found by identity: a batch's arrays do not compare
class Pending:
    """One refused write: its place in the order of writes, stage, size, how to write it."""

    seq: int
    stage: str
    records: int
    fn: Callable[..., Any]
    args: tuple[Any, ...]


@dataclass
class Backlog:
    """Refused writes in the order they were made; ``add`` returns what it dropped for room.

    A write refused late (it was in the writer's hands when the outage began) is put back in its
    place, so vessel states and episodes are written again oldest first and never regress.
    """

    limits: dict[str, int] = field(
        default_factory=lambda: {"store": BACKLOG_RECORDS, "alerts": BACKLOG_EVENTS}
    )
    entries: deque[Pending] = field(default_factory=deque)
    records: dict[str, int] = field(default_factory=lambda: {"store": 0, "alerts": 0})

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, item: Pending) -> list[Pending]:
        """Append ``item``; drop the stage's oldest entries while it is over its limit."""
        at = len(self.entries)
        while at and self.entries[at - 1].seq > item.seq:
            at -= 1
        self.entries.insert(at, item)
        self.records[item.stage] += item.records
        dropped: list[Pending] = []
        limit = self.limits[item.stage]
        while self.records[item.stage] > limit:
            oldest = next(p for p in self.entries if p.stage == item.stage)
            self.entries.remove(oldest)
            self.records[oldest.stage] -= oldest.records
            dropped.append(oldest)
        return dropped

    def first(self) -> Pending:
        return self.entries[0]

    def remove(self, item: Pending) -> None:
        """Forget ``item`` (written, or refused for good); nothing if it was dropped meanwhile."""
        if any(p is item for p in self.entries):
            self.entries.remove(item)
            self.records[item.stage] -= item.records
