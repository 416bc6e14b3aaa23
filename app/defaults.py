"""The decoder's and the batcher's settings' defaults, and whether the environment overrides any.

`app.settings.Settings` takes its defaults for these knobs from here (what each means is said
there). `mare decode` and `mare detect` use the decoder's as they are when no ``MARE_*``
variable overrides one: building `Settings` imports pydantic and pydantic-settings, 0.12-0.14 s
of CPU at every start of commands that decode 300k lines in about 0.7 s (`bench.cli`); `mare
ingest` of a capture forks its decoding child with the batcher's, and builds `Settings` in the
parent after the fork, while the child decodes. When any is set, the commands read and validate
them through `Settings`, as every other command does; this module only asks whether one of
their names is in the environment.

Likewise a capture's ``mare ingest`` into ``MARE_DATABASE_URL`` with no other setting in the
environment needs nothing of `Settings` but that URL (`database_url_alone`): the parent then
opens the store without importing pydantic (~0.1 s of CPU before its first write).
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


#: `app.settings.Settings`' fields but ``database_url``, as variables (a test checks the list).
OTHER_SETTINGS_VARIABLES = frozenset(
    {
        "MARE_VAR_DIR",
        "MARE_RETENTION_DAYS",
        *BATCH_VARIABLES,
        *DECODER_VARIABLES,
        "MARE_BUS_URL",
        "MARE_BUS_PARTITIONS",
        "MARE_BUS_PREFIX",
        "MARE_BUS_SNAPSHOT_SECONDS",
        "MARE_WEBHOOK_ALLOWLIST",
    }
)


def database_url_alone() -> str | None:
    """Return ``MARE_DATABASE_URL`` if it is the only setting the environment sets, else None.

    None too when it is blank (the default SQLite file, and the legacy file's warning, are
    `Settings`' to decide) or set twice in different cases. With it alone, `Settings` holds it
    and the defaults: nothing to validate, no legacy file to warn of.
    """
    found = [v for k, v in os.environ.items() if k.upper() == "MARE_DATABASE_URL"]
    if len(found) != 1 or not found[0].strip() or not _unset(OTHER_SETTINGS_VARIABLES):
        return None
    return found[0]
