"""A live feed's engine snapshots are made in a forked copy: the loop goes on meanwhile, the file
holds the state of the fork's moment, and a failure reaches the service as an error."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.api.services import services_of
from app.pipeline.snapshot_fork import SnapshotFailed, make_in_child, write_in_child
from app.settings import ServiceSettings
from geo.engine import Engine
from tests.app.api.conftest import T0, Service, make_settings, start
from tests.app.api.nmea import position

MMSI = 636_000_123


async def _while_snapshotting(state: dict[str, list[int]], path: Path) -> int:
    """Snapshot ``state`` slowly in the child; meanwhile change it and count loop turns."""
    turns = 0

    def slow() -> bytes:
        time.sleep(0.5)  # (in the child) a big engine's serialisation
        return json.dumps(state).encode()

    job = asyncio.ensure_future(write_in_child([(path, slow)]))
    await asyncio.sleep(0)  # the fork is made: what follows is after its moment
    while not job.done():
        state["fixes"].append(len(state["fixes"]))  # the engine going on with the feed
        turns += 1
        await asyncio.sleep(0.01)
    await job
    return turns


def test_the_loop_goes_on_and_the_file_holds_the_forks_moment(tmp_path: Path) -> None:
    state = {"fixes": [0, 1, 2]}
    path = tmp_path / "engine.json"
    turns = asyncio.run(_while_snapshotting(state, path))
    assert turns > 1  # the loop ran while the child serialised
    assert json.loads(path.read_bytes()) == {"fixes": [0, 1, 2]}  # none of the later ones
    assert len(state["fixes"]) == 3 + turns


def test_a_failed_snapshot_raises_the_childs_error_and_keeps_the_last_file(tmp_path: Path) -> None:
    path = tmp_path / "engine.json"
    path.write_bytes(b'{"good": true}')

    def broken() -> bytes:
        raise ValueError("Out of range float values are not JSON compliant")

    with pytest.raises(SnapshotFailed, match="Out of range float values"):
        asyncio.run(write_in_child([(path, broken)]))
    assert path.read_bytes() == b'{"good": true}'
    assert not path.with_suffix(".json.tmp").exists()


@contextlib.contextmanager
def snapshotting_service(tmp_path: Path) -> Iterator[tuple[ServiceSettings, Service]]:
    """A service on SQLite that snapshots its engine every 0.2 s."""
    settings = make_settings(
        tmp_path, f"sqlite:///{tmp_path / 'mare.sqlite'}", snapshot_seconds=0.2
    )
    run = start(settings)
    try:
        yield settings, next(run)
    finally:
        for _ in run:
            pass


def test_the_services_periodic_snapshot_is_made_by_a_forked_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    makers = tmp_path / "makers"
    snapshot = Engine.snapshot

    def recorded(self: Engine) -> bytes:
        with makers.open("a") as f:
            f.write(f"{os.getpid()}\n")
        return snapshot(self)

    monkeypatch.setattr(Engine, "snapshot", recorded)
    with snapshotting_service(tmp_path) as (settings, svc):
        svc.send(
            [position(MMSI, 12.3, 35.3, T0 + 60 * m, speed=0.5, course=10.0) for m in range(5)]
        )
        counters = services_of(svc.app).pipeline.counters
        svc.wait_for(lambda: counters.snapshots >= 2)
        blob = settings.snapshot_path.read_bytes()
        restored = Engine.restore(blob, [])
        state = restored.vessel_state(MMSI)
        assert state is not None and state.last_time_ms == (T0 + 240) * 1000
        pids = {int(p) for p in makers.read_text().split()}
        assert os.getpid() not in pids  # made in the children, not on the service's loop


async def _cancelled(path: Path) -> bool:
    def slow() -> bytes:
        time.sleep(0.5)
        return b'{"written": "after the cancel"}'

    job = asyncio.ensure_future(write_in_child([(path, slow)]))
    await asyncio.sleep(0.05)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    return path.is_file()


def test_a_cancelled_snapshot_waits_for_its_child_to_end(tmp_path: Path) -> None:
    """The snapshot at stop comes right after the periodic one is cancelled: same files."""
    path = tmp_path / "engine.json"
    assert asyncio.run(_cancelled(path))  # the child had finished when the cancel went through
    assert json.loads(path.read_bytes()) == {"written": "after the cancel"}


async def _interrupted(path: Path, forked: list[int]) -> int:
    """Ctrl-C reaching the snapshot's child: how many the service's loop saw."""
    seen: list[int] = []
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, lambda: seen.append(1))

    def slow() -> bytes:
        time.sleep(0.5)
        return b'{"after": "the interrupt"}'

    try:
        job = asyncio.ensure_future(write_in_child([(path, slow)]))
        await asyncio.sleep(0.1)
        os.kill(forked[0], signal.SIGINT)
        await job
        await asyncio.sleep(0.1)  # a wake-up byte would have been handled by now
    finally:
        loop.remove_signal_handler(signal.SIGINT)
    return len(seen)


def test_a_ctrl_c_reaching_the_child_is_not_a_second_one_for_the_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child shared the loop's wake-up pipe: uvicorn force-quits on a second SIGINT."""
    forked: list[int] = []
    fork = os.fork

    def recorded() -> int:
        pid = fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recorded)
    path = tmp_path / "engine.json"
    assert asyncio.run(_interrupted(path, forked)) == 0
    assert json.loads(path.read_bytes()) == {"after": "the interrupt"}  # it wrote on


