"""``mare detect`` over decoded tables (CSV, JSON lines) instead of NMEA captures.

A run takes either kind, not both: a table is read whole and sorted by time before the engine
sees a row (`ais_ingest.tables`), while captures stream in file order, and the engine's clock
cannot merge the two without holding a whole capture in memory too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.progress import Progress

from ais_ingest.errors import TableError
from ais_ingest.tables import TableStats, is_table, read_tables
from geo.engine import Engine
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
    task = progress.add_task("reading tables", total=None) if progress else None
    read = read_tables(tables)
    if progress is not None and task is not None:
        progress.update(task, description="detecting", total=len(read.positions) or 1)
    for batch in read.batches():
        add(engine.process(batch))
        if progress is not None and task is not None:
            progress.advance(task, len(batch.positions))
    add(engine.flush())
    return read.stats
