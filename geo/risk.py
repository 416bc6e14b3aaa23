"""A 0-100 risk score per vessel, from weighted indicators that fade with time.

Each event a vessel took part in contributes ``weight(kind) x severity factor x decay``, where
decay halves every ``risk_half_life_s`` after the episode ended (an open episode does not decay).
The score is the sum, capped at 100; every contribution is worded so a watch officer sees why
("encounter with 642123456 for 2 h 40 min, 38 nm N of Zuwara: +30"). Pure: the events and the
time are arguments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from geo.config import EngineConfig
from geo.detectors.base import describe_place, format_duration
from geo.events import Event, EventKind, Severity

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


def risk_score(
    mmsi: int, events: Iterable[Event], now_ms: int, cfg: EngineConfig | None = None
) -> Risk:
    """Score vessel ``mmsi`` at ``now_ms`` from the events it took part in.

    Later versions of an episode (same `Event.key`) replace earlier ones.

    Examples
    --------
    >>> gap = Event(EventKind.AIS_GAP, 1, 0, 3_600_000, 35.0, 12.0, Severity.MEDIUM)
    >>> r = risk_score(1, [gap], now_ms=3_600_000)
    >>> r.score, r.explain()
    (20, ['AIS silent for 1 h: +20'])
    >>> risk_score(1, [gap], now_ms=3_600_000 + 24 * 3_600_000).score
    10
    """
    cfg = cfg or EngineConfig()
    latest: dict[tuple[Any, ...], Event] = {}
    for ev in events:
        if ev.mmsi == mmsi or ev.other_mmsi == mmsi:
            latest[ev.key()] = ev
    contributions: list[Contribution] = []
    total = 0.0
    for ev in latest.values():
        weight = cfg.risk_weights.get(ev.kind.value, 0.0)
        if ev.kind in _ZONE_KINDS:
            weight *= SEVERITY_FACTOR.get(ev.severity, 1.0)
        elif ev.kind is EventKind.AIS_GAP and at_coverage_edge(ev):
            weight *= cfg.coverage_edge_risk
        ended = ev.end_ms if ev.end_ms is not None else now_ms
        age = max(0.0, (now_ms - ended) / 1000.0)
        points = weight * 0.5 ** (age / cfg.risk_half_life_s)
        if points < 0.5:
            continue
        total += points
        pts = int(round(points))
        contributions.append(
            Contribution(ev.kind.value, pts, f"{describe(ev, mmsi)}: +{pts}", ev.start_ms)
        )
    contributions.sort(key=lambda c: (-c.points, c.time_ms, c.kind))
    return Risk(mmsi, min(100, int(round(total))), now_ms, tuple(contributions))
