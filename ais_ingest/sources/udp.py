"""UDP listener: what AIS-catcher, rtl-ais, OpenCPN and most receivers send to a plotter.

Each datagram holds whole sentences, one or several, the last one with or without CRLF
(``lines.split_datagram``). Datagrams wait in a queue bounded in bytes: when the consumer falls
behind, new datagrams are dropped and counted, as the kernel would do, instead of memory
growing without limit.

Most feeds send one sentence a datagram, so the cost per datagram is the cost per message.
When the socket is readable, every datagram waiting is read in one go (asyncio's datagram
transport reads one per event-loop pass), and the datagrams of one read from one sender are
handed on as one chunk, with the one receive time they share: at 2,000 datagrams/s this took
the ingest chain (source, merge, decode_stream) from ~47 to ~25 µs a datagram (CPU; bursts of
20 datagrams every 10 ms into an otherwise idle loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
import time
from collections import deque
from collections.abc import AsyncGenerator
from pathlib import Path

from ais_ingest.errors import SourceError
from ais_ingest.sources.base import LineSource, RawChunk, log
from ais_ingest.sources.lines import MAX_LINE, LineSplitter
from ais_ingest.sources.spec import SourceSpec

#: At ~100 bytes a datagram this is ~160k sentences, tens of seconds of a national feed.
QUEUE_BYTES = 16 * 1024 * 1024
#: Ask the kernel for a large receive buffer so that bursts survive a busy event loop.
RCVBUF = 4 * 1024 * 1024


#: Largest datagram read (the UDP maximum).
MAX_DATAGRAM = 65_535
#: Datagrams read per readiness at most, so a flood still lets the event loop run other work.
MAX_READS = 256
#: Where Linux lists UDP sockets with their drop counts (last column), by inode (tenth).
PROC_UDP = (Path("/proc/net/udp"), Path("/proc/net/udp6"))


def socket_drops(sock: socket.socket) -> int | None:
    """Return the datagrams the kernel dropped for ``sock`` (its buffer full); None if unknown.

    The count is the socket's own since it was opened (``sk_drops``), the figure
    ``SO_RXQ_OVFL`` reports; read from ``/proc/net/udp*`` by the socket's inode on demand, so
    the hot path pays nothing for it. None where there is no such file (not Linux).
    """
    inode = str(os.fstat(sock.fileno()).st_ino)
    for table in PROC_UDP:
        try:
            text = table.read_text()
        except OSError:
            continue
        for line in text.splitlines()[1:]:
            fields = line.split()
            if len(fields) >= 13 and fields[9] == inode:
                return int(fields[12])
    return None


def _peer(addr: tuple[str | object, ...]) -> str:
    host, port = addr[0], addr[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


class UdpSource(LineSource):
    """``udp://HOST:PORT``: datagrams from any sender; each line tagged with its sender."""

    _sock: socket.socket | None = None
    drains_on_stop = True

    def __init__(self, spec: SourceSpec, *, max_line: int = MAX_LINE) -> None:
        super().__init__(spec, max_line=max_line)
        self._queue: deque[tuple[float, bytes, str]] = deque()
        self._queued_bytes = 0
        self._ready = asyncio.Event()
        self._stopping = False

    @property
    def address(self) -> tuple[str, int] | None:
        if self._sock is None:
            return None
        sockname = self._sock.getsockname()
        return str(sockname[0]), int(sockname[1])

    def kernel_drops(self) -> int | None:
        """Return the datagrams the kernel dropped before this source could read them."""
        return None if self._sock is None else socket_drops(self._sock)

    def _read_ready(self, sock: socket.socket) -> None:
        now = time.time()
        for _ in range(MAX_READS):
            try:
                data, addr = sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. ICMP port unreachable reported on the socket
                self.stats.last_error = str(exc)
                log.warning("%s: %s", self.name, exc)
                return
            self._received(now, data, addr)

    def stop_input(self) -> None:
        """Read what the kernel already holds, stop listening, end once the queue is handed out.

        A datagram the kernel accepted was sent to us: at a stop (Ctrl-C, SIGTERM) it is read
        and decoded like any other instead of vanishing with the socket.
        """
        if self._stopping:
            return
        self._stopping = True
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(RuntimeError):
                asyncio.get_running_loop().remove_reader(sock.fileno())
            for _ in range(QUEUE_BYTES // 512):  # bounded: at most the queue's worth
                before = len(self._queue)
                self._read_ready(sock)
                if len(self._queue) - before < MAX_READS:
                    break
        self._ready.set()

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
        sock.setblocking(False)
        loop.add_reader(sock.fileno(), self._read_ready, sock)
        self._sock = sock
        self._rename_if_ephemeral()

    async def _close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(RuntimeError):  # the loop may be closed already
                asyncio.get_running_loop().remove_reader(sock.fileno())
            sock.close()

    async def _produce(self) -> AsyncGenerator[RawChunk, None]:
        queue, stats = self._queue, self.stats
        # One splitter, flushed after each datagram: a datagram never continues the last one.
        splitter = LineSplitter(self.max_line)
        try:
            while True:
                while not queue:
                    if self._stopping:
                        return
                    self._ready.clear()
                    await self._ready.wait()
                now, data, peer = queue.popleft()
                self._queued_bytes -= len(data)
                lines = splitter.feed(data)
                lines.extend(splitter.flush())
                # the rest of the same read from the same sender: same time, one chunk
                while queue and queue[0][0] == now and queue[0][2] == peer:
                    data = queue.popleft()[1]
                    self._queued_bytes -= len(data)
                    lines.extend(splitter.feed(data))
                    lines.extend(splitter.flush())
                stats.truncated = splitter.truncated
                yield now, lines, peer
        finally:
            await self._close()
