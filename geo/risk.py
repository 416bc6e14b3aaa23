"""A 0-100 risk score per vessel, from weighted indicators that fade with time.

Each event a vessel took part in contributes ``weight(kind) x factor x decay``, where decay
halves every ``risk_half_life_s`` after the episode ended (an open episode does not decay); zone
events weigh by their zone's severity and one zone counts once (its strongest event), going dark
in departure waters counts ``risk_departure_waters_factor`` times. The weights and the reasons
for them are published in docs/risk.md.
The score is the sum, capped at 100; every contribution is worded so a watch officer sees why
("encounter with 642123456 for 2 h 40 min, 38 nm N of Zuwara: +30"). Pure: the events and the
time are arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from geo.config import EngineConfig
from geo.detectors.base import describe_place, format_duration
from geo.events import Event, EventKind, Severity
from geo.zone_index import ZoneIndex
from geo.zones import Zone, ZoneKind

#: Where an event happened, in words, when that makes it weigh more (None: nowhere special).
Where = Callable[[float, float], str | None]

#: Zone events count by the zone's severity: an entry into a departure hotspot (high) weighs
#: more than one into a SAR region (low); ports and anchorages (info) count nothing.
SEVERITY_FACTOR = {
    Severity.INFO: 0.0,
    Severity.LOW: 0.5,
    Severity.MEDIUM: 1.0,
    Severity.HIGH: 2.0,
    Severity.CRITICAL: 3.0,
}
_ZONE_KINDS = {EventKind.ZONE_ENTRY, EventKind.ZONE_EXIT, EventKind.ZONE_DWELL}


@dataclass(frozen=True, slots=True)
class Contribution:
    """One indicator's share of the score."""

    kind: str
    points: int
    text: str
    time_ms: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "points": self.points,
            "text": self.text,
            "time_ms": self.time_ms,
        }


@dataclass(frozen=True, slots=True)
class Risk:
    """A vessel's score and its explanation, strongest contribution first."""

    mmsi: int
    score: int
    as_of_ms: int
    contributions: tuple[Contribution, ...] = ()

    def explain(self) -> list[str]:
        """Return the contributions as lines of text."""
        return [c.text for c in self.contributions]

    def to_dict(self) -> dict[str, Any]:
        return {
            "mmsi": self.mmsi,
            "score": self.score,
            "as_of_ms": self.as_of_ms,
            "contributions": [c.to_dict() for c in self.contributions],
        }


def at_coverage_edge(ev: Event) -> bool:
    """Return True for a gap that started where receivers lose vessels (`geo.coverage`)."""
    cover = ev.details.get("coverage")
    return isinstance(cover, dict) and cover.get("verdict") == "edge"


def routine_gap(ev: Event) -> bool:
    """Return True for a silence that is the station's routine (`geo.detectors.gap`)."""
    return bool(ev.details.get("routine_silence"))


def _heard_well(ev: Event) -> bool:
    """Return False for a gap where the receivers' coverage is unknown or poor (`geo.coverage`).

    Going dark in departure waters weighs more only where silence means something: where the
    feed shows the place well covered and the vessel itself was being heard well up to its
    last fix (its own recent reception measured, ``own_reception``), or where the event says
    nothing of coverage (older engines' events). A vessel the feed has barely heard (it just
    came into range, or the feed has just started) has no reception of its own yet, and its
    silence may be nothing but not having been heard (in ``make eval``, four of the six NGO
    ships that became suspects on one silence alone, tuning and held-out runs alike).
    """
    cover = ev.details.get("coverage")
    if not isinstance(cover, dict):
        return True
    return cover.get("verdict") == "good" and cover.get("own_reception") is not None


def _duration(ev: Event) -> str:
    d = ev.details.get("duration")
    if isinstance(d, str):
        return d
    if ev.end_ms is not None:
        return format_duration((ev.end_ms - ev.start_ms) / 1000.0)
    return "ongoing"


def describe(ev: Event, mmsi: int) -> str:
    """Word one event from the point of view of vessel ``mmsi``.

    Examples
    --------
    >>> e = Event(EventKind.ENCOUNTER, 642123456, 0, 9_600_000, 33.4, 12.1, Severity.HIGH,
    ...           other_mmsi=672654321, details={"near": {"name": "Zuwara", "distance_nm": 38.2,
    ...           "direction": "N", "country": "LY"}})
    >>> describe(e, 672654321)
    'encounter with 642123456 for 2 h 40 min, 38 nm N of Zuwara'
    """
    near = ev.details.get("near") or ev.details.get("last_seen_near")
    where = describe_place(near)
    tail = f", {where}" if where else ""
    if ev.kind is EventKind.ENCOUNTER:
        other = ev.other_mmsi if ev.mmsi == mmsi else ev.mmsi
        return f"encounter with {other} for {_duration(ev)}{tail}"
    if ev.kind is EventKind.LOITERING:
        return f"loitering for {_duration(ev)}{tail}"
    if ev.kind is EventKind.AIS_GAP:
        if at_coverage_edge(ev):
            if ev.end_ms is None:
                return f"lost at the edge of receiver coverage{tail}"
            return f"AIS silent for {_duration(ev)} at the edge of coverage{tail}"
        if ev.end_ms is None:
            return f"went dark{tail}"
        return f"AIS silent for {_duration(ev)}{tail}"
    if ev.kind in _ZONE_KINDS:
        name = ev.details.get("zone_name", ev.zone)
        verb = {EventKind.ZONE_ENTRY: "entered", EventKind.ZONE_EXIT: "left"}.get(
            ev.kind, "dwelt in"
        )
        return f"{verb} {name}"
    summary = ev.details.get("summary")
    return str(summary) if summary else ev.kind.value.replace("_", " ")


