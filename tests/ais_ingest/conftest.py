"""Fixtures of the ingest tests. Source fixtures are prefixed ``src_``."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

SRC_DATA = Path(__file__).resolve().parent.parent / "data" / "ais"


@pytest.fixture
def src_data_dir() -> Path:
    """The real captures (tests/data/ais; see tests/data/SOURCES.md)."""
    return SRC_DATA


@pytest.fixture
def src_free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for programs we cannot ask port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
