"""``mare report``: the daily situation report of a UTC day, as PDF or HTML (docs/reports.md)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from app.cli import cli
from app.cli.console import err, fail
from app.store.errors import StoreError

#: ``--url``, also spelled ``--database``: the database to read (as every command's ``--url``).
UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url",
        "--database",
        help="Database URL (default: MARE_DATABASE_URL, else var/mare.sqlite).",
    ),
]


@cli.command()
def report(
    day: Annotated[str, typer.Option("--day", help="The UTC day, YYYY-MM-DD.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The report file: .pdf or .html (by its suffix).")
    ],
    zones: Annotated[
        list[str] | None,
        typer.Option("--zones", help="Only these zone ids (comma list or repeated): a liaison's."),
    ] = None,
    url: UrlOpt = None,
) -> None:
    """Write the daily situation report of --day: page 1 for the commander, details behind.

    The same day, zones and database give the same bytes.
    """
    from app.reports import FORMATS, ReportError, build_report, parse_day, render
    from app.settings import get_settings
    from app.store.repo import Repo

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise fail(f"--out {out}: the file must end in .pdf or .html")
    wanted = [z.strip() for arg in zones or [] for z in arg.split(",") if z.strip()]
    try:
        the_day = parse_day(day)
        t0 = time.perf_counter()
        repo = Repo.open(url or get_settings().resolved_database_url)
        try:
            content = build_report(repo, the_day, zones=wanted or None)
        finally:
            repo.close()
        data = render(content, fmt)
    except ReportError as exc:
        raise fail(str(exc)) from None
    except StoreError as exc:
        raise fail(str(exc)) from None
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc.strerror or exc}") from None
    f = content.figures
    err.print(
        f"{out}: {the_day.isoformat()} ({content.scope_text}): {f['alerts']} alerts, "
        f"{f['departures']} departures, {f['encounters']} encounters, {f['dark_hours']:g} dark "
        f"hours, {f['messages']:,} messages; {len(data):,} bytes in "
        f"{time.perf_counter() - t0:.1f} s",
        soft_wrap=True,
        highlight=False,
    )
