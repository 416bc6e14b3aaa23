"""The verdict on coverage where a vessel fell silent: ``good``, ``edge`` or ``unknown``.

`assess` is what the gap detector asks (through `geo.coverage.Coverage.assess`) where a vessel
vanished; `CoverageAt` is what it answers, carried in ``ais_gap`` details. See `assess` for the
verdicts and why the edge is downgraded rather than suppressed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from geo.config import KNOT_MS, EngineConfig
from geo.detectors.base import F64, I64, B
from geo.silence_reception import silence_reception
from geo.vessel_reception import MILLI, VesselReception

VERDICTS = ("good", "edge", "unknown")


class LearntCoverage(Protocol):
    """What `assess` reads of `geo.coverage.Coverage` (which imports this module)."""

    cfg: EngineConfig
    deg: float
    min_evidence_milli: int
    vessels: VesselReception

    def cells(self, lon: F64, lat: F64, class_b: B | bool = False) -> I64: ...

    def quality(  # (positional here: any signature taking these in this order will do)
        self, lon: float, lat: float, class_b: bool, pool: bool, need: int, /
    ) -> tuple[float | None, float]: ...

    def stations_at(
        self, lon: float, lat: float, now_ms: int, top: int = 3
    ) -> list[dict[str, Any]]: ...


_M_PER_DEG = 111_195.0
#: Expected reports at a sparse vessel's own sampling that show it kept at that sampling: one
#: interval's worth (an extract of one report in 10 min holds about three in its last half
#: hour, one in 30 min under two; `VesselReception.own_reception` decays by the half hour).
_KEPT_EVIDENCE = 1.0


@dataclass(frozen=True, slots=True)
class CoverageAt:
    """Coverage where a vessel vanished, as carried in ``ais_gap`` details (``coverage``)."""

    verdict: str  # one of VERDICTS
    reception: float | None  # the figure judged (`geo.silence_reception`)
    at_last_fix: float | None  # reception in the last fix's cell (or its 3 x 3 block)
    evidence: float  # expected reports behind ``at_last_fix``
    cells_ahead: int  # cells with evidence on the dead-reckoned way during the threshold
    own: float | None  # the vessel's own recent reception (its last half hour or so)
    stations: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON object of the event contract's ``details.coverage``."""
        return {
            "verdict": self.verdict,
            "reception": None if self.reception is None else round(self.reception, 3),
            "at_last_fix": None if self.at_last_fix is None else round(self.at_last_fix, 3),
            "evidence_reports": round(self.evidence, 1),
            "cells_ahead": self.cells_ahead,
            "own_reception": None if self.own is None else round(self.own, 3),
            "stations": list(self.stations),
        }


