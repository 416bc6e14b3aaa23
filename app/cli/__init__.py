"""The ``mare`` command line (typer + rich); each command group lives in its own module."""

from __future__ import annotations

import typer

cli = typer.Typer(
    name="mare",
    help="Mare: AIS vessel tracking and interdiction for the central Mediterranean.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def main() -> None:
    """Entry point of the ``mare`` console script."""
    # Command modules register themselves on the shared `cli` when imported.
    import app.cli.commands  # noqa: F401

    cli()
