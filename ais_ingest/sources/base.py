"""What every source is: an async iterator of ``(received_at, line)`` with a start and a close.

A source binds or opens in :meth:`LineSource.start` (so that "port in use" or "no such file"
is a :class:`~ais_ingest.errors.SourceError` before anything streams, and so that a listener
bound to port 0 can say which port it got), then yields lines until its input ends (files,
stdin) or for ever (network). Closing it, or cancelling the task iterating it, closes its
sockets and files and cancels its tasks.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import NamedTuple, Self

from ais_ingest.sources.lines import MAX_LINE
from ais_ingest.sources.spec import SourceSpec

log = logging.getLogger("ais_ingest.sources")


class TaggedLine(NamedTuple):
    """A line with where it came from: the source's name, plus ``#peer`` for listeners.

    The peer matters for multipart reassembly: two receivers pushing to one port number their
    fragments independently, so their sequence ids must not be mixed.
    """

    received_at: float
    line: str
    source: str


class LineChunk(NamedTuple):
    """Lines that arrived together (one read, one datagram): one receive time, one origin."""

    received_at: float
    lines: list[str]
    source: str

    @property
    def clocked(self) -> bool:
        """Whether ``received_at`` is when the lines were heard (a network feed, stdin).

        Then no line can carry a time much later than it (`ais_ingest.decoder.Decoder`,
        ``max_ahead_seconds``).
        """
        return True


class ReplayChunk(LineChunk):
    """Lines of a capture file: their receive time is its modification time or the pacing."""

    __slots__ = ()

    @property
    def clocked(self) -> bool:
        """Never: a file's lines were heard whenever it was recorded."""
        return False


#: What sources produce internally: ``(received_at, lines, peer or None)``.
RawChunk = tuple[float, list[str], str | None]


@dataclass
class SourceStats:
    """Counters a status line shows; sources only ever add to them."""

    lines: int = 0
    bytes: int = 0
    #: Lines cut at the line length cap.
    truncated: int = 0
    #: Datagrams dropped because the consumer fell behind (UDP only; the kernel's own drops,
    #: when its buffer filled before the source read, are `UdpSource.kernel_drops`).
    dropped: int = 0
    connects: int = 0
    disconnects: int = 0
    last_error: str = ""


class LineSource(AsyncIterator[tuple[float, str]]):
    """Base of every source: subclasses implement :meth:`_produce` and maybe :meth:`_open`."""

    #: How its chunks are made: `LineChunk` (receive time = when heard) or `ReplayChunk`.
    _chunk: type[LineChunk] = LineChunk

    def __init__(self, spec: SourceSpec, *, max_line: int = MAX_LINE) -> None:
        self.spec = spec
        self.name = spec.name
        self.max_line = max_line
        self.stats = SourceStats()
        self._started = False
        self._closed = False
        self._gen: AsyncGenerator[RawChunk, None] | None = None
        # The chunk being handed out line by line by __anext__.
        self._received_at = 0.0
        self._lines: list[str] = []
        self._peer: str | None = None
        self._pos = 0

    #: Whether the source ends by itself after `stop_input` (it then hands out what it holds);
    #: a source that holds nothing between reads is simply cancelled (`merge_chunks`).
    drains_on_stop = False

    @property
    def address(self) -> tuple[str, int] | None:
        """The local address a listener is bound to once started, else None."""
        return None

    def stop_input(self) -> None:
        """Take no more input; a draining source then ends once it has handed out what it holds."""

    def _rename_if_ephemeral(self) -> None:
        """Name a listener asked for port 0 by the port it got, unless named explicitly."""
        address = self.address
        if address is None or self.spec.port != 0 or "name" in self.spec.options:
            return
        host = f"[{address[0]}]" if ":" in address[0] else address[0]
        self.name = f"{self.spec.kind}://{host}:{address[1]}"

    async def start(self) -> None:
        """Open files or bind sockets; idempotent. Raise ``SourceError`` if that fails."""
        if self._closed:
            raise RuntimeError(f"source {self.name} is closed")
        if not self._started:
            await self._open()
            self._started = True

    async def _open(self) -> None:
        """Acquire what must exist before streaming; default: nothing."""

    async def _close(self) -> None:
        """Release what :meth:`_open` acquired; must be idempotent."""

    def _produce(self) -> AsyncGenerator[RawChunk, None]:
        """Yield ``(received_at, lines, peer or None)``; release resources in ``finally``."""
        raise NotImplementedError

    async def _next_chunk(self) -> RawChunk:
        if self._gen is None:
            await self.start()
            self._gen = self._produce()
        while True:
            chunk = await self._gen.__anext__()
            if chunk[1]:
                self.stats.lines += len(chunk[1])
                return chunk

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> tuple[float, str]:
        while self._pos >= len(self._lines):
            self._received_at, self._lines, self._peer = await self._next_chunk()
            self._pos = 0
        line = self._lines[self._pos]
        self._pos += 1
        return self._received_at, line

    def _source_name(self, peer: str | None) -> str:
        return self.name if peer is None else f"{self.name}#{peer}"

    async def chunks(self) -> AsyncGenerator[LineChunk, None]:
        """Yield lines as they arrived together (one read, one datagram), with their source.

        The cheap way to consume a fast source: one await per read instead of per line, and
        it matches ``Decoder.decode(lines, received_ms, source)``. Do not mix with iterating
        the source line by line.
        """
        if self._pos < len(self._lines):
            rest = self._lines[self._pos :]
            self._pos = len(self._lines)
            yield self._chunk(self._received_at, rest, self._source_name(self._peer))
        while True:
            try:
                received_at, lines, peer = await self._next_chunk()
            except StopAsyncIteration:
                return
            yield self._chunk(received_at, lines, self._source_name(peer))

    async def tagged(self) -> AsyncGenerator[TaggedLine, None]:
        """Yield the lines one by one with their source name (``name#peer`` for listeners)."""
        async for received_at, lines, source in self.chunks():
            for line in lines:
                yield TaggedLine(received_at, line, source)

    async def aclose(self) -> None:
        """Stop: close the generator, sockets and files. Safe to call twice."""
        self._closed = True
        gen, self._gen = self._gen, None
        try:
            if gen is not None:
                await gen.aclose()
        finally:
            await self._close()

    async def __aenter__(self) -> Self:
        try:
            await self.start()
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
