"""``mare ingest``: live sources through the decoder into the database, with a status line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.live import Live

from ais_ingest.decoder import Decoder
from ais_ingest.errors import IngestError
from ais_ingest.records import Batch
from ais_ingest.sources import SourceSpec, merge_chunks, parse_source_url
from ais_ingest.stream import decode_stream
from app import defaults
from app.cli import cli
from app.cli.batch_gc import quiet_gc
from app.cli.console import (
    StatsOpt,
    err,
    fail,
    lines_summary,
    warn_legacy_database,
    warn_line,
    write_stats,
)
from app.cli.decoder_config import decoder_from_settings
from app.cli.ingest_ahead import AheadDecoding, worth_ahead
from app.cli.tables import store_tables, table_sources
from app.cli.timing import ingest_untimed_message
from app.cli.words import counted

if TYPE_CHECKING:
    from ais_ingest.records import StaticReport
    from app.store import Staged, Store, WriteResult
    from app.store.vessels import VesselStage


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
        tables = table_sources(specs)
    except IngestError as exc:
        raise fail(str(exc)) from None
    dec = decoder_from_settings()
    ahead: AheadDecoding | None = None
    if not no_store and not tables and worth_ahead(specs):
        # Forked before `Settings` and the store are imported (~0.4 s): the child decodes meanwhile.
        size, wait = batching(specs)
        quiet_gc()  # before the fork: the child's too
        ahead = AheadDecoding(specs, dec, batch_size=size, batch_seconds=wait)
    try:
        store = None if no_store else _open_store()
    except BaseException:
        if ahead is not None:
            ahead.close()
        raise
    # The store's errors only with a store: importing it (SQLAlchemy, pydantic, ~0.3 s) was
    # most of --no-store's start-up.
    failures: tuple[type[Exception], ...] = (IngestError,)
    if store is not None:
        from app.store import StoreError

        failures = (IngestError, StoreError)
    quiet_gc()
    if tables:
        _ingest_tables(tables, store, stats_file)
        return
    stored = Stored()
    started = time.perf_counter()
    error: str | None = None
    try:
        if ahead is not None and store is not None:
            _write_ahead(ahead, store, stored)
        else:
            asyncio.run(_run_ingest(specs, dec, store, stored))
    except KeyboardInterrupt:
        pass
    except failures as exc:
        error = str(exc)
    finally:
        if ahead is not None:
            ahead.close()
        if store is not None:
            store.close()
    err.print(lines_summary(dec.stats, time.perf_counter() - started))
    try:
        untimed = ingest_untimed_message(specs, dec.stats)
    except IngestError:  # a capture gone since it was read: its fallback cannot be named
        untimed = None
    if untimed is not None:
        warn_line(untimed)
    if store is not None:
        err.print(
            f"stored {counted(stored.positions, 'position')} of "
            f"{counted(len(stored.vessels), 'vessel')} in {store.where}"
        )
    write_stats(stats_file, dec.stats)
    if error is not None:
        raise fail(error)


def _open_store() -> Store:
    """Open the configured database, or fail with one line; `Settings` is first built here.

    Not built when ``MARE_DATABASE_URL`` is the only setting in the environment
    (`defaults.database_url_alone`): the URL is all it would say, and pydantic's import is
    ~0.1 s of CPU before the first write, while a capture's first batch is decoded already.
    """
    from app.store import StoreError, open_store

    url = defaults.database_url_alone()
    if url is None:
        from app.settings import get_settings

        warn_legacy_database(get_settings())
        url = get_settings().database_url
    try:
        return open_store(url)
    except StoreError as exc:
        raise fail(str(exc)) from None


def _ingest_tables(tables: list[Path], store: Store | None, stats_file: Path | None) -> None:
    """Store decoded tables (`app.cli.tables`): one summary line, skipped rows in one warning."""
    from app.settings import get_settings
    from app.store import StoreError

    started = time.perf_counter()
    try:
        stats, positions, vessels = store_tables(tables, store, get_settings().file_batch_size)
    except (IngestError, StoreError) as exc:
        raise fail(str(exc)) from None
    finally:
        if store is not None:
            store.close()
    seconds = time.perf_counter() - started
    rate = stats.rows / max(seconds, 1e-9)
    err.print(f"{stats.rows:,} table rows in {seconds:.2f} s ({rate:,.0f} rows/s)")
    if (skipped := stats.warning()) is not None:
        warn_line(skipped)
    if store is not None:
        err.print(
            f"stored {counted(positions, 'position')} of {counted(vessels, 'vessel')} "
            f"in {store.where}"
        )
    if stats_file is not None:
        stats_file.write_text(json.dumps({"tables": stats.report()}, indent=2) + "\n")


def _write_ahead(ahead: AheadDecoding, store: Store, stored: Stored) -> None:
    """Store the batches a forked child decodes (`app.cli.ingest_ahead`), as `_run_ingest` does.

    In order, one batch in flight (a worker thread) while this thread stages the next; the
    batches go into transactions of up to `GROUP_POSITIONS` positions (`GroupWrite`: one vessel
    upsert for all of them), counted once committed; while the last batch's positions are in
    the database, this thread merges the group's vessels for the commit (`merge_group`).
    Ctrl-C or SIGTERM: the child stops taking input and what it read is still stored; a second
    one quits now, after committing what was sent.
    """
    from app.store.group_write import GROUP_POSITIONS, GroupWrite, merge_group

    dec = ahead.decoder
    started = time.perf_counter()
    positions = statics = 0
    group = GroupWrite(store)
    in_group: list[Batch] = []  # the batches the group's commit will count
    # what the batches sent since the last commit bring to their vessels (`merge_group`)
    vessels: list[VesselStage | None] = []
    reports: list[StaticReport] = []
    unmerged = 0  # their positions
    writing: Future[WriteResult | None] | None = None

    def count(batches: list[Batch], result: WriteResult | None) -> None:
        if result is None:  # sent in the group's transaction, not committed yet
            return
        stored.positions += result.positions_inserted
        for batch in batches:
            stored.vessels.update(batch.positions.mmsi.tolist())
            stored.vessels.update(s.mmsi for s in batch.statics)
        batches.clear()

    def add(staged: Staged, commit: bool) -> WriteResult | None:
        done = group.add(staged)
        return group.commit() if done is None and commit else done

    stopping = False

    def on_signal(_sig: int, _frame: object) -> None:
        nonlocal stopping
        if stopping:
            raise KeyboardInterrupt
        stopping = True
        err.print("stopping: storing what was read (Ctrl-C again to quit now)")
        ahead.stop()

    handlers = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    pool = ThreadPoolExecutor(1, thread_name_prefix="mare-ingest-writer")
    try:
        with Live(console=err, refresh_per_second=4, transient=True) as live:
            for batch in ahead.batches():
                positions += len(batch.positions)
                statics += len(batch.statics)
                staged = store.stage(batch)
                vessels.append(staged.vessels)
                reports += batch.statics
                unmerged += len(staged.positions)
                full = unmerged >= GROUP_POSITIONS
                if full:  # committed by its writer, as the group's last batch
                    vessels, reports, unmerged = [], [], 0
                if writing is not None:
                    count(in_group, writing.result())
                in_group.append(batch)
                writing = pool.submit(add, staged, full)
                live.update(_status(dec, started, positions, statics, stored))
            # merged here while the last batch's positions are in the database, not after
            merged = merge_group(vessels, reports) if vessels and store.postgis else None
            if writing is not None:
                count(in_group, writing.result())
            writing = pool.submit(group.commit, merged)
            count(in_group, writing.result())
            writing = None
    finally:
        if writing is not None:  # a stop or an error: what was sent is committed first
            with contextlib.suppress(Exception):
                count(in_group, writing.result())
                if in_group:
                    count(in_group, pool.submit(group.commit).result())
        pool.submit(group.close).result()
        pool.shutdown()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _stop_on_signals() -> asyncio.Event:
    """Make Ctrl-C and SIGTERM (``systemctl stop``) a graceful stop; a second one quits now.

    A graceful stop takes no more input and stores what was already read (lines in the
    decoder's batch, datagrams in the socket's buffer) before the command ends: a stop loses no
    line that reached the process, and the summary counts them. The handlers go with the loop.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()

    def on_signal() -> None:
        if stop.is_set():
            if main is not None:
                main.cancel()
            return
        stop.set()
        err.print("stopping: storing what was read (Ctrl-C again to quit now)")

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    return stop


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


