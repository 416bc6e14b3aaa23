"""UDP listener: what AIS-catcher, rtl-ais, OpenCPN and most receivers send to a plotter.

Each datagram holds whole sentences, one or several, the last one with or without CRLF
(``lines.split_datagram``). Datagrams wait in a queue bounded in bytes: when the consumer falls
behind, new datagrams are dropped and counted, as the kernel would do, instead of memory
growing without limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import time
from collections import deque
from collections.abc import AsyncGenerator

from ais_ingest.errors import SourceError
from ais_ingest.sources.base import LineSource, RawChunk, log
from ais_ingest.sources.lines import MAX_LINE, LineSplitter
from ais_ingest.sources.spec import SourceSpec

#: At ~100 bytes a datagram this is ~160k sentences, tens of seconds of a national feed.
QUEUE_BYTES = 16 * 1024 * 1024
#: Ask the kernel for a large receive buffer so that bursts survive a busy event loop.
RCVBUF = 4 * 1024 * 1024


class _Receiver(asyncio.DatagramProtocol):
    def __init__(self, source: UdpSource) -> None:
        self._source = source

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self._source._received(time.time(), data, addr)

    def error_received(self, exc: Exception) -> None:
        self._source.stats.last_error = str(exc)
        log.warning("%s: %s", self._source.name, exc)


def _peer(addr: tuple[str | object, ...]) -> str:
    host, port = addr[0], addr[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


class UdpSource(LineSource):
    """``udp://HOST:PORT``: datagrams from any sender; each line tagged with its sender."""

    _transport: asyncio.DatagramTransport | None = None

    def __init__(self, spec: SourceSpec, *, max_line: int = MAX_LINE) -> None:
        super().__init__(spec, max_line=max_line)
        self._queue: deque[tuple[float, bytes, str]] = deque()
        self._queued_bytes = 0
        self._ready = asyncio.Event()

    @property
    def address(self) -> tuple[str, int] | None:
        if self._transport is None:
            return None
        sockname = self._transport.get_extra_info("sockname")
        return str(sockname[0]), int(sockname[1])

    def _received(self, now: float, data: bytes, addr: tuple[str | object, ...]) -> None:
        if self._queued_bytes + len(data) > QUEUE_BYTES:
            self.stats.dropped += 1
            return
        self.stats.bytes += len(data)
        self._queued_bytes += len(data)
        self._queue.append((now, data, _peer(addr)))
        self._ready.set()

    async def _open(self) -> None:
        host, port = self.spec.host or "0.0.0.0", self.spec.port or 0
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        loop = asyncio.get_running_loop()
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            why = "address already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
            raise SourceError(f"cannot listen on {self.name}: {why or exc}") from exc
        transport, _ = await loop.create_datagram_endpoint(lambda: _Receiver(self), sock=sock)
        self._transport = transport
        self._rename_if_ephemeral()

    async def _close(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()

    async def _produce(self) -> AsyncGenerator[RawChunk, None]:
        queue, stats = self._queue, self.stats
        # One splitter, flushed after each datagram: a datagram never continues the last one.
        splitter = LineSplitter(self.max_line)
        try:
            while True:
                while not queue:
                    self._ready.clear()
                    await self._ready.wait()
                now, data, peer = queue.popleft()
                self._queued_bytes -= len(data)
                lines = splitter.feed(data)
                lines.extend(splitter.flush())
                stats.truncated = splitter.truncated
                yield now, lines, peer
        finally:
            await self._close()
