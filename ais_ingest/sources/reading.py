"""Blocking reads (files, decompression) off the event loop, safely cancellable.

A read runs in a worker thread so that a 1 GB gzip capture never stalls the live service's
loop. If the task waiting for it is cancelled, the read still finishes in its thread; the file
is closed only then, never under a running read.
"""

from __future__ import annotations

import asyncio
import bz2
import gzip
import io
import lzma
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol, TypeVar

T = TypeVar("T")

#: Big enough that thread hand-offs cost nothing per line (~2,500 AIS lines), small enough to
#: start a replay at once.
CHUNK = 256 * 1024
#: Reads from pipes return what is there; this only bounds one read.
READ_SIZE_PIPE = 65536

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


class ByteStream(Protocol):
    """What a capture is read through: plain, gzip, bzip2 and xz files all fit."""

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


_MAGIC: tuple[tuple[bytes, Callable[[io.BufferedReader], ByteStream]], ...] = (
    (b"\x1f\x8b", lambda raw: gzip.GzipFile(fileobj=raw, mode="rb")),
    (b"BZh", bz2.BZ2File),
    (b"\xfd7zXZ\x00", lzma.LZMAFile),
)


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="mare-read")
        return _executor


def open_capture(path: str) -> ByteStream:
    """Open a capture for reading bytes, decompressing gzip, bzip2 or xz told by magic bytes.

    The content decides, not the name: captures get renamed, and ``.gz`` files that are not
    compressed exist. Blocking; call it through :func:`run_blocking`.
    """
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller or by the wrapper
    try:
        head = raw.peek(6)[:6]
        for magic, wrap in _MAGIC:
            if head.startswith(magic):
                return wrap(raw)
        return raw
    except BaseException:
        raw.close()
        raise


async def run_blocking(func: Callable[[], T]) -> T:
    """Run ``func`` in the reader pool; the await may be cancelled, the call is not."""
    return await asyncio.wrap_future(_pool().submit(func))


class ChunkReader:
    """Chunks of a blocking binary stream, read in the pool; :meth:`close` waits for no one."""

    def __init__(self, stream: ByteStream) -> None:
        self._stream = stream
        self._inflight: Future[bytes] | None = None

    async def read(self, size: int = CHUNK) -> bytes:
        """Return up to ``size`` bytes; ``b""`` at the end."""
        future = _pool().submit(self._stream.read, size)
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
