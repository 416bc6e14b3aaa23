"""The ``mare`` command line (typer + rich); each command group lives in its own module.

`main` imports only the module of the command it runs: importing all of them (the API, the
store, the engine, scipy, xmlschema, argon2) took 2.2-2.4 s, longer than `mare decode` takes to
decode 300k lines. ``mare --help`` and any name not in `COMMAND_MODULES` import them all.
"""

from __future__ import annotations

import importlib
import os
import sys

from app.cli.batch_gc import imports_frozen

# Before numpy's first import: OpenBLAS otherwise starts a thread per core that spins after
# each call (0.02-0.03 s of CPU in every command, on the wall where cores are few); Mare's
# array work is element-wise, none of it a matrix product that threads would speed up.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

with imports_frozen():  # nothing to collect in what they build (app.cli.batch_gc)
    import typer

    from app.cli.typer_params import install

install()  # typer coerces str, Path and bool values without pydantic (0.1 s of start-up)

cli = typer.Typer(
    name="mare",
    help="Mare: AIS vessel tracking and interdiction for the central Mediterranean.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Top-level command or group name -> the module that registers it on `cli`.
COMMAND_MODULES = {
    "decode": "app.cli.decode",
    "ingest": "app.cli.ingest",
    "detect": "app.cli.detect",
    "serve": "app.cli.serve",
    "demo": "app.cli.demo",
    "simulate": "app.cli.simulate",
    "db": "app.cli.db",
    "zones": "app.cli.zones",
    "users": "app.cli.users",
    "contacts": "app.cli.contacts",
    "cise": "app.cli.cise",
    "case": "app.cli.cases",
    "report": "app.cli.report",
    "worker": "app.cli.worker",
}


@cli.callback()
def _group() -> None:
    # A group even when one command is registered: typer would run a lone command as the app.
    pass


def load_commands(argv: list[str]) -> None:
    """Import the module of the command ``argv`` names, or every command module."""
    name = argv[0] if argv else ""
    module = COMMAND_MODULES.get(name)
    if module is None:
        # Commands register themselves on the shared `cli` when imported.
        importlib.import_module("app.cli.commands")
    else:
        importlib.import_module(module)


#: Commands that end with `app.cli.quick_exit.exit_now` when run as the console script: batch
#: runs, whose outputs are written and closed when they return.
QUICK_EXIT = frozenset({"decode", "detect", "ingest"})


def main() -> None:
    """Run the command ``sys.argv`` names, and leave as `sys.exit` does."""
    with imports_frozen():
        load_commands(sys.argv[1:])
    cli()


def run() -> None:
    """Entry point of the ``mare`` console script: `main`, a batch command's exit at once.

    A batch command (`QUICK_EXIT`) then skips the interpreter's teardown (`app.cli.quick_exit`);
    `main` alone leaves as any program does, for a caller that goes on after it.
    """
    if len(sys.argv) < 2 or sys.argv[1] not in QUICK_EXIT:
        main()
        return
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:
        code = None
    from app.cli.quick_exit import exit_now

    exit_now(code)
