"""What the bus tests share: NATS, a store, a deployment of processes, an API node's feed.

Tests that only publish and consume use the NATS server every machine runs
(`scripts/install-system-deps.sh` starts it), each under its own prefix so streams never
meet. Tests that kill or restart NATS start their own ``nats-server`` on a free port with a
store in the test's directory, and never touch the system one.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from nats.js import JetStreamContext
from nats.js.kv import KeyValue

from app.api.collector import ServiceMetrics
from app.bus.api_feed import ApiFeed
from app.bus.connect import connect, drop_layout, ensure_layout
from app.bus.subjects import Layout
from app.live.hub import Hub
from app.live.picture import LivePicture
from app.pipeline.clock import LiveClock
from geo.engine import Engine
from tests.app.bus.helpers import NatsServer, start_nats
from tests.app.bus.procs import ApiNode, Worker, api_node, worker_env
from tests.app.store.conftest import create_database, drop_database

SYSTEM_NATS = "nats://127.0.0.1:4222"


@pytest.fixture
def prefix() -> str:
    return "t" + uuid.uuid4().hex[:10]


@pytest.fixture
async def system_nats(prefix: str) -> AsyncIterator[str]:
    """The system NATS server's URL; the test's streams are deleted after it."""
    yield SYSTEM_NATS
    nc = await connect(SYSTEM_NATS, name="cleanup")
    try:
        for n in (1, 2, 4, 8):
            await drop_layout(nc.jetstream(), Layout(prefix, n))
    finally:
        await nc.close()


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A NATS server of the test's own (it may kill and restart it)."""
    assert shutil.which("nats-server") is not None, "nats-server: make system-deps"
    server = start_nats(tmp_path / "nats")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def db_url() -> Iterator[str]:
    """A PostGIS database of the test's own, at the schema's head."""
    from app.store import open_store

    url = create_database("mare_bus_api")
    open_store(url, upgrade=True).close()
    yield url
    drop_database(url)


@dataclass
class Deployment:
    """An engine worker (every partition), the store worker and two API nodes, started."""

    workers: list[Worker]
    nodes: list[ApiNode]

    def stop(self) -> list[str]:
        """Stop every process (again: nothing); return the workers' logs."""
        logs = [w.stop() for w in self.workers]
        for n in self.nodes:
            if n.proc.poll() is None:
                n.proc.terminate()
                n.proc.wait(30)
        return logs


@pytest.fixture
def deploy(
    tmp_path: Path, system_nats: str, db_url: str
) -> Iterator[Callable[[Layout], Deployment]]:
    """Start a `Deployment` of a layout on the system NATS and PostGIS; stopped after."""
    made: list[Deployment] = []

    def start(layout: Layout) -> Deployment:
        env = worker_env(tmp_path, system_nats, layout.prefix, layout.partitions, db_url)
        workers = [Worker(tmp_path, env, "engine"), Worker(tmp_path, env, "store")]
        made.append(Deployment(workers, []))
        made[-1].nodes += [api_node(tmp_path, env, "a"), api_node(tmp_path, env, "b")]
        return made[-1]

    yield start
    for d in made:
        d.stop()


@dataclass
class BusNode:
    """An API node's feed from the bus (in this process) and the metrics it serves."""

    layout: Layout
    js: JetStreamContext
    kv: KeyValue
    feed: ApiFeed
    metrics: ServiceMetrics
    #: Set at the end: what the test runs until it is set stops.
    stop: asyncio.Event


@pytest.fixture
async def bus_node(system_nats: str, prefix: str) -> AsyncIterator[BusNode]:
    """A two-partition layout on the system NATS and an API node's feed of it."""
    layout = Layout(prefix, 2)
    nc = await connect(system_nats, name="test")
    feed = ApiFeed(system_nats, layout, Hub(), LivePicture(), Engine([]), LiveClock(outage_s=0.0))
    await feed.start()
    stop = asyncio.Event()
    try:
        js = nc.jetstream()
        kv = await ensure_layout(js, layout)
        metrics = ServiceMetrics(SimpleNamespace(bus_feed=feed, radar=None))
        yield BusNode(layout, js, kv, feed, metrics, stop)
    finally:
        stop.set()
        await feed.stop()
        await nc.close()


__all__ = ["subprocess"]
