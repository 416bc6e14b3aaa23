"""``mare worker ...`` as real processes (SIGKILL is what these tests are about)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.app.api.conftest import EVERY_EVENT_RULES
from tests.app.bus.helpers import free_port
from tests.app.serve_process import wait_ready

MARE = Path(sys.executable).parent / "mare"


def worker_env(tmp: Path, url: str, prefix: str, partitions: int, db: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARE_")}
    env |= {
        "MARE_BUS_URL": url,
        "MARE_BUS_PREFIX": prefix,
        "MARE_BUS_PARTITIONS": str(partitions),
        "MARE_BUS_SNAPSHOT_SECONDS": "0.3",
        "MARE_DATABASE_URL": db,
        "MARE_VAR_DIR": str(tmp / "var"),
        "MARE_ALERT_RULES_FILE": str(EVERY_EVENT_RULES),
        "MARE_RETENTION_DAYS": "36500",
    }
    return env


class Worker:
    """One ``mare worker`` process; its output goes to a log file."""

    def __init__(self, tmp: Path, env: dict[str, str], *args: str) -> None:
        self.log = tmp / f"worker-{'-'.join(a.replace('/', '_') for a in args)}.log"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(MARE), "worker", *args], env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.log.read_text(errors="replace")


TOKEN = "mare_t_" + "b" * 40


@dataclass
class ApiNode:
    """A ``mare serve --api-only`` process and its address."""

    proc: subprocess.Popen[bytes]
    base: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def api_node(tmp: Path, env: dict[str, str], name: str) -> ApiNode:
    """Start an API node on a free port; return once ``/readyz`` says 200."""
    port = free_port()
    log = tmp / f"api-{name}.log"
    environ = env | {"MARE_BOOTSTRAP_ADMIN_TOKEN": TOKEN, "MARE_VAR_DIR": str(tmp / f"var-{name}")}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(MARE), "serve", "--api-only", "--port", str(port)],
            env=environ, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    node = ApiNode(proc, f"http://127.0.0.1:{port}", log)
    wait_ready(proc, node.base, node.output, 120)
    return node
