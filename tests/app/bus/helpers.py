"""Helpers of the bus tests: a NATS server of their own, a feed, and the events on the bus."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from nats.js import JetStreamContext
from nats.js.kv import KeyValue

from ais_ingest.decoder import Decoder
from ais_ingest.records import Batch
from app.bus.codec import decode_events, triaged_from_state, triaged_to_state
from app.bus.connect import connect, ensure_layout
from app.bus.contacts import pump_contacts
from app.bus.engine_start import EngineFactory
from app.bus.ingest_worker import BusPublisher
from app.bus.setup import engine_factory
from app.bus.subjects import Layout
from app.settings import ServiceSettings
from geo.contacts import Contact
from geo.engine import Engine
from geo.triage import Triage
from tests.app.api.conftest import EVERY_EVENT_RULES
from tests.app.bus.scenarios import contacts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class NatsServer:
    """A ``nats-server -js`` process of a test's own."""

    port: int
    store: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["nats-server", "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nats-server did not start")

    def kill(self) -> None:
        """SIGKILL: what a crashed node looks like (JetStream recovers from its files)."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


def start_nats(store: Path) -> NatsServer:
    store.mkdir(parents=True, exist_ok=True)
    server = NatsServer(free_port(), store)
    server.start()
    return server


@cache
def factory() -> EngineFactory:
    """Engines as a worker makes them: zones as stored (seeded from the shipped file, in the
    store's order, which the events' wording follows), shipped places, every event an alert.
    """
    db = Path(tempfile.mkdtemp(prefix="mare-bus-ref-")) / "ref.sqlite"
    settings = ServiceSettings(database_url=f"sqlite:///{db}", alert_rules_file=EVERY_EVENT_RULES)
    return engine_factory(settings)


def decode_file(path: Path, size: int = 2048) -> list[Batch]:
    """The capture as decoded batches (the decoder as ingest runs it), last one flushed."""
    return list(_decoded(path, size))


@cache
def _decoded(path: Path, size: int) -> tuple[Batch, ...]:
    """Decoded once per session: the references of several tests come from it."""
    dec = Decoder()
    lines = path.read_text().splitlines()
    out = [dec.decode(lines[i : i + size], 0, path.name) for i in range(0, len(lines), size)]
    out.append(dec.flush())
    return tuple(b for b in out if len(b))


State = dict[str, Any]
Folded = dict[str, State]


def _engine(path: Path, with_contacts: bool) -> Engine:
    """A new engine, given the capture's contacts first if asked (as the bus tests give them)."""
    eng = factory().new()
    if with_contacts:
        eng.add_contacts(contacts(path))
    return eng


@cache
def one_process(path: Path, with_contacts: bool = False) -> Folded:
    """Events of one engine over the whole feed (as `mare serve`): latest version per key."""
    return fold_states({0: list(one_process_versions(path, with_contacts))})


@cache
def one_process_engine(path: Path, with_contacts: bool = False) -> Engine:
    """One engine after the whole feed and its end (what an API node's answers must match)."""
    eng = _engine(path, with_contacts)
    for b in _decoded(path, 2048):
        eng.process(b)
    eng.flush()
    return eng


def fold_states(by_partition: dict[int, list[State]]) -> Folded:
    """Events of every partition folded to the latest version per key."""
    latest: Folded = {}
    for evs in by_partition.values():
        for e in evs:
            latest[repr(triaged_from_state(e).event.key())] = e
    return latest


async def bus_event_lists(js: JetStreamContext, layout: Layout) -> dict[int, list[State]]:
    """Every event published, in order, by partition (a double would show as one)."""
    info = await js.stream_info(layout.events_stream)
    out: dict[int, list[State]] = {}
    if not info.state.messages:
        return out
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(layout.events_stream, seq)
        part = int((msg.subject or "").rsplit(".", 1)[1])
        evs = decode_events(msg.data or b"")
        out.setdefault(part, []).extend(triaged_to_state(t) for t in evs)
    return out


