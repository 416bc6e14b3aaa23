"""Hand-built vessel tracks and zones for the engine's tests (all event times are explicit)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

from shapely.geometry import MultiPolygon, box

from ais_ingest.records import Batch, PositionReport, Record, StaticReport
from geo.config import EngineConfig
from geo.detectors.base import Place
from geo.engine import Engine
from geo.events import Event, EventKind
from geo.watchlist import Watchlist
from geo.zones import Zone, ZoneAlert, ZoneKind

T0 = 1_780_000_000_000  # 2026-05-28T20:26:40Z
PLACES = [
    Place("Zuwara", 12.08199, 32.93120, "LY"),
    Place("Lampedusa", 12.60964, 35.50142, "IT"),
]


def ms(seconds: float) -> int:
    return T0 + int(round(seconds * 1000))


def pos(
    t_s: float,
    mmsi: int,
    lat: float,
    lon: float,
    sog: float | None = 10.0,
    cog: float | None = 90.0,
    msg_type: int = 1,
    status: int | None = 0,
) -> PositionReport:
    return PositionReport(
        time_ms=ms(t_s),
        mmsi=mmsi,
        msg_type=msg_type,
        lat=lat,
        lon=lon,
        speed=sog,
        course=cog,
        heading=None,
        status=None if msg_type in (18, 19) else status,
        turn=None,
        accuracy=True,
        second=None,
    )


def static(t_s: float, mmsi: int, msg_type: int = 5, **fields: Any) -> StaticReport:
    return StaticReport(time_ms=ms(t_s), mmsi=mmsi, msg_type=msg_type, **fields)


def track(
    mmsi: int,
    start_s: float,
    end_s: float,
    every_s: float,
    lat: float,
    lon: float,
    sog: float,
    course: float = 90.0,
    msg_type: int = 1,
    status: int = 0,
) -> list[Record]:
    """A vessel on constant course and speed, reporting every ``every_s`` seconds."""
    out: list[Record] = []
    k = 0
    while start_s + k * every_s <= end_s:
        t = start_s + k * every_s
        dist_deg = sog * 1852.0 / 3600.0 * (t - start_s) / 111_320.0
        la = lat + dist_deg * math.cos(math.radians(course))
        lo = lon + dist_deg * math.sin(math.radians(course)) / math.cos(math.radians(lat))
        out.append(pos(t, mmsi, la, lo, sog, course, msg_type, status))
        k += 1
    return out


def zone(
    zid: str,
    kind: ZoneKind,
    bounds: tuple[float, float, float, float],
    alerts: Iterable[str] = ("entry", "exit"),
    dwell_minutes: float | None = None,
    name: str | None = None,
) -> Zone:
    return Zone(
        zid,
        name or zid.replace("_", " ").title(),
        kind,
        MultiPolygon([box(*bounds)]),
        alerts=frozenset(ZoneAlert(a) for a in alerts),
        dwell_minutes=dwell_minutes,
    )


def batches(records: Sequence[Record], sizes: Sequence[int] | None = None) -> list[Batch]:
    """Split time-ordered records into batches of the given sizes (the rest in the last one)."""
    recs = sorted(records, key=lambda r: r.time_ms)
    if not sizes:
        return [Batch.from_records(recs)]
    out = []
    i = 0
    for n in sizes:
        if i >= len(recs):
            break
        out.append(Batch.from_records(recs[i : i + n]))
        i += n
    if i < len(recs):
        out.append(Batch.from_records(recs[i:]))
    return out


def make_engine(
    zones: Sequence[Zone] = (),
    watchlist: Watchlist | None = None,
    config: EngineConfig | None = None,
) -> Engine:
    return Engine(zones, watchlist=watchlist, config=config or EngineConfig(), places=PLACES)


def run_raw(
    records: Sequence[Record],
    zones: Sequence[Zone] = (),
    sizes: Sequence[int] | None = None,
    watchlist: Watchlist | None = None,
    config: EngineConfig | None = None,
) -> list[Event]:
    """Every event the engine emits (open versions included), flushed at the end."""
    eng = make_engine(zones, watchlist, config)
    out: list[Event] = []
    for b in batches(records, sizes):
        out += eng.process(b)
    out += eng.flush()
    return out


def final(events: Iterable[Event]) -> list[Event]:
    """The last version of each episode, in order of first appearance."""
    latest: dict[object, Event] = {}
    for ev in events:
        latest[ev.key()] = ev
    return list(latest.values())


def run(records: Sequence[Record], zones: Sequence[Zone] = (), **kw: object) -> list[Event]:
    return final(run_raw(records, zones, **kw))  # type: ignore[arg-type]


def of_kind(events: Iterable[Event], kind: EventKind) -> list[Event]:
    return [e for e in events if e.kind is kind]


def canonical(events: Iterable[Event]) -> list[str]:
    """Order-free comparable form of an event list."""
    return sorted(json.dumps(e.to_dict(), sort_keys=True) for e in events)
