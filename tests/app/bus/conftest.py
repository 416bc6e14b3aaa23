"""NATS for the bus tests: the system server (127.0.0.1:4222) or one of the test's own.

Tests that only publish and consume use the server every machine runs
(`scripts/install-system-deps.sh` starts it), each under its own prefix so streams never
meet. Tests that kill or restart NATS start their own ``nats-server`` on a free port with a
store in the test's directory, and never touch the system one.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.bus.connect import connect, drop_layout, ensure_layout
from app.bus.subjects import Layout
from tests.app.bus.helpers import NatsServer, start_nats

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


__all__ = ["connect", "ensure_layout", "subprocess"]