def versions(by_partition: dict[int, list[State]]) -> dict[int, list[str]]:
    """Every event version by partition, sorted: a loss or a double shows, batch order not.

    The engine's events are the same whatever the batch sizes, but two events of one call may
    come in another order when the batch boundaries differ (ingest batches by time and size).
    A partition whose messages carried no event (only risk scores and event time) has none.
    """
    return {
        k: sorted(json.dumps(e, sort_keys=True) for e in evs)
        for k, evs in by_partition.items()
        if evs
    }


@cache
def expected(path: Path, partitions: int, with_contacts: bool = False) -> dict[int, list[str]]:
    """`versions` of what the bus must publish for a capture: every event version of one process
    (`one_process_versions`), by the partition of its vessel (an encounter's lower MMSI, a
    dark target's number)."""
    out: dict[int, list[State]] = {}
    for e in one_process_versions(path, with_contacts):
        out.setdefault(int(e["event"]["mmsi"]) % partitions, []).append(e)
    return versions(out)


@cache
def one_process_versions(path: Path, with_contacts: bool = False) -> tuple[State, ...]:
    """Every event version one engine over the whole feed emits, triaged, in order.

    Each is decided at the engine step that emitted it, as `mare serve` decides live: a
    record message of the bus holds several steps, and its last must not decide the first.
    """
    eng = _engine(path, with_contacts)
    triage = Triage(eng, factory().rules).follow()
    out: list[State] = []
    for b in _decoded(path, 2048):
        out += [triaged_to_state(t) for t in triage.decide(eng.process(b))]
    out += [triaged_to_state(t) for t in triage.decide(eng.flush())]
    return tuple(out)


async def engines_caught_up(js: JetStreamContext, layout: Layout) -> bool:
    """Whether every partition's engine consumer has taken in and acked every record message."""
    for p in range(layout.partitions):
        try:
            c = await js.consumer_info(layout.records_stream, layout.engine_consumer(p))
        except Exception:
            return False
        if c.num_pending or c.num_ack_pending:
            return False
    return True


async def wait_for(cond: object, timeout: float, what: str) -> None:
    """Poll an async predicate until true (a failure names what never happened)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await cond():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def run_pump(
    js: JetStreamContext, layout: Layout, pub: BusPublisher, done: Callable[[], bool], what: str
) -> None:
    """Run ingest's pump of the contacts stream (contacts and rules) until ``done()``."""
    stop = asyncio.Event()
    task = asyncio.create_task(pump_contacts(js, layout, pub.contacts, stop,
                                             bad=pub.bad_contacts, rules=pub.rules))  # fmt: skip

    async def given() -> bool:
        return done()

    try:
        await wait_for(given, 120, what)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


@contextlib.asynccontextmanager
async def ingest_publisher(
    url: str, layout: Layout
) -> AsyncIterator[tuple[JetStreamContext, BusPublisher]]:
    """Connect as ingest does: the layout made sure of, a publisher on it; closed after."""
    nc = await connect(url, name="test-ingest")
    try:
        js = nc.jetstream()
        await ensure_layout(js, layout)
        yield js, BusPublisher(js, layout)
    finally:
        await nc.close()


async def publish_capture(url: str, layout: Layout, capture: Path) -> None:
    """Publish the capture as one process takes it (its batches, then the end of input)."""
    async with ingest_publisher(url, layout) as (_, pub):
        for b in decode_file(capture):
            await pub.batch(b)
        await pub.flush()


async def publish_batches(
    js: JetStreamContext,
    layout: Layout,
    batches: Sequence[Batch],
    *,
    end: bool,
    first: list[Contact] | None = None,
) -> KeyValue:
    """Put the batches on the bus (and the end of input if ``end``); return the snapshot store.

    ``first``: contacts that go before the batches, as ingest gives them (one step).
    """
    kv = await ensure_layout(js, layout)
    pub = BusPublisher(js, layout)
    if first:
        await pub.contacts(first, "first")
    for b in batches:
        await pub.batch(b)
    if end:
        await pub.flush()
    return kv
