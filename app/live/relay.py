"""NMEA relay: the sentences Mare accepted, re-served on a TCP port for chart plotters.

OpenCPN and most plotters read a plain TCP stream of ``!AIVDM`` sentences. The relay gets the
deduplicated, checksum-valid lines from the decoder (a callback, `NmeaRelay.feed`) and writes
them to every connected client, each line ending in CR LF as NMEA 0183 says. NMEA 4.10 tag
blocks are stripped by default: few plotters parse them, and some reject the whole line. What a
logger or a receiver network put around a sentence (a leading timestamp, USCG metadata after
the checksum) is always cut: the decoder accepts those lines, a plotter expects ``!`` first and
the line to end at the checksum.

A client that reads too slowly never holds the others back: writes go to its transport's
buffer, and once that holds more than ``max_buffer_bytes`` the lines meant for it are dropped
(and counted) until it catches up. Nothing the clients send is read except to notice that they
left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

log = logging.getLogger("app.live.relay")

#: About 10 s of a busy regional feed (2,000 sentences/s of ~50 bytes).
MAX_BUFFER_BYTES = 1 << 20


def relay_sentence(line: str, keep_tag_block: bool = False) -> str:
    r"""Return what a plotter reads of an accepted line: ``[\tag\]!...*hh``, nothing around it."""
    line = line.rstrip("\r\n")
    tag = ""
    rest = line
    if line.startswith("\\"):
        end = line.find("\\", 1)
        if end > 0:
            tag, rest = line[: end + 1], line[end + 1 :]
    if not rest.startswith("!"):  # a logger's timestamp (maybe then a tag block, cut too)
        bang = rest.find("!")
        if bang > 0:
            rest = rest[bang:]
    star = rest.find("*")
    if 0 < star < len(rest) - 3:  # receiver metadata after the checksum
        rest = rest[: star + 3]
    return tag + rest if keep_tag_block else rest


class NmeaRelay:
    """TCP server fanning accepted sentences out; `start`, then `feed` from the decoder hook."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 10111,
        *,
        keep_tag_blocks: bool = False,
        max_buffer_bytes: int = MAX_BUFFER_BYTES,
        on_clients: Callable[[int], None] | None = None,
    ) -> None:
        """Set up; ``on_clients`` hears the client count whenever it changes (on the loop).

        The service hooks the decoder only while someone listens, so an idle relay costs nothing.
        """
        self.on_clients = on_clients
        self.host = host
        self.port = port
        self.keep_tag_blocks = keep_tag_blocks
        self.max_buffer_bytes = max_buffer_bytes
        self.lines_sent = 0
        self.lines_dropped = 0
        self._clients: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._readers: set[asyncio.Task[None]] = set()

    @property
    def clients(self) -> int:
        return len(self._clients)

    @property
    def address(self) -> tuple[str, int] | None:
        """Return the bound address (port 0 becomes the port the system gave)."""
        if self._server is None or not self._server.sockets:
            return None
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(self._accept, self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for w in list(self._clients):
            w.close()
        for t in list(self._readers):
            t.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        if self._clients:
            self._clients.clear()
            self._changed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        self._changed()
        task = asyncio.current_task()
        if task is not None:
            self._readers.add(task)
        try:
            while await reader.read(4096):
                pass
        except (ConnectionError, OSError):
            pass
        finally:
            if writer in self._clients:
                self._clients.discard(writer)
                self._changed()
            if task is not None:
                self._readers.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                await writer.wait_closed()

    def _changed(self) -> None:
        if self.on_clients is not None:
            self.on_clients(len(self._clients))

    def feed(self, lines: Sequence[str]) -> None:
        """Send accepted lines to every client; safe to call from any thread, never blocks."""
        if not lines or not self._clients:
            return
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is not None and running is not loop:
            loop.call_soon_threadsafe(self._write, list(lines))
        else:
            self._write(lines)

    def _write(self, lines: Sequence[str]) -> None:
        keep = self.keep_tag_blocks
        text = "".join(relay_sentence(line, keep) + "\r\n" for line in lines)
        data = text.encode("ascii", "replace")
        for w in list(self._clients):
            if w.is_closing():
                continue
            if w.transport.get_write_buffer_size() > self.max_buffer_bytes:
                self.lines_dropped += len(lines)
                continue
            w.write(data)
            self.lines_sent += len(lines)
