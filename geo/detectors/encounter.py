"""``encounter``: two vessels close together, both slow, for a sustained time, outside ports.

At the end of every slice with data, the latest fix of every vessel that is fresh (at most
``encounter_stale_s`` old), slow and not in a port or anchorage zone goes into a shapely
`STRtree`; one ``dwithin`` query returns the candidate pairs, which are then checked by
great-circle distance. Never all pairs: the tree makes it O(n log n) in the slow vessels.

A pair seen close starts an episode; it is reported (open) once it has lasted
``encounter_min_s`` and closed (an update of the same episode key) when the pair has been seen
apart (both fresh, not close or not slow) for ``encounter_break_s``. A pair of which one vessel
is simply unheard (three class B reports lost in a row under poor reception is a 12-minute
silence) is not apart: the episode waits up to ``encounter_unseen_s`` for them to be seen
together again. The event is keyed on the lower MMSI, ``other_mmsi`` is the
higher, and ``details`` carries both identities.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import shapely

from geo.config import EngineConfig
from geo.detectors.base import Describer, describe_place, format_duration, haversine_m
from geo.events import Event, EventKind, Severity
from geo.tracker import Fleet

_M_PER_DEG = 111_320.0


@dataclass(slots=True)
class Pair:
    """An open encounter candidate."""

    start: int
    last: int
    n: int
    sum_lon: float
    sum_lat: float
    min_m: float
    sum_m: float
    emitted: bool = False
    details: dict[str, Any] | None = None


class EncounterDetector:
    """Encounter candidates by pair of MMSIs; see the module docstring."""

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self.pairs: dict[tuple[int, int], Pair] = {}

    def close_pairs(
        self, boundary_ms: int, fleet: Fleet
    ) -> tuple[list[tuple[int, int]], list[float]]:
        """Return slot pairs (lower MMSI first) close together at ``boundary_ms``, and distances."""
        cfg = self.cfg
        n = len(fleet)
        t = fleet.t[:n]
        cand = (
            (t >= 0)
            & (boundary_ms - t <= cfg.encounter_stale_s * 1000)
            & (fleet.sog[:n] < cfg.encounter_speed_kn)
            & ~fleet.supp[:n]
        )
        idx = np.flatnonzero(cand)
        if len(idx) < 2:
            return [], []
        lon, lat = fleet.lon[idx], fleet.lat[idx]
        pts = shapely.points(lon, lat)
        tree = shapely.STRtree(pts)
        max_lat = float(np.max(np.abs(lat)))
        reach_deg = cfg.encounter_distance_m / (_M_PER_DEG * max(np.cos(np.radians(max_lat)), 0.01))
        a, b = tree.query(pts, predicate="dwithin", distance=reach_deg * 1.01)
        keep = a < b
        a, b = a[keep], b[keep]
        if not len(a):
            return [], []
        d = haversine_m(lon[a], lat[a], lon[b], lat[b])
        close = d <= cfg.encounter_distance_m
        sa, sb, d = idx[a[close]], idx[b[close]], d[close]
        mm = fleet.mmsi_col
        swap = mm[sa] > mm[sb]
        lo = np.where(swap, sb, sa)
        hi = np.where(swap, sa, sb)
        order = np.lexsort((mm[hi], mm[lo]))
        return list(zip(lo[order].tolist(), hi[order].tolist(), strict=True)), d[order].tolist()

    def tick(self, boundary_ms: int, fleet: Fleet, observe: bool, say: Describer) -> list[Event]:
        """Update episodes at a slice end; ``observe`` when the slice carried positions."""
        cfg = self.cfg
        events: list[Event] = []
        seen: set[tuple[int, int]] = set()
        if observe:
            pairs, dists = self.close_pairs(boundary_ms, fleet)
            for (sa, sb), dist in zip(pairs, dists, strict=True):
                key = (fleet.mmsi[sa], fleet.mmsi[sb])
                seen.add(key)
                tj = int(min(fleet.t[sa], fleet.t[sb]))  # both known there at this time
                lon = (float(fleet.lon[sa]) + float(fleet.lon[sb])) / 2.0
                lat = (float(fleet.lat[sa]) + float(fleet.lat[sb])) / 2.0
                p = self.pairs.get(key)
                if p is None:
                    self.pairs[key] = p = Pair(tj, tj, 0, 0.0, 0.0, dist, 0.0)
                p.last = max(p.last, tj)
                p.n += 1
                p.sum_lon += lon
                p.sum_lat += lat
                p.sum_m += dist
                p.min_m = min(p.min_m, dist)
                if not p.emitted and p.last - p.start >= cfg.encounter_min_s * 1000:
                    p.emitted = True
                    p.details = self._details(key, p, say)
                    events.append(self._event(key, p, None))
        for key in sorted(k for k, p in self.pairs.items() if k not in seen):
            p = self.pairs[key]
            limit = cfg.encounter_break_s
            if not self._both_fresh(key, boundary_ms, fleet):
                limit = max(limit, cfg.encounter_unseen_s)  # unseen is not apart
            if boundary_ms - p.last > limit * 1000:
                del self.pairs[key]
                if p.emitted:
                    events.append(self._event(key, p, p.last))
        return events

    def _both_fresh(self, key: tuple[int, int], boundary_ms: int, fleet: Fleet) -> bool:
        """Whether both vessels have a fix recent enough to say where they are now."""
        stale = self.cfg.encounter_stale_s * 1000
        for m in key:
            slot = fleet.slot_of.get(m)
            if slot is None or boundary_ms - int(fleet.t[slot]) > stale:
                return False
        return True

    def _details(self, key: tuple[int, int], p: Pair, say: Describer) -> dict[str, Any]:
        lon, lat = p.sum_lon / p.n, p.sum_lat / p.n
        return {
            "vessel": say.vessel(key[0]),
            "other": say.vessel(key[1]),
            "near": say.place(lon, lat),
            "zones": say.zones_at_point(lon, lat),
        }

    def _event(self, key: tuple[int, int], p: Pair, end: int | None) -> Event:
        assert p.details is not None
        dur = (p.last - p.start) / 1000.0
        details = dict(p.details)
        details.update(
            {
                "duration_s": round(dur, 1),
                "duration": format_duration(dur),
                "min_distance_m": round(p.min_m),
                "mean_distance_m": round(p.sum_m / p.n),
                "observations": p.n,
            }
        )
        where = describe_place(details.get("near"))
        details["summary"] = (
            f"encounter of {key[0]} with {key[1]} for {format_duration(dur)}"
            + (f", {where}" if where else "")
            + ("" if end is not None else " (ongoing)")
        )
        lat, lon = p.sum_lat / p.n, p.sum_lon / p.n
        return Event(
            EventKind.ENCOUNTER,
            key[0],
            p.start,
            end,
            lat,
            lon,
            Severity.HIGH,
            other_mmsi=key[1],
            details=details,
        )

    def to_state(self) -> dict[str, Any]:
        return {"pairs": [[a, b, asdict(p)] for (a, b), p in self.pairs.items()]}

    def load_state(self, obj: dict[str, Any]) -> None:
        self.pairs = {(int(a), int(b)): Pair(**p) for a, b, p in obj["pairs"]}
