"""``mare worker ingest``: sources decoded and deduplicated once, published by partition.

The decoder is the one the single process runs (`ais_ingest`), so deduplication across
receivers and multipart assembly see the whole feed; each batch is then split by MMSI
partition (`app.bus.subjects.partition_of`) and published to the partitions' subjects.
Every partition gets the same ticks of the live clock (`app.pipeline.clock.LiveClock`,
decided here once and recorded in the stream) and, when finite inputs end, a flush.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from nats.js import JetStreamContext

from ais_ingest.decoder import Decoder
from ais_ingest.records import Batch, StaticReport
from ais_ingest.sources import LineSource, merge_chunks
from ais_ingest.stream import decode_stream
from app.bus import messages
from app.bus.codec import encode_batch
from app.bus.subjects import Layout, partition_of
from app.pipeline.clock import LiveClock

log = logging.getLogger("app.bus.ingest")

#: Records per message at most: a message stays well under NATS's 1 MiB (about 60 bytes a
#: position on the wire).
MAX_RECORDS = 8192


@dataclass
class IngestStats:
    """What ingest published (for logs, tests and the benchmark)."""

    batches: int = 0
    records: int = 0
    messages: int = 0
    ticks: int = 0


def split(batch: Batch, partitions: int) -> dict[int, Batch]:
    """Return the batch's records by partition, each in arrival order (empty ones left out)."""
    pos = batch.positions
    out: dict[int, Batch] = {}
    if len(pos):
        part = partition_of(pos.mmsi, partitions)
        for k in np.unique(part).tolist():
            out[int(k)] = Batch(pos.take(part == k), [])
    statics: dict[int, list[StaticReport]] = {}
    for s in batch.statics:
        statics.setdefault(s.mmsi % partitions, []).append(s)
    for k, sts in statics.items():
        out.setdefault(k, Batch()).statics.extend(sts)
    return out


class BusPublisher:
    """Publishes batches, ticks and flushes to a deployment's record subjects."""

    def __init__(self, js: JetStreamContext, layout: Layout) -> None:
        self.js = js
        self.layout = layout
        self.stats = IngestStats()
        self.clock = LiveClock()
        #: Message ids: this run and a counter, so a publish retried after a lost ack is
        #: dropped by JetStream's duplicate window.
        self._run = uuid.uuid4().hex[:12]
        self._n = 0

    async def _pub(self, partition: int, payload: bytes, headers: dict[str, str]) -> None:
        self._n += 1
        headers[messages.MSG_ID] = f"{self._run}:{self._n}"
        subject = self.layout.records_subject(partition)
        while True:
            try:
                await self.js.publish(subject, payload, headers=headers, timeout=5.0)
                break
            except Exception as exc:  # NATS away: nats-py reconnects; the batch waits for it
                log.debug("publish to %s failed (%s); retrying", subject, exc)
                await asyncio.sleep(0.5)
        self.stats.messages += 1

    async def batch(self, batch: Batch) -> None:
        """Publish one decoded batch, split by partition."""
        if not len(batch):
            return
        self.stats.batches += 1
        self.stats.records += len(batch)
        if len(batch.positions):
            self.clock.saw(int(batch.positions.time_ms.max()))
        for k, part in sorted(split(batch, self.layout.partitions).items()):
            for i in range(0, max(len(part.positions), 1), MAX_RECORDS):
                piece = Batch(
                    part.positions.take(np.arange(i, min(i + MAX_RECORDS, len(part.positions)))),
                    part.statics if i == 0 else [],
                )
                if len(piece):
                    headers = {messages.KIND: "batch", messages.SENT: f"{time.time():.6f}"}
                    await self._pub(k, encode_batch(piece), headers)

    async def tick(self) -> None:
        """Publish the live clock's event time to every partition (if any record came yet)."""
        now = self.clock.now_ms()
        if now is None:
            return
        self.stats.ticks += 1
        for k in range(self.layout.partitions):
            await self._pub(k, b"", {messages.KIND: "tick", messages.FRONTIER: str(now)})

    async def flush(self) -> None:
        """Tell every partition that the input ended (its engine closes everything)."""
        for k in range(self.layout.partitions):
            await self._pub(k, b"", {messages.KIND: "flush"})


async def run_ingest(
    publisher: BusPublisher,
    sources: Sequence[str | LineSource],
    decoder: Decoder,
    *,
    batch_size: int,
    batch_seconds: float,
    tick_seconds: float | None,
    flush_at_end: bool,
) -> IngestStats:
    """Read the sources until they end (or the task is cancelled); publish as they decode."""
    ticker: asyncio.Task[None] | None = None

    async def ticks(every: float) -> None:
        while True:
            await asyncio.sleep(every)
            await publisher.tick()

    if tick_seconds:
        ticker = asyncio.create_task(ticks(tick_seconds), name="bus ingest ticks")
    stream = decode_stream(
        merge_chunks(list(sources)),
        decoder,
        batch_size=batch_size,
        batch_seconds=batch_seconds,
    )
    try:
        async for batch in stream:
            await publisher.batch(batch)
        await publisher.batch(decoder.flush())
        if flush_at_end:
            await publisher.flush()
    finally:
        if ticker is not None:
            ticker.cancel()
        await stream.aclose()  # type: ignore[attr-defined]
    return publisher.stats
