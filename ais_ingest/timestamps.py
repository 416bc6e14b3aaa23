r"""Event time and station from what surrounds an NMEA sentence.

Receivers and loggers put the time of reception in three places: an NMEA 4.10 tag block
(``\s:station,c:1718000000*hh\``), USCG-style receiver metadata after the checksum
(``...,0*5C,d-109,S2105,t050056.00,T56.137,r003669946,1325394060``), or a timestamp written
before the sentence by a logger (ISO 8601 or epoch). The first found wins; else receive time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

#: Epoch values above this are milliseconds (1e11 s is the year 5138).
_MS_THRESHOLD = 100_000_000_000
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def epoch_to_ms(value: float) -> int:
    """Return epoch milliseconds for a value in seconds or in milliseconds (decided by size).

    ValueError for a value that is no time at all (``inf``, ``nan``: a corrupt field).
    """
    if not math.isfinite(value):
        raise ValueError(f"not a time: {value}")
    if abs(value) >= _MS_THRESHOLD:
        return int(round(value))
    return int(round(value * 1000.0))


def nmea_checksum(text: str) -> int:
    """XOR of the characters, as NMEA 0183 defines the checksum."""
    c = 0
    for ch in text.encode("ascii", "replace"):
        c ^= ch
    return c


@dataclass(frozen=True, slots=True)
class TagBlock:
    """The fields of an NMEA 4.10 tag block that Mare uses."""

    time_ms: int | None
    station: str
    group: tuple[int, int, str] | None  # (sentence number, total, group id) from ``g:``


def split_tag_block(text: str) -> tuple[str, str] | None:
    """Split tag block text into (fields, two hex checksum digits); None if malformed."""
    star = text.rfind("*")
    if star < 0 or len(text) - star != 3:
        return None
    digits = text[star + 1 :]
    # Two hex digits exactly: int(..., 16) alone would also take " 1", "-1" or "+1".
    if not (digits[0] in _HEX_DIGITS and digits[1] in _HEX_DIGITS):
        return None
    return text[:star], digits


def parse_tag_fields(body: str) -> TagBlock | None:
    """Parse the fields of a tag block (the text before ``*``); None if malformed."""
    time_ms: int | None = None
    station = ""
    group: tuple[int, int, str] | None = None
    for item in body.split(","):
        key, sep, value = item.partition(":")
        if not sep:
            return None
        if key == "c":
            try:
                time_ms = epoch_to_ms(float(value))
            except ValueError:
                return None
        elif key == "s":
            station = value
        elif key == "g":
            parts = value.split("-")
            if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
                return None
            group = (int(parts[0]), int(parts[1]), parts[2])
    return TagBlock(time_ms, station, group)


def parse_leading_timestamp(prefix: str) -> int | None:
    """Parse a logger's timestamp written before the sentence: epoch (s or ms) or ISO 8601.

    Naive ISO times are taken as UTC, which is what AIS loggers write.
    """
    text = prefix.strip().rstrip(",;:|").strip()
    if not text:
        return None
    try:
        return epoch_to_ms(float(text))
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(round(dt.timestamp() * 1000.0))


def parse_trailing_metadata(text: str) -> tuple[int | None, str]:
    """Parse USCG-style receiver metadata after the checksum: (event time ms, station).

    The last purely numeric field is the receiver's Unix time in seconds; ``r<id>`` names the
    receiving station. Anything else (signal level, slot, ...) is ignored.
    """
    time_ms: int | None = None
    station = ""
    for field in text.split(","):
        if not field:
            continue
        if field[0] == "r" and len(field) > 1:
            station = field[1:]
        elif field.isdigit() and len(field) >= 9:
            time_ms = int(field) * 1000
    return time_ms, station
