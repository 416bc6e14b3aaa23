"""`app.cli.console.fail` for a process that has not imported rich, and may never need it.

`mare detect` imports rich's console only to print (`app.cli.detect_summary`): an input it
refuses imports it then, to say why.
"""

from __future__ import annotations

import typer


def refuse(message: str) -> typer.Exit:
    """Print one clear error line and return the exit to raise (`app.cli.console.fail`)."""
    from app.cli.console import fail

    return fail(message)
