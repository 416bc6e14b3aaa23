"""``mare worker ingest`` as an operator runs it: a capture in, batches on the bus, then events."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from app.bus.subjects import Layout
from tests.app.bus.helpers import expected, versions
from tests.app.bus.procs import MARE, Worker, worker_env
from tests.app.bus.scenarios import feed
from tests.app.bus.test_failures import drained, engine_consumers, published, sqlite_url


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_ingest_worker_publishes_what_one_process_decodes(
    system_nats: str, prefix: str, tmp_path: Path
) -> None:
    env = worker_env(tmp_path, system_nats, prefix, 2, sqlite_url(tmp_path))
    capture = feed("default")
    done = subprocess.run(
        [str(MARE), "worker", "ingest", str(capture), "--flush", "--tick", "0"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ingest: " in done.stderr and " records in " in done.stderr
    engine = Worker(tmp_path, env, "engine")
    layout = Layout(prefix, 2)
    try:
        await drained(system_nats, layout, engine_consumers(layout))
    finally:
        log = engine.stop()
    assert versions(await published(system_nats, layout)) == expected(capture, 2), log


def test_worker_without_a_bus_says_so_in_one_line(tmp_path: Path) -> None:
    env = worker_env(tmp_path, "", "x", 1, sqlite_url(tmp_path))
    env.pop("MARE_BUS_URL")
    done = subprocess.run([str(MARE), "worker", "engine"], env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode != 0
    assert "MARE_BUS_URL is not set" in done.stderr
    assert "Traceback" not in done.stderr
