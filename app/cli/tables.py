"""``mare detect`` and ``mare ingest`` over decoded tables (CSV, JSON lines, GIS layers).

A run takes either tables or NMEA captures, not both: a table is read whole and sorted by time
before the engine or the store sees a row (`ais_ingest.tables`), while captures stream in file
order, and the engine's clock cannot merge the two without holding a whole capture in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ais_ingest.errors import TableError
from ais_ingest.table_sniff import is_table
from ais_ingest.table_stats import TableStats

if TYPE_CHECKING:  # `mare detect` imports neither the store (SQLAlchemy) nor the sources
    from rich.progress import Progress  # (nor rich before its fork: `app.cli.detect`)

    from ais_ingest.sources import SourceSpec  # (asyncio: ~0.015 s of its start-up)
    from app.store import Store
    from geo.engine import Engine  # nor `mare ingest` the engine (0.1 s before its fork)
    from geo.events import Event


def split_inputs(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Return (NMEA captures, tables); `TableError` for a table that cannot be read, or a mix."""
    tables = [p for p in paths if is_table(p)]
    captures = [p for p in paths if p not in tables]
    if tables and captures:
        raise TableError(
            f"give NMEA captures ({captures[0].name}) and decoded tables ({tables[0].name}) "
            "to separate runs: a table is ordered by time as a whole, a capture as it streams"
        )
    return captures, tables


def run_tables(
    tables: list[Path],
    engine: Engine,
    add: Callable[[list[Event]], None],
    progress: Progress | None = None,
) -> TableStats:
    """Feed the tables' records to the engine in time order; ``add`` takes each step's events."""
    from ais_ingest.tables import read_tables  # pandas: only when there are tables
    from geo.clock import vouched_end

    task = progress.add_task("reading tables", total=None) if progress else None
    read = read_tables(tables)
    # A table is read whole: its own times say which are plausible (`geo.clock.vouched_end`).
    engine.clock.trust_until(vouched_end(read.times()))
    if progress is not None and task is not None:
        progress.update(task, description="detecting", total=len(read.positions) or 1)
    for batch in read.batches():
        add(engine.process(batch))
        if progress is not None and task is not None:
            progress.advance(task, len(batch.positions))
    add(engine.flush())
    return read.stats


def table_sources(specs: list[SourceSpec]) -> list[Path]:
    """Return the tables among ``mare ingest``'s sources: none, or all of them.

    Only files read at full speed can be tables (a table has no pace to replay it at); a run
    that mixes tables with captures or live sources is refused (`TableError`).
    """
    from ais_ingest.sources.files import expand_paths

    files = [
        Path(p) for s in specs if s.kind == "file" and not s.speed for p in expand_paths(s.paths)
    ]
    kinds = {p: is_table(p) for p in files}  # each file's head read once
    tables, captures = [p for p in files if kinds[p]], [p for p in files if not kinds[p]]
    if tables and (
        captures
        or len(files) != sum(len(s.paths) for s in specs)
        or any(s.kind != "file" or s.speed for s in specs)
    ):
        raise TableError(
            f"ingest decoded tables ({tables[0].name}) in a run of their own: they are read "
            "whole and ordered by time, not streamed as captures and live feeds are"
        )
    return tables


def store_tables(
    tables: list[Path], store: Store | None, batch_size: int
) -> tuple[TableStats, int, int]:
    """Store the tables' records in time order; return the row account, positions, vessels."""
    from ais_ingest.tables import read_tables  # pandas: only when there are tables

    read = read_tables(tables)
    positions = 0
    vessels: set[int] = set()
    for batch in read.batches(batch_size):
        if store is not None:
            positions += store.write_batch(batch).positions_inserted
        vessels.update(batch.positions.mmsi.tolist())
        vessels.update(s.mmsi for s in batch.statics)
    return read.stats, positions, len(vessels)
