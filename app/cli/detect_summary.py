"""What `mare detect` says on stderr once it is done, as plain data, and its rendering.

The engine's process is the one a run of `mare detect` waits for; rendering the summary
imports rich's console and tables (~0.03 s of that process's time). Where stderr is not a
terminal (no progress bar, so no rich so far) the decoding child, idle once it has sent its
last batch, imports them meanwhile and renders the `DetectSummary` it is sent to text
(`app.cli.ahead.Decoding.render`), which the engine's process writes. Both render through
`say` on a console of the same settings, so the text is what this process would have
printed; without a child, or on a terminal, this process prints it itself.

This module imports no rich until it renders.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from io import StringIO
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


@dataclass(frozen=True, slots=True)
class KindCount:
    """One row of the table of events by kind."""

    kind: str
    events: int
    still_open: int
    alerts: int


@dataclass(slots=True)
class DetectSummary:
    """What the run says at its end, in order: warnings, the table, its unused line, notes."""

    kinds: list[KindCount]
    caption: str
    unused: str
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def may_be_terminal() -> bool:
    """Whether rich could take stderr for a terminal (its `Console.is_terminal` rules).

    False only where rich would say so too: stderr is no terminal and neither
    ``TTY_COMPATIBLE`` nor ``FORCE_COLOR`` tells rich to take it for one. Asked without
    importing rich (`mare detect` imports it only where it shows a progress bar).
    """
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):  # no stderr, or a closed one
        tty = False
    return tty or "TTY_COMPATIBLE" in os.environ or "FORCE_COLOR" in os.environ


def table(summary: DetectSummary) -> Table:
    """Return the table of events by kind, with its caption."""
    from rich.table import Table

    out = Table(title="Events by kind", show_header=True)
    out.add_column("kind")
    out.add_column("events", justify="right")
    out.add_column("still open", justify="right")
    out.add_column("alerts", justify="right")
    for row in summary.kinds:
        out.add_row(row.kind, f"{row.events:,}", f"{row.still_open:,}", f"{row.alerts:,}")
    out.caption = summary.caption
    return out


def say(summary: DetectSummary, console: Console) -> None:
    """Print the summary on ``console``."""
    from app.cli.console import warn_line

    for line in summary.warnings:
        warn_line(line, console)
    console.print(table(summary))
    console.print(summary.unused, highlight=False, soft_wrap=True)
    for line in summary.notes:
        warn_line(line, console)


def prepare() -> None:
    """Import what `said` renders with (the decoding child, while the engine finishes)."""
    import rich.table  # noqa: F401

    import app.cli.console  # noqa: F401


def said(summary: DetectSummary) -> str:
    """Return the summary as printed on a stderr that is not a terminal."""
    from app.cli.console import err_console

    text = StringIO()
    say(summary, err_console(text))
    return text.getvalue()
