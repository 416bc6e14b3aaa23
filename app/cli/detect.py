"""``mare detect``: the behaviour engine in batch over captures, the same alerts as live.

The engine emits an open version of a long episode when it passes its threshold and a closed
version when it ends (same `Event.key`); the output file keeps the last version of each
episode, so it holds one line per episode, ordered by start time.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from ais_ingest.decoder import Decoder, capture_time_ms, chunked, read_lines
from app.cli import cli
from app.cli.console import decoder_from_settings, err, fail, file_progress
from geo import shipped
from geo.detectors.base import Place
from geo.engine import Engine
from geo.errors import GeoError
from geo.events import Event
from geo.places import load_places
from geo.watchlist import Watchlist, load_watchlist
from geo.zones import SHIPPED_ZONE_FILE, Zone, load_zone_file

SHIPPED_PLACES = shipped.PLACES_FILE


class EpisodeLog:
    """Latest version of each episode, by `Event.key`."""

    def __init__(self) -> None:
        self.latest: dict[tuple[object, ...], Event] = {}

    def add(self, events: Iterable[Event]) -> None:
        for ev in events:
            self.latest[ev.key()] = ev

    def ordered(self) -> list[Event]:
        return sorted(
            self.latest.values(),
            key=lambda e: (e.start_ms, e.kind.value, e.mmsi, e.other_mmsi or 0, e.zone or ""),
        )


def write_events(sink: IO[str], events: Iterable[Event]) -> None:
    """Write contract JSON lines."""
    for ev in events:
        sink.write(json.dumps(ev.to_dict(), separators=(",", ":"), ensure_ascii=False) + "\n")


def _summary(events: list[Event], lines: int, records: int, seconds: float) -> Table:
    table = Table(title="Events by kind", show_header=True)
    table.add_column("kind")
    table.add_column("events", justify="right")
    table.add_column("still open", justify="right")
    by_kind = Counter(e.kind.value for e in events)
    open_kind = Counter(e.kind.value for e in events if e.open)
    for kind in sorted(by_kind):
        table.add_row(kind, f"{by_kind[kind]:,}", f"{open_kind[kind]:,}")
    rate = records / seconds if seconds > 0 else 0.0
    table.caption = (
        f"{len(events):,} events from {lines:,} lines / {records:,} records in {seconds:.2f} s"
        f" ({rate:,.0f} records/s)"
    )
    return table


def _load_inputs(
    captures: list[Path],
    zones_path: Path | None,
    watchlist_path: Path | None,
    places_path: Path | None,
) -> tuple[list[Zone], Watchlist | None, list[Place]]:
    for path in captures:
        if not path.is_file():
            raise fail(f"no such capture: {path}")
    zpath = zones_path or SHIPPED_ZONE_FILE
    if not zpath.is_file():
        raise fail(f"no such zone file: {zpath}")
    try:
        zones = load_zone_file(zpath)
        watchlist = load_watchlist(watchlist_path) if watchlist_path is not None else None
    except GeoError as exc:
        raise fail(str(exc)) from None
    places: list[Place] = []
    ppath = places_path or (SHIPPED_PLACES if SHIPPED_PLACES.is_file() else None)
    if ppath is not None:
        try:
            places = load_places(ppath)
        except (OSError, ValueError) as exc:
            raise fail(f"cannot read places: {exc}") from None
    return zones, watchlist, places


def run_detect(
    captures: list[Path], engine: Engine, decoder: Decoder, progress: Progress | None = None
) -> tuple[list[Event], int]:
    """Decode captures batch by batch through the engine; return episodes and lines read."""
    log = EpisodeLog()
    lines = 0
    task = (
        progress.add_task("detecting", total=sum(p.stat().st_size for p in captures))
        if progress
        else None
    )
    for path in captures:
        if progress is not None and task is not None:
            progress.update(task, description=f"detecting {path.name}")
        received_ms = capture_time_ms(path)
        for chunk in chunked(read_lines(path), 8192):
            lines += len(chunk)
            log.add(engine.process(decoder.decode(chunk, received_ms, path.name)))
            if progress is not None and task is not None:
                progress.advance(task, sum(len(line) + 1 for line in chunk))
    log.add(engine.process(decoder.flush()))
    log.add(engine.flush())
    return log.ordered(), lines


@cli.command()
def detect(
    captures: Annotated[list[Path], typer.Argument(help="Capture files, plain or .gz.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Events as JSON lines (- for stdout).")],
    zones: Annotated[
        Path | None,
        typer.Option("--zones", help="Zone file (default: the shipped central-Med set)."),
    ] = None,
    watchlist: Annotated[
        Path | None, typer.Option("--watchlist", help="Watchlist CSV: mmsi,imo,name,callsign,note.")
    ] = None,
    places: Annotated[
        Path | None,
        typer.Option("--places", help="Places CSV for wording (default: geo/data/places.csv)."),
    ] = None,
    contacts: Annotated[
        list[Path] | None,
        typer.Option(
            "--contacts",
            help="Contacts (CSV or GeoJSON, repeatable) fused with the AIS on event time.",
        ),
    ] = None,
) -> None:
    """Run the behaviour engine over captures and write one event per episode."""
    from app.cli.contacts import read_contact_files

    zone_list, wl, place_list = _load_inputs(captures, zones, watchlist, places)
    engine = Engine(zone_list, watchlist=wl, places=place_list)
    if contacts:
        engine.add_contacts(read_contact_files(contacts))
    decoder = decoder_from_settings()
    started = time.perf_counter()
    progress = file_progress()
    try:
        with progress:
            events, lines = run_detect(captures, engine, decoder, progress)
    except (OSError, EOFError) as exc:
        raise fail(f"cannot read capture: {exc}") from None
    try:
        if str(out) == "-":
            write_events(sys.stdout, events)
        else:
            with out.open("w", encoding="utf-8") as sink:
                write_events(sink, events)
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc}") from None
    err.print(_summary(events, lines, engine.records, time.perf_counter() - started))
