"""``mare worker engine``: the engines of the partitions this worker owns.

One `Engine` per partition, fed by a durable JetStream consumer on the partition's subject in
stream order. For each record message: the engine's events (triaged by the alert rules, as one
process does) are published to the partition's event subject and acknowledged by JetStream
*before* the record message is acked, so a worker killed at any point loses nothing: what was
not acked is delivered again. An event message also tells the engine's event time and the risk
scores of the partition's vessels that changed (what one process keeps in its live picture and
answers for a vessel; the store worker and the API nodes keep them, `app.bus.api_feed`).

Every ``snapshot_seconds`` the partition's state goes to the key-value store with the sequence
of the last record message it includes (`app.bus.snapshots`). A worker that takes a partition
over restores that snapshot and has the consumer start right after its sequence -- the acked
messages since the snapshot as well as the unacked tail -- so the engine, deterministic on
event time, walks the same path again. What it published on that path before is not published
again: the last event message of the partition names the record message it came from
(``Mare-Source-Seq``), and events of messages up to it are skipped. No event is lost, none is
doubled, whatever the duplicate window.

A ``rules`` record message (an admin saved alert rules on an API node, `app.bus.rules_update`)
changes the rules this partition triages with from that message on; the rules in force go
with each snapshot, so a worker that takes the partition over triages the replayed messages
under the rules that were in force at each of them.

The jobs around it have modules of their own: the engine at the start and its snapshots
(`app.bus.engine_start`), the slices and their closes with the other partitions
(`app.bus.engine_slices`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import pickle
import resource
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import nats.errors
import numpy as np
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from nats.js.kv import KeyValue

from ais_ingest.records import Batch
from app.bus import engine_start, messages
from app.bus.codec import CodecError, decode_clocked, decode_contacts, encode_events
from app.bus.connect import RETRY_S, retrying
from app.bus.engine_slices import Slices
from app.bus.engine_start import EngineFactory
from app.bus.rules_update import decode_rules
from app.bus.shared_fusion import SharedFusion
from app.bus.slice_exchange import Exchange, share
from app.bus.snapshots import Packed
from app.bus.subjects import Layout
from app.bus.worker_stats import Report, report_until
from app.pipeline.snapshot_fork import can_fork, make_in_child
from geo.alert_rules import AlertRules, parse_rules
from geo.engine import Engine
from geo.errors import AlertRulesError
from geo.events import Event

log = logging.getLogger("app.bus.engine")

T = TypeVar("T")

#: Record messages fetched at a time (each is one ingest batch of one partition).
FETCH = 32
#: Unacked record messages a partition's consumer lets out: bounded memory, and redelivery
#: after a crash of at most this many messages (plus what the snapshot is behind).
MAX_ACK_PENDING = 512
#: Seconds before JetStream delivers an unacked message again (a worker that hangs).
ACK_WAIT_S = 30.0
#: Event time (ms) after which partition 0 tells it on its event subject even without events:
#: the API nodes' clock (`app.bus.api_feed`).
CLOCK_EVERY_MS = 1000


@dataclass
class PartitionStats:
    """What one partition's engine did since this worker took it (for logs and tests)."""

    messages: int = 0
    records: int = 0
    events: int = 0
    skipped_published: int = 0
    bad: int = 0
    flushes: int = 0
    #: Rules messages applied, and the engine's event time (ms) at the last one.
    rule_changes: int = 0
    rules_from_ms: int | None = None
    snapshots: int = 0
    snapshot_failures: int = 0
    resumed_from: int = 0
    last_seq: int = 0
    lag_ms: list[float] = field(default_factory=list)
    #: Wall time (Unix s) of the first and the last record message taken in (throughput).
    first_at: float = 0.0
    last_at: float = 0.0
    #: The process's CPU seconds (`process_cpu_s`) at those two moments: the work of the span,
    #: without the start, the restore and the snapshot at stop.
    cpu_first: float = 0.0
    cpu_last: float = 0.0


