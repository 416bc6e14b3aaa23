"""Forked children of the batch commands: when one pays, and the pipe to the parent.

`app.cli.ahead` (`mare detect`), `app.cli.frame_ahead` (`mare decode`), `app.cli.ingest_ahead`.

A child sends its results to the parent over a one-way pipe (`multiprocessing.Pipe`, not a
`multiprocessing.Queue`), and each side closes the end it does not use right after the fork.
Only the child then holds the write end: a child that dies, even in the middle of a message
(SIGKILL, the OOM killer), is an end of file in the parent (`ChildEnded`, naming how it
ended), where the queue's parent, which held a write end too, waited for the rest of the
message for ever. Only the parent holds the read end: a parent that dies is a broken pipe in
the child, which then ends (`ToParent.send` returns False). A parent that may ask the child for
more once its results are in (`Child.ask`) does so over a second one-way pipe, the other way.
"""

from __future__ import annotations

import fcntl
import mmap
import multiprocessing
import os
import pickle
import queue
import signal
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

#: Captures smaller than this are decoded in process: starting and feeding a child costs more.
AHEAD_MIN_BYTES = 4 << 20
#: The pipe's capacity asked of Linux (its default is 64 KiB; 1 MiB is the unprivileged most,
#: ``/proc/sys/fs/pipe-max-size``): a batch of `mare detect` (~1.08 MB, 16,384 lines; ~0.55 MB
#: when it was 8,192) then waits in the pipe all but its tail, and the parent reads it in one or
#: two calls instead of taking turns with the child's writing thread 64 KiB at a time (1.0-1.3
#: ms a batch of 8,192 lines, 0.4-0.9 with it; 43 batches on `bench.cli`'s real capture).
PIPE_BYTES = 1 << 20


