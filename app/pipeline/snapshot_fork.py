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
cancelled. The price is memory: a page the loop changes while the child writes is copied, at
most the engine's size again for that time.
"""

from __future__ import annotations

import asyncio
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
    """Make and write each file in a forked child; return once it has, raise if it failed."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: make, write, say what went wrong, end
        os.close(r)
        status = 0
        try:
            _own_signals()
            for path, make in writes:
                write_snapshot(path, make())
        except BaseException:  # everything, to the parent: this process must not go on
            status = 1
            os.write(w, traceback.format_exc(limit=4).encode(errors="replace")[-4000:])
        finally:
            os._exit(status)
    os.close(w)
    waiter = asyncio.ensure_future(asyncio.to_thread(_wait, pid, r))
    try:
        said, status = await asyncio.shield(waiter)
    except asyncio.CancelledError:
        # The child writes on: whoever writes next (the snapshot at stop) must not meet it
        # in the same temporary file.
        await waiter
        raise
    finally:
        if waiter.done():
            os.close(r)
    if status != 0:
        raise SnapshotFailed(said or f"the snapshot writer ended with status {status}")


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


def _wait(pid: int, r: int) -> tuple[str, int]:
    chunks = []
    while chunk := os.read(r, 65536):  # end of file: the child has ended
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    return b"".join(chunks).decode(errors="replace").strip(), os.waitstatus_to_exitcode(status)
