"""Bus workers' counters in an API node's /metrics, and a close stalled by a missing worker.

Real engine partitions and a real API node's bus feed on the system NATS server; the node's
metrics are rendered by the service's own collector.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from app.bus import messages
from app.bus.engine_worker import PartitionWorker, run_engines
from app.bus.ingest_worker import BusPublisher
from tests.app.bus.conftest import BusNode
from tests.app.bus.helpers import decode_file, factory, wait_for
from tests.app.bus.scenarios import feed


def metric(text: str, name: str, worker: str) -> float | None:
    """The value of ``name{worker="..."}`` in a Prometheus text page (None when absent)."""
    m = re.search(rf'^{name}{{worker="{re.escape(worker)}"}} (\S+)$', text, re.MULTILINE)
    return float(m.group(1)) if m else None


@pytest.mark.timeout(180)
async def test_a_workers_bad_messages_are_in_an_api_nodes_metrics(bus_node: BusNode) -> None:
    js, kv, layout, stop, metrics = (bus_node.js, bus_node.kv, bus_node.layout, bus_node.stop,
                                     bus_node.metrics)  # fmt: skip
    await js.publish(layout.records_subject(1), b"not a batch", headers={
        messages.KIND: "batch", messages.STEP: "s1"})  # fmt: skip
    task = asyncio.create_task(run_engines(js, kv, layout, [0, 1], factory(), stop,
                                           snapshot_seconds=60))  # fmt: skip

    async def counted() -> bool:
        text = metrics.render().decode()
        return metric(text, "mare_bus_bad_messages_total", "engine.1") == 1.0

    await wait_for(counted, 120, "the bad message in the API node's /metrics")
    text = metrics.render().decode()
    assert metric(text, "mare_bus_bad_messages_total", "engine.0") == 0.0, text
    assert metric(text, "mare_bus_messages_total", "engine.1") == 1.0
    age = metric(text, "mare_bus_report_age_seconds", "engine.1")
    assert age is not None and age >= 0.0
    stop.set()
    await asyncio.wait_for(task, 60)


@pytest.mark.timeout(240)
async def test_a_missing_partition_stalls_the_close_in_metrics_until_it_comes(
    bus_node: BusNode,
) -> None:
    js, kv, layout, stop, metrics = (bus_node.js, bus_node.kv, bus_node.layout, bus_node.stop,
                                     bus_node.metrics)  # fmt: skip
    pub = BusPublisher(js, layout)
    for b in decode_file(feed("default"))[:6]:  # minutes of the feed: closes
        await pub.batch(b)

    def engines(parts: list[int]) -> asyncio.Task[list[PartitionWorker]]:
        return asyncio.create_task(run_engines(js, kv, layout, parts, factory(), stop,
                                               snapshot_seconds=60))  # fmt: skip

    tasks = [engines([0])]  # partition 1's worker is not there

    async def stalled() -> bool:
        text = metrics.render().decode()
        return (metric(text, "mare_bus_close_waiting_seconds", "engine.0") or 0.0) > 1.0

    await wait_for(stalled, 120, "partition 0 to show it waits at a close")
    tasks.append(engines([1]))

    async def resumed() -> bool:
        c = await js.consumer_info(layout.records_stream, layout.engine_consumer(0))
        text = metrics.render().decode()
        waiting = metric(text, "mare_bus_close_waiting_seconds", "engine.0")
        return not c.num_pending and not c.num_ack_pending and waiting == 0.0

    await wait_for(resumed, 120, "partition 0 to go on once partition 1 is there")
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
