"""An engine worker's CPU figure counts its snapshots' forked children (`process_cpu_s`)."""

from __future__ import annotations

import subprocess
import sys
import time

from app.bus.engine_worker import process_cpu_s

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3:\n    pass\n"


def test_the_cpu_of_a_reaped_child_is_counted() -> None:
    before = process_cpu_s()
    subprocess.run([sys.executable, "-c", BURN], check=True, timeout=30)  # waited for: reaped
    assert process_cpu_s() - before >= 0.3


def test_the_process_own_cpu_is_counted() -> None:
    before = process_cpu_s()
    t = time.process_time()
    while time.process_time() - t < 0.2:
        pass
    assert process_cpu_s() - before >= 0.2
