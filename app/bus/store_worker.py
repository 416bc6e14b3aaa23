"""``mare worker store``: positions and events into the store, idempotently; live news out.

Two durable consumers, one on every partition's records, one on every partition's events.
A message is acked only after the store took what it carries, so a store worker killed at
any point loses nothing; what it wrote and did not ack comes again and is written again as
nothing new: positions are unique on their natural key (mmsi, time, lat, lon;
`app.store.positions`), events on their episode key (`app.store.alerts.event_key`, the
latest version wins). Vessel states (the live picture, `app.live.picture`) are kept here as
one process keeps them and written with their positions.

What the API nodes push comes from here, after storage, on core NATS subjects: vessel
updates, and alerts as stored (with their ids). An API node that was away misses them and
reads the store, as a client that reconnects does (``Last-Event-ID``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

from ais_ingest.records import Batch
from app.bus import messages
from app.bus.codec import CodecError, decode_batch, decode_event_message
from app.bus.connect import RETRY_S, retrying
from app.bus.subjects import Layout
from app.bus.worker_stats import Report, report_until
from app.live.picture import LivePicture
from app.store.repo import Repo
from geo.triage import Triaged

log = logging.getLogger("app.bus.store")

T = TypeVar("T")
FETCH = 64
ACK_WAIT_S = 60.0


@dataclass
class StoreStats:
    """What the store worker wrote (for logs, tests and the benchmark)."""

    record_messages: int = 0
    positions_offered: int = 0
    positions_inserted: int = 0
    event_messages: int = 0
    events: int = 0
    alerts: int = 0
    contacts_fused: int = 0
    bad: int = 0


class StoreWorker:
    """Writes what the bus carries; see the module docstring."""

    def __init__(self, nc: Client, js: JetStreamContext, layout: Layout, repo: Repo) -> None:
        self.nc = nc
        self.js = js
        self.layout = layout
        self.repo = repo
        self.live = LivePicture()
        self.stats = StoreStats()
        self._seq = 0  # last alert id given (`_number`)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume records and events until ``stop`` is set."""
        self.live.load(await asyncio.to_thread(self.repo.load_vessels))
        last: int | None = await asyncio.to_thread(self.repo.max_stream_seq)
        self._seq = last or 0
        await asyncio.gather(
            self._consume("store-records", self.layout.records_stream, self._records, stop),
            self._consume("store-events", self.layout.events_stream, self._events, stop),
            report_until(self.js, self.layout, lambda: {"store": self.report()}, stop),
        )

    def report(self) -> Report:
        """Return what the store worker counted (its report, `app.bus.worker_stats`)."""
        s = self.stats
        return {
            "counters": {
                "messages": s.record_messages + s.event_messages,
                "positions_offered": s.positions_offered,
                "positions_stored": s.positions_inserted,
                "events": s.events,
                "alerts": s.alerts,
                "contacts_fused": s.contacts_fused,
                "bad_messages": s.bad,
            }
        }

    async def _consume(
        self,
        durable: str,
        stream: str,
        handle: Callable[[list[Msg]], Awaitable[None]],
        stop: asyncio.Event,
    ) -> None:
        cfg = ConsumerConfig(
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=ACK_WAIT_S,
            max_ack_pending=FETCH * 16,
        )
        await self._retrying(lambda: self.js.add_consumer(stream, cfg))
        sub = await self._retrying(lambda: self.js.pull_subscribe_bind(durable, stream=stream))
        while not stop.is_set():
            try:
                msgs = await sub.fetch(FETCH, timeout=0.5)
            except (nats.errors.TimeoutError, TimeoutError):
                continue
            except (nats.errors.Error, OSError) as exc:
                log.debug("%s: fetch failed: %s", durable, exc)
                await asyncio.sleep(RETRY_S)
                continue
            await handle(msgs)
            for m in msgs:
                await self._retrying(m.ack)

    async def _records(self, msgs: list[Msg]) -> None:
        batches: list[Batch] = []
        for m in msgs:
            if messages.kind_of(m.headers) != "batch":
                continue
            try:
                batches.append(decode_batch(m.data))
            except CodecError as exc:
                self.stats.bad += 1
                log.error("records message skipped: %s", exc)
        self.stats.record_messages += len(msgs)
        if not batches:
            return
        merged = Batch.concat(batches)
        changed = self.live.apply_batch(merged)
        states = self.live.entries(changed)
        n = await asyncio.to_thread(self.repo.write_positions, merged, states)
        self.stats.positions_offered += len(merged.positions)
        self.stats.positions_inserted += n
        if states:
            await self._tell(states)

    async def _events(self, msgs: list[Msg]) -> None:
        triaged: list[Triaged] = []
        scores: dict[int, int] = {}
        fused: list[tuple[int, int | None, int | None]] = []
        for m in msgs:
            try:
                events, extra = decode_event_message(m.data)
                scores |= messages.risk_of(m.headers)
                fused += [(int(c), v, t) for c, v, t in extra.get("fused", [])]
                triaged += events
            except (ValueError, TypeError) as exc:  # a CodecError, a header or extra not one
                self.stats.bad += 1
                log.error("events message skipped: %s", exc)
        self.stats.event_messages += len(msgs)
        changed = self.live.apply_events([t.event for t in triaged]) if triaged else set()
        changed |= self.live.set_risk(scores)
        if fused:  # what the stored contacts were fused to, as one process records it
            await asyncio.to_thread(self.repo.set_contact_fusion, fused)
            self.stats.contacts_fused += len(fused)
        if not triaged and not changed:
            return
        states = self.live.entries(changed | {t.event.mmsi for t in triaged})

        def write() -> list[dict[str, Any]]:
            if states:
                self.repo.write_positions(Batch(), states)
            alerts = self.repo.write_events(triaged)
            numbered = [(self._number(), a) for a in alerts]
            # on the row before any node publishes it: a stream resuming from the store
            # finds every id a client may hold
            self.repo.record_stream_seqs([(int(a["id"]), seq) for seq, a in numbered])
            return [{"seq": seq, "alert": a} for seq, a in numbered]

        numbered = await asyncio.to_thread(write)
        self.stats.events += len(triaged)
        if states:
            await self._tell(states)
        if numbered:
            payload = json.dumps(numbered, default=str).encode()
            await self._retrying(lambda: self.js.publish(self.layout.alerts_subject, payload))
            self.stats.alerts += len(numbered)

    def _number(self) -> int:
        """Return the next alert id: the hub's rule (wall-clock ms, increasing), made here once."""
        self._seq = max(self._seq + 1, int(time.time() * 1000))
        return self._seq

    async def _tell(self, states: list[dict[str, Any]]) -> None:
        """Publish vessel states (core NATS: at most once; the next update repairs a loss)."""
        try:
            payload = json.dumps(states, default=str).encode()
            await self.nc.publish(self.layout.vessels_subject, payload)
        except (nats.errors.Error, OSError) as exc:
            log.debug("vessel states not sent: %s", exc)

    async def _retrying(self, fn: Callable[[], Awaitable[T]]) -> T:
        return await retrying(fn, "store worker")
