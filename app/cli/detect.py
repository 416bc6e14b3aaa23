"""``mare detect``: the behaviour engine in batch over captures, the same alerts as live.

The engine emits an open version of a long episode when it passes its threshold and a closed
version when it ends (same `Event.key`); the output file keeps the last version of each
episode, so it holds one line per episode, ordered by start time.

Each version goes through the alert rules (`geo.triage`, the shipped rules or ``--rules``) when
the engine emits it, on what the engine knows then, exactly as the live pipeline decides it.
Each line says what a live run made of the episode, as an alert's body does: ``alert`` (true if
any version was decided an alert: live, an alert once raised stays one), ``rule`` (the rule that
decided), ``situation`` (the key that folds related episodes into one alert) and ``severity``
(the rules' severity, raised by the vessel's risk).
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.progress import Progress
from rich.table import Table

from ais_ingest.decoder import Decoder
from ais_ingest.errors import TableError
from ais_ingest.table_stats import TableStats
from app.cli import cli
from app.cli.ahead import decode_chunks
from app.cli.batch_gc import quiet_gc
from app.cli.child_pipe import ChildEnded, worth_ahead
from app.cli.console import (
    counted,
    decoder_from_settings,
    err,
    fail,
    file_progress,
    warn_line,
)
from app.cli.tables import run_tables, split_inputs
from app.cli.timing import CaptureClock, mostly_untimed, parse_span, untimed, untimed_message
from geo import shipped
from geo.alert_rules import SHIPPED_RULES_FILE, load_rules_file, max_severity
from geo.coverage import CoverageMap, load_coverage_map
from geo.detectors.base import Place
from geo.engine import Engine
from geo.errors import CoverageMapError, GeoError
from geo.events import Event
from geo.places import load_places
from geo.triage import Triage, Triaged
from geo.watchlist import Watchlist, load_watchlist
from geo.zones import SHIPPED_ZONE_FILE, Zone, load_zone_file

SHIPPED_PLACES = shipped.PLACES_FILE


class EpisodeLog:
    """Latest version of each episode, by `Event.key`, with what the alert rules made of it."""

    def __init__(self, triage: Triage | None = None) -> None:
        self.triage = triage
        self.latest: dict[tuple[object, ...], Event] = {}
        self.decided: dict[tuple[object, ...], Triaged] = {}

    def add(self, events: list[Event]) -> None:
        for ev in events:
            self.latest[ev.key()] = ev
        if self.triage is None:
            return
        for t in self.triage.decide(events):
            key = t.event.key()
            old = self.decided.get(key)
            if old is not None and old.decision.alert and not t.decision.alert:
                t = Triaged(t.event, old.decision, t.situation)  # an alert stays an alert
            elif old is not None:
                sev = max_severity(t.decision.severity, old.decision.severity)
                t = Triaged(t.event, replace(t.decision, severity=sev), t.situation)
            self.decided[key] = t

    def ordered(self) -> list[Event]:
        return sorted(
            self.latest.values(),
            key=lambda e: (e.start_ms, e.kind.value, e.mmsi, e.other_mmsi or 0, e.zone or ""),
        )

    def line(self, ev: Event) -> dict[str, Any]:
        """Return an episode's output object: the contract's, and the rules' verdict."""
        obj = ev.to_dict()
        t = self.decided.get(ev.key())
        if t is not None:
            obj["severity"] = t.decision.severity.value
            obj.update(alert=t.decision.alert, rule=t.decision.rule, situation=t.situation)
        return obj


