"""Live decoding: chunks of lines from sources in, `Batch`es bounded by size and by time out.

A batch closes when it holds ``batch_size`` lines or when its first line has waited
``batch_seconds``: big batches when traffic is heavy (vectorised stages stay efficient), short
waits when it is light (an alert is never held back for long). A quiet feed yields nothing.
Sources hand over whole reads (`LineChunk`), so the per-item asyncio cost is per read, not per
line.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, AsyncIterator

from ais_ingest.decoder import Decoder
from ais_ingest.records import Batch
from ais_ingest.sources.base import LineChunk

#: Most lines given to the decoder in one call. A bigger batch (a file batch of 100k lines) is
#: decoded in slices and joined: the dedupe's Python loop takes every payload that repeats
#: within one call (`ais_ingest.dedupe`), and in 100k lines of a capture of several passes
#: over a feed (or one long one) most do, though minutes apart (the AISHub capture of
#: `bench.cli`: 0.96 s of CPU in 100k-line calls, 0.51 s in 16k-line ones).
DECODE_LINES = 16_384


def decode_slices(
    decoder: Decoder, texts: list[str], times: list[int], sources: list[str], clocked: list[bool]
) -> Batch:
    """Decode lines in calls of at most `DECODE_LINES`, joined into one batch (same records)."""
    if len(texts) <= DECODE_LINES:
        return decoder.decode(texts, times, sources, clocked=clocked)
    return Batch.concat(
        decoder.decode(
            texts[i : i + DECODE_LINES],
            times[i : i + DECODE_LINES],
            sources[i : i + DECODE_LINES],
            clocked=clocked[i : i + DECODE_LINES],
        )
        for i in range(0, len(texts), DECODE_LINES)
    )


async def decode_stream(
    chunks: AsyncIterable[LineChunk],
    decoder: Decoder,
    *,
    batch_size: int,
    batch_seconds: float,
) -> AsyncIterator[Batch]:
    """Decode chunks as they arrive into batches; empty decodes are not yielded."""
    queue: asyncio.Queue[LineChunk | None] = asyncio.Queue(maxsize=64)

    async def pump() -> None:
        try:
            async for item in chunks:
                await queue.put(item)
        finally:
            await queue.put(None)

    task = asyncio.create_task(pump(), name="decode_stream pump")
    texts: list[str] = []
    times: list[int] = []
    sources: list[str] = []
    clocked: list[bool] = []
    deadline = 0.0
    try:
        while True:
            item: LineChunk | None = None
            timed_out = False
            try:
                timeout = max(0.0, deadline - time.monotonic()) if texts else None
                item = await asyncio.wait_for(queue.get(), timeout)
            except TimeoutError:
                timed_out = True
            if item is not None and item.lines:
                if not texts:
                    deadline = time.monotonic() + batch_seconds
                n = len(item.lines)
                texts.extend(item.lines)
                times.extend([int(item.received_at * 1000)] * n)
                sources.extend([item.source] * n)
                clocked.extend([item.clocked] * n)
            ended = item is None and not timed_out
            while len(texts) >= batch_size:  # a big read is cut into full batches
                batch = decode_slices(
                    decoder,
                    texts[:batch_size],
                    times[:batch_size],
                    sources[:batch_size],
                    clocked[:batch_size],
                )
                del texts[:batch_size], times[:batch_size], sources[:batch_size]
                del clocked[:batch_size]
                deadline = time.monotonic() + batch_seconds
                if len(batch):
                    yield batch
            if texts and (ended or timed_out):
                batch = decode_slices(decoder, texts, times, sources, clocked)
                texts, times, sources, clocked = [], [], [], []
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
