"""Comparison keys for vessel names and callsigns: one vessel, however its crew types it.

AIS names are typed by hand into each transponder and registries write them their own way: the
same vessel is ``MINGYANGZHOU 9`` in one report and ``MING YANG ZHOU 9`` in the next, ``F/V SEA
STAR II`` on a watchlist and ``SEA STAR 2`` on the air. Comparing display text would call each of
these a different vessel: an identity change that is only spacing, a watchlist entry missed for a
Roman numeral. The keys come from Global Fishing Watch's `shipdataprocess` (Apache-2.0), the
normalisation its vessel-identity pipeline matches registries and AIS with: upper case, accents
transliterated, punctuation and spaces dropped, vessel-type prefixes (F/V, M/V, ...) removed,
Roman numerals and number words as digits; callsigns lose punctuation and leading zeros.

The library costs ~50 µs a name, so keys are cached: a feed repeats each vessel's name in every
static report, and the identity detector asks only when the text differs from the last one.
"""

from __future__ import annotations

from functools import lru_cache

from shipdataprocess.normalize import normalize_callsign, normalize_shipname


@lru_cache(maxsize=65_536)
def name_key(name: str | None) -> str | None:
    """Return the key two spellings of one vessel's name share; None for an empty name.

    Examples
    --------
    >>> name_key("MING YANG ZHOU 9") == name_key("MINGYANGZHOU 9")
    True
    >>> name_key("F/V SEA STAR II") == name_key("sea star 2")
    True
    >>> name_key("EL AMAL 9") == name_key("EL AMAL 6")
    False
    """
    if not name:
        return None
    key = normalize_shipname(name.replace("@", " "))
    return key if isinstance(key, str) and key else None


@lru_cache(maxsize=65_536)
def callsign_key(callsign: str | None) -> str | None:
    """Return the key two spellings of one callsign share (``9HA-1234`` and ``9HA 1234``)."""
    if not callsign:
        return None
    key = normalize_callsign(callsign.replace("@", " ").strip().upper())
    return key if isinstance(key, str) and key else None
