"""Captures on disk: several files in order, compressed or not, optionally replayed in real time.

Without ``speed`` lines go as fast as the consumer takes them (``mare decode``, back-filling).
With ``speed`` the replay follows the lines' own event times (:mod:`.eventtime`), scaled: a
capture of one hour at ``speed=60`` takes about a minute, and the detectors downstream see
the same spacing as live, which is the point of a replay.
"""

from __future__ import annotations

import asyncio
import functools
import glob
import os
import time
from collections.abc import AsyncGenerator

from ais_ingest.errors import SourceError
from ais_ingest.sources.base import LineSource, RawChunk, ReplayChunk, SourceStats
from ais_ingest.sources.eventtime import line_event_time
from ais_ingest.sources.lines import MAX_LINE, LineSplitter
from ais_ingest.sources.pacing import Pacer
from ais_ingest.sources.reading import ChunkReader, open_capture, run_blocking
from ais_ingest.sources.spec import SourceSpec


def expand_paths(paths: tuple[str, ...]) -> list[str]:
    """Return the files to read, in order; raise ``SourceError`` for any that cannot be read.

    A path that exists is taken as is, even with glob characters in its name; otherwise a glob
    pattern expands to its matches in sorted order (the order of rotated capture names).
    """
    files: list[str] = []
    for path in paths:
        if os.path.exists(path) or not glob.has_magic(path):
            matches = [path]
        else:
            matches = sorted(glob.glob(path))
            if not matches:
                hint = " (options need the file: form, file:PATH?speed=10)" if "?" in path else ""
                raise SourceError(f"cannot read {path}: no file matches{hint}")
        for match in matches:
            try:
                with open(match, "rb"):
                    pass
            except OSError as exc:
                raise SourceError(f"cannot read {match}: {exc.strerror or exc}") from exc
            files.append(match)
    return files


async def stream_lines(
    reader: ChunkReader,
    splitter: LineSplitter,
    stats: SourceStats,
    pacer: Pacer | None,
    received_at: float | None = None,
) -> AsyncGenerator[RawChunk, None]:
    """Yield the lines of one stream, paced if ``pacer`` is given; the caller closes ``reader``.

    ``received_at`` fixes the receive time of unpaced lines (a capture's modification time);
    otherwise it is the wall clock when the bytes were read.
    """
    while True:
        data = await reader.read()
        if data:
            stats.bytes += len(data)
            lines = splitter.feed(data)
        else:
            lines = splitter.flush()
        stats.truncated = splitter.truncated
        if pacer is None:
            yield (time.time() if received_at is None else received_at), lines, None
        else:
            for line in lines:
                wait = pacer.delay(line_event_time(line), time.monotonic())
                if wait > 0:
                    await asyncio.sleep(wait)
                yield time.time(), [line], None
        if not data:
            return


class FileSource(LineSource):
    """``file:PATH[?speed=F]`` or bare paths: every line of every file, in order."""

    _chunk = ReplayChunk

    def __init__(self, spec: SourceSpec, *, max_line: int = MAX_LINE) -> None:
        super().__init__(spec, max_line=max_line)
        self.files: list[str] = []

    async def _open(self) -> None:
        self.files = expand_paths(self.spec.paths)

    async def _produce(self) -> AsyncGenerator[RawChunk, None]:
        pacer = Pacer(self.spec.speed) if self.spec.speed else None
        splitter = LineSplitter(self.max_line)
        for path in self.files:
            done = self.stats.lines
            try:
                reader = ChunkReader(await run_blocking(functools.partial(open_capture, path)))
            except OSError as exc:
                raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
            # Read at full speed, a capture's lines that carry no time of their own get the
            # file's modification time (as `mare decode` does), so ingesting the same capture
            # twice stores the same positions once; a paced replay plays them as live.
            mtime = None if pacer is not None else os.path.getmtime(path)
            try:
                async for item in stream_lines(reader, splitter, self.stats, pacer, mtime):
                    yield item
            except OSError as exc:  # damaged packed data too (`open_packed`)
                raise SourceError(
                    f"cannot read {path}: {exc} (after line {self.stats.lines - done})"
                ) from exc
            finally:
                reader.close()
