r"""When a logged line was heard, for pacing a replay; not the decoder's event time.

The decoder has its own, faster parser for the same fields (``ais_ingest.timestamps``); this
one only has to be right enough to space a replay, and simple. It looks, in order, at:

1. an NMEA 4.10 tag block ``\s:station,c:1718000000*hh\!AIVDM...``: ``c:`` is Unix time in
   seconds, but some receivers write milliseconds, told apart by magnitude;
2. a timestamp a logger wrote before the sentence, ISO 8601 (``2024-05-01T10:00:00.5Z``,
   ``2024-05-01 10:00:00``; naive means UTC) or epoch (seconds or milliseconds);
3. USCG-style receiver metadata after the checksum whose last field is epoch seconds
   (``!AIVDM,...,0*5C,d-109,S2105,t050056.00,T56.137,r003669946,1325394060``).

The tag block checksum is not verified: a wrong one only misplaces one line in time.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

#: Epoch values at or above this are milliseconds: 1e11 s is the year 5138, 1e11 ms is 1973.
MS_THRESHOLD = 1e11

#: Where a sentence (or its tag block) starts after a leading timestamp.
_SENTENCE_START = "!$\\"


def _epoch(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return value / 1000.0 if value >= MS_THRESHOLD else value


def _iso(text: str) -> float | None:
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


def _tag_block_time(line: str) -> float | None:
    end = line.find("\\", 1)
    if end < 0:
        return None
    body = line[1:end]
    star = body.rfind("*")
    if star >= 0:
        body = body[:star]
    for field in body.split(","):
        if field.startswith("c:"):
            return _epoch(field[2:])
    return None


def _leading_time(prefix: str) -> float | None:
    prefix = prefix.strip().rstrip(",;|").strip()
    if not prefix:
        return None
    if prefix[0].isdigit() and ("-" in prefix[1:] or "T" in prefix):
        return _iso(prefix)
    return _epoch(prefix)


def _trailing_time(line: str) -> float | None:
    star = line.rfind("*")
    if star < 0:
        return None
    tail = line[star + 3 :].rstrip()
    comma = tail.rfind(",")
    if comma < 0:
        return None
    last = tail[comma + 1 :]
    # Nine or more digits: an epoch in seconds or milliseconds, not a station or slot number.
    if len(last) >= 9 and last.isdigit():
        return _epoch(last)
    return None


def line_event_time(line: str) -> float | None:
    r"""Return the epoch seconds at which ``line`` was heard, or None if it does not say.

    Examples
    --------
    >>> line_event_time("\\s:rORBCOMM,c:1418172113*0B\\!AIVDM,1,1,,A,13HOI:0P00,0*23")
    1418172113.0
    >>> line_event_time("1418172113500 !AIVDM,1,1,,A,13HOI:0P00,0*23")
    1418172113.5
    >>> line_event_time("2014-12-10T00:41:53Z !AIVDM,1,1,,A,13HOI:0P00,0*23")
    1418172113.0
    >>> line_event_time("!AIVDM,1,1,,A,13HOI:0P00,0*23") is None
    True
    """
    if not line:
        return None
    if line[0] == "\\":
        return _tag_block_time(line)
    if line[0] not in "!$":
        for i, ch in enumerate(line):
            if ch in _SENTENCE_START:
                when = _leading_time(line[:i])
                if when is not None:
                    return when
                if ch == "\\":
                    return _tag_block_time(line[i:])
                break
        else:
            return None
    return _trailing_time(line)
