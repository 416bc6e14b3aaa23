"""1, 2 and 4 ``mare worker engine`` processes over four partitions: the events of one process.

Real processes on the system NATS server, each owning ``k/W`` of the partitions, so the
exchange at every slice close (`app.bus.slice_exchange`) crosses process boundaries; every
event version the bus publishes is compared with one engine over the whole capture.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.bus.subjects import Layout
from tests.app.bus.helpers import expected, fold_states, one_process, publish_capture, versions
from tests.app.bus.procs import Worker, worker_env
from tests.app.bus.scenarios import feed
from tests.app.bus.test_failures import drained, engine_consumers, published, sqlite_url

PARTITIONS = 4


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("workers", [1, 2, 4])
async def test_engine_worker_processes_give_the_events_of_one_process(
    system_nats: str, prefix: str, tmp_path: Path, workers: int
) -> None:
    layout = Layout(prefix, PARTITIONS)
    env = worker_env(tmp_path, system_nats, prefix, PARTITIONS, sqlite_url(tmp_path))
    stats = [tmp_path / f"stats{k}.json" for k in range(workers)]
    procs = [Worker(tmp_path, env, "engine", "--partitions", f"{k}/{workers}", "--stats",
                    str(stats[k])) for k in range(workers)]  # fmt: skip
    capture = feed("smuggling")
    try:
        await publish_capture(system_nats, layout, capture)
        await drained(system_nats, layout, engine_consumers(layout))
    finally:
        logs = [w.stop() for w in procs]
    got = await published(system_nats, layout)
    assert versions(got) == expected(capture, PARTITIONS), logs  # every version, each once
    assert fold_states(got) == one_process(capture), logs
    pairs = [e for e in one_process(capture).values() if e["event"]["kind"] == "encounter"]
    assert any(
        e["event"]["mmsi"] % PARTITIONS != e["event"]["other_mmsi"] % PARTITIONS for e in pairs
    ), "the capture has no encounter across partitions"
    # each worker's CPU over its span of record messages, which no more cores can exceed
    for got_stats in (json.loads(p.read_text()) for p in stats):
        span = got_stats["last_at"] - got_stats["first_at"]
        assert got_stats["records"] > 0 and span > 0
        assert 0 < got_stats["span_cpu_s"] <= (os.cpu_count() or 1) * span + 0.05
