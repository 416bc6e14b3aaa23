from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from ais_ingest.decoder import Decoder
from ais_ingest.records import Batch
from ais_ingest.sources import merge_chunks, open_source
from ais_ingest.stream import decode_stream

LINES = Path("tests/data/ais/pyais/nmea_data_sample.txt").read_text().splitlines()


async def test_batches_over_real_udp_close_on_time_when_traffic_is_light() -> None:
    source = open_source("udp://127.0.0.1:0")
    await source.start()
    assert source.address is not None
    port = source.address[1]
    dec = Decoder(dedupe_seconds=0)
    batches: list[Batch] = []

    async def consume() -> None:
        async for batch in decode_stream(
            merge_chunks([source]), dec, batch_size=10_000, batch_seconds=0.05
        ):
            batches.append(batch)
            if sum(len(b) for b in batches) >= 40:
                return

    task = asyncio.create_task(consume())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        for line in LINES[:60]:
            tx.sendto((line + "\n").encode(), ("127.0.0.1", port))
            await asyncio.sleep(0.002)
    await asyncio.wait_for(task, 10)
    # far fewer lines than batch_size arrived, so only the time bound can have closed batches
    assert sum(len(b) for b in batches) >= 40
    assert dec.stats.lines >= 40


async def test_size_bound_splits_a_fast_stream_and_every_line_is_counted(tmp_path: Path) -> None:
    capture = tmp_path / "c.nmea"
    capture.write_text("\n".join(LINES) + "\n")
    dec = Decoder(dedupe_seconds=0)
    sizes = [
        len(b)
        async for b in decode_stream(
            merge_chunks([f"file:{capture}"]), dec, batch_size=100, batch_seconds=5
        )
    ]
    assert len(sizes) >= 7 and max(sizes) <= 100
    assert dec.stats.lines == len(LINES) == dec.stats.accounted
