r"""When a logged line was heard, for pacing a replay; not the decoder's event time.

The fields are read by the decoder's own parsers (``ais_ingest.timestamps``), so a replay is
paced by the same times the decoder stamps on the records. It looks, in order, at:

1. an NMEA 4.10 tag block ``\s:station,c:1718000000*hh\!AIVDM...``: ``c:`` is Unix time in
   seconds, but some receivers write milliseconds, told apart by magnitude;
2. a timestamp a logger wrote before the sentence, ISO 8601 (``2024-05-01T10:00:00.5Z``,
   ``2024-05-01 10:00:00``; naive means UTC) or epoch (seconds or milliseconds);
3. USCG-style receiver metadata after the checksum whose last field is epoch seconds
   (``!AIVDM,...,0*5C,d-109,S2105,t050056.00,T56.137,r003669946,1325394060``).

The tag block checksum is not verified: a wrong one only misplaces one line in time.
"""

from __future__ import annotations

from ais_ingest.timestamps import (
    parse_leading_timestamp,
    parse_tag_fields,
    parse_trailing_metadata,
)

#: Where a sentence (or its tag block) starts after a leading timestamp.
_SENTENCE_START = "!$\\"


def _tag_block_time(line: str) -> float | None:
    end = line.find("\\", 1)
    if end < 0:
        return None
    body = line[1:end]
    star = body.rfind("*")
    tag = parse_tag_fields(body[:star] if star >= 0 else body)  # checksum not needed here
    return None if tag is None or tag.time_ms is None else tag.time_ms / 1000.0


def _trailing_time(line: str) -> float | None:
    star = line.rfind("*")
    if star < 0:
        return None
    time_ms, _ = parse_trailing_metadata(line[star + 3 :].strip())
    return None if time_ms is None else time_ms / 1000.0


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
                ms = parse_leading_timestamp(line[:i])
                if ms is not None:
                    return ms / 1000.0
                if ch == "\\":
                    return _tag_block_time(line[i:])
                break
        else:
            return None
    return _trailing_time(line)
