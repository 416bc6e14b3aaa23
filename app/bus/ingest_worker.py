"""``mare worker ingest``: sources decoded and deduplicated once, published by partition.

The decoder is the one the single process runs (`ais_ingest`), so deduplication across
receivers and multipart assembly see the whole feed; each batch is then judged by the clock
guard, given its slices, split by MMSI partition (`app.bus.subjects.partition_of`) and
published to every partition's subject (`BusPublisher`). Every partition gets the same ticks
of the live clock (`app.pipeline.clock.LiveClock`, decided here once and recorded in the
stream) and, when finite inputs end, a flush.
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
from ais_ingest.records import Batch
from ais_ingest.sources import LineSource, merge_chunks
from ais_ingest.stream import decode_stream
from app.bus import messages
from app.bus.codec import encode_batch, encode_contacts
from app.bus.contacts import pump_contacts
from app.bus.subjects import Layout, partition_of
from app.bus.worker_stats import Report, report_until
from app.pipeline.clock import LiveClock
from geo.clock import ClockGuard
from geo.config import EngineConfig
from geo.contacts import Contact
from geo.engine import assign_slices

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
    contacts: int = 0
    #: Contacts messages that were not contacts (logged and skipped).
    bad_contacts: int = 0
    #: Alert rules saved on an API node, given to every partition.
    rule_changes: int = 0


class BusPublisher:
    """Publishes batches, ticks and flushes to a deployment's record subjects.

    Ingest is the one authority on event time: it runs the engine's guard against records
    stamped far ahead (`geo.clock.ClockGuard`) over the whole feed and assigns every record
    its slice as one engine over the whole feed would (`geo.engine.assign_slices`), and tells
    each partition with its records (the ``clock`` of `app.bus.codec.encode_batch`). So every
    partition closes the same slices at the same points of the feed, whichever vessels it
    holds, and the partitions can exchange what crosses them there (`app.bus.slice_exchange`).
    """

    def __init__(self, js: JetStreamContext, layout: Layout) -> None:
        self.js = js
        self.layout = layout
        self.stats = IngestStats()
        self.clock = LiveClock()
        self.config = EngineConfig()
        self.guard = ClockGuard(self.config)
        self.slice: int | None = None  # the slice one engine over the whole feed is in
        self.watermark: int | None = None
        #: Message ids: this run and a counter, so a publish retried after a lost ack is
        #: dropped by JetStream's duplicate window.
        self._run = uuid.uuid4().hex[:12]
        self._n = 0
        self._steps = 0
        #: One step at a time: every partition's messages of a step before the next step's,
        #: so the records, the ticks and the contacts come in one order on every partition.
        self.lock = asyncio.Lock()

    @property
    def _slice_ms(self) -> int:
        return int(self.config.slice_s * 1000)

    def _step(self) -> str:
        self._steps += 1
        return f"{self._run}-{self._steps}"

    def report(self) -> Report:
        """Return what ingest counted (its report, `app.bus.worker_stats`)."""
        s = self.stats
        return {
            "counters": {
                "batches": s.batches,
                "records": s.records,
                "messages": s.messages,
                "ticks": s.ticks,
                "contacts": s.contacts,
                "bad_messages": s.bad_contacts,
                "rule_changes": s.rule_changes,
            }
        }

    async def _pub(self, partition: int, payload: bytes, headers: dict[str, str]) -> None:
        self._n += 1
        headers.setdefault(messages.MSG_ID, f"{self._run}:{self._n}")
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
        """Publish one decoded batch (judged by the guard first), split by partition."""
        if not len(batch):
            return
        pos = batch.positions
        at = batch.arrivals()
        for i in range(0, max(len(pos), 1), MAX_RECORDS):
            j = min(i + MAX_RECORDS, len(pos))
            # each static report with the rows it arrived among (the last piece: after them all)
            a = int(np.searchsorted(at, i, "left")) if i else 0
            b = int(np.searchsorted(at, j, "left")) if j < len(pos) else len(at)
            piece = Batch(pos.take(np.arange(i, j)), batch.statics[a:b], at[a:b] - i)
            async with self.lock:
                await self._clocked(self.guard.filter(piece, self.watermark))

    def bad_contacts(self) -> None:
        """Count a contacts message that was not one (`app.bus.contacts.pump_contacts`)."""
        self.stats.bad_contacts += 1

    async def contacts(self, contacts: list[Contact], key: str) -> None:
        """Publish contacts to every partition as one step (every partition fuses them all).

        ``key`` names them once (the contacts stream's sequence): a step published again after
        a restart within JetStream's duplicate window is dropped there.
        """
        if not contacts:
            return
        payload = encode_contacts(contacts)
        async with self.lock:
            step = self._step()
            for k in range(self.layout.partitions):
                headers = {
                    messages.KIND: "contacts",
                    messages.STEP: step,
                    messages.MSG_ID: f"contacts:{key}:{k}",
                }
                await self._pub(k, payload, headers)
            self.stats.contacts += len(contacts)

    async def rules(self, body: bytes, key: str) -> None:
        """Publish alert rules saved on an API node to every partition as one step.

        Every partition switches at this place of the feed (`app.bus.rules_update`); ``key``
        (the contacts stream's sequence) names the step once, as for contacts.
        """
        async with self.lock:
            step = self._step()
            for k in range(self.layout.partitions):
                headers = {messages.KIND: "rules", messages.STEP: step,
                           messages.MSG_ID: f"rules:{key}:{k}"}  # fmt: skip
                await self._pub(k, body, headers)
            self.stats.rule_changes += 1

    async def _clocked(self, batch: Batch) -> None:
        """Assign slices to a judged batch and publish it to every partition, as one step."""
        if not len(batch):
            return
        self.stats.batches += 1
        self.stats.records += len(batch)
        pos = batch.positions
        clocked = assign_slices(batch, self.watermark, self.slice, self._slice_ms)
        pos_sid, sta_sid = clocked.pos_sid, clocked.sta_sid
        sids = sorted(set(pos_sid.tolist()) | set(sta_sid))
        if sids and (self.slice is None or sids[-1] > self.slice):
            self.slice = sids[-1]
        if clocked.last is not None:
            last = clocked.last
            self.watermark = last if self.watermark is None else max(self.watermark, last)
        if len(pos):
            self.clock.saw(int(pos.time_ms.max()))
        assert self.watermark is not None
        part = partition_of(pos.mmsi, self.layout.partitions)
        step = self._step()
        sent = f"{time.time():.6f}"
        for k in range(self.layout.partitions):
            mine = part == k
            ks = pos_sid[mine]
            bounds = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1], True]).tolist()
            if not len(ks):
                bounds = []
            runs = [[int(ks[a]), b - a] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
            statics = [
                (r, sid) for r, sid in zip(batch.statics, sta_sid, strict=True)
                if r.mmsi % self.layout.partitions == k
            ]  # fmt: skip
            clock = {
                "sids": sids,
                "runs": runs,
                "statics": [sid for _, sid in statics],
                "watermark": self.watermark,
            }
            piece = Batch(pos.take(mine), [r for r, _ in statics])
            headers = {messages.KIND: "batch", messages.SENT: sent, messages.STEP: step}
            await self._pub(k, encode_batch(piece, clock), headers)

    async def tick(self) -> None:
        """Publish the live clock's event time to every partition when it closes a slice."""
        async with self.lock:  # the slice it closes is decided after the step before
            now = self.clock.now_ms()
            if now is None or self.slice is None:
                return
            target = int((now - self.config.live_lateness_s * 1000) // self._slice_ms)
            if target <= self.slice:
                return  # no engine would close anything
            await self._tick(now, target)

    async def _tick(self, now: int, target: int) -> None:
        self.slice = target
        floor = target * self._slice_ms
        self.watermark = floor if self.watermark is None else max(self.watermark, floor)
        self.stats.ticks += 1
        step = self._step()
        for k in range(self.layout.partitions):
            headers = {messages.KIND: "tick", messages.FRONTIER: str(now), messages.STEP: step}
            await self._pub(k, b"", headers)

    async def flush(self) -> None:
        """Tell every partition that the input ended (its engine closes everything).

        Records the guard still holds are judged first, as `geo.engine.Engine.flush` does
        (without a vessel's own fix to vouch for one: ingest keeps no tracks).
        """
        async with self.lock:
            await self._clocked(self.guard.finish(self.watermark))
            step = self._step()
            for k in range(self.layout.partitions):
                await self._pub(k, b"", {messages.KIND: "flush", messages.STEP: step})
            if self.slice is not None:
                self.slice += 1


async def run_ingest(
    publisher: BusPublisher,
    sources: Sequence[str | LineSource],
    decoder: Decoder,
    *,
    batch_size: int,
    batch_seconds: float,
    tick_seconds: float | None,
    flush_at_end: bool,
    contacts: bool = True,
) -> IngestStats:
    """Read the sources until they end (or the task is cancelled); publish as they decode.

    Meanwhile the contacts published on the bus go to every partition (`app.bus.contacts`).
    """
    ticker: asyncio.Task[None] | None = None
    stop = asyncio.Event()
    pump = None
    if contacts:
        pump = asyncio.create_task(
            pump_contacts(publisher.js, publisher.layout, publisher.contacts, stop,
                          bad=publisher.bad_contacts, rules=publisher.rules),
            name="bus contacts",
        )  # fmt: skip
    reporter = asyncio.create_task(
        report_until(publisher.js, publisher.layout, lambda: {"ingest": publisher.report()}, stop),
        name="bus ingest reports",
    )

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
        stop.set()
        await asyncio.gather(reporter, *([pump] if pump is not None else []),
                             return_exceptions=True)  # fmt: skip
        await stream.aclose()  # type: ignore[attr-defined]
    return publisher.stats