def process_cpu_s() -> float:
    """Return the CPU seconds of this process and its reaped children (the snapshots' forks)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class PartitionWorker:
    """One partition: restore, consume in order, publish events, ack, snapshot."""

    def __init__(
        self,
        js: JetStreamContext,
        kv: KeyValue,
        layout: Layout,
        partition: int,
        factory: EngineFactory,
        *,
        snapshot_seconds: float,
    ) -> None:
        self.js = js
        self.kv = kv
        self.layout = layout
        self.partition = partition
        self.factory = factory
        self.snapshot_seconds = snapshot_seconds
        self.stats = PartitionStats()
        self.engine: Engine | None = None
        self.rules: AlertRules = factory.rules  # in force at the last message taken in
        self.fusion: SharedFusion | None = None
        self.slices: Slices | None = None
        self.exchange = Exchange(js, layout, partition)
        self.seq = 0  # last record message the engine has taken in
        self._snap_seq = 0
        self._snapping: asyncio.Task[None] | None = None  # a periodic snapshot being made
        self._published = 0  # last record message whose events are on the event subject
        self._risk_sent: dict[int, int] = {}  # risk scores told (a new worker tells them again)
        self._told_ms = 0  # event time on the last event message

    async def _start(self) -> JetStreamContext.PullSubscription:
        got = await engine_start.resume(self.js, self.kv, self.layout, self.partition,
                                        self.factory)  # fmt: skip
        self.engine, self.seq, self.rules = got.engine, got.seq, got.rules
        shared = share(self.engine, self._own, got.blob)
        fusion = self.engine.contacts = SharedFusion.adopt(self.engine.contacts)
        self.fusion = fusion
        self.slices = Slices(self.engine, shared, fusion, self.exchange, self.layout, self._own,
                             self.rules)  # fmt: skip
        self._snap_seq = self.stats.resumed_from = self.seq
        self._published = await self._last_published()
        name = self.layout.engine_consumer(self.partition)
        stream = self.layout.records_stream
        with contextlib.suppress(NotFoundError):
            await self.js.delete_consumer(stream, name)  # restart it right after the snapshot
        cfg = ConsumerConfig(
            durable_name=name,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE if self.seq else DeliverPolicy.ALL,
            opt_start_seq=self.seq + 1 if self.seq else None,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=ACK_WAIT_S,
            max_ack_pending=MAX_ACK_PENDING,
            filter_subject=self.layout.records_subject(self.partition),
        )
        await self.js.add_consumer(stream, cfg)
        return await self.js.pull_subscribe_bind(durable=name, stream=stream)

    async def _last_published(self) -> int:
        try:
            last = await self.js.get_last_msg(
                self.layout.events_stream, self.layout.events_subject(self.partition)
            )
        except NotFoundError:
            return 0
        return int((last.headers or {}).get(messages.SOURCE_SEQ, 0))

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; then snapshot once more."""
        sub = await self._retrying(self._start)
        loop = asyncio.get_running_loop()
        last_snap = loop.time()
        try:
            while not stop.is_set():
                try:
                    msgs = await sub.fetch(FETCH, timeout=0.5)
                except (nats.errors.TimeoutError, TimeoutError):
                    msgs = []
                except (nats.errors.Error, OSError) as exc:  # NATS away: it reconnects
                    log.debug("partition %d: fetch failed: %s", self.partition, exc)
                    await asyncio.sleep(RETRY_S)
                    continue
                for msg in msgs:  # a message may wait at a slice close: snapshots go between
                    await self._handle(msg)
                    last_snap = await self._snapshot_if_due(last_snap)
                # A quiet feed snapshots too: a burst followed by silence is not left for
                # whoever takes the partition over to replay in full.
                last_snap = await self._snapshot_if_due(last_snap)
        finally:
            if self._snapping is not None:  # the periodic one first: one writer of the keys
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.wait_for(self._snapping, 5.0)
            if self.seq > self._snap_seq:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.snapshot(), 5.0)

    async def _snapshot_if_due(self, last: float) -> float:
        """Snapshot when ``snapshot_seconds`` have passed and there is something new.

        In a forked child while this partition goes on taking messages in (`_snapshot_apart`),
        one at a time; in process where there is no fork.
        """
        now = asyncio.get_running_loop().time()
        if now - last < self.snapshot_seconds or self.seq <= self._snap_seq:
            return last
        if self._snapping is not None and not self._snapping.done():
            return last
        if not can_fork():
            await self.snapshot()
            return asyncio.get_running_loop().time()
        self._snapping = asyncio.create_task(self._snapshot_apart())
        return now

    async def _snapshot_apart(self) -> None:
        """Have a forked child serialise and pack the state of now; write what it made.

        On the loop, serialising and compressing held every message of the partition (and,
        at the next slice close, every other partition's) for as long as the state is big:
        1.7-2.6 s for the 54k vessels of `bench/bus.py`'s world feed (a quarter of that per
        partition of four). The child's state is the fork's moment: the sequence the snapshot
        includes is this one, whatever the loop took in meanwhile.
        """
        engine, seq, rules, partition = self.engine, self.seq, self.rules, self.partition
        assert engine is not None
        try:
            made = await make_in_child(
                lambda: pickle.dumps(engine_start.packed(engine, partition, seq, rules))
            )
            await self._write(pickle.loads(made), seq)
        except Exception as exc:  # the next period tries again; the last snapshot stands
            self.stats.snapshot_failures += 1
            log.warning("partition %d: snapshot at message %d failed: %s", partition, seq, exc)

    def _own(self, mmsi: int) -> bool:
        return int(mmsi) % self.layout.partitions == self.partition

    async def _handle(self, msg: Msg) -> None:
        seq = msg.metadata.sequence.stream
        if seq <= self.seq:  # delivered again, already taken in (a lost ack)
            await self._retrying(msg.ack)
            return
        engine = self.engine
        assert engine is not None
        headers = msg.headers or {}
        kind = messages.kind_of(headers)
        events, batch = await self._take(kind, msg.data, headers, seq)
        self.seq = self.stats.last_seq = seq
        self.stats.messages += 1
        self.stats.last_at, self.stats.cpu_last = time.time(), process_cpu_s()
        if not self.stats.first_at:
            self.stats.first_at, self.stats.cpu_first = self.stats.last_at, self.stats.cpu_last
        step = headers.get(messages.STEP, f"m{seq}")
        assert self.slices is not None
        triaged = await self.slices.triage(events, step) if events else []
        self.stats.events += len(triaged)
        touched = {m for e in events for m in (e.mmsi, e.other_mmsi) if m is not None}
        touched |= set(np.unique(batch.positions.mmsi).tolist())
        risk = self._risk_changes(touched)
        assert self.fusion is not None
        extra = self.fusion.news(self._own, outcomes=self.partition == 0)
        now = engine.now_ms()
        clock_due = self.partition == 0 and now - self._told_ms >= CLOCK_EVERY_MS
        if triaged or risk or clock_due or extra:
            if seq <= self._published:
                self.stats.skipped_published += 1
            else:
                await self._publish(seq, encode_events(triaged, extra), risk, now)
        await self._retrying(msg.ack)
        sent = headers.get(messages.SENT)
        if sent is not None:  # publish by ingest -> events published and the message acked
            self.stats.lag_ms.append((time.time() - float(sent)) * 1000)

    async def _take(
        self, kind: str, data: bytes, headers: dict[str, str], seq: int
    ) -> tuple[list[Event], Batch]:
        """Take a record message in: the engine's events, and the batch it carried (if any)."""
        engine, slices = self.engine, self.slices
        assert engine is not None and slices is not None
        if kind == "batch":
            try:
                batch, clock = decode_clocked(data)
            except CodecError as exc:  # counted and skipped, never a stuck partition
                log.error("partition %d: message %d skipped: %s", self.partition, seq, exc)
                self.stats.bad += 1
                batch, clock = Batch(), None
            self.stats.records += len(batch)
            return await slices.batch(batch, clock), batch
        if kind == "contacts":
            try:
                engine.add_contacts(decode_contacts(data))
            except CodecError as exc:
                log.error("partition %d: message %d skipped: %s", self.partition, seq, exc)
                self.stats.bad += 1
        elif kind == "tick":
            return await slices.tick(int(headers[messages.FRONTIER])), Batch()
        elif kind == "rules":
            self._take_rules(data, seq)
        else:
            self.stats.flushes += 1
            return await slices.end(), Batch()
        return [], Batch()

    def _take_rules(self, data: bytes, seq: int) -> None:
        """Triage with the rules of a ``rules`` message from now on (a bad one: counted)."""
        engine = self.engine
        assert engine is not None
        try:
            zone_ids = {z.id for z in engine.zones}
            self.rules = parse_rules(decode_rules(data), zone_ids=zone_ids)
        except (ValueError, AlertRulesError) as exc:  # the API node validated it: a bug
            log.error("partition %d: rules in message %d skipped: %s", self.partition, seq, exc)
            self.stats.bad += 1
            return
        if self.slices is not None:  # decisions at the engine's steps from this message on
            self.slices.rules = self.rules
        self.stats.rule_changes += 1
        self.stats.rules_from_ms = engine.now_ms()
        log.info("partition %d: new alert rules from message %d", self.partition, seq)

    def _risk_changes(self, touched: set[int]) -> dict[int, int]:
        """Risk scores of this partition's touched vessels that changed since last told."""
        engine = self.engine
        assert engine is not None
        out: dict[int, int] = {}
        for m in sorted(touched):
            if self._own(m) and m in engine.book:
                score = engine.vessel_risk_score(m)
                if self._risk_sent.get(m) != score:
                    out[m] = self._risk_sent[m] = score
        return out

    async def _publish(self, seq: int, payload: bytes, risk: dict[int, int], now: int) -> None:
        headers = {
            messages.MSG_ID: f"{self.layout.prefix}:{self.partition}:{seq}",
            messages.SOURCE_SEQ: str(seq),
            messages.WATERMARK: str(now),
        }
        if risk:
            headers[messages.RISK] = json.dumps({str(m): s for m, s in risk.items()})
        self._told_ms = now
        subject = self.layout.events_subject(self.partition)

        async def pub() -> None:
            await self.js.publish(subject, payload, headers=headers, timeout=5.0)

        await self._retrying(pub)
        self._published = seq

    async def snapshot(self) -> None:
        """Write the partition's state now (with the sequence it includes), and its coverage.

        In process, holding the loop: the one at stop (nothing else to do then).
        """
        assert self.engine is not None
        seq = self.seq
        await self._write(engine_start.packed(self.engine, self.partition, seq, self.rules), seq)

    async def _write(self, packs: list[Packed], seq: int) -> None:
        """Write a packed snapshot that includes the record messages up to ``seq``."""
        await self._retrying(lambda: engine_start.write(self.kv, packs))
        self._snap_seq = max(self._snap_seq, seq)
        self.stats.snapshots += 1

    async def _retrying(self, fn: Callable[[], Awaitable[T]]) -> T:
        return await retrying(fn, f"partition {self.partition}")

    def report(self) -> Report:
        """Return what this partition counted since this worker took it (its report)."""
        s = self.stats
        return {
            "counters": {
                "messages": s.messages,
                "records": s.records,
                "events": s.events,
                "bad_messages": s.bad,
                "skipped_published": s.skipped_published,
                "snapshots": s.snapshots,
                "snapshot_failures": s.snapshot_failures,
                "closes": self.exchange.swaps,
                "close_wait_seconds": self.exchange.waited_s,
            },
            "gauges": {"close_waiting_seconds": self.exchange.waiting_s()},
        }


async def run_engines(
    js: JetStreamContext,
    kv: KeyValue,
    layout: Layout,
    partitions: Sequence[int],
    factory: EngineFactory,
    stop: asyncio.Event,
    *,
    snapshot_seconds: float,
) -> list[PartitionWorker]:
    """Run one `PartitionWorker` per owned partition until ``stop``; return them."""
    workers = [
        PartitionWorker(js, kv, layout, p, factory, snapshot_seconds=snapshot_seconds)
        for p in partitions
    ]

    def reports() -> dict[str, Report]:
        return {f"engine.{w.partition}": w.report() for w in workers}

    await asyncio.gather(*(w.run(stop) for w in workers), report_until(js, layout, reports, stop))
    return workers
