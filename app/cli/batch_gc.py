"""The cyclic garbage collector in the ``mare`` commands: during imports, and in batch runs.

Imports build tens of thousands of objects that live as long as the process (modules, classes,
functions, tables) and hardly any garbage, yet CPython's collector, counting allocations, makes
~90 young and ~8 older passes over them while ``mare detect`` imports its modules (0.01-0.03 s
of its start-up, ~8 % of the imports' time). `imports_frozen` imports without it.

A batch command (`mare decode`, `detect`, `ingest`) builds few reference cycles and many
containers that live a chunk or two (lists of lines, of static reports, of events). CPython's
collector, left as it starts, runs a young-generation pass every 700 net container allocations
and walks, in its older passes, every object the imports made (typer, numpy, rich,
SQLAlchemy): `mare detect`'s decoding child spent 0.09 s in one full collection and 0.06-0.12 s
in 33 young ones on bench.cli's simulated capture, `mare ingest --no-store` 0.16 s on the real
one (perf, session 16: 11 % of the ingest process's samples). `quiet_gc` keeps what is alive
once the command is built out of every pass and collects the young generation every
`YOUNG_THRESHOLD` allocations: a cycle is still collected, a little later, and memory stays
bounded.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Net container allocations between young-generation passes (CPython's default: 700).
YOUNG_THRESHOLD = 10_000


@contextmanager
def imports_frozen() -> Iterator[None]:
    """Collect nothing in the block, then freeze what is alive (module docstring).

    Frozen, the imports' objects are never walked again: without it the first pass after the
    block would walk them all at once. The collector is left enabled or not as it was found.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def quiet_gc() -> None:
    """Freeze what is alive now (the imports, the built command) and collect less often.

    Call it once the command's imports and set-up are done and before a child is forked, so
    that the child inherits both. Frozen objects are never collected; modules are not garbage.
    """
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
