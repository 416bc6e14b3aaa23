"""Live decoding: tagged lines from sources in, `Batch`es bounded by size and by time out.

A batch closes when it holds ``batch_lines`` lines or when its first line has waited
``batch_seconds``: big batches when traffic is heavy (vectorised stages stay efficient), short
waits when it is light (an alert is never held back for long). A quiet feed yields nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, AsyncIterator

from ais_ingest.decoder import Decoder
from ais_ingest.records import Batch
from ais_ingest.sources.base import TaggedLine


async def decode_stream(
    lines: AsyncIterable[TaggedLine],
    decoder: Decoder,
    *,
    batch_lines: int = 2048,
    batch_seconds: float = 0.25,
) -> AsyncIterator[Batch]:
    """Decode ``lines`` as they arrive into batches; empty decodes are not yielded."""
    queue: asyncio.Queue[TaggedLine | None] = asyncio.Queue(maxsize=batch_lines * 4)

    async def pump() -> None:
        try:
            async for item in lines:
                await queue.put(item)
        finally:
            await queue.put(None)

    task = asyncio.create_task(pump(), name="decode_stream pump")
    texts: list[str] = []
    times: list[int] = []
    sources: list[str] = []
    deadline = 0.0
    try:
        while True:
            item: TaggedLine | None = None
            timed_out = False
            try:
                timeout = max(0.0, deadline - time.monotonic()) if texts else None
                item = await asyncio.wait_for(queue.get(), timeout)
            except TimeoutError:
                timed_out = True
            if item is not None:
                if not texts:
                    deadline = time.monotonic() + batch_seconds
                texts.append(item.line)
                times.append(int(item.received_at * 1000))
                sources.append(item.source)
            ended = item is None and not timed_out
            if texts and (ended or timed_out or len(texts) >= batch_lines):
                batch = decoder.decode(texts, times, sources)
                texts, times, sources = [], [], []
                if len(batch):
                    yield batch
            if ended:
                break
        error = task.exception() if task.done() and not task.cancelled() else None
        if error is not None:
            raise error
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        decoder.flush()
