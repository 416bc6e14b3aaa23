"""The live pipeline: sources → decoder → engine → (store, hub), bounded queues between stages.

Stages and queues::

    ingest ──engine_q──▶ engine ──store_q──▶ position writer ─┐ one writer thread
                           │    └─alerts_q─▶ event writer ────┴─▶ hub.publish_alert
                           └──────────────▶ hub.publish_vessels (at once, before storage)
    tick (1 s): engine.advance(clock) ──▶ same as the engine's events

Positions are written every STORE_SECONDS, at once after an alert. An alert is written first,
with the vessel states of its vessels (its vessel name comes from them), and its batch's
positions right after it in the same thread.

Every ``put`` is non-blocking, so a slow database never stalls ingest (the UDP socket then never
backs up into the kernel). A full engine queue drops the batch, counted for its stage and
logged; a full store queue means the writer is stuck (a locked table, a database that hangs
instead of refusing): its overflow and every later write go to the backlog below, in order,
like a refused write, so a stall costs memory, not positions.

A database that is away (a write refused after the store's own retries) starts an outage: the
refused write and every later one go, in order, to a bounded `Backlog` instead of the database,
and one task writes them again, oldest first, retrying with backoff until the database is back
(one log line when the outage starts, one when it ends). Alerts never wait for it: an alert not
stored within ``alert_max_delay`` (a slow or lost database) is published unstored
(`provisional_alert`, ``stored: false``, no id), and again with its id once stored; while an
alert's write is late, later alerts are published at once (their writes queue behind it).

The engine runs on the event loop, so zone and watchlist changes, which also arrive on the
loop (`call_soon_threadsafe`), never race with `Engine.process`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ais_ingest.decoder import Decoder
from ais_ingest.records import Batch
from ais_ingest.sources import LineSource, merge_chunks
from ais_ingest.stream import decode_stream
from app.live.picture import LivePicture
from app.pipeline.backlog import Backlog, Pending
from app.pipeline.clock import LiveClock
from app.pipeline.counters import PipelineCounters
from app.pipeline.set_aside import SetAsideLog
from app.pipeline.snapshot import coverage_blob, write_snapshot
from app.pipeline.snapshot_fork import Writes, can_fork, write_in_child
from app.store.alerts import event_key, provisional_alert
from app.store.errors import StoreUnavailable
from geo.alert_rules import AlertRules, every_event_alerts
from geo.contacts import Contact
from geo.engine import Engine
from geo.events import Event, format_time
from geo.triage import Triage, Triaged
from geo.watchlist import Watchlist
from geo.zones import Zone

log = logging.getLogger("app.pipeline")

#: What the alerts queue holds: (order of the write, triaged events, their vessels' states).
AlertsItem = tuple[int, list[Triaged], list[dict[str, Any]]]

T = TypeVar("T")

TICK_SECONDS = 1.0
#: The position writer stores at most this often, all that was queued meanwhile in one go: on
#: SQLite a write of 1,000 rows costs ~34 µs a row, of 200 rows ~48 (two commits and
#: per-statement work; measured), in a thread that holds the GIL for much of it. Positions
#: reach the live picture and the clients before storage; only history queries see the delay.
STORE_SECONDS = 0.5
#: Longest an alert waits for the store before it is published unstored: the store's own
#: retries of a lost connection take 7.5 s, and a locked table can hold a write for minutes.
ALERT_MAX_DELAY_S = 2.0
#: Backoff between attempts to write the backlog again (each attempt is the store's retries).
BACKLOG_RETRY_MIN_S = 0.5
BACKLOG_RETRY_MAX_S = 5.0
#: Seconds after start of the first engine snapshot (then every ``snapshot_seconds``).
FIRST_SNAPSHOT_S = 5.0
#: At most one log line a minute a stage about what it dropped (the counters have every one).
DROP_LOG_SECONDS = 60.0


class Sink(Protocol):
    """Where the pipeline stores what it saw (called from worker threads)."""

    def write_positions(self, batch: Batch, vessels: list[dict[str, Any]] | None = None) -> int: ...

    def write_events(self, events: Sequence[Event | Triaged]) -> list[dict[str, Any]]: ...

    def set_contact_fusion(self, outcomes: list[tuple[int, int | None, int | None]]) -> int: ...


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
        coverage_path: Path | None = None,
        snapshot_seconds: float,
        queue_batches: int,
        batch_size: int,
        batch_seconds: float,
        store_seconds: float = STORE_SECONDS,
        alert_max_delay: float = ALERT_MAX_DELAY_S,
        backlog: Backlog | None = None,
        rules: AlertRules | None = None,
    ) -> None:
        self.engine = engine
        #: Which events are alerts (`geo.alert_rules`); without rules every event is one.
        self.triage = Triage(engine, rules if rules is not None else every_event_alerts()).follow()
        self.live = live
        self.sink = sink
        self.hub = hub
        self.sources = list(sources)
        self.decoder = decoder or Decoder()
        self.snapshot_path = snapshot_path
        #: Where the learnt coverage goes with each snapshot (`app.pipeline.snapshot`).
        self.coverage_path = coverage_path
        self.snapshot_seconds = snapshot_seconds
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.store_seconds = store_seconds
        self.alert_max_delay = alert_max_delay
        #: Writes refused while the database is away, written again in order once it is back.
        self.backlog = backlog or Backlog()
        self._backlog_ready = asyncio.Event()
        #: Since when (loop time) the database is away, and what the outage has cost so far.
        self._outage_since: float | None = None
        self._outage: dict[str, int] = {}
        #: Order of writes as they are made (a refused one keeps its place in the backlog).
        self._seq = itertools.count()
        #: Set by the writer thread when a write is refused: later ones then go to the backlog
        #: behind it without trying (cleared when the backlog is written).
        self._behind = False
        #: Alert writes past ``alert_max_delay`` and not done yet (their alerts went unstored).
        self._late_alerts = 0
        self.clock = LiveClock()
        self.set_aside = SetAsideLog()
        self.counters = PipelineCounters(ingest=self.decoder.stats)
        self.engine_q: asyncio.Queue[Batch] = asyncio.Queue(queue_batches)
        #: (order of the write, batch, its vessels' states)
        self.store_q: asyncio.Queue[tuple[int, Batch, list[dict[str, Any]]]] = asyncio.Queue(
            queue_batches
        )
        #: (order of the write, events with the rules' decisions, the states of their vessels
        #: written before the events)
        self.alerts_q: asyncio.Queue[tuple[int, list[Triaged], list[dict[str, Any]]]] = (
            asyncio.Queue(queue_batches * 4)
        )
        #: Loop time of the last log line about drops, by stage (one line a minute at most).
        self._drop_logged: dict[str, float] = {}
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
            spawn(self._run_backlog(), name="pipeline backlog"),
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
        if len(self.backlog):
            log.error(
                "stopping with the database still away: %d records and %d events not stored",
                self.backlog.records["store"],
                self.backlog.records["alerts"],
            )
        if self._writer is not None:
            await asyncio.to_thread(self._writer.shutdown)
            self._writer = None
        for s in self.opened:
            await s.aclose()
        if self.snapshot_path is not None:
            await self.save_snapshot()

    async def save_snapshot(self, *, background: bool = False) -> None:
        """Snapshot the engine now: serialised on the loop, written in a thread.

        ``background``: both in a forked copy of the process while the loop goes on
        (`app.pipeline.snapshot_fork`), for the periodic snapshots of a live feed.
        """
        assert self.snapshot_path is not None
        engine = self.engine
        writes: Writes = [(self.snapshot_path, engine.snapshot)]
        if self.coverage_path is not None:
            writes.append((self.coverage_path, partial(coverage_blob, engine)))
        if background and can_fork():
            await write_in_child(writes)
        else:
            blobs = [(path, make()) for path, make in writes]
            for path, blob in blobs:
                await asyncio.to_thread(write_snapshot, path, blob)
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

    def call_on_loop(self, fn: Callable[[], T], timeout: float = 30.0) -> T:
        """Run ``fn`` on the pipeline's loop and return its result (from a worker thread).

        For reads of the engine's state that must not interleave with a batch (the engine is
        the loop's); directly when there is no loop, or when called on it.
        """
        loop = self._loop
        if loop is None or loop.is_closed():
            return fn()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            return fn()
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(fn())
            except BaseException as exc:  # handed to the caller
                done.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return done.result(timeout)

    def set_zones(self, zones: Sequence[Zone]) -> None:
        """Give the running engine a new zone set (takes effect before the next batch)."""
        self._on_loop(self.engine.set_zones, list(zones))

    def adopt_vessels(self, entries: list[dict[str, Any]]) -> None:
        """Put vessels another process stored into the live picture, and push them to clients."""

        def apply() -> None:
            changed = self.live.adopt(entries)
            if changed:
                vessels = self.live.vessels(changed)
                self.hub.publish_vessels(vessels)
                self.counters.vessel_updates_published += len(vessels)

        self._on_loop(apply)

    def set_rules(self, rules: AlertRules) -> None:
        """Apply new alert rules to the events from the next batch on."""

        def apply() -> None:
            self.triage.rules = rules

        self._on_loop(apply)

    def set_watchlist(self, watchlist: Watchlist) -> None:
        """Give the running engine a new watchlist (entries keep their ids as line numbers)."""
        self._on_loop(self.engine.set_watchlist, watchlist)

    def stopped_stages(self) -> list[str]:
        """Return the stages whose tasks have ended (readiness), or that it is not running.

        The stages loop until cancelled, so a task that is done has died (ingest ends when its
        sources fail; the others only on an error they do not catch).
        """
        tasks = [*self._tasks, *([self._ingest] if self._ingest is not None else [])]
        if not tasks:
            return ["pipeline not running"]
        return [f"{t.get_name()} stopped" for t in tasks if t.done()]

    def add_contacts(self, contacts: Sequence[Contact]) -> None:
        """Give the running engine stored contacts to fuse (on event time, like its AIS)."""
        self._on_loop(self.engine.add_contacts, list(contacts))

    def feed(self, batch: Batch) -> None:
        """Hand a decoded batch to the engine stage (from the loop); dropped if it is full."""
        self._put(self.engine_q, batch, "engine", len(batch))

    # -- stages ------------------------------------------------------------------------------

    def _put(self, q: asyncio.Queue[Any], item: Any, stage: str, records: int) -> None:
        try:
            q.put_nowait(item)
        except asyncio.QueueFull:
            self._dropped(stage, records)

    def _dropped(self, stage: str, records: int) -> None:
        """Count records dropped in front of ``stage``; say so in the log (once a minute)."""
        self.counters.drop(stage, records)
        now = asyncio.get_running_loop().time()
        if now - self._drop_logged.get(stage, -DROP_LOG_SECONDS) >= DROP_LOG_SECONDS:
            self._drop_logged[stage] = now
            log.warning(
                "%s stage behind: %d records dropped so far (mare_pipeline_dropped_records_total)",
                stage,
                self.counters.dropped_records[stage],
            )

    async def _run_ingest(self) -> None:
        chunks: Any = merge_chunks(self.opened)
        stream: Any = decode_stream(
            _chunks(chunks),
            self.decoder,
            batch_size=self.batch_size,
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
        self._contact_outcomes()
        self.set_aside.check(self.engine.record_counts(), self.decoder.stats.times)
        self.clock.saw(self.engine.now_ms())
        changed = self.live.apply_batch(batch)
        touched = self._after(events, changed)
        self._put_store(batch, touched)
        self._queue_events(events)

    def _contact_outcomes(self) -> None:
        """Record, in the writer thread, what fusion made of stored contacts (vessel, target)."""
        outcomes = self.engine.contacts.take_outcomes()
        late = [o.contact for o in outcomes if o.late]
        if late:
            kinds = Counter(c.kind.value for c in late)
            log.warning(
                "%d contact(s) fused more than %d h behind the engine clock (%s), the oldest at "
                "%s: the AIS before them was partly gone (mare_contacts_late_total)",
                len(late), self.engine.config.contact_history_s // 3600,
                ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())),
                format_time(min(c.time_ms for c in late)),
            )  # fmt: skip
        rows = [(o.contact.id, o.mmsi, o.target) for o in outcomes if o.contact.id is not None]
        if not rows or self._writer is None:
            return
        self.counters.contacts_fused += len(rows)
        job = self._write(self.sink.set_contact_fusion, rows)

        def done(f: asyncio.Future[int]) -> None:
            if not f.cancelled() and f.exception() is not None:
                self.counters.store_errors += 1
                log.error("recording the fusion of %d contacts failed: %s", len(rows),
                          f.exception())  # fmt: skip

        job.add_done_callback(done)

    def _put_store(self, batch: Batch, touched: set[int]) -> None:
        item = (next(self._seq), batch, self.live.entries(touched))
        if self._outage_since is None and not self.store_q.full():
            self.store_q.put_nowait(item)
            return
        # The writer is stuck or the database away: keep the write, and (once) the older ones
        # still queued, in the backlog in the order they were made.
        stall = self._outage_since is None
        if stall:
            self._behind = True  # writes handed to the writer meanwhile go behind these
        queued = [item]
        while not self.store_q.empty():
            queued.append(self.store_q.get_nowait())
            self.store_q.task_done()
        for seq, b, states in queued:
            pending = Pending(seq, "store", len(b), self.sink.write_positions, (b, states))
            full = f"database slow or locked: the store queue is full ({self.store_q.maxsize})"
            self._keep(pending, StoreUnavailable(full) if stall else None)
            stall = False

    def _queue_events(self, events: list[Event]) -> None:
        if events:
            mmsis = {m for ev in events for m in (ev.mmsi, ev.other_mmsi) if m is not None}
            item = (next(self._seq), self.triage.decide(events), self.live.entries(mmsis))
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
        scores = {m: self.engine.vessel_risk_score(m) for m in changed if m in book}
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
                self._contact_outcomes()
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
            batches = [b for _, b, _ in items]
            merged = Batch.concat(batches) if len(batches) > 1 else batches[0]
            latest: dict[int, dict[str, Any]] = {}
            for _, _, vs in items:
                for v in vs:
                    latest[v["mmsi"]] = v
            # in the order of its newest part: its vessel states are the latest of them all
            seq = max(s for s, _, _ in items)
            pending = Pending(seq, "store", len(merged), self.sink.write_positions,
                              (merged, list(latest.values())))  # fmt: skip
            try:
                if self._outage_since is not None:
                    self._keep(pending)  # after what is kept already: in order
                    continue
                n = await self._write(self._in_order, pending.fn, *pending.args)
                self._stored(pending, n)
            except StoreUnavailable as exc:
                self._keep(pending, exc)
            except Exception:
                self.counters.store_errors += 1
                log.exception("storing %d records failed", len(merged))
            finally:
                for _ in items:
                    self.store_q.task_done()

    async def _run_alerts(self) -> None:
        while True:
            seq, events, states = await self.alerts_q.get()
            pending = Pending(seq, "alerts", len(events), self._store_alerts, (events, states))
            try:
                if self._outage_since is not None:
                    self._publish_unstored(events, states)
                    self._keep(pending)
                    continue
                job = self._write(self._in_order, self._store_alerts, events, states)
                self._store_now.set()  # the batch's positions next, in the same thread
                if not self._late_alerts:
                    await asyncio.wait({job}, timeout=self.alert_max_delay)
                if job.done():
                    self._alerts_written(job, pending, published=False)
                    continue
                # the people on watch do not wait for a slow or lost database
                self._publish_unstored(events, states)
                self._late_alerts += 1
                job.add_done_callback(
                    partial(self._alerts_written, pending=pending, published=True)
                )
            finally:
                self.alerts_q.task_done()

    def _alerts_written(
        self, job: asyncio.Future[list[dict[str, Any]]], pending: Pending, *, published: bool
    ) -> None:
        """Publish a written alert write's alerts, or keep it (published unstored) if refused."""
        if published:
            self._late_alerts -= 1
        if job.cancelled():
            return
        exc = job.exception()
        if exc is None:
            self._stored(pending, job.result())
            return
        if not published:
            self._publish_unstored(*pending.args)
        if isinstance(exc, StoreUnavailable):
            self._keep(pending, exc)
            return
        self.counters.store_errors += 1
        log.error("storing %d events failed", pending.records, exc_info=exc)

    def _publish_unstored(self, events: list[Triaged], states: list[dict[str, Any]]) -> None:
        names = {v["mmsi"]: v.get("name") for v in states}
        latest = {event_key(t.event): t for t in events}  # one alert an episode, as stored
        for t in latest.values():
            if not t.decision.alert:
                continue  # only recorded: nobody is waiting for it
            self.hub.publish_alert(provisional_alert(t, names.get(t.event.mmsi)))
            self.counters.alerts_published += 1
            self.counters.alerts_unstored += 1

    def _stored(self, pending: Pending, result: Any) -> None:
        """Count a write that the store took; publish the alerts it returned (with ids)."""
        if pending.stage == "store":
            self.counters.positions_stored += int(result)
            return
        self.counters.events_stored += len(result)
        for alert in result:
            self.hub.publish_alert(alert)
            self.counters.alerts_published += 1

    def _keep(self, pending: Pending, exc: StoreUnavailable | None = None) -> None:
        """Put a refused write in the backlog (starting an outage: one log line)."""
        if self._outage_since is None:
            self._outage_since = asyncio.get_running_loop().time()
            self._outage = {"kept_store": 0, "kept_alerts": 0}
            self._outage.update(dropped_store=0, dropped_alerts=0)
            self.counters.store_down = 1
            log.error(
                "%s; keeping writes in memory (up to %d records, %d events) and publishing "
                "alerts unstored until it is back",
                exc or "database unavailable",
                self.backlog.limits["store"],
                self.backlog.limits["alerts"],
            )
        self._outage[f"kept_{pending.stage}"] += pending.records
        for old in self.backlog.add(pending):
            self._dropped(old.stage, old.records)
            self._outage[f"dropped_{old.stage}"] += old.records
        self.counters.store_backlog = dict(self.backlog.records)
        self._backlog_ready.set()

    async def _run_backlog(self) -> None:
        """Write the backlog again, oldest first, with backoff, until it is empty."""
        while True:
            await self._backlog_ready.wait()
            delay = BACKLOG_RETRY_MIN_S
            while len(self.backlog):
                pending = self.backlog.first()
                try:
                    result = await self._write(pending.fn, *pending.args)
                except StoreUnavailable:
                    self.counters.store_retries += 1
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, BACKLOG_RETRY_MAX_S)
                    continue
                except Exception:
                    self.counters.store_errors += 1
                    log.exception("writing a kept %s write failed; dropped", pending.stage)
                    self._dropped(pending.stage, pending.records)
                    self._outage[f"dropped_{pending.stage}"] += pending.records
                    result = None
                self.backlog.remove(pending)
                if result is not None:
                    self._stored(pending, result)
                self.counters.store_backlog = dict(self.backlog.records)
            self._backlog_ready.clear()
            self._behind = False
            self._end_outage()

    def _end_outage(self) -> None:
        if self._outage_since is None:
            return
        o = self._outage
        log.warning(
            "database back after %.0f s: wrote %d records and %d events kept meanwhile; "
            "dropped %d records and %d events (backlog full)",
            asyncio.get_running_loop().time() - self._outage_since,
            o["kept_store"] - o["dropped_store"],
            o["kept_alerts"] - o["dropped_alerts"],
            o["dropped_store"],
            o["dropped_alerts"],
        )
        self._outage_since = None
        self.counters.store_down = 0

    def _store_alerts(
        self, events: list[Triaged], states: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Write the events' vessel states, then the events (in the writer thread)."""
        if states:
            self.sink.write_positions(Batch(), states)
        return self.sink.write_events(events)

    def _in_order(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a new write unless older ones wait in the backlog (in the writer thread).

        Refusing it at once keeps the order: it goes to the backlog behind them instead of
        reaching the database first (a vessel state or an episode would otherwise regress when
        the older ones are written again).
        """
        if self._behind:
            raise StoreUnavailable("the database was unavailable a moment ago")
        try:
            return fn(*args)
        except StoreUnavailable:
            self._behind = True
            raise

    def _write(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Hand a store write to the pipeline's writer thread (now); await the result."""
        return asyncio.get_running_loop().run_in_executor(self._writer, fn, *args)

    async def _run_snapshots(self) -> None:
        # The first one soon: after a crash before it, a new engine has nothing to tell from
        # when the store holds what it saw (`app.pipeline.catchup` starts from a snapshot).
        await asyncio.sleep(min(FIRST_SNAPSHOT_S, self.snapshot_seconds))
        while True:
            if self.engine.now_ms():
                try:
                    await self.save_snapshot(background=True)
                except Exception:  # the last one stands; a restart would replay more
                    self.counters.snapshot_failures += 1
                    log.exception("engine snapshot failed")
            await asyncio.sleep(self.snapshot_seconds)


async def _chunks(source: Any) -> Any:
    """Re-yield merged chunks (`LineChunk`s, what `decode_stream` takes) as they are."""
    async for chunk in source:
        yield chunk
