"""Losing a worker or NATS itself mid-stream: the same events, every position stored once.

Each test publishes a simulated capture in small steps (so that the failure lands
mid-stream), kills a real process with SIGKILL, starts a new one, and compares what the bus
published and what the store holds with what one engine per partition gives (exactly: every
event version in order, so a double or a loss shows) and with what one process stores.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from app.bus import snapshots
from app.bus.codec import triaged_from_state
from app.bus.connect import connect, ensure_layout
from app.bus.subjects import Layout
from app.store.repo import Repo
from tests.app.bus.helpers import (
    NatsServer,
    bus_event_lists,
    decode_file,
    expected,
    ingest_publisher,
    versions,
    wait_for,
)
from tests.app.bus.procs import Worker, worker_env
from tests.app.bus.scenarios import feed

PARTITIONS = 2
DUPLICATES = """SELECT count(*) FROM (SELECT mmsi, time, lat, lon FROM positions
GROUP BY mmsi, time, lat, lon HAVING count(*) > 1) d"""


def sqlite_url(tmp: Path) -> str:
    return f"sqlite:///{tmp / 'mare.sqlite'}"


def stored(url: str) -> tuple[int, int, int]:
    """Positions, natural keys stored more than once, events: as the store holds them."""
    repo = Repo.open(url)
    try:

        def q(c: object) -> tuple[int, int, int]:
            ex = c.execute  # type: ignore[attr-defined]
            n = ex(text("SELECT count(*) FROM positions")).scalar_one()
            dup = ex(text(DUPLICATES)).scalar_one()
            ev = ex(text("SELECT count(*) FROM events")).scalar_one()
            return int(n), int(dup), int(ev)

        return repo.store.read(q)  # type: ignore[no-any-return]
    finally:
        repo.close()


def one_process_store(tmp: Path, batches: list[object]) -> tuple[int, int, int]:
    """What one process's store holds after the same capture (positions through one writer)."""
    from ais_ingest.records import Batch

    url = f"sqlite:///{tmp / 'reference.sqlite'}"
    repo = Repo.open(url)
    try:
        for b in batches:
            assert isinstance(b, Batch)
            repo.write_positions(b)
    finally:
        repo.close()
    return stored(url)


