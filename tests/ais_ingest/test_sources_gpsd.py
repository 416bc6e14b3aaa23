"""The gpsd source against a real gpsd (Debian's gpsd 3.22), fed by gpsfake from a real log.

gpsfake starts its own gpsd on 127.0.0.1 only (no -G) and feeds the log to it through a pty,
over and over; the source must send the watch, receive the sentences and nothing of gpsd's
JSON, and reconnect when gpsd goes away and comes back.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ais_ingest.sources import LineSource, open_source

#: Where Debian puts daemons, off a non-root user's PATH (a CI runner's).
SBIN = ("/usr/sbin", "/sbin", "/usr/local/sbin")


def tool(name: str) -> str:
    """Return the path of ``name`` (PATH, then the sbin directories); fail the test if absent.

    A missing gpsd fails the run instead of skipping it: a green run must have talked to a
    real gpsd (scripts/install-system-deps.sh installs it).
    """
    found = shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN))
    if found is None:
        pytest.fail(f"{name} is not installed (Debian packages gpsd, gpsd-clients)")
    return found


def _feed(src_data_dir: Path, tmp_path: Path) -> list[str]:
    """The first sentences of gpsd's own AIVDM sample (types 1-6), a type 5 in two parts."""
    sentences = [
        line.rstrip()
        for line in (src_data_dir / "gpsd" / "sample.aivdm").read_text().splitlines()
        if line.startswith("!AIVDM")
    ][:12]
    (tmp_path / "feed.log").write_text("\n".join(sentences) + "\n")
    return sentences


@contextmanager
def gpsfake(log: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    # Its own session, so that stopping it stops the gpsd it started and nothing else.
    # gpsfake starts the gpsd it finds on PATH: give it the one found, sbin or not
    path = f"{Path(tool('gpsd')).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    child = subprocess.Popen(
        [tool("gpsfake"), "-P", str(port), "-c", "0.01", "-q", str(log)],
        env={**os.environ, "PATH": path},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=log.parent,
        start_new_session=True,
    )
    try:
        yield child
    finally:
        os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


async def _until_a_whole_cycle(source: LineSource, sentences: list[str]) -> list[str]:
    """Read until the log has come through once in full and in order; return all lines read."""
    got: list[str] = []
    n = len(sentences)
    async with asyncio.timeout(20):
        async for _, line in source:
            got.append(line)
            if got[-n:] == sentences:
                return got
    raise AssertionError("unreachable")


@pytest.mark.slow
async def test_gpsd_source_relays_real_gpsd_nmea_and_survives_a_gpsd_restart(
    src_data_dir: Path, tmp_path: Path, src_free_tcp_port: int
) -> None:
    sentences = _feed(src_data_dir, tmp_path)
    port = src_free_tcp_port
    source = open_source(f"gpsd://127.0.0.1:{port}?backoff_max=0.2")
    try:
        with gpsfake(tmp_path / "feed.log", port):
            first = await _until_a_whole_cycle(source, sentences)
        # gpsd is gone; the source keeps retrying until a new one is up on the same port.
        await asyncio.sleep(0.3)
        with gpsfake(tmp_path / "feed.log", port):
            second = await _until_a_whole_cycle(source, sentences)
    finally:
        await source.aclose()
    for got in (first, second):
        assert set(got) <= set(sentences)  # only NMEA: gpsd's JSON replies are dropped
    assert source.stats.connects >= 2
