"""From a URL or spec to the source object that reads it."""

from __future__ import annotations

from ais_ingest.sources.base import LineSource
from ais_ingest.sources.files import FileSource
from ais_ingest.sources.gpsd import GpsdSource
from ais_ingest.sources.lines import MAX_LINE
from ais_ingest.sources.spec import SourceSpec, parse_source_url
from ais_ingest.sources.stdin import StdinSource
from ais_ingest.sources.tcp import TcpClientSource, TcpServerSource
from ais_ingest.sources.udp import UdpSource

_KINDS: dict[str, type[LineSource]] = {
    "udp": UdpSource,
    "tcp": TcpClientSource,
    "tcp-listen": TcpServerSource,
    "gpsd": GpsdSource,
    "file": FileSource,
    "stdin": StdinSource,
}


def open_source(spec_or_url: SourceSpec | str, *, max_line: int = MAX_LINE) -> LineSource:
    """Return the source for a spec or URL: an async iterator of ``(received_at, line)``.

    Nothing is opened yet: the first iteration (or ``await source.start()``, or
    ``async with source``) binds or opens, raising ``SourceError`` if it cannot. A bad URL
    raises ``SourceURLError`` here. Prefer ``async with open_source(url) as lines:`` so that
    leaving the block early closes the sockets.
    """
    spec = parse_source_url(spec_or_url) if isinstance(spec_or_url, str) else spec_or_url
    return _KINDS[spec.kind](spec, max_line=max_line)
