"""Several sources at once (``mare ingest A B C``), as one stream of tagged lines.

Each source runs in its own task and puts lines into one bounded queue: a source faster than
the consumer waits (TCP then slows its peer down) instead of filling memory. File sources end;
the merge ends when all its sources have ended. A source that fails (a capture damaged half
way) stops the merge with its error, after the others are closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterable

from ais_ingest.sources.base import LineSource, TaggedLine
from ais_ingest.sources.open import open_source
from ais_ingest.sources.spec import SourceSpec

#: Lines between the sources and the consumer; a few milliseconds of a national feed.
MERGE_QUEUE = 4096


class _Finished:
    __slots__ = ("error",)

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


async def merge_sources(
    sources: Iterable[SourceSpec | str | LineSource], *, queue_size: int = MERGE_QUEUE
) -> AsyncGenerator[TaggedLine, None]:
    """Yield ``(received_at, line, source_name)`` from all ``sources`` as lines arrive.

    Every source is started before any line is yielded, so a port in use or a missing file is
    a ``SourceError`` up front. Closing the iterator (or cancelling its consumer) closes all.
    """
    opened = [s if isinstance(s, LineSource) else open_source(s) for s in sources]
    queue: asyncio.Queue[TaggedLine | _Finished] = asyncio.Queue(queue_size)
    tasks: list[asyncio.Task[None]] = []

    async def pump(source: LineSource) -> None:
        error: BaseException | None = None
        try:
            async for item in source.tagged():
                await queue.put(item)
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            error = exc
        finally:
            await source.aclose()
        await queue.put(_Finished(error))

    try:
        for source in opened:
            await source.start()
        tasks = [asyncio.create_task(pump(s), name=f"source {s.name}") for s in opened]
        running = len(tasks)
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