def write_events(sink: IO[str], events: Iterable[Event], log: EpisodeLog | None = None) -> None:
    """Write contract JSON lines (with the rules' verdict when ``log`` has one)."""
    for ev in events:
        obj = log.line(ev) if log is not None else ev.to_dict()
        sink.write(json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n")


def _summary(
    events: list[Event], lines: int, records: int, seconds: float, log: EpisodeLog
) -> Table:
    table = Table(title="Events by kind", show_header=True)
    table.add_column("kind")
    table.add_column("events", justify="right")
    table.add_column("still open", justify="right")
    table.add_column("alerts", justify="right")
    by_kind = Counter(e.kind.value for e in events)
    open_kind = Counter(e.kind.value for e in events if e.open)
    alerted = Counter(e.kind.value for e in events if log.line(e).get("alert"))
    for kind in sorted(by_kind):
        table.add_row(kind, f"{by_kind[kind]:,}", f"{open_kind[kind]:,}", f"{alerted[kind]:,}")
    rate = records / seconds if seconds > 0 else 0.0
    n = len(events)
    table.caption = (
        f"{counted(n, 'event')} from {lines:,} lines / {records:,} records in "
        f"{seconds:.2f} s ({rate:,.0f} records/s)"
    )
    return table


#: Why a record was not used, as the summary says it.
UNUSED_WORDS = {
    "future_time": "stamped far ahead of the feed's own time",
    "same_time": "at the same time as the vessel's previous fix",
    "out_of_order": "older than the vessel's latest fix",
    "no_position": "without a position",
    "stale_repeat": "repeating a place the vessel had left (a feed's stale repeat)",
}
#: A run that leaves more than this share of its records unused says so in one warning line.
UNUSED_WARN_SHARE = 0.01


def unused_lines(counts: dict[str, Any]) -> tuple[str, str | None]:
    """Return the summary's line on unused records, and a warning line if they are many."""
    unused = {k: v for k, v in counts["unused"].items() if v}
    records = counts["records"]
    parts = ", ".join(f"{n:,} {UNUSED_WORDS.get(k, k)} ({k})" for k, n in unused.items())
    line = f"records not used: {sum(unused.values()):,} of {records:,}" + (
        f": {parts}" if parts else ""
    )
    # Positions that are not available (lat 91) are the sender's; the rest Mare set aside.
    dropped = {k: v for k, v in unused.items() if k != "no_position"}
    total = sum(dropped.values())
    share = total / records if records else 0.0
    warn = None
    if share > UNUSED_WARN_SHARE:
        words = ", ".join(f"{n:,} {UNUSED_WORDS.get(k, k)}" for k, n in dropped.items())
        warn = f"{total:,} of {records:,} records ({100 * share:.1f} %) were set aside: {words}"
    return line, warn


def outage_lines(counts: dict[str, Any]) -> list[str]:
    """One line per receiving station that fell silent, and the silences put down to it."""
    out = []
    for o in counts.get("station_outages", []):
        until = o["until"] or "the end (still silent)"
        out.append(
            f"receiver {o['station']} silent from {o['since']} to {until} "
            f"({o['silent_s'] / 60:.0f} min): its vessels' silences are not gaps"
        )
    if out:
        out[-1] += f"; {counts.get('silences_in_outages', 0):,} silences put down to outages"
    return out


def read_coverage_map(path: Path) -> CoverageMap:
    """Read a coverage map file (``--coverage``); a bad one is one clear error line."""
    try:
        return load_coverage_map(path)
    except CoverageMapError as exc:
        raise fail(str(exc)) from None


class UntimedCapture(Exception):
    """A capture without usable time stamps, given to behaviour detection without a span."""


def run_detect(
    captures: list[Path],
    engine: Engine,
    decoder: Decoder,
    progress: Progress | None = None,
    *,
    assume_span_s: float | None = None,
    warn: Callable[[str], None] | None = None,
    log: EpisodeLog | None = None,
    ahead: bool = False,
) -> tuple[list[Event], int]:
    """Decode captures batch by batch through the engine; return episodes and lines read.

    A capture whose sentences mostly carry no time of their own raises `UntimedCapture` as
    soon as its first lines show it, unless ``assume_span_s`` says how to spread them
    (`app.cli.timing`); with it, ``warn`` gets one line naming the fallback. ``ahead``:
    decode in a second process beside the engine (`app.cli.ahead`; the same events).
    """
    log = log if log is not None else EpisodeLog()
    lines = 0
    task = (
        progress.add_task("detecting", total=sum(p.stat().st_size for p in captures))
        if progress
        else None
    )
    clocks = [CaptureClock(path, assume_span_s) for path in captures]
    current = -1
    before = previous = dict(decoder.stats.times)
    checked = False
    items = decode_chunks(captures, clocks, decoder, ahead=ahead, lookup=engine.lookup)
    for item in items:
        if item.batch is None:  # a capture's end (nothing to say of one without lines)
            counts = untimed(before, decoder.stats)
            if item.capture == current and warn is not None and mostly_untimed(counts):
                warn(untimed_message(clocks[current], counts))
            continue
        if item.capture < 0:  # the decoder's flush, after the last capture
            log.add(engine.process(item.batch, item.membership))
            continue
        if item.capture != current:
            current, before, checked = item.capture, previous, False
            if progress is not None and task is not None:
                progress.update(task, description=f"detecting {captures[current].name}")
        lines += item.lines
        if not checked and untimed(before, decoder.stats)[1]:
            checked = True
            if assume_span_s is None and mostly_untimed(untimed(before, decoder.stats)):
                counts = untimed(before, decoder.stats)
                raise UntimedCapture(untimed_message(clocks[current], counts, so_far=True))
        log.add(engine.process(item.batch, item.membership))
        previous = dict(decoder.stats.times)
        if progress is not None and task is not None:
            progress.advance(task, item.nbytes)
    log.add(engine.flush())
    return log.ordered(), lines


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


@cli.command()
def detect(
    captures: Annotated[
        list[Path],
        typer.Argument(
            help="NMEA captures, or decoded position tables (CSV, JSON lines or a JSON array: "
            "MarineCadastre, DMA, GFW, `mare decode` output; or a GeoPackage, GeoJSON or "
            "Shapefile point layer, zipped or not); plain, gzip, bzip2, xz, zstd or a zip of one."
        ),
    ],
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
    assume_time: Annotated[
        str | None,
        typer.Option(
            "--assume-time",
            metavar="SPAN",
            help="For captures without time stamps: their lines were received evenly over "
            "SPAN (90s, 3m, 1h30m) in file order, ending at the file's modification time.",
        ),
    ] = None,
    stats_file: Annotated[
        Path | None,
        typer.Option("--stats", help="Write the decoder's and the engine's counters as JSON."),
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option(
            "--rules",
            help="Alert rules deciding which events are alerts (default: the shipped rules).",
        ),
    ] = None,
    coverage: Annotated[
        Path | None,
        typer.Option(
            "--coverage",
            help="Receiver coverage learnt from a fuller feed (--coverage-out of a run on it): "
            "an extract of a few vessels cannot tell out of range from gone dark without it.",
        ),
    ] = None,
    coverage_out: Annotated[
        Path | None,
        typer.Option("--coverage-out", help="Write the receiver coverage this run learnt."),
    ] = None,
) -> None:
    """Run the behaviour engine over captures and write one event per episode."""
    zone_list, wl, place_list = _load_inputs(captures, zones, watchlist, places)
    try:
        captures, tables = split_inputs(captures)
    except (TableError, OSError) as exc:
        raise fail(str(exc)) from None
    try:
        span = None if assume_time is None else parse_span(assume_time)
    except ValueError as exc:
        raise fail(f"--assume-time: {exc}") from None
    engine = Engine(zone_list, watchlist=wl, places=place_list)
    if coverage is not None:
        engine.set_coverage_map(read_coverage_map(coverage))
    try:
        rule_set = load_rules_file(rules or SHIPPED_RULES_FILE, zone_ids={z.id for z in zone_list})
    except GeoError as exc:
        raise fail(str(exc)) from None
    log = EpisodeLog(Triage(engine, rule_set).follow())
    if contacts:
        from app.cli.contacts import read_contact_files  # it imports the store: only if asked

        engine.add_contacts(read_contact_files(contacts))
    decoder = decoder_from_settings()
    quiet_gc()  # before the fork: the child's too
    started = time.perf_counter()
    progress = file_progress()
    warnings: list[str] = []
    table_stats: TableStats | None = None
    try:
        with progress:
            if tables:
                table_stats = run_tables(tables, engine, log.add, progress)
                events, lines = log.ordered(), table_stats.rows
                if (skipped := table_stats.warning()) is not None:
                    warnings.append(skipped)
            else:
                events, lines = run_detect(
                    captures,
                    engine,
                    decoder,
                    progress,
                    assume_span_s=span,
                    warn=warnings.append,
                    log=log,
                    ahead=worth_ahead(captures),
                )
    except ChildEnded as exc:  # the decoding child, killed
        raise fail(str(exc)) from None
    except (OSError, EOFError) as exc:
        raise fail(f"cannot read capture: {exc}") from None
    except TableError as exc:
        raise fail(str(exc)) from None
    except UntimedCapture as exc:
        raise fail(
            f"{exc}. Behaviour detection runs on event time: give --assume-time SPAN (how long "
            "the recording lasted, e.g. 3m) to spread the lines in file order, or decode the "
            "capture with `mare decode`"
        ) from None
    for line in warnings:
        warn_line(line)
    try:
        if str(out) == "-":
            write_events(sys.stdout, events, log)
        else:
            with out.open("w", encoding="utf-8") as sink:
                write_events(sink, events, log)
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc}") from None
    err.print(_summary(events, lines, engine.records, time.perf_counter() - started, log))
    counts = engine.record_counts()
    summary, too_many = unused_lines(counts)
    err.print(summary, highlight=False, soft_wrap=True)
    for line in outage_lines(counts):
        warn_line(line)
    if too_many is not None:
        warn_line(
            too_many + (f" (see {stats_file})" if stats_file else " (--stats FILE for all counts)")
        )
    if coverage_out is not None:
        try:
            coverage_out.write_text(json.dumps(engine.coverage.learnt_map().to_dict()) + "\n")
        except OSError as exc:
            raise fail(f"cannot write {coverage_out}: {exc}") from None
    if stats_file is not None:
        report: dict[str, Any] = (
            {"tables": table_stats.report()} if table_stats else decoder.stats.report()
        )
        report["engine"] = counts
        try:
            stats_file.write_text(json.dumps(report, indent=2) + "\n")
        except OSError as exc:
            raise fail(f"cannot write {stats_file}: {exc}") from None
