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

This module reads and checks what decoding needs (captures, zones) and starts the decoding;
the rest (the engine's side, `app.cli.detect_run`, and its inputs, `app.cli.detect_inputs`)
is imported and read after the fork, while the child decodes: this process is the busier of
the two (the child ends ~0.1 s before it on `bench.cli`'s captures), so its work before the
fork, while the other core waits, is all on the wall. Where stderr is not a terminal (no
progress bar) it imports no rich either: the child, done decoding, renders the summary
(`app.cli.detect_summary`).
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer

from ais_ingest.errors import TableError
from ais_ingest.table_stats import TableStats
from app.cli import cli
from app.cli.ahead import Decoding
from app.cli.batch_gc import imports_frozen, quiet_gc
from app.cli.child_pipe import ChildEnded, worth_ahead
from app.cli.decoder_config import decoder_from_settings
from app.cli.detect_summary import DetectSummary, may_be_terminal
from app.cli.detect_timing import DetectTiming
from app.cli.failure import refuse
from app.cli.tables import run_tables, split_inputs
from app.cli.timing import CaptureClock, parse_span
from geo.errors import GeoError
from geo.membership import ZoneLookup
from geo.zones import SHIPPED_ZONE_FILE, Zone, load_zone_file


def _load_zones(captures: list[Path], zones_path: Path | None) -> list[Zone]:
    for path in captures:
        if not path.is_file():
            raise refuse(f"no such capture: {path}")
    zpath = zones_path or SHIPPED_ZONE_FILE
    if not zpath.is_file():
        raise refuse(f"no such zone file: {zpath}")
    try:
        return load_zone_file(zpath)
    except GeoError as exc:
        raise refuse(str(exc)) from None


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
    timings: Annotated[
        Path | None,
        typer.Option(
            "--timings",
            help="Write where the run's time went as JSON: each process's share, the engine's.",
        ),
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
    zone_list = _load_zones(captures, zones)
    try:
        captures, tables = split_inputs(captures)
    except (TableError, OSError) as exc:
        raise refuse(str(exc)) from None
    try:
        span = None if assume_time is None else parse_span(assume_time)
    except ValueError as exc:
        raise refuse(f"--assume-time: {exc}") from None
    decoder = decoder_from_settings()
    clocks = [CaptureClock(path, span) for path in captures]
    ahead = not tables and worth_ahead(captures)
    quiet_gc()  # before the fork: the child's too
    # The child is forked here, with what decoding needs (the captures, the decoder, the
    # zones), and decodes while this process reads the other inputs, imports and builds the
    # engine's side (`app.cli.ahead.Decoding`); an input refused now stops it.
    lookup = ZoneLookup(zone_list) if ahead else None
    # On a terminal this process shows a progress bar (rich); elsewhere it imports rich only to
    # print, and the child, idle by then, renders the summary (`app.cli.detect_summary`).
    terminal = may_be_terminal()
    timing = DetectTiming.at_fork()
    with Decoding(
        captures, clocks, decoder, ahead=ahead, lookup=lookup, render=not terminal
    ) as decoding:
        with imports_frozen():
            from app.cli import detect_run
            from app.cli.detect_inputs import read_engine_inputs
            from geo.engine import Engine
            from geo.triage import Triage
        wl, place_list, prior, rule_set = read_engine_inputs(
            zone_list, watchlist, places, coverage, rules
        )
        engine = Engine(zone_list, watchlist=wl, places=place_list)
        if prior is not None:
            engine.set_coverage_map(prior)
        log = detect_run.EpisodeLog(Triage(engine, rule_set).follow())
        if contacts:
            from app.cli.contacts import read_contact_files  # it imports the store: only if asked

            engine.add_contacts(read_contact_files(contacts))
        progress = None
        if terminal:
            from app.cli.console import file_progress

            progress = file_progress()
        warnings: list[str] = []
        table_stats: TableStats | None = None
        try:
            with progress if progress is not None else nullcontext():
                if tables:
                    table_stats = run_tables(tables, engine, log.add, progress)
                    events, lines = log.ordered(), table_stats.rows
                    if (skipped := table_stats.warning()) is not None:
                        warnings.append(skipped)
                else:
                    events, lines = detect_run.detect_decoded(
                        decoding,
                        clocks,
                        engine,
                        progress,
                        warn=warnings.append,
                        log=log,
                        timing=timing,
                    )
        except ChildEnded as exc:  # the decoding child, killed
            raise refuse(str(exc)) from None
        except (OSError, EOFError) as exc:
            raise refuse(f"cannot read capture: {exc}") from None
        except TableError as exc:
            raise refuse(str(exc)) from None
        except detect_run.UntimedCapture as exc:
            raise refuse(
                f"{exc}. Behaviour detection runs on event time: give --assume-time SPAN (how "
                "long the recording lasted, e.g. 3m) to spread the lines in file order, or "
                "decode the capture with `mare decode`"
            ) from None
        seconds = time.monotonic() - timing.forked
        counts = engine.record_counts()
        unused, too_many = detect_run.unused_lines(counts)
        notes = detect_run.outage_lines(counts)
        if too_many is not None:
            hint = f" (see {stats_file})" if stats_file else " (--stats FILE for all counts)"
            notes.append(too_many + hint)
        summary = DetectSummary(
            detect_run.kind_counts(events, log),
            detect_run.caption(events, lines, engine.records, seconds),
            unused,
            warnings=warnings,
            notes=notes,
        )
        decoding.render(summary)  # the child renders it while this process writes the events
        try:
            if str(out) == "-":
                detect_run.write_events(sys.stdout, events, log)
            else:
                with out.open("w", encoding="utf-8") as sink:
                    detect_run.write_events(sink, events, log)
        except OSError as exc:
            _warn(warnings)
            raise refuse(f"cannot write {out}: {exc}") from None
        _print(summary, decoding.rendered())
    if coverage_out is not None:
        try:
            coverage_out.write_text(json.dumps(engine.coverage.learnt_map().to_dict()) + "\n")
        except OSError as exc:
            raise refuse(f"cannot write {coverage_out}: {exc}") from None
    if timings is not None:
        spent = timing.report(decoding, engine_timed=not tables)
        try:
            timings.write_text(json.dumps(spent, indent=2) + "\n")
        except OSError as exc:
            raise refuse(f"cannot write {timings}: {exc}") from None
    if stats_file is not None:
        report: dict[str, Any] = (
            {"tables": table_stats.report()} if table_stats else decoder.stats.report()
        )
        report["engine"] = counts
        try:
            stats_file.write_text(json.dumps(report, indent=2) + "\n")
        except OSError as exc:
            raise refuse(f"cannot write {stats_file}: {exc}") from None


def _print(summary: DetectSummary, text: str | None) -> None:
    """Print the summary on stderr: ``text``, the child's rendering of it, if it made one."""
    if text is not None:
        sys.stderr.write(text)
        sys.stderr.flush()
        return
    from app.cli.console import err
    from app.cli.detect_summary import say

    say(summary, err)


def _warn(lines: list[str]) -> None:
    """Print the run's warnings alone (it failed to write its events)."""
    from app.cli.console import warn_line

    for line in lines:
        warn_line(line)