def can_fork_ahead() -> bool:
    """Return whether a child can work beside this process: two cores, and ``fork``.

    The child inherits what is imported and built, and imports nothing.
    """
    return (os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods()


def worth_ahead(captures: Sequence[Path]) -> bool:
    """Return whether a second process pays: `can_fork_ahead`, captures of `AHEAD_MIN_BYTES`."""
    return can_fork_ahead() and sum(p.stat().st_size for p in captures) >= AHEAD_MIN_BYTES


class ChildEnded(Exception):
    """The child ended before it sent its last message (killed, or exited without a word)."""


class ToParent:
    """A forked child's end of its pipe: messages pickled when sent, written by a thread.

    The writing thread lets the child work on while up to ``depth`` messages (one being
    written) wait for the parent to read them: memory stays bounded. A message is pickled in
    `send`, so it is what its objects were then (the decoder's counters go on changing).
    """

    def __init__(
        self,
        conn: Connection,
        depth: int,
        flag: mmap.mmap | None = None,
        requests: Connection | None = None,
    ) -> None:
        self._conn = conn
        self._flag = flag  # `Child.receive`'s "waiting" byte (shared memory), if given
        self._requests = requests  # `Child.ask`'s pipe, if the parent may ask
        self._waiting: queue.Queue[bytes | None] = queue.Queue(maxsize=max(depth - 1, 1))
        self.parent_gone = False
        self._writer = threading.Thread(target=self._write, name="mare-to-parent", daemon=True)
        self._writer.start()

    def send(self, message: object) -> bool:
        """Send ``message``, waiting while ``depth`` are unread; False once the parent is gone."""
        if self.parent_gone:
            return False
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self._waiting.put(data)
        return not self.parent_gone

    def parent_waiting(self) -> bool:
        """Whether the parent is blocked in `Child.receive` now, waiting for a message.

        Not whether a message is still unread: a parent that has just taken the last one is
        busy with it for as long as the child takes over its next, and work the child left to
        it then (`app.cli.ahead`'s zone membership: the first 2-4 batches of `mare detect` on
        bench.cli's simulated capture) was on the parent's time, the busier process's.
        """
        return self._flag is not None and self._flag[0] == 1

    def request(self) -> Any:
        """Return the parent's next request (`Child.ask`); None once it will ask no more."""
        if self._requests is None:
            return None
        try:
            return self._requests.recv()
        except (EOFError, OSError):  # the parent closed its end, or is gone
            return None

    def close(self) -> None:
        """Wait until the parent has read every message (or is gone), then close the pipe."""
        self._waiting.put(None)
        self._writer.join()
        self._conn.close()
        if self._requests is not None:
            self._requests.close()

    def _write(self) -> None:
        while (data := self._waiting.get()) is not None:
            if not self.parent_gone:  # once gone, what comes is dropped: `send` never blocks
                try:
                    self._conn.send_bytes(data)
                except OSError:  # BrokenPipeError: nobody holds the read end any more
                    self.parent_gone = True


class Child:
    """A child forked to run ``target(to_parent, *args)``, and its messages (`receive`).

    ``what``: what the child does, for the error if it dies (``decoding``, ``framing``).
    ``depth``: messages the child may have sent that this process has not read yet.
    ``requests``: this process may ask the child for more once it has sent its results
    (`ask`, `ToParent.request`), over a second pipe the other way.
    """

    def __init__(
        self,
        target: Callable[..., None],
        args: tuple[Any, ...],
        *,
        what: str,
        depth: int,
        requests: bool = False,
    ) -> None:
        self.what = what
        ctx = multiprocessing.get_context("fork")
        reader, writer = ctx.Pipe(duplex=False)
        _grow_pipe(writer)
        asks, asked = ctx.Pipe(duplex=False) if requests else (None, None)
        # `ToParent.parent_waiting`: one byte of anonymous memory, shared with the child as
        # forked (a `multiprocessing.RawValue` imported 1-2 ms of modules before the fork)
        self._flag = mmap.mmap(-1, 1)
        self.process: Any = ctx.Process(
            target=_run,
            args=(target, args, reader, writer, depth, self._flag, asks, asked),
            daemon=True,
        )
        self.process.start()
        writer.close()  # the child's alone now: its death is this end's EOF
        if asks is not None:
            asks.close()  # and its reading end of the requests: this one's close is its EOF
        self._reader = reader
        self._asked = asked

    @property
    def pipe_bytes(self) -> int | None:
        """The pipe's capacity (None where the system does not say)."""
        getsize = getattr(fcntl, "F_GETPIPE_SZ", None)
        return None if getsize is None else int(fcntl.fcntl(self._reader.fileno(), getsize))

    @property
    def pid(self) -> int | None:
        """The child's process id."""
        pid: int | None = self.process.pid
        return pid

    def receive(self) -> Any:
        """Return the child's next message; `ChildEnded` if it ended before sending one."""
        self._flag[0] = 1
        try:
            return self._reader.recv()
        except (EOFError, OSError):  # OSError: "got end of file during message"
            raise ChildEnded(self._how_it_ended()) from None
        finally:
            self._flag[0] = 0

    def ask(self, request: object) -> None:
        """Send the child a request (`ToParent.request`); its answer is its next message."""
        if self._asked is None:
            raise ValueError("this child takes no requests")
        try:
            self._asked.send(request)
        except OSError:  # a broken pipe: the child is gone
            raise ChildEnded(self._how_it_ended()) from None

    def join(self) -> None:
        """Wait for the child to exit (after its last message; the end of any requests)."""
        if self._asked is not None:
            self._asked.close()
        self.process.join()

    def close(self) -> None:
        """Stop the child if it still runs and close this end (the parent's cleanup)."""
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()
        self._reader.close()
        if self._asked is not None:
            self._asked.close()

    def _how_it_ended(self) -> str:
        self.process.join(timeout=5.0)  # it closed the pipe: it is exiting, or has
        code = self.process.exitcode
        if code is None:
            how = "closed its pipe"
        elif code < 0:
            try:
                how = f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"was killed by signal {-code}"
        else:
            how = f"exited with status {code}"
        return f"the {self.what} process {how} before it sent all its results"


def _grow_pipe(conn: Connection) -> None:
    """Ask for a pipe of `PIPE_BYTES`; where refused (a lower limit, not Linux), it stays."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only, Python 3.10+
    if setsize is None:
        return
    try:
        fcntl.fcntl(conn.fileno(), setsize, PIPE_BYTES)
    except OSError:  # EPERM above pipe-max-size, EBUSY below what the pipe holds: not needed
        pass


def _run(
    target: Callable[..., None],
    args: tuple[Any, ...],
    reader: Connection,
    writer: Connection,
    depth: int,
    flag: mmap.mmap | None = None,
    asks: Connection | None = None,
    asked: Connection | None = None,
) -> None:
    """Run ``target`` in the child, on its end of the pipe only; return once all is written."""
    reader.close()  # the parent's alone: its death is a broken pipe here
    if asked is not None:
        asked.close()  # the parent's alone too: its close (or death) is the requests' end
    to_parent = ToParent(writer, depth, flag, asks)
    try:
        target(to_parent, *args)
    finally:
        to_parent.close()
