"""Engine workers on real NATS: the events of one process, whatever the number of workers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.js.kv import KeyValue

from ais_ingest.records import Batch
from app.bus import slice_exchange, snapshots
from app.bus.connect import connect, ensure_layout
from app.bus.engine_worker import PartitionWorker, run_engines
from app.bus.ingest_worker import BusPublisher
from app.bus.subjects import Layout
from geo.engine import Engine
from tests.app.bus.helpers import (
    State,
    bus_event_lists,
    decode_file,
    engines_caught_up,
    expected,
    factory,
    fold_states,
    one_process,
    publish_batches,
    versions,
    wait_for,
)
from tests.app.bus.scenarios import contacts, feed


async def run_bus(
    url: str, layout: Layout, owners: list[list[int]], capture: Path, with_contacts: bool = False
) -> dict[int, list[State]]:
    """Publish the capture; run one engine 'worker' per ownership set; return what they said.

    ``with_contacts``: the capture's contacts go first.
    """
    nc = await connect(url, name="test")
    stop = asyncio.Event()
    try:
        js = nc.jetstream()
        first = contacts(capture) if with_contacts else None
        kv = await publish_batches(js, layout, decode_file(capture), end=True, first=first)
        workers: list[list[PartitionWorker]] = []

        async def worker(parts: list[int]) -> None:
            workers.append(await run_engines(js, kv, layout, parts, factory(), stop,
                                             snapshot_seconds=60))  # fmt: skip

        tasks = [asyncio.create_task(worker(o)) for o in owners]

        await wait_for(lambda: engines_caught_up(js, layout), 60, "every partition's records")
        stop.set()
        await asyncio.gather(*tasks)
        return await bus_event_lists(js, layout)
    finally:  # a failure stops the workers and closes the connection too
        stop.set()
        await nc.close()


@pytest.mark.timeout(120)
async def test_one_partition_gives_the_events_of_one_process(system_nats: str, prefix: str) -> None:
    got = await run_bus(system_nats, Layout(prefix, 1), [[0]], feed("default"))
    assert fold_states(got) == one_process(feed("default"))
    assert versions(got) == expected(feed("default"), 1)  # none lost, none doubled
    assert len(got[0]) > 20


@pytest.mark.timeout(180)
@pytest.mark.parametrize("workers", [1, 2, 4])
async def test_any_number_of_workers_gives_the_same_events(
    system_nats: str, prefix: str, workers: int
) -> None:
    layout = Layout(prefix, 4)
    owners = [layout.partitions_of(f"{k}/{workers}") for k in range(workers)]
    got = await run_bus(system_nats, layout, owners, feed("default"))
    assert versions(got) == expected(feed("default"), 4)
    assert len(got) == 4


@pytest.mark.timeout(180)
@pytest.mark.parametrize("scenario", ["default", "smuggling"])
async def test_four_partitions_give_the_events_of_one_process(
    system_nats: str, prefix: str, scenario: str
) -> None:
    capture = feed(scenario)
    got = await run_bus(system_nats, Layout(prefix, 4), [[0, 1, 2, 3]], capture)
    assert fold_states(got) == one_process(capture)
    assert versions(got) == expected(capture, 4)  # every version, each once
    kinds = {e["event"]["kind"] for e in one_process(capture).values()}
    assert "encounter" in kinds  # what crosses partitions is in the capture


@pytest.mark.timeout(240)
@pytest.mark.parametrize("owners", [[[0, 1, 2, 3]], [[0, 2], [1, 3]]])
async def test_contacts_are_fused_as_one_process_fuses_them(
    system_nats: str, prefix: str, owners: list[list[int]]
) -> None:
    capture = feed("smuggling", hours=3.0)  # four boats without AIS, one met by a vessel
    got = await run_bus(system_nats, Layout(prefix, 4), owners, capture, with_contacts=True)
    assert fold_states(got) == one_process(capture, True)
    assert versions(got) == expected(capture, 4, True)  # every version, each once
    kinds = [e["event"]["kind"] for e in one_process(capture, True).values()]
    assert kinds.count("dark_target") >= 2 and "contact_association" in kinds
    targets = {e["event"]["mmsi"] % 4 for e in one_process(capture, True).values()
               if e["event"]["kind"] == "dark_target"}  # fmt: skip
    assert len(targets) >= 2, "dark targets owned by more than one partition"


@pytest.mark.timeout(180)
async def test_parts_larger_than_a_message_travel_in_chunks(
    system_nats: str, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slice_exchange, "CHUNK_BYTES", 256)  # a world feed's first close
    layout = Layout(prefix, 2)
    got = await run_bus(system_nats, layout, [[0], [1]], feed("default"))
    assert versions(got) == expected(feed("default"), 2)
    nc = await connect(system_nats, name="test")
    try:
        info = await nc.jetstream().stream_info(layout.exchange_stream, subjects_filter=">")
    finally:
        await nc.close()
    assert any(s.endswith(".1") for s in info.state.subjects or {})  # parts did take chunks


@pytest.mark.timeout(60)
async def test_a_stream_of_an_earlier_release_gets_todays_subjects(
    system_nats: str, prefix: str
) -> None:
    layout = Layout(prefix, 2)
    nc = await connect(system_nats, name="test")
    try:
        js = nc.jetstream()
        old = layout.exchange_subject("*", "*", "*")  # before parts came in chunks
        await js.add_stream(name=layout.exchange_stream, subjects=[old])
        await ensure_layout(js, layout)
        info = await js.stream_info(layout.exchange_stream)
        await js.publish(layout.exchange_subject("c", "7", 0) + ".0", b"{}")
    finally:
        await nc.close()
    assert info.config.subjects == [old + ".*"]


@pytest.mark.timeout(120)
async def test_a_partition_that_goes_quiet_snapshots_what_it_took_in(
    system_nats: str, prefix: str
) -> None:
    """A burst then silence: the state is saved without waiting for the next message.

    The records are on the stream before the worker starts, so it takes them all in well
    within ``snapshot_seconds``; a snapshot taken only between messages would never come.
    """
    layout = Layout(prefix, 1)
    nc = await connect(system_nats, name="test")
    stop = asyncio.Event()
    try:
        js = nc.jetstream()
        kv = await publish_batches(js, layout, decode_file(feed("default"))[:3], end=False)
        task = asyncio.create_task(
            run_engines(js, kv, layout, [0], factory(), stop, snapshot_seconds=2.0)
        )

        async def saved() -> bool:
            return await snapshots.load(kv, 0) is not None

        await wait_for(saved, 60, "a snapshot of the quiet partition")
        stop.set()
        await task
    finally:
        stop.set()
        await nc.close()


@contextlib.asynccontextmanager
async def one_partition(
    url: str, prefix: str, batches: list[Batch]
) -> AsyncIterator[tuple[PartitionWorker, KeyValue, BusPublisher]]:
    """A worker of partition 0 of 1, snapshotting every 0.2 s, fed ``batches`` first."""
    layout = Layout(prefix, 1)
    nc = await connect(url, name="test")
    stop = asyncio.Event()
    try:
        js = nc.jetstream()
        kv = await ensure_layout(js, layout)
        pub = BusPublisher(js, layout)
        for b in batches:
            await pub.batch(b)
        worker = PartitionWorker(js, kv, layout, 0, factory(), snapshot_seconds=0.2)
        task = asyncio.create_task(worker.run(stop))
        yield worker, kv, pub
        stop.set()
        await task
    finally:
        stop.set()
        await nc.close()


@pytest.mark.timeout(120)
async def test_a_periodic_snapshot_is_made_apart_while_the_partition_goes_on(
    system_nats: str, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Serialised and packed by a forked child: the worker takes messages in meanwhile, and the
    snapshot holds the state and the sequence of the fork's moment."""
    makers = tmp_path / "makers"
    snapshot = Engine.snapshot

    def recorded(self: Engine) -> bytes:
        makers.write_text(f"{os.getpid()} {self.records}")
        time.sleep(3.0)  # (in the child) a big state's serialisation
        return snapshot(self)

    monkeypatch.setattr(Engine, "snapshot", recorded)
    batches = decode_file(feed("default"))
    async with one_partition(system_nats, prefix, batches[:3]) as (worker, kv, pub):

        async def forked() -> bool:
            return makers.exists()

        async def went_on() -> bool:
            return worker.seq > forked_at

        await wait_for(forked, 60, "the snapshot's child")
        pid, records = (int(v) for v in makers.read_text().split())
        forked_at = worker.seq
        for b in batches[3:6]:
            await pub.batch(b)
        await wait_for(went_on, 60, "messages after the fork")
        assert await snapshots.load(kv, 0) is None  # taken in while the child serialised
        await wait_for(lambda: snapshots.load(kv, 0), 60, "the snapshot")
        snap = await snapshots.load(kv, 0)
    assert pid != os.getpid()
    assert snap is not None and snap.seq <= forked_at
    restored = factory().restore(snap.blob)
    assert worker.engine is not None
    assert restored.records == records < worker.engine.records


@pytest.mark.timeout(120)
async def test_a_failing_snapshot_is_counted_and_the_partition_goes_on(
    system_nats: str, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Engine) -> bytes:
        raise ValueError("Out of range float values are not JSON compliant")

    monkeypatch.setattr(Engine, "snapshot", broken)
    batches = decode_file(feed("default"))[:3]
    async with one_partition(system_nats, prefix, batches) as (worker, kv, _):

        async def failed_twice() -> bool:
            return worker.stats.snapshot_failures >= 2

        await wait_for(failed_twice, 60, "two failed snapshots")
        assert await snapshots.load(kv, 0) is None
    assert worker.report()["counters"]["snapshot_failures"] >= 2
    assert worker.stats.snapshots == 0
