"""The forked child's pipe holds a whole batch, so the parent reads it without waiting."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from app.cli.child_pipe import PIPE_BYTES, Child, ToParent, pipe_holds

#: About the size of a batch of 8,192 lines with membership (`mare detect` sends 16,384: all
#: but its tail waits in the pipe).
BATCH_BYTES = 600_000


def _pipe_max() -> int:
    return int(Path("/proc/sys/fs/pipe-max-size").read_text())


def _send_one(parent: ToParent, size: int) -> None:
    parent.send(b"x" * size)


def test_the_pipe_is_grown_to_hold_a_batch() -> None:
    assert _pipe_max() >= PIPE_BYTES  # the kernel's default; a lower one leaves the 64 KiB pipe
    child = Child(_send_one, (BATCH_BYTES,), what="sending", depth=2)
    try:
        assert child.pipe_bytes is not None and child.pipe_bytes >= PIPE_BYTES
        # The whole batch went into the pipe: the child could finish and exit before any read.
        child.process.join(timeout=10)
        assert child.process.exitcode == 0
        assert child.receive() == b"x" * BATCH_BYTES
    finally:
        child.close()


def test_a_message_larger_than_the_pipe_still_arrives_whole() -> None:
    child = Child(_send_one, (3 * PIPE_BYTES + 17,), what="sending", depth=2)
    try:
        assert child.receive() == b"x" * (3 * PIPE_BYTES + 17)
        child.join()
    finally:
        child.close()


def _send_and_watch(parent: ToParent, size: int) -> None:
    """Send a batch and, once the writing thread has had time to put it in the pipe, whether
    the parent is behind."""
    parent.send(b"x" * size)
    time.sleep(0.1)
    parent.send(parent.behind())


def test_the_parent_is_behind_while_a_batch_waits_in_the_pipe() -> None:
    """Written is not read: the child took a batch in the pipe for one read, and at the start of
    `mare detect` (the parent importing) left the first batches' zone membership to the parent."""
    child = Child(_send_and_watch, (BATCH_BYTES // 2,), what="sending", depth=2)
    try:
        time.sleep(0.5)  # the parent busy: nothing read
        assert child.receive() == b"x" * (BATCH_BYTES // 2)
        assert child.receive() is True
        child.join()
    finally:
        child.close()


def test_pipe_holds_tells_unread_bytes_from_either_end() -> None:
    reader, writer = multiprocessing.Pipe(duplex=False)
    try:
        assert not pipe_holds(writer) and not pipe_holds(reader)
        writer.send_bytes(b"batch")
        assert pipe_holds(writer) and pipe_holds(reader)
        assert reader.recv_bytes() == b"batch"
        assert not pipe_holds(writer)
    finally:
        reader.close()
        writer.close()
