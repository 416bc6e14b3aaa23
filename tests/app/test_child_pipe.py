"""The forked child's pipe holds a whole batch, so the parent reads it without waiting."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.cli.child_pipe import PIPE_BYTES, Child, ChildEnded, ToParent

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


def _watch_the_parent(parent: ToParent) -> None:
    """Whether the parent waits now (it sleeps first), then once it does (it receives)."""
    before = parent.parent_waiting()
    deadline = time.monotonic() + 30.0
    while not parent.parent_waiting() and time.monotonic() < deadline:
        time.sleep(0.001)
    parent.send((before, parent.parent_waiting()))


def test_the_child_sees_the_parent_waiting_only_while_it_receives() -> None:
    """`mare detect`'s child leaves a batch's zone membership to a parent that waits for it
    (`app.cli.ahead`), and works it out for a busy one, even one with nothing unread."""
    child = Child(_watch_the_parent, (), what="watching", depth=2)
    try:
        time.sleep(0.5)  # the parent busy, not waiting: the child looks now
        assert child.receive() == (False, True)  # then it saw the parent waiting in receive
        child.join()
    finally:
        child.close()


def _answer(parent: ToParent) -> None:
    """Send a result, then answer each request (doubled) until there are no more."""
    parent.send("result")
    while (request := parent.request()) is not None:
        parent.send(request * 2)
    parent.send("no more requests")


def test_a_child_answers_requests_after_its_results_until_they_end() -> None:
    """`mare detect`'s child renders the summary it is asked for (`Decoding.render`)."""
    child = Child(_answer, (), what="answering", depth=2, requests=True)
    try:
        assert child.receive() == "result"
        child.ask("ab")
        assert child.receive() == "abab"
        child.ask(21)
        assert child.receive() == 42
        child.join()  # closes the requests: the child's `request` says None, and it ends
        assert child.process.exitcode == 0
        assert child.receive() == "no more requests"
    finally:
        child.close()


def test_asking_a_child_gone_is_one_clear_error() -> None:
    child = Child(_send_one, (10,), what="sending", depth=2, requests=True)
    try:
        assert child.receive() == b"x" * 10
        child.process.join(timeout=10)
        with pytest.raises(ChildEnded, match="sending process exited with status 0"):
            child.ask("anyone?")
            child.receive()
    finally:
        child.close()
