"""What every command shares: the consoles, one-line errors, progress bars, the decoder, counters.

Records and events go to stdout (or a file); everything for the person at the terminal goes to
stderr, so `mare decode x | jq` stays clean.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ais_ingest.stats import IngestStats

if TYPE_CHECKING:
    from rich.progress import Progress

    from app.settings import Settings

# Neither console reads ``:name:`` as an emoji: Mare writes none, a file or zone name with
# colons is printed as it is, and rich's table of codes is not imported (0.003 s of start-up).


def err_console(file: IO[str] | None = None) -> Console:
    """Return `err`'s console: stderr's, or one on ``file`` that renders the same text.

    ``file`` takes the place of stderr where stderr is not a terminal (rich sizes a console
    by the standard streams, whatever its file): `app.cli.detect_summary.said`.
    """
    return Console(file=file, stderr=file is None, emoji=False)


#: For the person at the terminal: progress, summaries, warnings, errors.
err = err_console()
#: What a command answers (logins, confirmations): stdout, never wrapped mid-URL.
out = Console(soft_wrap=True, emoji=False)

#: ``--url`` of the commands that work on a database (``mare db``, ``zones``, ``contacts``).
DatabaseUrlOpt = Annotated[
    str | None,
    typer.Option("--url", help="Database URL (default: MARE_DATABASE_URL, else var/mare.sqlite)."),
]
#: ``--actor`` of the commands that leave an audit entry.
ActorOpt = Annotated[
    str | None,
    typer.Option("--actor", help="Who the audit log names (default: cli:<login name>)."),
]

#: ``--stats FILE`` of `mare decode` and `mare ingest` (DESIGN.md: the counters add up to lines).
StatsOpt = Annotated[
    Path | None, typer.Option("--stats", help="Write the final counters as JSON to this file.")
]


def fail(message: str) -> typer.Exit:
    """Print one clear error line and return the exit to raise (status 2), never a traceback."""
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(2)


def warn_line(message: str, console: Console | None = None) -> None:
    """Print one warning line on stderr, or ``console`` (the text as given, no markup)."""
    (console or err).print(
        "[yellow]warning:[/] " + escape(message), soft_wrap=True, highlight=False
    )


def warn_legacy_database(settings: Settings) -> None:
    """Say once that var_dir's ``mare.db`` (the old default of ingest and db) is not read."""
    from app.settings import DATABASE_FILE

    legacy = settings.legacy_database_file
    if legacy is None:
        return
    current = settings.var_dir / DATABASE_FILE
    err.print(
        "[yellow]warning:[/] "
        + escape(
            f"{legacy} (where earlier `mare ingest` and `mare db` wrote) is not read; every "
            f"command now uses {current}. To use its rows, set "
            f"MARE_DATABASE_URL=sqlite:///{legacy.resolve()} (or move it to {current} if that "
            "holds nothing you need)"
        ),
        soft_wrap=True,
        highlight=False,
    )


def file_progress() -> Progress | None:
    """Return a transient progress bar on stderr for work measured in bytes of input.

    None where stderr is not a terminal: a transient bar shows nothing there, and its module
    and display thread were a few milliseconds of every `mare decode` and `mare detect` run.
    """
    if not err.is_terminal:
        return None
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(  # plain text: a file's name is not markup (nor are its :colons: emoji)
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%", markup=False),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


def lines_summary(stats: IngestStats, seconds: float) -> Table:
    """Return the table of lines by outcome that `mare decode` and `mare ingest` end with."""
    table = Table(title="Lines by outcome", show_header=True)
    table.add_column("outcome")
    table.add_column("lines", justify="right")
    for key, value in stats.as_dict().items():
        if value or key in ("lines", "records"):
            table.add_row(key, f"{value:,}")
    rate = stats.lines / seconds if seconds > 0 else 0.0
    table.caption = f"{stats.lines:,} lines in {seconds:.2f} s ({rate:,.0f} lines/s)"
    return table


def write_stats(path: Path | None, stats: IngestStats) -> None:
    """Write the final counters as JSON to ``path`` (``--stats``); nothing when it is None."""
    if path is not None:
        path.write_text(json.dumps(stats.report(), indent=2) + "\n")


def actor_name(given: str | None) -> str:
    """Return who an audit entry of a command names: ``--actor``, else ``cli:<login name>``."""
    if given:
        return given
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container's uid without a passwd entry)
        return "cli"
