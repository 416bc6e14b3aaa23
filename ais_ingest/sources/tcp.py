"""TCP sources: a client that never gives up on a feed, and a server receivers push to.

The client (``tcp://``) reconnects for ever, waiting between attempts with capped exponential
backoff and jitter, so that a hundred Mare instances behind the same dead aggregator do not
reconnect in lockstep. The wait resets once a connection has delivered data: a feed that
accepts and then closes at once keeps backing off.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import random
import socket
import time
from collections.abc import AsyncGenerator

from ais_ingest.errors import SourceError
from ais_ingest.sources.base import LineSource, RawChunk, log
from ais_ingest.sources.lines import MAX_LINE, LineSplitter
from ais_ingest.sources.spec import SourceSpec

#: First wait after a failure; doubles up to ``backoff_max``.
BACKOFF_BASE = 0.5
#: Default cap of the wait between attempts, seconds.
BACKOFF_MAX = 30.0
#: A feed that does not accept within this is down for this attempt.
CONNECT_TIMEOUT = 10.0
READ_SIZE = 65536
#: Reads (of up to READ_SIZE bytes) waiting between a server's connections and its consumer;
#: a full queue stops reading, and TCP flow control then slows the pushing receivers down.
SERVER_QUEUE = 256


def backoff_delay(attempt: int, cap: float, rng: random.Random | None = None) -> float:
    """Return the wait before reconnect attempt ``attempt`` (0-based): in [d/2, d].

    ``d = min(cap, BACKOFF_BASE * 2**attempt)``; the random half ("equal jitter") spreads
    clients apart while keeping a floor, so a client never hammers a feed.
    """
    delay = min(cap, BACKOFF_BASE * 2.0 ** min(attempt, 32))
    return delay * (rng or random).uniform(0.5, 1.0)


def _keepalive(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


async def _read(reader: asyncio.StreamReader, idle: float | None) -> bytes:
    if idle is None:
        return await reader.read(READ_SIZE)
    return await asyncio.wait_for(reader.read(READ_SIZE), idle)


class TcpClientSource(LineSource):
    """``tcp://HOST:PORT``: read a raw NMEA feed, reconnecting until cancelled."""

    def __init__(self, spec: SourceSpec, *, max_line: int = MAX_LINE) -> None:
        super().__init__(spec, max_line=max_line)
        self.backoff_max = spec.option_float("backoff_max", BACKOFF_MAX) or BACKOFF_MAX
        self.idle_timeout = spec.option_float("idle_timeout")

    async def _greet(self, writer: asyncio.StreamWriter) -> None:
        """Send what the server needs after connecting; a raw feed needs nothing."""

    def _keep(self, lines: list[str]) -> list[str]:
        """Return the received lines that are NMEA for the consumer: all, from a raw feed."""
        return lines

    async def _produce(self) -> AsyncGenerator[RawChunk, None]:
        host, port = self.spec.host or "localhost", self.spec.port or 0
        stats, attempt = self.stats, 0
        while True:
            delivered = False
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, port), CONNECT_TIMEOUT
                )
            except (OSError, TimeoutError) as exc:
                stats.last_error = f"connect: {_describe(exc)}"
                log.warning("%s: cannot connect: %s", self.name, _describe(exc))
            else:
                stats.connects += 1
                log.info("%s: connected", self.name)
                splitter = LineSplitter(self.max_line)
                try:
                    _keepalive(writer)
                    await self._greet(writer)
                    while data := await _read(reader, self.idle_timeout):
                        delivered = True
                        stats.bytes += len(data)
                        now = time.time()
                        lines = splitter.feed(data)
                        stats.truncated += splitter.truncated
                        splitter.truncated = 0
                        yield now, self._keep(lines), None
                    stats.last_error = "closed by peer"
                except (OSError, TimeoutError) as exc:
                    stats.last_error = _describe(exc)
                finally:
                    writer.close()
                stats.disconnects += 1
                log.warning("%s: disconnected: %s", self.name, stats.last_error)
                yield time.time(), self._keep(splitter.flush()), None
            if delivered:
                attempt = 0
            await asyncio.sleep(backoff_delay(attempt, self.backoff_max))
            attempt += 1


class TcpServerSource(LineSource):
    """``tcp-listen://HOST:PORT``: accept any number of receivers pushing lines.

    Each connection has its own splitter (a line split across reads of one peer is never mixed
    with another peer's bytes); lines are tagged with the peer's address.
    """

    def __init__(self, spec: SourceSpec, *, max_line: int = MAX_LINE) -> None:
        super().__init__(spec, max_line=max_line)
        self.idle_timeout = spec.option_float("idle_timeout")
        self._server: asyncio.Server | None = None
        self._queue: asyncio.Queue[RawChunk] = asyncio.Queue(SERVER_QUEUE)
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def address(self) -> tuple[str, int] | None:
        if self._server is None or not self._server.sockets:
            return None
        sockname = self._server.sockets[0].getsockname()
        return str(sockname[0]), int(sockname[1])

    async def _open(self) -> None:
        try:
            self._server = await asyncio.start_server(
                self._handle, self.spec.host or "0.0.0.0", self.spec.port or 0
            )
        except OSError as exc:
            why = "address already in use" if exc.errno == errno.EADDRINUSE else _describe(exc)
            raise SourceError(f"cannot listen on {self.name}: {why}") from exc
        self._rename_if_ephemeral()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        peername = writer.get_extra_info("peername")
        peer = f"{peername[0]}:{peername[1]}" if peername else "?"
        stats = self.stats
        stats.connects += 1
        log.info("%s: %s connected", self.name, peer)
        splitter = LineSplitter(self.max_line)
        why = "closed by peer"
        try:
            _keepalive(writer)
            while data := await _read(reader, self.idle_timeout):
                stats.bytes += len(data)
                now = time.time()
                lines = splitter.feed(data)
                stats.truncated += splitter.truncated
                splitter.truncated = 0
                if lines:
                    await self._queue.put((now, lines, peer))
            if lines := splitter.flush():
                await self._queue.put((time.time(), lines, peer))
        except (OSError, TimeoutError) as exc:
            why = _describe(exc)
        except asyncio.CancelledError:
            # Only _close cancels these tasks. Ending normally matters on Python 3.11, whose
            # start_server callback logs an error for a cancelled connection task.
            why = "source closed"
        finally:
            writer.close()
            stats.disconnects += 1
            log.info("%s: %s disconnected: %s", self.name, peer, why)
            if task is not None:
                self._handlers.discard(task)

    async def _close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        handlers = list(self._handlers)
        for task in handlers:
            task.cancel()
        if handlers:
            await asyncio.gather(*handlers, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    async def _produce(self) -> AsyncGenerator[RawChunk, None]:
        queue = self._queue
        try:
            while True:
                yield await queue.get()
        finally:
            await self._close()
