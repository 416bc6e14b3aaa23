"""The live pipeline: sources → decoder → engine → (store, hub), bounded queues between stages.

Stages and queues::

    ingest ──engine_q──▶ engine ──store_q──▶ position writer ─┐ one writer thread
                           │    └─alerts_q─▶ event writer ────┴─▶ hub.publish_alert
                           └──────────────▶ hub.publish_vessels (at once, before storage)
    tick (1 s): engine.advance(clock) ──▶ same as the engine's events

Positions are written every STORE_SECONDS, at once after an alert. An alert is written first,
with the vessel states of its vessels (its vessel name comes from them), and its batch's
positions right after it in the same thread.

Every ``put`` is non-blocking: a queue that is full drops the item and counts it for its stage,
so a slow database never stalls ingest (the UDP socket then never backs up into the kernel).
The engine runs on the event loop, so zone and watchlist changes, which also arrive on the
loop (`call_soon_threadsafe`), never race with `Engine.process`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ais_ingest.decoder import Decoder
from ais_ingest.records import Batch
from ais_ingest.sources import LineSource, merge_chunks
from ais_ingest.sources.base import LineChunk
from ais_ingest.stream import decode_stream
from app.pipeline.clock import LiveClock
from app.pipeline.counters import PipelineCounters
from app.pipeline.snapshot import write_snapshot
from app.service.live import LivePicture
from geo.engine import Engine
from geo.events import Event
from geo.watchlist import Watchlist
from geo.zones import Zone

log = logging.getLogger("app.pipeline")

T = TypeVar("T")

TICK_SECONDS = 1.0
#: The position writer stores at most this often, all that was queued meanwhile in one go: on
#: SQLite a write of 1,000 rows costs ~34 µs a row, of 200 rows ~48 (two commits and
#: per-statement work; measured), in a thread that holds the GIL for much of it. Positions
#: reach the live picture and the clients before storage; only history queries see the delay.
STORE_SECONDS = 0.5


class Sink(Protocol):
    """Where the pipeline stores what it saw (called from worker threads)."""

    def write_positions(self, batch: Batch, vessels: list[dict[str, Any]] | None = None) -> int: ...

    def write_events(self, events: list[Event]) -> list[dict[str, Any]]: ...


class Publisher(Protocol):
    """The live hub as the pipeline sees it (non-blocking calls)."""

    def publish_vessels(self, vessels: list[dict[str, Any]]) -> None: ...

    def publish_alert(self, alert: dict[str, Any]) -> None: ...


class Pipeline:
    """Runs the stages as asyncio tasks; `start` opens the sources, `stop` drains and snapshots."""

    def __init__(
        self,
        *,
        engine: Engine,
        live: LivePicture,
        sink: Sink,
        hub: Publisher,
        sources: Sequence[str | LineSource] = (),
        decoder: Decoder | None = None,
        snapshot_path: Path | None = None,
        snapshot_seconds: float = 60.0,
        queue_batches: int = 64,
        batch_lines: int = 2048,
        batch_seconds: float = 0.25,
        store_seconds: float = STORE_SECONDS,
    ) -> None:
        self.engine = engine
        self.live = live
        self.sink = sink
        self.hub = hub
        self.sources = list(sources)
        self.decoder = decoder or Decoder()
        self.snapshot_path = snapshot_path
        self.snapshot_seconds = snapshot_seconds
        self.batch_lines = batch_lines
        self.batch_seconds = batch_seconds
        self.store_seconds = store_seconds
        self.clock = LiveClock()
        self.counters = PipelineCounters(ingest=self.decoder.stats)
        self.engine_q: asyncio.Queue[Batch] = asyncio.Queue(queue_batches)
        self.store_q: asyncio.Queue[tuple[Batch, list[dict[str, Any]]]] = asyncio.Queue(
            queue_batches
        )
        #: Events with the states of their vessels, written together before the events.
        self.alerts_q: asyncio.Queue[tuple[list[Event], list[dict[str, Any]]]] = asyncio.Queue(
            queue_batches * 4
        )
        #: Set by an alert: the position writer writes what is queued now.
        self._store_now = asyncio.Event()
        self.counters.queues.update(engine=self.engine_q, store=self.store_q, alerts=self.alerts_q)
        self._tasks: list[asyncio.Task[None]] = []
        #: One thread writes positions and alerts (made in `start`): SQLite has one writer at a
        #: time, and a writer waiting in SQLite's busy handler sleeps in steps of up to 100 ms,
        #: which an alert queued here behind a position write does not.
        self._writer: ThreadPoolExecutor | None = None
        self._ingest: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._chunks: Any = None
        self.opened: list[LineSource] = []

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Open every source (a port in use is a `SourceError` here) and start the stages."""
        from ais_ingest.sources import open_source

        self._loop = asyncio.get_running_loop()
        self.opened = [s if isinstance(s, LineSource) else open_source(s) for s in self.sources]
        try:
            for s in self.opened:
                await s.start()
        except BaseException:
            for s in self.opened:
                await s.aclose()
            raise
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="pipeline-store")
        spawn = self._loop.create_task
        if self.opened:
            self._ingest = spawn(self._run_ingest(), name="pipeline ingest")
        self._tasks = [
            spawn(self._run_engine(), name="pipeline engine"),
            spawn(self._run_tick(), name="pipeline tick"),
            spawn(self._run_store(), name="pipeline store"),
            spawn(self._run_alerts(), name="pipeline alerts"),
        ]
        if self.snapshot_path is not None:
            self._tasks.append(spawn(self._run_snapshots(), name="pipeline snapshots"))

    async def stop(self, drain_seconds: float = 5.0) -> None:
        """Stop ingest, let queued work finish (bounded), stop the stages, write a snapshot."""
        if self._ingest is not None:
            self._ingest.cancel()
            await asyncio.gather(self._ingest, return_exceptions=True)
            self._ingest = None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(drain_seconds):
                for q in (self.engine_q, self.store_q, self.alerts_q):
                    await q.join()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._writer is not None:
            await asyncio.to_thread(self._writer.shutdown)
            self._writer = None
        for s in self.opened:
            await s.aclose()
        if self.snapshot_path is not None:
            await self.save_snapshot()

    async def save_snapshot(self) -> None:
        """Snapshot the engine now (serialised on the loop, written in a thread)."""
        assert self.snapshot_path is not None
        blob = self.engine.snapshot()
        await asyncio.to_thread(write_snapshot, self.snapshot_path, blob)
        self.counters.snapshots += 1

    @property
    def address(self) -> tuple[str, int] | None:
        """Local address of the first listening source (UDP port 0 → the port it got)."""
        for s in self.opened:
            if s.address is not None:
                return s.address
        return None

    # -- changes from the API (any thread) ---------------------------------------------------

    def _on_loop(self, fn: Any, *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            fn(*args)
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn(*args)
        else:
            loop.call_soon_threadsafe(fn, *args)

    def set_zones(self, zones: Sequence[Zone]) -> None:
        """Give the running engine a new zone set (takes effect before the next batch)."""
        self._on_loop(self.engine.set_zones, list(zones))

    def set_watchlist(self, watchlist: Watchlist) -> None:
        """Give the running engine a new watchlist (entries keep their ids as line numbers)."""

        def apply() -> None:
            self.engine.watch.watchlist = watchlist

        self._on_loop(apply)

    def feed(self, batch: Batch) -> None:
        """Hand a decoded batch to the engine stage (from the loop); dropped if it is full."""
        self._put(self.engine_q, batch, "engine", len(batch))

    # -- stages ------------------------------------------------------------------------------

    def _put(self, q: asyncio.Queue[Any], item: Any, stage: str, records: int) -> None:
        try:
            q.put_nowait(item)
        except asyncio.QueueFull:
            self.counters.drop(stage, records)

    async def _run_ingest(self) -> None:
        chunks: Any = merge_chunks(self.opened)
        stream: Any = decode_stream(
            _chunks(chunks),
            self.decoder,
            batch_lines=self.batch_lines,
            batch_seconds=self.batch_seconds,
        )
        try:
            async for batch in stream:
                self.counters.seen(len(batch))
                self.feed(batch)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("ingest stopped")
        finally:
            await stream.aclose()

    async def _run_engine(self) -> None:
        while True:
            batch = await self.engine_q.get()
            try:
                self._process(batch)
            except Exception:
                log.exception("engine failed on a batch of %d records", len(batch))
            finally:
                self.engine_q.task_done()

    def _process(self, batch: Batch) -> None:
        c = self.counters
        c.batches += 1
        c.records += len(batch)
        c.positions += len(batch.positions)
        c.statics += len(batch.statics)
        events = self.engine.process(batch)
        self.clock.saw(self.engine.now_ms())
        changed = self.live.apply_batch(batch)
        touched = self._after(events, changed)
        self._put_store(batch, touched)
        self._queue_events(events)

    def _put_store(self, batch: Batch, touched: set[int]) -> None:
        self._put(self.store_q, (batch, self.live.entries(touched)), "store", len(batch))

    def _queue_events(self, events: list[Event]) -> None:
        if events:
            mmsis = {m for ev in events for m in (ev.mmsi, ev.other_mmsi) if m is not None}
            item = (events, self.live.entries(mmsis))
            self._put(self.alerts_q, item, "alerts", len(events))

    def _after(self, events: list[Event], changed: set[int]) -> set[int]:
        """Dark flags and risk of touched vessels, then publish vessels; return them."""
        if events:
            self.counters.events += len(events)
            changed |= self.live.apply_events(events)
            for ev in events:
                changed.add(ev.mmsi)
                if ev.other_mmsi is not None:
                    changed.add(ev.other_mmsi)
        book = self.engine.book
        scores = {m: self.engine.vessel_risk(m).score for m in changed if m in book}
        self.live.set_risk(scores)
        if changed:
            vessels = self.live.vessels(changed)
            if vessels:
                self.hub.publish_vessels(vessels)
                self.counters.vessel_updates_published += len(vessels)
        return changed

    async def _run_tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            now = self.clock.now_ms()
            if now is None:
                continue
            try:
                events = self.engine.advance(now)
                if events:
                    self._put_store(Batch(), self._after(events, set()))
                    self._queue_events(events)
            except Exception:
                log.exception("engine tick failed")

    async def _run_store(self) -> None:
        loop = asyncio.get_running_loop()
        last = -self.store_seconds
        while True:
            items = [await self.store_q.get()]
            # gather for up to store_seconds since the last write; less if the queue fills up
            # or an alert waits for what is queued
            due = last + self.store_seconds
            while (
                loop.time() < due
                and not self._store_now.is_set()
                and self.store_q.qsize() * 2 < self.store_q.maxsize
            ):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._store_now.wait(), min(due - loop.time(), 0.05))
            self._store_now.clear()
            last = loop.time()
            while not self.store_q.empty():
                items.append(self.store_q.get_nowait())
            batches = [b for b, _ in items]
            merged = Batch.concat(batches) if len(batches) > 1 else batches[0]
            latest: dict[int, dict[str, Any]] = {}
            for _, vs in items:
                for v in vs:
                    latest[v["mmsi"]] = v
            try:
                n = await self._write(self.sink.write_positions, merged, list(latest.values()))
                self.counters.positions_stored += n
            except Exception:
                self.counters.store_errors += 1
                log.exception("storing %d records failed", len(merged))
            finally:
                for _ in items:
                    self.store_q.task_done()

    async def _run_alerts(self) -> None:
        while True:
            events, states = await self.alerts_q.get()
            try:
                job = self._write(self._store_alerts, events, states)
                self._store_now.set()  # the batch's positions next, in the same thread
                alerts = await job
                self.counters.events_stored += len(alerts)
                for alert in alerts:
                    self.hub.publish_alert(alert)
                    self.counters.alerts_published += 1
            except Exception:
                self.counters.store_errors += 1
                log.exception("storing %d events failed", len(events))
            finally:
                self.alerts_q.task_done()

    def _store_alerts(
        self, events: list[Event], states: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Write the events' vessel states, then the events (in the writer thread)."""
        if states:
            self.sink.write_positions(Batch(), states)
        return self.sink.write_events(events)

    def _write(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Hand a store write to the pipeline's writer thread (now); await the result."""
        return asyncio.get_running_loop().run_in_executor(self._writer, fn, *args)

    async def _run_snapshots(self) -> None:
        while True:
            await asyncio.sleep(self.snapshot_seconds)
            try:
                await self.save_snapshot()
            except Exception:
                log.exception("engine snapshot failed")


async def _chunks(source: Any) -> Any:
    """Re-yield merged chunks as `LineChunk`s (what `decode_stream` takes)."""
    async for received_at, lines, name in source:
        yield LineChunk(received_at, lines, name)
