"""Ending a `mare` process a test started, as an operator would: Ctrl-C, then kill if it hangs;
and watching the children it forked."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


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


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return status != "Z"


def forked(pid: int) -> list[int]:
    """The pids of the processes ``pid`` started."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, timeout=10)
    return [int(x) for x in out.stdout.split()]


def children_end_with_parent(argv: list[str], *, stop_first: bool = False) -> None:
    """Run ``argv``, SIGKILL it once it has forked, and assert its children end within 30 s.

    SIGKILL leaves no cleanup: a child whose queue is full and unread must not wait for ever.
    ``stop_first``: stop the parent a second before, so that the child fills its queue.
    """
    parent = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pids: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not pids and parent.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            pids = forked(parent.pid)
        assert pids, "no child process was started"
        if stop_first:
            os.kill(parent.pid, signal.SIGSTOP)
            time.sleep(1.0)
        parent.kill()
        parent.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(map(alive, pids)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(alive, pids))
    finally:
        parent.kill()
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