def departure_waters(zones: Sequence[Zone]) -> Where:
    """Return a test for "departure waters".

    Departure waters are a departure area, or the territorial sea or contiguous zone of a
    country that has one (within 24 nm of a departure coast).

    Derived from the zone set, not from a list of countries: a zone file for another sea with
    its own departure areas gets its own departure waters.
    """
    countries = {z.country for z in zones if z.kind is ZoneKind.DEPARTURE_HOTSPOT and z.country}
    near = [
        z
        for z in zones
        if z.kind is ZoneKind.DEPARTURE_HOTSPOT
        or (
            z.kind in (ZoneKind.TERRITORIAL_SEA, ZoneKind.CONTIGUOUS_ZONE)
            and z.country in countries
        )
    ]
    if not near:
        return lambda lon, lat: None
    index = ZoneIndex(near)

    def where(lon: float, lat: float) -> str | None:
        here = index.zones_at(lon, lat)
        if not here:
            return None
        best = min(here, key=lambda z: z.kind is not ZoneKind.DEPARTURE_HOTSPOT)
        return f"in departure waters ({best.name})"

    return where


def risk_score(
    mmsi: int,
    events: Iterable[Event],
    now_ms: int,
    cfg: EngineConfig | None = None,
    where: Where | None = None,
) -> Risk:
    """Score vessel ``mmsi`` at ``now_ms`` from the events it took part in.

    Later versions of an episode (same `Event.key`) replace earlier ones. ``where`` tells
    departure waters (`departure_waters`): going dark there counts
    ``cfg.risk_departure_waters_factor`` times as much.

    Examples
    --------
    >>> gap = Event(EventKind.AIS_GAP, 1, 0, 3_600_000, 35.0, 12.0, Severity.MEDIUM)
    >>> r = risk_score(1, [gap], now_ms=3_600_000)
    >>> r.score, r.explain()
    (20, ['AIS silent for 1 h: +20'])
    >>> risk_score(1, [gap], now_ms=3_600_000 + 24 * 3_600_000).score
    10
    """
    contributions: list[Contribution] = []
    total = 0.0
    for points, ev, extra in _counted(mmsi, events, now_ms, cfg or EngineConfig(), where):
        total += points
        pts = int(round(points))
        text = f"{describe(ev, mmsi)}{extra}: +{pts}"
        contributions.append(Contribution(ev.kind.value, pts, text, ev.start_ms))
    contributions.sort(key=lambda c: (-c.points, c.time_ms, c.kind))
    return Risk(mmsi, min(100, int(round(total))), now_ms, tuple(contributions))


def risk_points(
    mmsi: int,
    events: Iterable[Event],
    now_ms: int,
    cfg: EngineConfig | None = None,
    where: Where | None = None,
) -> int:
    """`risk_score`'s score alone, without wording its contributions.

    What the alert rules and the live picture read at every step (a vessel's risk raises an
    event's severity): the wording was most of the score's price there, and they drop it.
    The same sum in the same order: the same number.

    >>> gap = Event(EventKind.AIS_GAP, 1, 0, 3_600_000, 35.0, 12.0, Severity.MEDIUM)
    >>> risk_points(1, [gap], now_ms=3_600_000)
    20
    """
    total = 0.0
    for points, _, _ in _counted(mmsi, events, now_ms, cfg or EngineConfig(), where):
        total += points
    return min(100, int(round(total)))


def _counted(
    mmsi: int, events: Iterable[Event], now_ms: int, cfg: EngineConfig, where: Where | None
) -> list[tuple[float, Event, str]]:
    """Return the events that count, with their points and where they were, in summing order."""
    latest: dict[tuple[Any, ...], Event] = {}
    for ev in events:
        if ev.mmsi == mmsi or ev.other_mmsi == mmsi:
            latest[ev.key()] = ev
    counted: list[tuple[float, Event, str]] = []
    by_zone: dict[str, tuple[float, Event, str]] = {}
    for ev in latest.values():
        weight = cfg.risk_weights.get(ev.kind.value, 0.0)
        if ev.kind in _ZONE_KINDS:
            weight *= SEVERITY_FACTOR.get(ev.severity, 1.0)
        extra = ""
        if ev.kind is EventKind.AIS_GAP and (at_coverage_edge(ev) or routine_gap(ev)):
            # lost at the edge of coverage, a ship's craft back on board: not a switch-off
            weight *= cfg.coverage_edge_risk
        elif (
            ev.kind is EventKind.AIS_GAP
            and where is not None
            and ev.lat is not None
            and _heard_well(ev)
        ):
            place = where(float(ev.lon or 0.0), float(ev.lat))
            if place is not None:
                weight *= cfg.risk_departure_waters_factor
                extra = f" {place}"
        ended = ev.end_ms if ev.end_ms is not None else now_ms
        age = max(0.0, (now_ms - ended) / 1000.0)
        points = weight * 0.5 ** (age / cfg.risk_half_life_s)
        if points < 0.5:
            continue
        if ev.kind in _ZONE_KINDS and ev.zone is not None:
            # one zone counts once: a boat working a bank inside a departure area re-enters it
            # all day, and that is one fact about it, not twenty
            best = by_zone.get(ev.zone)
            if best is None or points > best[0]:
                by_zone[ev.zone] = (points, ev, extra)
            continue
        counted.append((points, ev, extra))
    return counted + list(by_zone.values())
