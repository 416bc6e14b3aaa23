"""Engine snapshots written by a forked copy of the service, so the live loop does not stop.

Serialising the engine takes as long as its state is big: 0.7 s for the ~10k vessels of the
AISHub feed (bench.cli's real capture, 16 MB), half building the state and half `json.dumps`,
seconds for a sea's or the world's feed; on the pipeline's loop that was a stall of the whole
live picture, alerts and API every snapshot period. A thread would not help: both halves hold
the GIL. As Redis' ``BGSAVE`` does, the loop forks instead (a copy of its memory made by the
kernel on write, a few milliseconds), and the child serialises and writes the state of the
moment of the fork while the parent goes on. The child runs nothing but that: no other thread
exists in it, it logs nothing (a lock held by another thread at the fork would be held for
ever there), it handles signals its own way (`_own_signals`) and it ends with `os._exit`,
running no exit handler and closing no connection politely. Its error, if any, comes back to
the parent through a pipe, and the parent waits for it in a thread, to the end even when
cancelled. A bus engine worker (`app.bus.engine_worker`) has its snapshot made the same way
but not written by the child: the bytes come back through the pipe (`make_in_child`) and the
worker puts them in JetStream's key-value store. The price is memory: a page the loop changes
while the child writes is copied, at most the engine's size again for that time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import traceback
from collections.abc import Callable
from pathlib import Path

from app.pipeline.snapshot import write_snapshot

#: What a snapshot writes: each file and a function that makes its bytes.
Writes = list[tuple[Path, Callable[[], bytes]]]


class SnapshotFailed(Exception):
    """The forked writer could not write a snapshot (its error, as it said it)."""


def can_fork() -> bool:
    """Whether this system can fork (not Windows)."""
    return hasattr(os, "fork")


async def write_in_child(writes: Writes) -> None:
    """Make and write each file in a forked child; return once it has, raise if it failed.

    A cancel waits for the child to end: whoever writes next (the snapshot at stop) must not
    meet it in the same temporary file.
    """

    def body(_: int) -> None:
        for path, make in writes:
            write_snapshot(path, make())

    said, status = await _in_child(body, kill_on_cancel=False)
    if status != 0:
        raise SnapshotFailed(_words(said) or f"the snapshot writer ended with status {status}")


async def make_in_child(make: Callable[[], bytes]) -> bytes:
    """Return the bytes ``make`` returns in a forked child: the state of the fork's moment.

    For a state that goes elsewhere than a file (a bus worker's, to the key-value store). The
    bytes come back through the pipe as they are written; a cancel kills the child, which
    wrote nothing anywhere.
    """

    def body(w: int) -> None:
        _write_all(w, make())

    said, status = await _in_child(body, kill_on_cancel=True)
    if status != 0:
        raise SnapshotFailed(_words(said) or f"the snapshot maker ended with status {status}")
    return said


async def _in_child(body: Callable[[int], None], *, kill_on_cancel: bool) -> tuple[bytes, int]:
    """Run ``body(pipe)`` in a forked child; return what it wrote to the pipe, and its status.

    A child that fails writes its error instead and ends with status 1. The parent reads in a
    thread, to the end even when cancelled (after killing the child if ``kill_on_cancel``).
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: do, say what went wrong, end
        os.close(r)
        status = 0
        try:
            _own_signals()
            body(w)
        except BaseException:  # everything, to the parent: this process must not go on
            status = 1
            _write_all(w, traceback.format_exc(limit=4).encode(errors="replace")[-4000:])
        finally:
            os._exit(status)
    os.close(w)
    waiter = asyncio.ensure_future(asyncio.to_thread(_wait, pid, r))
    try:
        return await asyncio.shield(waiter)
    except asyncio.CancelledError:
        if kill_on_cancel:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        await waiter
        raise
    finally:
        if waiter.done():
            os.close(r)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _words(said: bytes) -> str:
    return said.decode(errors="replace").strip()


def _own_signals() -> None:
    """Give the child its own signal handling, not the service's loop's.

    The loop's handlers write the signal's number to the loop's wake-up pipe, which the child
    shares: a Ctrl-C reaching the child too was a second one for the service (uvicorn's "force
    quit" on a second SIGINT: no drain, no snapshot at stop). The child ignores SIGINT (it ends
    by itself in seconds) and dies of SIGTERM, leaving the last snapshot in place.
    """
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _wait(pid: int, r: int) -> tuple[bytes, int]:
    chunks = []
    while chunk := os.read(r, 1 << 20):  # end of file: the child has ended
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    return b"".join(chunks), os.waitstatus_to_exitcode(status)
