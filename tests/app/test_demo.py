"""``mare demo`` starts as a real process and serves simulated vessels within seconds."""

from __future__ import annotations

import os
import re
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.app.processes import interrupt

MARE = Path(sys.executable).with_name("mare")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_mare_demo_serves_vessels_and_alerts_with_the_printed_token(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARE_")}
    proc = subprocess.Popen(
        [str(MARE), "demo", "--port", str(port), "--var", str(tmp_path), "--vessels", "60",
         "--hours", "2", "--speed", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    output = ""
    try:
        deadline = time.monotonic() + 90
        token = None
        while token is None and time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:  # raw reads: a buffered readline would hide lines from select
                output += os.read(proc.stdout.fileno(), 65536).decode(errors="replace")
                m = re.search(r"token: (\S+)", output)
                token = m.group(1) if m else None
        assert token is not None, f"no token printed:\n{output}"
        assert f"http://127.0.0.1:{port}/" in output
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
            assert client.get("/api/v1/vessels").status_code == 200
            items: list[object] = []
            while not items and time.monotonic() < deadline:
                items = client.get("/api/v1/vessels").json()["items"]
                time.sleep(0.5)
            assert items, "no vessel reached the map"
            zones = client.get("/api/v1/zones").json()["features"]
            assert zones, "the shipped zones were not loaded"
            assert client.get("/api/v1/watchlist").json(), "the sample watchlist was not loaded"
        while "NMEA relay:" not in output and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                output += os.read(proc.stdout.fileno(), 65536).decode(errors="replace")
        relay = re.search(r"NMEA relay: tcp://([\d.]+):(\d+)", output)
        assert relay is not None, f"no relay printed:\n{output}"
        with socket.create_connection((relay[1], int(relay[2])), timeout=30) as plotter:
            got = b""
            while b"\r\n" not in got and time.monotonic() < deadline:
                got += plotter.recv(4096)
        assert got.startswith(b"!AIVDM,") and b"\r\n" in got, got[:200]
    finally:
        output += interrupt(proc)
    assert proc.returncode == 0, output
    assert (tmp_path / "engine.snapshot").is_file()
