"""gpsd client: gpsd already talks to the receiver; ask it for the raw NMEA it sees.

``?WATCH={"enable":true,"nmea":true}`` makes gpsd relay every sentence from its devices
(AIVDM included) as lines, between its own JSON replies (VERSION, DEVICES, WATCH, ERROR),
which are not NMEA and are kept out of the stream. gpsd restarts and USB replugs are common,
so the client reconnects and re-sends the watch, exactly like ``tcp://``.
"""

from __future__ import annotations

import asyncio
import json

from ais_ingest.sources.base import log
from ais_ingest.sources.tcp import TcpClientSource

#: gpsd's protocol (gpsd_json(5)): enable watching, relay NMEA as received.
WATCH = b'?WATCH={"enable":true,"nmea":true}\n'


class GpsdSource(TcpClientSource):
    """``gpsd://HOST:PORT``: NMEA from gpsd's watch; gpsd's JSON replies are dropped."""

    async def _greet(self, writer: asyncio.StreamWriter) -> None:
        writer.write(WATCH)
        await writer.drain()

    def _keep(self, lines: list[str]) -> list[str]:
        kept = []
        for line in lines:
            if not line.startswith("{"):
                kept.append(line)
            elif '"ERROR"' in line:
                try:
                    message = json.loads(line).get("message", line)
                except (ValueError, AttributeError):
                    message = line
                self.stats.last_error = f"gpsd: {message}"
                log.warning("%s: gpsd says: %s", self.name, message)
        return kept
