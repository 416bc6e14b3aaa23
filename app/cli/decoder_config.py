"""The decoder every command builds from the configuration (``MARE_*``).

Apart from `app.cli.console`: `mare detect` builds it before forking its decoding child, and
rich (the console's) is then not imported until after the fork (`app.cli.detect`).
"""

from __future__ import annotations

from ais_ingest.decoder import Decoder
from app import defaults


def decoder_from_settings() -> Decoder:
    """Return a decoder with the configured dedupe window, fragment timeout and clock limit.

    Unless the environment overrides one of them, their defaults need no `Settings`
    (`app.defaults`: the batch commands then start without importing pydantic).
    """
    if defaults.decoder_defaults_apply():
        return Decoder(
            dedupe_seconds=defaults.DEDUPE_SECONDS,
            fragment_timeout_seconds=defaults.FRAGMENT_TIMEOUT_SECONDS,
            max_ahead_seconds=defaults.MAX_AHEAD_SECONDS or None,
        )
    from app.settings import get_settings

    s = get_settings()
    return Decoder(
        dedupe_seconds=s.dedupe_seconds,
        fragment_timeout_seconds=s.fragment_timeout_seconds,
        max_ahead_seconds=s.decoder_max_ahead,
    )
