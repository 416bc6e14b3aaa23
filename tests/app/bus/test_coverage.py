"""Engine workers keep the receiver coverage they learnt, as the single process does."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from app.bus import snapshots
from app.bus.connect import connect
from app.bus.engine_worker import PartitionWorker, run_engines
from app.bus.setup import engine_factory
from app.bus.subjects import Layout
from app.settings import ServiceSettings
from geo.coverage_buckets import STATION_BITS as _STATION_BITS
from tests.app.bus.helpers import (
    decode_file,
    engines_caught_up,
    factory,
    publish_batches,
    wait_for,
)
from tests.app.bus.scenarios import feed


def by_name(doc: dict[str, Any]) -> dict[tuple[str, int, str | None], tuple[int, int]]:
    """Learnt coverage by hour, cell and station name (station codes are each engine's own)."""
    mask = (1 << _STATION_BITS) - 1
    out = {}
    for hour, b in doc["hours"].items():
        for key, heard, exp in zip(b["keys"], b["heard"], b["expected"], strict=True):
            code = key & mask
            name = None if code == mask else doc["stations"][code]
            out[(hour, key >> _STATION_BITS, name)] = (heard, exp)
    return out


async def _taken_over(js: Any, kv: Any, layout: Layout, partition: int) -> PartitionWorker:
    """A worker that takes the partition over and stops at once (its engine as it started)."""
    stop = asyncio.Event()
    stop.set()
    workers = await run_engines(js, kv, layout, [partition], factory(), stop,
                                snapshot_seconds=3600)  # fmt: skip
    return workers[0]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("loss", ["snapshot deleted", "snapshot unreadable"])
async def test_a_partition_without_its_snapshot_keeps_the_coverage_learnt(
    system_nats: str, prefix: str, loss: str
) -> None:
    layout = Layout(prefix, 2)
    nc = await connect(system_nats, name="test")
    try:
        js = nc.jetstream()
        kv = await publish_batches(js, layout, decode_file(feed("default")), end=False)
        stop = asyncio.Event()
        task = asyncio.create_task(run_engines(js, kv, layout, [0, 1], factory(), stop,
                                               snapshot_seconds=3600))  # fmt: skip
        await wait_for(lambda: engines_caught_up(js, layout), 90, "every partition's records")
        stop.set()
        before = await task  # each partition snapshots as it stops, its coverage beside
        learnt = before[1].engine.coverage.hours_document() if before[1].engine else {}
        assert sum(sum(h["heard"]) for h in learnt["hours"].values()) > 1000
        # The feed ages out of the records stream, and partition 1's snapshot is lost (deleted,
        # or written by a release this one cannot read).
        await js.purge_stream(layout.records_stream)
        if loss == "snapshot deleted":
            await kv.purge("p1")
        else:
            unreadable = snapshots.PartitionSnapshot(before[1].seq, b"{}")
            await snapshots.put(kv, snapshots.pack(1, unreadable))
        again = await _taken_over(js, kv, layout, 1)
        assert again.engine is not None
        assert by_name(again.engine.coverage.hours_document()) == by_name(learnt)
        assert again.seq == before[1].seq  # and the stream goes on after what it includes
        # Both snapshots lost: partition 0's coverage is the deployment's too (a copy).
        await kv.purge("p1")
        await kv.purge("cov1")
        other = await _taken_over(js, kv, layout, 1)
        assert other.engine is not None
        assert by_name(other.engine.coverage.hours_document()) == by_name(learnt)
    finally:
        await nc.close()


def test_engine_workers_judge_with_the_configured_coverage_map(tmp_path: Any) -> None:
    fuller = tmp_path / "fuller.json"
    fuller.write_text(json.dumps({"format": "mare-coverage-map", "version": 1, "cell_deg": 0.1,
                                  "cells": [[7, 2, 4000]]}))  # fmt: skip
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path / 'm.sqlite'}",
                               coverage_file=fuller)  # fmt: skip
    made = engine_factory(settings)
    for engine in (made.new(), made.restore(made.new().snapshot())):
        prior = engine.coverage.prior
        assert prior is not None and prior.keys.tolist() == [7]