def batching(specs: list[SourceSpec]) -> tuple[int, float]:
    """Lines per batch and the longest a partial batch waits, for decoding ``specs``.

    The file batch size when every source is a capture read at full speed: no alert waits on
    those, and the store's cost per batch (its duplicate check and BRIN summary; a capture's
    transaction and vessel upsert go per group of batches) is then paid per 100k lines instead
    of per 2k; a live or paced source keeps the live size, short for latency. Their defaults
    need no `Settings` unless the environment sets one (`app.defaults`): a capture's decoding
    child is forked before pydantic's import.
    """
    files = all(s.kind == "file" and not s.speed for s in specs)
    if defaults.batch_defaults_apply():
        size = defaults.FILE_BATCH_SIZE if files else defaults.BATCH_SIZE
        return size, defaults.BATCH_SECONDS
    from app.settings import get_settings

    settings = get_settings()
    return (settings.file_batch_size if files else settings.batch_size), settings.batch_seconds


def batch_size_for(specs: list[SourceSpec]) -> int:
    """Lines per batch for decoding ``specs`` (`batching`)."""
    return batching(specs)[0]


async def _run_ingest(
    specs: list[SourceSpec], dec: Decoder, store: Store | None, stored: Stored
) -> None:
    """Decode the sources and store each batch, one write in flight while the next decodes.

    Batches are written in order, each after the one before has committed; ``stored`` counts a
    batch once its write returned. Decoding and staging (`Store.stage`, the client's numpy
    share of a write) run in this thread while the previous batch's write runs in a worker
    thread, mostly waiting on the database: the writer's connection never waits on our CPU.
    """
    size, wait = batching(specs)
    started = time.perf_counter()
    positions = statics = 0
    writing: asyncio.Task[tuple[Batch, WriteResult]] | None = None

    async def write(into: Store, staged: Staged) -> tuple[Batch, WriteResult]:
        return staged.batch, await asyncio.to_thread(into.write_staged, staged)

    def count(done: tuple[Batch, WriteResult]) -> None:
        batch, result = done
        stored.positions += result.positions_inserted
        stored.vessels.update(batch.positions.mmsi.tolist())
        stored.vessels.update(s.mmsi for s in batch.statics)

    stop = _stop_on_signals()
    with Live(console=err, refresh_per_second=4, transient=True) as live:
        chunks = merge_chunks(specs, stop=stop)
        stream = decode_stream(chunks, dec, batch_size=size, batch_seconds=wait)
        try:
            with contextlib.suppress(asyncio.CancelledError):
                async for batch in stream:
                    positions += len(batch.positions)
                    statics += len(batch.statics)
                    if store is not None:
                        staged = store.stage(batch)
                        if writing is not None:
                            count(await writing)
                        writing = asyncio.create_task(write(store, staged))
                    live.update(_status(dec, started, positions, statics, stored))
        finally:
            if writing is not None:  # Ctrl-C or the end: the write in flight finishes first
                with contextlib.suppress(asyncio.CancelledError):
                    count(await asyncio.shield(writing))
