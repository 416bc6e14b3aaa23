"""What every command shares: the stderr console, one-line errors, progress bars, the decoder.

Records and events go to stdout (or a file); everything for the person at the terminal goes to
stderr, so `mare decode x | jq` stays clean.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from ais_ingest.decoder import Decoder
from app.settings import get_settings

err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    """Print one clear error line and return the exit to raise (status 2), never a traceback."""
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(2)


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
        dedupe_seconds=s.dedupe_seconds, fragment_timeout_seconds=s.fragment_timeout_seconds
    )
