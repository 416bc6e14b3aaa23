"""Blocking reads (files, decompression) off the event loop, safely cancellable.

A read runs in a worker thread so that a 1 GB gzip capture never stalls the live service's
loop. If the task waiting for it is cancelled, the read still finishes in its thread; the file
is closed only then, never under a running read.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol, TypeVar, cast

from ais_ingest.packed import open_packed

T = TypeVar("T")

#: Big enough that thread hand-offs cost nothing per line (~2,500 AIS lines), small enough to
#: start a replay at once.
CHUNK = 256 * 1024
#: Reads from pipes return what is there; this only bounds one read.
READ_SIZE_PIPE = 65536


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


class ByteStream(Protocol):
    """What a capture is read through: every packing `open_packed` unpacks fits."""

    def read1(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="mare-read")
        return _executor


def _forget_pool() -> None:
    """Give a forked child a pool of its own (`mare ingest`'s decoding child reads captures).

    A fork copies the pool but none of its threads: the pool believes its workers run, and a
    read submitted in the child waits for ever.
    """
    global _executor, _executor_lock
    _executor = None
    _executor_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def open_capture(path: str) -> ByteStream:
    """Open a capture for reading bytes however it is packed (`open_packed`).

    Blocking; call it through :func:`run_blocking`. Closed by `ChunkReader.close`.
    """
    return cast(ByteStream, open_packed(path))


async def run_blocking(func: Callable[[], T]) -> T:
    """Run ``func`` in the reader pool; the await may be cancelled, the call is not."""
    return await asyncio.wrap_future(_pool().submit(func))


class ChunkReader:
    """Chunks of a blocking binary stream, read in the pool; :meth:`close` waits for no one."""

    def __init__(self, stream: ByteStream) -> None:
        self._stream = stream
        self._inflight: Future[bytes] | None = None
        self._error: Exception | None = None

    def _read(self, size: int) -> bytes:
        # read1 piece by piece, so that the lines before a damaged spot are delivered: a
        # plain read(size) of a truncated gzip raises and loses everything it had decoded.
        if self._error is not None:
            raise self._error
        parts: list[bytes] = []
        got = 0
        try:
            while got < size:
                data = self._stream.read1(size - got)
                if not data:
                    break
                parts.append(data)
                got += len(data)
        except OSError as exc:  # damaged packed data too (`open_packed`)
            if not parts:
                raise
            self._error = exc
        return b"".join(parts)

    async def read(self, size: int = CHUNK) -> bytes:
        """Return up to ``size`` bytes; ``b""`` at the end; a damaged stream raises."""
        future = _pool().submit(self._read, size)
        self._inflight = future
        data = await asyncio.wrap_future(future)
        self._inflight = None
        return data

    def close(self) -> None:
        """Close the stream now, or when a read still running in its thread returns."""
        future, self._inflight = self._inflight, None
        if future is not None and not future.done():
            future.add_done_callback(lambda _: self._stream.close())
        else:
            self._stream.close()
