"""Counters of the live pipeline: what went through each stage, what each stage dropped.

One plain object the pipeline only adds to and `/metrics` reads (the metrics module turns it
into Prometheus series). Drops are counted in batches and in records per stage: a slow database
or a slow client never stalls ingest beyond a queue, and what it cost must be visible.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ais_ingest.stats import IngestStats

#: Stages with a queue in front of them, in pipeline order.
STAGES = ("engine", "store", "alerts")


@dataclass
class PipelineCounters:
    """Totals since start; ``queues`` give live depths."""

    batches: int = 0
    records: int = 0
    positions: int = 0
    statics: int = 0
    events: int = 0
    alerts_published: int = 0
    vessel_updates_published: int = 0
    positions_stored: int = 0
    events_stored: int = 0
    store_errors: int = 0
    #: Alerts published before the store took them (database slow or away; ``stored: false``).
    alerts_unstored: int = 0
    #: Failed attempts to write the backlog again while the database was away.
    store_retries: int = 0
    #: 1 while the database is away (writes go to the backlog), else 0.
    store_down: int = 0
    #: Records (positions; events) waiting in the backlog, by stage.
    store_backlog: dict[str, int] = field(default_factory=lambda: {"store": 0, "alerts": 0})
    snapshots: int = 0
    #: Periodic snapshots that failed (logged): the last good one stands until one succeeds.
    snapshot_failures: int = 0
    #: Stored contacts the engine fused (attached to a vessel or to a dark target).
    contacts_fused: int = 0
    dropped_batches: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    dropped_records: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    queues: dict[str, asyncio.Queue[Any]] = field(default_factory=dict)
    ingest: IngestStats = field(default_factory=IngestStats)
    #: (monotonic time, records) of recent batches, for the message rate.
    _recent: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=4096))

    def drop(self, stage: str, records: int) -> None:
        """Count one batch of ``records`` dropped in front of ``stage``."""
        self.dropped_batches[stage] += 1
        self.dropped_records[stage] += records

    def seen(self, records: int) -> None:
        """Count a decoded batch for the message rate."""
        self._recent.append((time.monotonic(), records))

    def messages_per_s(self, window: float = 10.0) -> float:
        """Return records per second over the last ``window`` seconds."""
        now = time.monotonic()
        total = sum(n for t, n in self._recent if now - t <= window)
        return total / window

    def queue_depths(self) -> dict[str, int]:
        return {name: q.qsize() for name, q in self.queues.items()}

    def as_dict(self) -> dict[str, Any]:
        """Return everything as plain numbers (for /metrics and tests)."""
        return {
            "batches": self.batches,
            "records": self.records,
            "positions": self.positions,
            "statics": self.statics,
            "events": self.events,
            "alerts_published": self.alerts_published,
            "vessel_updates_published": self.vessel_updates_published,
            "positions_stored": self.positions_stored,
            "events_stored": self.events_stored,
            "store_errors": self.store_errors,
            "alerts_unstored": self.alerts_unstored,
            "store_retries": self.store_retries,
            "store_down": self.store_down,
            "store_backlog": dict(self.store_backlog),
            "snapshots": self.snapshots,
            "snapshot_failures": self.snapshot_failures,
            "contacts_fused": self.contacts_fused,
            "dropped_batches": dict(self.dropped_batches),
            "dropped_records": dict(self.dropped_records),
            "queue_depths": self.queue_depths(),
            "ingest": self.ingest.as_dict(),
            "messages_per_s": round(self.messages_per_s(), 2),
        }
