"""``mare ingest``: live sources through the decoder into the database, with a status line."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Annotated

import typer
from rich.live import Live

from ais_ingest.decoder import Decoder
from ais_ingest.errors import IngestError
from ais_ingest.sources import SourceSpec, merge_chunks, parse_source_url
from ais_ingest.stream import decode_stream
from app.cli import cli
from app.cli.console import (
    StatsOpt,
    decoder_from_settings,
    err,
    fail,
    lines_summary,
    warn_legacy_database,
    write_stats,
)
from app.settings import get_settings
from app.store import Store, StoreError, open_store


@cli.command()
def ingest(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="udp://0.0.0.0:10110, tcp://host:port, tcp-listen://0.0.0.0:port, "
            "gpsd://host:2947, file:capture.nmea.gz?speed=10, or - for stdin."
        ),
    ],
    stats_file: StatsOpt = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Only decode and count; store nothing.")
    ] = False,
) -> None:
    """Run live sources through the decoder into the database, with a status line; Ctrl-C stops.

    The database is ``MARE_DATABASE_URL`` (var/mare.sqlite when unset, as for every command:
    `Settings.resolved_database_url`). A batch counts as
    stored only once its transaction has committed.
    """
    try:
        specs = [parse_source_url(s) for s in sources]
    except IngestError as exc:
        raise fail(str(exc)) from None
    store: Store | None = None
    if not no_store:
        warn_legacy_database(get_settings())
        try:
            store = open_store(get_settings().database_url)
        except StoreError as exc:
            raise fail(str(exc)) from None
    dec = decoder_from_settings()
    stored = Stored()
    started = time.perf_counter()
    error: str | None = None
    try:
        asyncio.run(_run_ingest(specs, dec, store, stored))
    except KeyboardInterrupt:
        pass
    except (IngestError, StoreError) as exc:
        error = str(exc)
    finally:
        if store is not None:
            store.close()
    err.print(lines_summary(dec.stats, time.perf_counter() - started))
    if store is not None:
        err.print(
            f"stored {stored.positions:,} positions of {len(stored.vessels):,} vessels "
            f"in {store.where}"
        )
    write_stats(stats_file, dec.stats)
    if error is not None:
        raise fail(error)


@dataclass
class Stored:
    """What committed transactions stored (a batch is counted only after its commit)."""

    positions: int = 0
    vessels: set[int] = field(default_factory=set)


def _status(dec: Decoder, started: float, positions: int, statics: int, stored: Stored) -> str:
    elapsed = max(time.perf_counter() - started, 1e-9)
    c = dec.stats.counts
    failed = sum(v for k, v in c.items() if k not in ("records", "multipart_joined"))
    return (
        f"{dec.stats.lines:,} lines  {dec.stats.lines / elapsed:,.0f} lines/s  "
        f"records {c['records']:,} (positions {positions:,}, static {statics:,})  "
        f"duplicates {c['duplicate']:,}  not decoded {failed - c['duplicate']:,}  "
        f"stored {stored.positions:,}"
    )


async def _run_ingest(
    specs: list[SourceSpec], dec: Decoder, store: Store | None, stored: Stored
) -> None:
    settings = get_settings()
    started = time.perf_counter()
    positions = statics = 0
    with Live(console=err, refresh_per_second=4, transient=True) as live:
        chunks = merge_chunks(specs)
        stream = decode_stream(
            chunks, dec, batch_size=settings.batch_size, batch_seconds=settings.batch_seconds
        )
        with contextlib.suppress(asyncio.CancelledError):
            async for batch in stream:
                positions += len(batch.positions)
                statics += len(batch.statics)
                if store is not None:
                    # In a worker thread: the sources keep reading while the database commits.
                    result = await asyncio.to_thread(store.write_batch, batch)
                    stored.positions += result.positions_inserted
                    stored.vessels.update(batch.positions.mmsi.tolist())
                    stored.vessels.update(s.mmsi for s in batch.statics)
                live.update(_status(dec, started, positions, statics, stored))
