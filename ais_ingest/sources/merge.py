"""Several sources at once (``mare ingest A B C``), as one stream of tagged lines.

Each source runs in its own task and puts what it reads into one bounded queue: a source
faster than the consumer waits (TCP then slows its peer down) instead of filling memory. The
queue holds chunks (the lines of one read or datagram), so a fast file costs one queue hand-off
per read, not per line. File sources end; the merge ends when all its sources have ended. A
source that fails (a capture damaged half way) stops the merge with its error, after the
others are closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterable

from ais_ingest.sources.base import LineChunk, LineSource, TaggedLine
from ais_ingest.sources.open import open_source
from ais_ingest.sources.spec import SourceSpec

#: Chunks between the sources and the consumer; a chunk is at most one read (256 KiB), so
#: this bounds the merge to a few MB while keeping every source busy.
MERGE_QUEUE = 16


class _Finished:
    __slots__ = ("error",)

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


async def merge_chunks(
    sources: Iterable[SourceSpec | str | LineSource],
    *,
    queue_size: int = MERGE_QUEUE,
    stop: asyncio.Event | None = None,
) -> AsyncGenerator[LineChunk, None]:
    """Yield ``(received_at, lines, source_name)`` chunks from all ``sources`` as they arrive.

    Every source is started before anything is yielded, so a port in use or a missing file is
    a ``SourceError`` up front. Closing the iterator (or cancelling its consumer) closes all.
    Lines of one source keep their order; sources interleave by arrival.

    ``stop`` ends the merge gracefully (Ctrl-C, SIGTERM): the sources take no more input, and
    what they already read is still yielded before the iterator ends, so a stop loses no line
    that reached the process.
    """
    opened = [s if isinstance(s, LineSource) else open_source(s) for s in sources]
    queue: asyncio.Queue[LineChunk | _Finished] = asyncio.Queue(queue_size)
    tasks: list[asyncio.Task[None]] = []
    stopping = False
    reading: set[LineSource] = set()  # sources waiting on their input (not on the queue)

    async def pump(source: LineSource) -> None:
        error: BaseException | None = None
        chunks = source.chunks()
        try:
            while not (stopping and not source.drains_on_stop):
                reading.add(source)
                try:
                    chunk = await anext(chunks)
                except StopAsyncIteration:
                    break
                finally:
                    reading.discard(source)
                await queue.put(chunk)
        except asyncio.CancelledError:
            if not stopping:
                raise
            # stopped while waiting on its input: nothing read is lost (see `stop_when_asked`)
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            error = exc
        finally:
            await chunks.aclose()
            await source.aclose()
        await queue.put(_Finished(error))

    async def stop_when_asked(event: asyncio.Event) -> None:
        """Stop every source's input; cancel those holding nothing only while they wait on it."""
        nonlocal stopping
        await event.wait()
        stopping = True
        for source, task in zip(opened, tasks, strict=False):
            source.stop_input()
            if not source.drains_on_stop and source in reading:
                task.cancel()

    try:
        for source in opened:
            await source.start()
        tasks = [asyncio.create_task(pump(s), name=f"source {s.name}") for s in opened]
        if stop is not None:
            tasks.append(asyncio.create_task(stop_when_asked(stop), name="merge stop"))
        running = len(opened)
        while running:
            item = await queue.get()
            if isinstance(item, _Finished):
                running -= 1
                if item.error is not None:
                    raise item.error
                continue
            yield item
    finally:
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for source in opened:
            await source.aclose()


async def merge_sources(
    sources: Iterable[SourceSpec | str | LineSource], *, queue_size: int = MERGE_QUEUE
) -> AsyncGenerator[TaggedLine, None]:
    """Yield ``(received_at, line, source_name)`` from all ``sources``, line by line.

    ``source_name`` is the source's name (its URL or ``name=`` option), with ``#host:port`` of
    the sender for listeners: the key multipart reassembly needs. See :func:`merge_chunks`.
    """
    chunks = merge_chunks(sources, queue_size=queue_size)
    try:
        async for received_at, lines, source in chunks:
            for line in lines:
                yield TaggedLine(received_at, line, source)
    finally:
        await chunks.aclose()
