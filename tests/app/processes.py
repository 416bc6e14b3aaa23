"""Ending a `mare` process a test started, as an operator would: Ctrl-C, then kill if it hangs."""

from __future__ import annotations

import signal
import subprocess


def interrupt(proc: subprocess.Popen[bytes]) -> str:
    """Send SIGINT, wait (kill after 30 s), and return what it printed since the last read."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    assert proc.stdout is not None
    rest = proc.stdout.read().decode(errors="replace")
    proc.stdout.close()
    return rest