async def publish_slowly(
    url: str,
    layout: Layout,
    capture: Path,
    at_third: Callable[[], Awaitable[None]],
    at_two_thirds: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Publish the capture in steps; call the hooks a third and two thirds of the way."""
    async with ingest_publisher(url, layout) as (_, pub):
        batches = decode_file(capture, 512)
        for i, b in enumerate(batches):
            if i == len(batches) // 3:
                await at_third()
            if at_two_thirds is not None and i == 2 * len(batches) // 3:
                await at_two_thirds()
            await pub.batch(b)
            await asyncio.sleep(0.02)
        await pub.flush()


async def drained(url: str, layout: Layout, consumers: list[tuple[str, str]]) -> None:
    nc = await connect(url, name="test-wait")
    js = nc.jetstream()

    async def done() -> bool:
        for stream, name in consumers:
            try:
                c = await js.consumer_info(stream, name)
            except Exception:
                return False
            if c.num_pending or c.num_ack_pending:
                return False
        return True

    try:
        await wait_for(done, 90, "the workers to take in every message")
    finally:
        await nc.close()


def engine_consumers(layout: Layout) -> list[tuple[str, str]]:
    return [(layout.records_stream, layout.engine_consumer(p)) for p in range(layout.partitions)]


def store_consumers(layout: Layout) -> list[tuple[str, str]]:
    return [(layout.records_stream, "store-records"), (layout.events_stream, "store-events")]


async def acked_some(url: str, layout: Layout, consumer: tuple[str, str], n: int) -> None:
    nc = await connect(url, name="test-wait")
    js = nc.jetstream()

    async def some() -> bool:
        try:
            c = await js.consumer_info(*consumer)
        except Exception:
            return False
        return bool(c.ack_floor.stream_seq >= n)

    try:
        await wait_for(some, 60, f"{consumer[1]} to ack {n} messages")
    finally:
        await nc.close()


async def snapshotted(url: str, layout: Layout, partition: int) -> None:
    """Wait until a partition's engine has a snapshot in the key-value store."""
    nc = await connect(url, name="test-wait")
    kv = await ensure_layout(nc.jetstream(), layout)

    async def some() -> bool:
        return await snapshots.load(kv, partition) is not None

    try:
        await wait_for(some, 60, f"a snapshot of partition {partition}")
    finally:
        await nc.close()


async def published(url: str, layout: Layout) -> dict[int, list[dict[str, object]]]:
    nc = await connect(url, name="test-read")
    try:
        return await bus_event_lists(nc.jetstream(), layout)
    finally:
        await nc.close()


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_engine_worker_killed_mid_stream_loses_and_doubles_nothing(
    system_nats: str, prefix: str, tmp_path: Path
) -> None:
    layout = Layout(prefix, PARTITIONS)
    env = worker_env(tmp_path, system_nats, prefix, PARTITIONS, sqlite_url(tmp_path))
    workers = [Worker(tmp_path, env, "engine", "--partitions", "0"),
               Worker(tmp_path, env, "engine", "--partitions", "1")]  # fmt: skip
    capture = feed("default")

    async def kill_and_replace() -> None:
        await acked_some(system_nats, layout, engine_consumers(layout)[0], 5)
        await snapshotted(system_nats, layout, 0)
        await asyncio.sleep(0.8)  # a snapshot or two behind the acks: a tail to replay
        workers[0].kill9()
        workers.append(Worker(tmp_path, env, "engine", "--partitions", "0"))

    try:
        await publish_slowly(system_nats, layout, capture, kill_and_replace)
        await drained(system_nats, layout, engine_consumers(layout))
    finally:
        logs = [w.stop() for w in workers]
    got = await published(system_nats, layout)
    assert versions(got) == expected(capture, PARTITIONS), logs
    assert "resumed after 0" not in logs[2], logs[2]  # the new worker started from a snapshot


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_store_worker_killed_mid_stream_stores_every_position_once(
    system_nats: str, prefix: str, tmp_path: Path
) -> None:
    layout = Layout(prefix, PARTITIONS)
    db = sqlite_url(tmp_path)
    env = worker_env(tmp_path, system_nats, prefix, PARTITIONS, db)
    workers = [Worker(tmp_path, env, "engine"), Worker(tmp_path, env, "store")]
    capture = feed("default")

    async def kill_and_replace() -> None:
        await acked_some(system_nats, layout, store_consumers(layout)[0], 5)
        workers[1].kill9()
        workers.append(Worker(tmp_path, env, "store"))

    try:
        await publish_slowly(system_nats, layout, capture, kill_and_replace)
        await drained(system_nats, layout, engine_consumers(layout) + store_consumers(layout))
    finally:
        logs = [w.stop() for w in workers]
    batches = decode_file(capture)
    positions, dup, events = stored(db)
    ref_positions, _, _ = one_process_store(tmp_path, list(batches))
    assert (positions, dup) == (ref_positions, 0), logs
    keys = {triaged_from_state(json.loads(e)).event.key()
            for evs in expected(capture, PARTITIONS).values() for e in evs}  # fmt: skip
    assert events == len(keys), logs


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_nats_restart_mid_stream_loses_and_doubles_nothing(
    own_nats: NatsServer, prefix: str, tmp_path: Path
) -> None:
    layout = Layout(prefix, PARTITIONS)
    db = sqlite_url(tmp_path)
    env = worker_env(tmp_path, own_nats.url, prefix, PARTITIONS, db)
    workers = [Worker(tmp_path, env, "engine"), Worker(tmp_path, env, "store")]
    capture = feed("default")

    async def restart_nats() -> None:
        await acked_some(own_nats.url, layout, engine_consumers(layout)[0], 5)
        own_nats.kill()
        await asyncio.sleep(1.0)
        own_nats.start()

    try:
        await publish_slowly(own_nats.url, layout, capture, restart_nats)
        await drained(own_nats.url, layout, engine_consumers(layout) + store_consumers(layout))
    finally:
        logs = [w.stop() for w in workers]
    batches = decode_file(capture)
    got = await published(own_nats.url, layout)
    assert versions(got) == expected(capture, PARTITIONS), logs
    positions, dup, _ = stored(db)
    assert (positions, dup) == (one_process_store(tmp_path, list(batches))[0], 0), logs
