"""``mare simulate``: labelled synthetic central-Mediterranean AIS traffic."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.cli import cli
from app.cli.console import err, fail
from geo.events import parse_time


@cli.command("simulate")
def simulate_command(
    out: Annotated[Path, typer.Option("--out", help="Capture to write (.nmea, or .gz).")],
    hours: Annotated[float, typer.Option("--hours", min=0.01, help="Simulated hours.")] = 6.0,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes.")] = 1,
    truth: Annotated[
        Path | None, typer.Option("--truth", help="Truth labels, one JSON object per line.")
    ] = None,
    vessels: Annotated[
        int | None, typer.Option("--vessels", min=0, help="Ordinary vessels at once.")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="Start time, ISO 8601 UTC (2026-06-01T00:00Z).")
    ] = None,
    scenario: Annotated[str, typer.Option("--scenario", help="Scenario name.")] = "default",
    zones: Annotated[
        Path | None,
        typer.Option("--zones", help="Zone file for zone labels (default: the shipped set)."),
    ] = None,
    watchlist_out: Annotated[
        Path | None, typer.Option("--watchlist-out", help="Write the matching watchlist CSV.")
    ] = None,
    contacts_out: Annotated[
        Path | None,
        typer.Option(
            "--contacts",
            help="Write the contacts (sightings, hotline calls, SAR detections) as contact CSV.",
        ),
    ] = None,
    summary_out: Annotated[
        Path | None, typer.Option("--summary", help="Write the run's counts as JSON.")
    ] = None,
) -> None:
    """Simulate labelled AIS traffic (lanes, ferries, fishing, anchorages, smuggling patterns)."""
    from simulate.scenario import DEFAULT_ZONES, SCENARIOS, Simulation
    from simulate.truth import write_truth
    from simulate.watchlist import write_watchlist

    if scenario not in SCENARIOS:
        raise fail(f"unknown scenario {scenario!r} (known: {', '.join(SCENARIOS)})")
    try:
        start_ms = None if start is None else parse_time(start)
    except ValueError:
        raise fail(f"--start {start!r} is not an ISO 8601 time") from None
    zone_file = zones if zones is not None else DEFAULT_ZONES
    if zones is not None and not zones.exists():
        raise fail(f"zone file {zones} does not exist")
    try:
        with err.status("planning routes and behaviours"):
            sim = Simulation(
                hours=hours,
                seed=seed,
                start_ms=start_ms,
                vessels=vessels,
                scenario=scenario,
                zones=zone_file if zone_file.exists() else None,
            )
        fh: IO[str]
        if out.suffix == ".gz":
            fh = gzip.open(out, "wt", encoding="ascii", newline="\n")  # noqa: SIM115
        else:
            fh = out.open("w", encoding="ascii", newline="\n")
    except OSError as e:
        raise fail(str(e)) from None
    total = sim.end - sim.start
    with (
        fh,
        Progress(
            TextColumn("simulating"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%  {task.fields[lines]:,} lines"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("sim", total=total, lines=0)
        n = 0
        buf: list[str] = []
        for t, line in sim:
            buf.append(line)
            n += 1
            if len(buf) >= 20_000:
                fh.write("\n".join(buf) + "\n")
                buf.clear()
                progress.update(task, completed=t - sim.start, lines=n)
        if buf:
            fh.write("\n".join(buf) + "\n")
        progress.update(task, completed=total, lines=n)
    try:
        if truth is not None:
            write_truth(sim.labels, truth)
        if contacts_out is not None:
            from geo.contact_files import to_csv

            contacts_out.write_text(to_csv(sim.contacts), encoding="utf-8")
        if watchlist_out is not None:
            write_watchlist(watchlist_out)
        if summary_out is not None:
            summary_out.write_text(json.dumps(sim.summary, indent=2) + "\n")
    except OSError as e:
        raise fail(str(e)) from None
    _print_summary(sim.summary, out, truth)


def _print_summary(summary: dict[str, object], out: Path, truth: Path | None) -> None:
    table = Table(title=f"mare simulate → {out}", show_header=False)
    for key in ("scenario", "seed", "hours", "lines", "position_lines", "static_lines",
                "duplicate_lines", "corrupt_lines", "vessels"):  # fmt: skip
        table.add_row(
            key, f"{summary[key]:,}" if isinstance(summary[key], int) else str(summary[key])
        )
    labels = summary.get("labels")
    if isinstance(labels, dict):
        for kind, k in labels.items():
            table.add_row(f"labels: {kind}", str(k))
    if truth is None:
        table.add_row("truth", "not written (use --truth)")
    err.print(table)