async def _made_while_changing(state: dict[str, list[int]]) -> tuple[bytes, int]:
    turns = 0

    def slow() -> bytes:
        time.sleep(0.3)
        return json.dumps(state).encode() + b" " * (8 << 20)  # more than a pipe holds

    job = asyncio.ensure_future(make_in_child(slow))
    await asyncio.sleep(0)
    while not job.done():
        state["fixes"].append(len(state["fixes"]))
        turns += 1
        await asyncio.sleep(0.01)
    return await job, turns


def test_bytes_made_in_a_child_are_the_forks_moment_and_come_back_whole() -> None:
    state = {"fixes": [0, 1, 2]}
    made, turns = asyncio.run(_made_while_changing(state))
    assert turns > 1
    assert len(made) == len(b'{"fixes": [0, 1, 2]}') + (8 << 20)
    assert json.loads(made) == {"fixes": [0, 1, 2]}


def test_bytes_that_cannot_be_made_raise_the_childs_error() -> None:
    def broken() -> bytes:
        raise ValueError("a state that cannot be serialised")

    with pytest.raises(SnapshotFailed, match="a state that cannot be serialised"):
        asyncio.run(make_in_child(broken))


async def _cancel_making(pids: Path) -> None:
    def slow() -> bytes:
        pids.write_text(str(os.getpid()))
        time.sleep(60)
        return b"never"

    job = asyncio.ensure_future(make_in_child(slow))
    while not pids.exists() or not pids.read_text():
        await asyncio.sleep(0.01)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job


@pytest.mark.timeout(30)
def test_a_cancelled_making_kills_its_child(tmp_path: Path) -> None:
    """Nothing of it is written anywhere: a worker stopping does not wait for it."""
    pids = tmp_path / "pid"
    asyncio.run(_cancel_making(pids))
    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(int(pids.read_text()), 0)


def test_a_failing_periodic_snapshot_is_counted_in_metrics_and_the_last_one_stands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot that fails at every period is a restart that replays ever more: an operator
    must see it in /metrics, not only in the log."""
    snapshot = Engine.snapshot
    calls = tmp_path / "calls"

    def fails_after_the_first(self: Engine) -> bytes:
        with calls.open("a") as f:  # (in the children: a counter here would stay there)
            f.write("x")
        if len(calls.read_text()) > 1:
            raise ValueError("Out of range float values are not JSON compliant")
        return snapshot(self)

    monkeypatch.setattr(Engine, "snapshot", fails_after_the_first)
    with snapshotting_service(tmp_path) as (settings, svc):
        svc.send([position(MMSI, 12.3, 35.3, T0 + 60 * m, speed=0.5) for m in range(3)])
        counters = services_of(svc.app).pipeline.counters
        svc.wait_for(lambda: counters.snapshot_failures >= 2)
        r = svc.get("/metrics")
        assert r.status_code == 200, r.text
        line = next(x for x in r.text.splitlines() if x.startswith("mare_pipeline_snapshot_fail"))
        assert float(line.split()[-1]) >= 2
        assert counters.snapshots == 1
        assert Engine.restore(settings.snapshot_path.read_bytes(), []) is not None  # the first
