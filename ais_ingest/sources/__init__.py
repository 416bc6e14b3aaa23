"""Where lines come from: UDP, TCP (client and server), gpsd, files, stdin.

Every source yields ``(received_at, line)``: epoch seconds from the wall clock when the bytes
arrived, and one line of text without its ending. Sources read the clock and do I/O; they
never decode AIS (that is ``ais_ingest``'s framing and decoder, downstream).

Public API::

    spec = parse_source_url("udp://0.0.0.0:10110")     # SourceSpec, or SourceURLError
    async with open_source(spec) as lines:              # SourceError if it cannot open
        async for received_at, line in lines: ...
    async for received_at, line, name in merge_sources(["udp://:10110", "file:x.nmea"]): ...
    async for received_at, lines, name in merge_chunks([...]): ...   # one await per read
"""

from ais_ingest.sources.base import LineChunk, LineSource, SourceStats, TaggedLine
from ais_ingest.sources.eventtime import line_event_time
from ais_ingest.sources.lines import MAX_LINE, LineSplitter
from ais_ingest.sources.merge import merge_chunks, merge_sources
from ais_ingest.sources.open import open_source
from ais_ingest.sources.pacing import Pacer
from ais_ingest.sources.spec import SourceKind, SourceSpec, parse_source_url

__all__ = [
    "MAX_LINE",
    "LineChunk",
    "LineSource",
    "LineSplitter",
    "Pacer",
    "SourceKind",
    "SourceSpec",
    "SourceStats",
    "TaggedLine",
    "line_event_time",
    "merge_chunks",
    "merge_sources",
    "open_source",
    "parse_source_url",
]
