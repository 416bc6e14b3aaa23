"""`mare decode` (captures to records) and `mare ingest` (live sources to records and store)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.live import Live
from rich.table import Table

from ais_ingest.decoder import Decoder, chunked, read_lines
from ais_ingest.errors import IngestError
from ais_ingest.sources import SourceSpec, merge_chunks, parse_source_url
from ais_ingest.stats import IngestStats
from ais_ingest.stream import decode_stream
from app.cli import cli
from app.cli.console import (
    decoder_from_settings,
    err,
    fail,
    file_progress,
    warn_legacy_database,
    warn_line,
)
from app.cli.output import RecordWriter
from app.cli.timing import CaptureClock, mostly_untimed, untimed, untimed_message
from app.settings import get_settings
from app.store import Store, StoreError, open_store

StatsOpt = Annotated[
    Path | None, typer.Option("--stats", help="Write the final counters as JSON to this file.")
]


def _summary(stats: IngestStats, seconds: float) -> Table:
    table = Table(title="Lines by outcome", show_header=True)
    table.add_column("outcome")
    table.add_column("lines", justify="right")
    for key, value in stats.as_dict().items():
        if value or key in ("lines", "records"):
            table.add_row(key, f"{value:,}")
    rate = stats.lines / seconds if seconds > 0 else 0.0
    table.caption = f"{stats.lines:,} lines in {seconds:.2f} s ({rate:,.0f} lines/s)"
    return table


def _write_stats(path: Path | None, stats: IngestStats) -> None:
    if path is not None:
        path.write_text(json.dumps(stats.report(), indent=2) + "\n")


@cli.command()
def decode(
    captures: Annotated[list[Path], typer.Argument(help="Capture files, plain or .gz.")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl, csv or none.")] = "jsonl",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write records here, not stdout.")
    ] = None,
    stats_file: StatsOpt = None,
) -> None:
    """Decode AIS captures into records; every line is counted once in the summary."""
    for path in captures:
        if not path.is_file():
            raise fail(f"no such capture: {path}")
    dec = decoder_from_settings()
    sink = out.open("w", newline="") if out is not None else sys.stdout
    try:
        writer = RecordWriter(sink, fmt)
    except ValueError as exc:
        raise fail(str(exc)) from None
    total = sum(p.stat().st_size for p in captures)
    untimed_captures: list[str] = []
    started = time.perf_counter()
    progress = file_progress()
    try:
        with progress:
            task = progress.add_task("decoding", total=total)
            for path in captures:
                progress.update(task, description=f"decoding {path.name}")
                clock = CaptureClock(path)
                before = dict(dec.stats.times)
                for chunk in chunked(read_lines(path), 8192):
                    batch = dec.decode(chunk, clock.end_ms, path.name)
                    writer.write(batch.records())
                    progress.advance(task, sum(len(line) + 1 for line in chunk))
                if mostly_untimed(untimed(before, dec.stats)):
                    untimed_captures.append(untimed_message(clock, untimed(before, dec.stats)))
            dec.flush()
    except BrokenPipeError:  # `mare decode x | head`: the reader has all it wants
        sys.stderr.close()
        raise typer.Exit(0) from None
    except (OSError, EOFError) as exc:
        raise fail(f"cannot read capture: {exc}") from None
    finally:
        if out is not None:
            sink.close()
    for line in untimed_captures:
        warn_line(line)
    err.print(_summary(dec.stats, time.perf_counter() - started))
    _write_stats(stats_file, dec.stats)


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
    err.print(_summary(dec.stats, time.perf_counter() - started))
    if store is not None:
        err.print(
            f"stored {stored.positions:,} positions of {len(stored.vessels):,} vessels "
            f"in {store.where}"
        )
    _write_stats(stats_file, dec.stats)
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
