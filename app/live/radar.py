"""Live radar track feeds: TTM/TLL target sentences in, contacts stored and fused.

``MARE_RADAR_SOURCES`` lists feeds as source URLs (`ais_ingest.sources.spec`) with options of
their own: ``lat`` and ``lon`` (the radar's site, needed for TTM's range and bearing),
``every`` (seconds between contacts kept per target, default 60) and ``radius`` (metres of
uncertainty, default the radar kind's 300). An ARPA reports each target every few seconds; one
contact a minute per target is what fusion needs (its history has one fix a slice) and keeps
the contacts table a record of sightings, not a second position log. A target's contacts carry
``ref`` ``NAME:NUMBER`` so that its track stays one dark target; lost targets (status ``L``)
are not contacts. Lines that are not usable targets are counted by reason (``/metrics``).
A feed writes contacts as ``radar:NAME`` without an audit entry each: its configuration is
the record of where they come from.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from ais_ingest.radar import (
    RadarFeedSpec,
    RadarSentenceError,
    parse_radar_line,
    parse_radar_source,
)
from ais_ingest.sources import LineSource, open_source
from geo.contacts import Contact, ContactKind

log = logging.getLogger("app.live.radar")


@dataclass
class RadarStats:
    """What the feeds read: lines, contacts kept, and why lines were not contacts."""

    lines: int = 0
    contacts: int = 0
    thinned: int = 0
    lost: int = 0
    refused: Counter[str] = field(default_factory=Counter)


class RadarTracks:
    """Turn one feed's lines into contacts, one per target per ``every_s`` (pure, no I/O)."""

    def __init__(self, spec: RadarFeedSpec, stats: RadarStats) -> None:
        self.spec = spec
        self.stats = stats
        self.last_kept: dict[int, int] = {}

    def take(self, line: str, received_ms: int) -> Contact | None:
        """Return the contact a line makes, or None (counted in the stats)."""
        self.stats.lines += 1
        try:
            t = parse_radar_line(line, received_ms)
            if t.status == "L":
                self.stats.lost += 1
                self.last_kept.pop(t.number, None)
                return None
            lat, lon = t.position(self.spec.lat, self.spec.lon)
        except RadarSentenceError as exc:
            self.stats.refused[exc.reason] += 1
            return None
        last = self.last_kept.get(t.number)
        if last is not None and 0 <= t.time_ms - last < self.spec.every_s * 1000:
            self.stats.thinned += 1
            return None
        self.last_kept[t.number] = t.time_ms
        self.stats.contacts += 1
        return Contact(
            time_ms=t.time_ms,
            lat=lat,
            lon=lon,
            kind=ContactKind.RADAR,
            radius_m=self.spec.radius_m,
            source=self.spec.name,
            course=t.course,
            speed_kn=t.speed_kn,
            note=t.name,
            ref=f"{self.spec.name}:{t.number}",
        )


#: Contacts as stored: with their ids, and the stored POST that carries them to the bus on an
#: API node (its outbox sends it if this node cannot), None in one process.
Stored = tuple[int | None, list[Contact]]
Store = Callable[[list[Contact]], Awaitable[list[Stored]]]
#: Hands stored contacts to the engines (this process's, or the bus's on an API node).
Fuse = Callable[[list[Contact], int | None], Awaitable[None]]


class RadarFeeds:
    """Runs the configured feeds: read, thin, store (a second at a time), hand to the engine."""

    def __init__(self, urls: Sequence[str], store: Store, fuse: Fuse) -> None:
        self.specs = [parse_radar_source(u) for u in urls]
        self.store = store
        self.fuse = fuse
        self.stats = RadarStats()
        self.sources: list[LineSource] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._queue: asyncio.Queue[Contact] = asyncio.Queue(10_000)

    async def start(self) -> None:
        """Open every feed (a port in use is a `SourceError` here) and start reading."""
        for spec in self.specs:
            src = open_source(spec.url)
            await src.start()
            self.sources.append(src)
        for spec, src in zip(self.specs, self.sources, strict=True):
            self._tasks.append(asyncio.create_task(self._read(spec, src), name="radar feed"))
        if self.sources:
            self._tasks.append(asyncio.create_task(self._write(), name="radar contacts"))

    @property
    def addresses(self) -> list[tuple[str, int] | None]:
        """Return where each feed listens (port 0 → the port it got)."""
        return [s.address for s in self.sources]

    async def _read(self, spec: RadarFeedSpec, src: LineSource) -> None:
        tracks = RadarTracks(spec, self.stats)
        try:
            async for received_at, line in src:
                c = tracks.take(line, int(received_at * 1000))
                if c is not None:
                    try:
                        self._queue.put_nowait(c)
                    except asyncio.QueueFull:
                        self.stats.refused["queue_full"] += 1
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("radar feed %s stopped", spec.name)

    async def _write(self) -> None:
        while True:
            batch = [await self._queue.get()]
            await asyncio.sleep(1.0)  # a second of contacts in one transaction
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                stored = await self.store(batch)
            except Exception:
                log.exception("storing %d radar contacts failed; dropped", len(batch))
                self.stats.refused["store_failed"] += len(batch)
                continue
            for post, contacts in stored:
                await self.fuse(contacts, post)

    async def stop(self) -> None:
        """Stop reading, store what is queued, close the sources."""
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        left = []
        while not self._queue.empty():
            left.append(self._queue.get_nowait())
        if left:
            with contextlib.suppress(Exception):
                for post, contacts in await self.store(left):
                    await self.fuse(contacts, post)
        for s in self.sources:
            await s.aclose()


def wall_ms() -> int:
    """Return the wall clock in ms (when a feed's contacts were entered, not their time)."""
    return int(time.time() * 1000)
