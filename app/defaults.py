"""The decoder's and the batcher's settings' defaults, and whether the environment overrides any.

`app.settings.Settings` takes its defaults for these knobs from here (what each means is said
there). `mare decode` and `mare detect` use the decoder's as they are when no ``MARE_*``
variable overrides one: building `Settings` imports pydantic and pydantic-settings, 0.12-0.14 s
of CPU at every start of commands that decode 300k lines in about 0.7 s (`bench.cli`); `mare
ingest` of a capture forks its decoding child with the batcher's, and builds `Settings` in the
parent after the fork, while the child decodes. When any is set, the commands read and validate
them through `Settings`, as every other command does; this module only asks whether one of
their names is in the environment.
"""

from __future__ import annotations

import os

DEDUPE_SECONDS = 10.0
FRAGMENT_TIMEOUT_SECONDS = 5.0
MAX_AHEAD_SECONDS = 300.0
#: The variables that override them (pydantic-settings matches names without regard to case).
DECODER_VARIABLES = frozenset(
    {"MARE_DEDUPE_SECONDS", "MARE_FRAGMENT_TIMEOUT_SECONDS", "MARE_MAX_AHEAD_SECONDS"}
)

BATCH_SIZE = 2048
BATCH_SECONDS = 0.1
FILE_BATCH_SIZE = 100_000
BATCH_VARIABLES = frozenset({"MARE_BATCH_SIZE", "MARE_BATCH_SECONDS", "MARE_FILE_BATCH_SIZE"})


def decoder_defaults_apply() -> bool:
    """Return whether no environment variable overrides the decoder's settings."""
    return _unset(DECODER_VARIABLES)


def batch_defaults_apply() -> bool:
    """Return whether no environment variable overrides the batch sizes and the batch wait."""
    return _unset(BATCH_VARIABLES)


def _unset(variables: frozenset[str]) -> bool:
    return not any(name.upper() in variables for name in os.environ)
