"""``mare serve`` as a real process, as an operator runs it: its own env, a UDP source, a port.

For the tests that need what only a process has: signals (SIGTERM, SIGKILL), a restart on the
same database and var directory, the CLI's own uvicorn settings.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.app.api.conftest import EVERY_EVENT_RULES

MARE = Path(sys.executable).parent / "mare"
TOKEN = "mare_t_" + "k" * 40


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """Return a port of 127.0.0.1 free just now (TCP or UDP)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A running ``mare serve`` and how to reach it."""

    proc: subprocess.Popen[bytes]
    base: str
    udp_port: int
    log: Path

    def client(self, timeout: float = 30) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=timeout
        )

    def get(self, path: str) -> Any:
        with self.client() as c:
            r = c.get(path)
        r.raise_for_status()
        return r.json() if "json" in r.headers.get("content-type", "") else r.text

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def serve(
    tmp: Path, database_url: str, zones: dict[str, Any], name: str = "serve", **env: str
) -> Served:
    """Start ``mare serve`` on a fresh port with a UDP source; return once ``/readyz`` is 200."""
    zone_file = tmp / "zones.geojson"
    if not zone_file.exists():
        zone_file.write_text(json.dumps(zones))
    port, udp = free_port(), free_port(socket.SOCK_DGRAM)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MARE_")}
    environ |= {
        "MARE_DATABASE_URL": database_url,
        "MARE_VAR_DIR": str(tmp / "var"),
        "MARE_SOURCES": f"udp://127.0.0.1:{udp}",
        "MARE_ZONE_FILE": str(zone_file),
        "MARE_BOOTSTRAP_ADMIN_TOKEN": TOKEN,
        "MARE_RETENTION_DAYS": "36500",
        # every event an alert: these tests are about the process, not the alert rules
        "MARE_ALERT_RULES_FILE": str(EVERY_EVENT_RULES),
        **env,
    }
    log = tmp / f"{name}.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(MARE), "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=environ,
        )
    served = Served(proc, f"http://127.0.0.1:{port}", udp, log)
    wait_ready(proc, served.base, served.output, 90)
    return served


def wait_ready(
    proc: subprocess.Popen[bytes], base: str, output: Callable[[], str], within_s: float
) -> None:
    """Return once ``base/readyz`` says 200; fail with the process's output if it never does."""
    deadline = time.monotonic() + within_s  # a guard against a hang, not a measurement
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"mare serve exited ({proc.returncode}):\n{output()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"mare serve never became ready:\n{output()}")
        time.sleep(0.2)
