"""Forked children of the batch commands: when one pays, and a child's side of its queue.

`app.cli.ahead` (`mare detect`), `app.cli.frame_ahead` (`mare decode`), `app.cli.ingest_ahead`.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from pathlib import Path
from queue import Empty, Full
from typing import Any

#: Captures smaller than this are decoded in process: starting and feeding a child costs more.
AHEAD_MIN_BYTES = 4 << 20


def can_fork_ahead() -> bool:
    """Return whether a child can work beside this process: two cores, and ``fork``.

    The child inherits what is imported and built, and imports nothing.
    """
    return (os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods()


def worth_ahead(captures: Sequence[Path]) -> bool:
    """Return whether a second process pays: `can_fork_ahead`, captures of `AHEAD_MIN_BYTES`."""
    return can_fork_ahead() and sum(p.stat().st_size for p in captures) >= AHEAD_MIN_BYTES


def put_while_parent_lives(queue: Any, message: object, parent: int) -> bool:
    """Put ``message`` on a child's queue to ``parent``; False once the parent is gone.

    A full queue is waited on a second at a time, so that a child whose parent was killed
    (SIGKILL: no cleanup ran, nobody reads) ends instead of waiting for ever.
    """
    while True:
        try:
            queue.put(message, timeout=1.0)
            return True
        except Full:
            if os.getppid() != parent:
                return False


def get_from_child(queue: Any, child: Any, what: str) -> Any:
    """Return the next message of ``child`` (a `multiprocessing.Process`) on ``queue``.

    An `OSError` naming ``what`` the child did when it ended without sending one.
    """
    while True:
        try:
            return queue.get(timeout=1.0)
        except Empty:
            if child.exitcode is None:
                continue
            try:  # it may have exited right after its last message
                return queue.get(timeout=1.0)
            except Empty:
                raise OSError(f"the {what} process ended ({child.exitcode})") from None


def close_child_side(queue: Any, parent: int) -> None:
    """Close a child's end of its queue: flushed to a live parent, dropped for a dead one."""
    queue.close()
    if os.getppid() == parent:
        queue.join_thread()
    else:
        queue.cancel_join_thread()


def end_child(child: Any, queue: Any) -> None:
    """Stop ``child`` if it still runs and release its queue (the parent's cleanup)."""
    if child.is_alive():
        child.terminate()
        child.join()
    queue.close()
