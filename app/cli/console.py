"""What every command shares: the stderr console, one-line errors, progress bars, the decoder.

Records and events go to stdout (or a file); everything for the person at the terminal goes to
stderr, so `mare decode x | jq` stays clean.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from ais_ingest.decoder import Decoder
from app.settings import DATABASE_FILE, Settings, get_settings

err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    """Print one clear error line and return the exit to raise (status 2), never a traceback."""
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(2)


def warn_line(message: str) -> None:
    """Print one warning line on stderr (the text as given, no markup)."""
    err.print("[yellow]warning:[/] " + escape(message), soft_wrap=True, highlight=False)


def warn_legacy_database(settings: Settings) -> None:
    """Say once that var_dir's ``mare.db`` (the old default of ingest and db) is not read."""
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


def file_progress() -> Progress:
    """Return a transient progress bar on stderr for work measured in bytes of input."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


def decoder_from_settings() -> Decoder:
    """Return a decoder with the configured dedupe window and fragment timeout."""
    s = get_settings()
    return Decoder(
        dedupe_seconds=s.dedupe_seconds,
        fragment_timeout_seconds=s.fragment_timeout_seconds,
        max_ahead_seconds=s.decoder_max_ahead,
    )
