"""Ending a `mare` process a test started, as an operator would: Ctrl-C, then kill if it hangs;
and watching the children it forked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
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


def wait_forked(parent: subprocess.Popen[bytes] | subprocess.Popen[str]) -> list[int]:
    """The pids of the processes ``parent`` started, once it has started one (or ended)."""
    deadline = time.monotonic() + 60
    pids: list[int] = []
    while not pids and parent.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
        pids = forked(parent.pid)
    return pids


def children_end_with_parent(argv: list[str], *, stop_first: bool = False) -> None:
    """Run ``argv``, SIGKILL it once it has forked, and assert its children end within 30 s.

    SIGKILL leaves no cleanup: a child whose queue is full and unread must not wait for ever.
    ``stop_first``: stop the parent a second before, so that the child fills its queue.
    """
    parent = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pids: list[int] = []
    try:
        pids = wait_forked(parent)
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


def kill_child_mid_message(
    argv: list[str],
    env: dict[str, str] | None = None,
    *,
    ready: Callable[[], bool] = lambda: True,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv``, SIGKILL its forked child in the middle of a message, return how it ended.

    Once it has forked and ``ready()`` holds, the parent is stopped, so the child fills the
    pipe to it and waits in the middle of a message (each is larger than a pipe holds); the
    child is killed, the parent continued. It must then end by itself: a parent that waits for
    the rest of the message for ever fails here after 90 s.
    """
    parent = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        pids = wait_forked(parent)
        assert len(pids) == 1, f"expected one forked child, found {pids}"
        while not ready() and parent.poll() is None:
            time.sleep(0.01)
        os.kill(parent.pid, signal.SIGSTOP)
        time.sleep(2.0)  # the child decodes its first messages and blocks writing one
        assert alive(pids[0]), "the child ended before it could be killed"
        os.kill(pids[0], signal.SIGKILL)
        os.kill(parent.pid, signal.SIGCONT)
        try:
            _, errors = parent.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            raise AssertionError("the parent hung after its child was killed") from None
        return subprocess.CompletedProcess(argv, parent.returncode, "", errors)
    finally:
        parent.kill()
        parent.wait()
        assert parent.stderr is not None
        parent.stderr.close()


def imported_by(argv: list[str], modules: tuple[str, ...]) -> list[str]:
    """Run ``mare`` with ``argv`` in a fresh interpreter; return which of ``modules`` it imported.

    The command must succeed.
    """
    script = (
        "import sys\n"
        f"sys.argv = ['mare', *{argv!r}]\n"
        "from app.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        f"print('imported:' + ','.join(sorted(m for m in {modules!r} if m in sys.modules)))\n"
    )
    run = [sys.executable, "-c", script]
    out = subprocess.run(run, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    said = out.stdout.splitlines()[-1].removeprefix("imported:")
    return [m for m in said.split(",") if m]
