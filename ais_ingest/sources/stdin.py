"""Standard input: ``aiscat ... | mare ingest -``, ``mare ingest - < capture.nmea``.

A pipe, socket or terminal is read through the event loop (no thread is left blocked on a read
that may never return when Mare stops); anything else (a regular file redirected to stdin,
``/dev/null``) cannot be watched by epoll and is read like any capture, in a worker thread.
"""

from __future__ import annotations

import asyncio
import os
import stat
import time
from collections.abc import AsyncGenerator

from ais_ingest.sources.base import LineSource, RawChunk
from ais_ingest.sources.files import stream_lines
from ais_ingest.sources.lines import MAX_LINE, LineSplitter
from ais_ingest.sources.reading import READ_SIZE_PIPE, ChunkReader
from ais_ingest.sources.spec import SourceSpec


class StdinSource(LineSource):
    """``-``: lines from file descriptor ``fd`` (0) until end of input."""

    def __init__(self, spec: SourceSpec, *, max_line: int = MAX_LINE, fd: int = 0) -> None:
        super().__init__(spec, max_line=max_line)
        self.fd = fd

    async def _produce(self) -> AsyncGenerator[RawChunk, None]:
        splitter = LineSplitter(self.max_line)
        fd = os.dup(self.fd)
        stream = os.fdopen(fd, "rb")
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or os.isatty(fd)):
            reader = ChunkReader(stream)
            try:
                async for item in stream_lines(reader, splitter, self.stats, None):
                    yield item
            finally:
                reader.close()
            return
        loop = asyncio.get_running_loop()
        pipe = asyncio.StreamReader()
        try:
            transport, _ = await loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(pipe), stream
            )
        except BaseException:
            stream.close()
            raise
        try:
            while data := await pipe.read(READ_SIZE_PIPE):
                self.stats.bytes += len(data)
                now = time.time()
                lines = splitter.feed(data)
                self.stats.truncated = splitter.truncated
                yield now, lines, None
            yield time.time(), splitter.flush(), None
        finally:
            transport.close()
            # The loop made the shared file description non-blocking; give it back as found.
            try:
                os.set_blocking(self.fd, True)
            except OSError:
                pass