def assess(
    cov: LearntCoverage,
    lon: float,
    lat: float,
    sog: float,
    cog: float,
    horizon_s: float,
    now_ms: int,
    msg_type: int = 1,
    slot: int | None = None,
    nominal_s: float | None = None,
) -> CoverageAt:
    """Coverage where a vessel vanished, and the verdict the gap detector acts on.

    Reception, for the vessel's class, is taken at the last fix and on the way it was
    going: dead-reckoned at its last speed and course for ``horizon_s`` (the silence
    threshold), the cells with evidence it would have crossed; and in the vessel's own
    recent reports (`VesselReception.own_reception`: a boat working at the fringe of a
    range is heard in fits and starts before it is not heard at all, whatever the map knows
    yet). One figure
    is made of them (`geo.silence_reception`: the vessel's own reception before its cell's,
    the mean over the way, the cell as well where the way runs off the map), and decides:

    - ``good``: at least ``coverage_good`` (60 % of what vessels send is heard): a silence
      past the threshold there is not the receivers' doing; an alert as before;
    - ``edge``: less: the receivers lose vessels there, and the silence may be nothing but
      the vessel sailing out of range. Downgraded (severity low, worded as such, a quarter
      of the risk weight), not suppressed: Global Fishing Watch drops gaps that start in
      poor reception because its product is statistics, but a watch officer's is vessels,
      and a smuggler who knows where the coast stations stop switches off just there;
    - ``unknown``: too little evidence (a cold start, an extract of a few vessels): an alert
      as before, saying coverage is unknown.

    A sparsely sampled vessel (`VesselReception.evidence_needed`: an extract, satellite AIS)
    is ``good`` only if, besides, its last fix's cell is fully heard (``coverage_full``, what slot
    collisions leave): one report in five minutes is heard well until the receivers lose
    the vessel altogether, so its own reception never shows the fade across a station's
    fringe, and a last report where the feed already loses reports to distance is a vessel
    at the fringe. The cells beyond, where it would be lost, are seldom crossed by anything
    heard: waiting for their evidence called such vessels dark (issue 12: most false
    ``ais_gap`` of the 5-minute extracts were last heard where 60-78 % was heard).

    Unless it was heading into coverage: kept at its sampling up to the silence (its own
    reception at its demonstrated interval, `VesselReception.own_reception` over the last
    half hour or so, at least ``coverage_full``: an extract's vessel, heard in every one of
    its bins, not a vessel at a station's fringe heard one report in five, whose "sampling"
    is the fade itself), and every cell of its way over the threshold known (30 reports'
    worth, ``coverage_min_evidence``, not a sparse cell's three), better heard than its last
    fix's and at least ``coverage_good``. Then its own reception at the extract's resolution
    and the way decide: the map shows it would have been heard all along the way it was
    going, and where it was the feed kept it, whatever its class does there on average. A
    vessel that sails out of range from a fringe goes the other way, along it, or off the
    map. A held-out 10-minute extract's switch-off was "lost at the edge" from a cell where
    class A is heard 46 % (the truth: 79 % for that ship), on its way to cells heard 65-85 %.
    Every condition must hold, so the rule never calls dark a vessel whose way the map does
    not know; a vessel that turned in the silence is judged on the way it was going (the
    tolerance of any dead reckoning).

    Where the way runs off the map (a cell no vessel was ever heard nor expected in), the
    fringe at the last fix counts (`geo.silence_reception`), less the fade (`_fade`): how
    much reception fell per metre on the way in, over half the way ahead. A fast boat whose
    cells went from 85-95 % to 65 % heard is out of range within the threshold; a slow one,
    or one whose reception did not fall, keeps the cell's figure.
    """
    class_b = msg_type in (18, 19)
    need = cov.vessels.evidence_needed(slot, nominal_s)
    # A sparsely sampled vessel shows no fringe at its last fix (one report in ten minutes
    # is heard well until the receivers lose it altogether): the way ahead decides, and its
    # cells borrow their blocks' evidence as the last fix's cell does.
    sparse = need < cov.min_evidence_milli
    q0, ev0 = cov.quality(lon, lat, class_b, True, need)
    ahead: list[float] = []
    off_map = False  # a cell on the way where nothing was ever heard nor expected
    fade = 0.0
    moving = math.isfinite(sog) and math.isfinite(cog) and sog > 0.5 and horizon_s > 0
    dist = sog * KNOT_MS * horizon_s if moving else 0.0
    # every cell on the way has a figure resting on a terrestrial feed's evidence
    known = True
    for q, ev, _ in _way(cov, lon, lat, cog, dist, class_b, sparse, need):
        if q is not None:
            ahead.append(q)
        known = known and q is not None and ev * MILLI >= cov.min_evidence_milli
        off_map = off_map or ev == 0.0
    if off_map and q0 is not None:
        fade = _fade(cov, lon, lat, cog, dist, class_b, sparse, need, q0)
    q_own, _ = cov.vessels.own_reception(slot) if slot is not None else (None, 0.0)
    good, full = cov.cfg.coverage_good, cov.cfg.coverage_full
    # A sparse vessel heading into coverage (see above): kept at its sampling up to the
    # silence, every cell of its way known and better heard than its last fix's.
    kept = None
    if sparse and slot is not None:
        kept, _ = cov.vessels.own_reception(slot, _KEPT_EVIDENCE)
    inward = (
        kept is not None
        and kept >= full
        and bool(ahead)
        and known
        and q0 is not None
        and min(ahead) > q0
        and min(ahead) >= good
    )
    own = kept if inward else q_own
    judged = silence_reception(q0, own, ahead, off_map, fade=fade)
    fringe = sparse and not inward and q0 is not None and q0 < full
    if judged is None:
        verdict = "unknown"
    elif judged >= good and not fringe:
        verdict = "good"
    else:
        verdict = "edge"
    return CoverageAt(
        verdict, judged, q0, ev0, len(ahead), own, tuple(cov.stations_at(lon, lat, now_ms))
    )


def _way(
    cov: LearntCoverage,
    lon: float,
    lat: float,
    bearing: float,
    dist: float,
    class_b: bool,
    sparse: bool,
    need: int,
) -> list[tuple[float | None, float, float]]:
    """Return ``(reception, evidence, metres)`` of each cell on a dead-reckoned way.

    The way runs ``dist`` metres from the point on ``bearing`` (degrees), sampled at half a
    cell (at most 24 samples); each cell once, in order, with the distance of its farthest
    sample, not the point's own cell.
    """
    if dist <= 0.0:
        return []
    step = cov.deg * _M_PER_DEG / 2.0
    k = int(min(24, max(1, math.ceil(dist / step))))
    f = np.arange(1, k + 1, dtype=np.float64) / k * dist
    coslat = max(math.cos(math.radians(lat)), 0.01)
    lons = lon + f / _M_PER_DEG * math.sin(math.radians(bearing)) / coslat
    lats = np.clip(lat + f / _M_PER_DEG * math.cos(math.radians(bearing)), -89.99, 89.99)
    start = int(cov.cells(np.array([lon]), np.array([lat]), class_b)[0])
    out: list[tuple[float | None, float, float]] = []
    index: dict[int, int] = {start: -1}
    for c, lo, la, m in zip(
        cov.cells(lons, lats, class_b).tolist(),
        lons.tolist(),
        lats.tolist(),
        f.tolist(),
        strict=True,
    ):
        if c in index:
            j = index[c]
            if j >= 0:
                out[j] = (out[j][0], out[j][1], m)
            continue
        index[c] = len(out)
        q, ev = cov.quality(lo, la, class_b, sparse, need)
        out.append((q, ev, m))
    return out


def _fade(
    cov: LearntCoverage,
    lon: float,
    lat: float,
    cog: float,
    dist: float,
    class_b: bool,
    sparse: bool,
    need: int,
    q0: float,
) -> float:
    """Return how much reception is taken to fall, on average, over a way run off the map.

    Reception at a station's fringe falls with distance; a vessel heading out of the map
    keeps falling as it fell on its way to the last fix. That way is the course reversed,
    as far back as the way ahead is long (the track itself is not kept; a vessel that turned
    within it is judged on cells it may not have crossed): the steepest fall per metre from a
    cell there to the last fix's, over half the way ahead (its mean), none where reception
    rose toward the last fix.
    """
    rate = 0.0
    for q, _, m in _way(cov, lon, lat, cog + 180.0, dist, class_b, sparse, need):
        if q is not None and m > 0.0:
            rate = max(rate, (q - q0) / m)
    return rate * dist / 2.0
