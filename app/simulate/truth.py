"""Truth labels: what a correct detector could know, from the messages actually received.

A label is planned in simulator time (`PlannedLabel`) and refined against the receive log: a gap
runs from the last fix heard before the transmitter went dark to the first fix heard after; an
identity change from the last static heard with the old identity to the first heard with the new
one; a loiter from the first to the last slow fix heard. A planned behaviour that left no trace in
the capture (every spoofed fix lost, say) gets no label. Times are the tag block ``c:`` times
(whole seconds), the event time a decoder gives each message.

Zone transitions are labelled for every vessel, not only the scripted departures, so precision
of `zone_entry`/`zone_exit` can be measured: the genuine fixes heard, in order, per MMSI, tested
against each zone with those alerts; the first fix on the other side is the transition.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import shape

from app.simulate.agent import PlannedLabel
from app.simulate.world import haversine_m
from geo.events import format_time

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Label:
    """One truth label, in the event contract's shape plus the scenario that made it."""

    kind: str
    mmsi: int
    start_ms: int
    end_ms: int
    scenario: str
    other_mmsi: int | None = None
    zone: str | None = None
    lat: float | None = None
    lon: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON object written to ``--truth`` (one per line)."""
        return {
            "kind": self.kind,
            "mmsi": self.mmsi,
            "other_mmsi": self.other_mmsi,
            "zone": self.zone,
            "start": format_time(self.start_ms),
            "end": format_time(self.end_ms),
            "lat": None if self.lat is None else round(self.lat, 5),
            "lon": None if self.lon is None else round(self.lon, 5),
            "scenario": self.scenario,
            "details": self.details,
        }


class RxLog:
    """Receive times (event time, ms) of the agents that carry labels."""

    def __init__(self, agents: set[int]) -> None:
        self.agents = agents
        self._pos: dict[int, list[I64]] = defaultdict(list)
        self._pos_genuine: dict[int, list[npt.NDArray[np.bool_]]] = defaultdict(list)
        self._pos_lon: dict[int, list[F64]] = defaultdict(list)
        self._pos_lat: dict[int, list[F64]] = defaultdict(list)
        self._static: dict[int, list[tuple[int, tuple[object, ...]]]] = defaultdict(list)

    def positions(
        self, agent: I64, t: I64, genuine: npt.NDArray[np.bool_], lon: F64, lat: F64
    ) -> None:
        """Record received position fixes (arrays, any order within a window)."""
        for a in np.unique(agent).tolist():
            if a in self.agents:
                sel = agent == a
                self._pos[a].append(t[sel])
                self._pos_genuine[a].append(genuine[sel])
                self._pos_lon[a].append(lon[sel])
                self._pos_lat[a].append(lat[sel])

    def static(self, agent: int, t: int, identity: tuple[object, ...]) -> None:
        """Record a received static message and the identity it carried."""
        if agent in self.agents:
            self._static[agent].append((t, identity))

    def pos(self, a: int) -> tuple[I64, npt.NDArray[np.bool_], F64, F64]:
        """All received fixes of an agent, time-ordered: (t, genuine, lon, lat)."""
        if not self._pos.get(a):
            e = np.zeros(0)
            return np.zeros(0, np.int64), np.zeros(0, bool), e, e
        t = np.concatenate(self._pos[a])
        o = np.argsort(t, kind="stable")
        return (
            t[o],
            np.concatenate(self._pos_genuine[a])[o],
            np.concatenate(self._pos_lon[a])[o],
            np.concatenate(self._pos_lat[a])[o],
        )

    def statics(self, a: int) -> list[tuple[int, tuple[object, ...]]]:
        return sorted(self._static.get(a, []), key=lambda x: x[0])


def refine(p: PlannedLabel, log: RxLog, mmsi_of: dict[int, int]) -> Label | None:
    """Turn a planned label into what the capture shows, or None if it shows nothing."""
    t, genuine, lon, lat = log.pos(p.agent)
    tg, lon_g, lat_g = t[genuine], lon[genuine], lat[genuine]
    start: int | None = None
    end: int | None = None
    point = p.point
    details: dict[str, Any] = dict(p.details)
    if p.rule == "span":
        sel = (tg >= p.start) & (tg <= p.end)
        if p.other is not None:
            to, go, _, _ = log.pos(p.other)
            to = to[go]
            osel = to[(to >= p.start) & (to <= p.end)]
            if not sel.any() or not len(osel):
                return None
            start = max(int(tg[sel][0]), int(osel[0]))
            end = min(int(tg[sel][-1]), int(osel[-1]))
        elif sel.any():
            start, end = int(tg[sel][0]), int(tg[sel][-1])
        if sel.any():
            point = (float(lon_g[sel][0]), float(lat_g[sel][0]))
    elif p.rule == "gap":
        before, after = tg[tg < p.start], tg[tg >= p.end]
        if len(before) and len(after):
            start, end = int(before[-1]), int(after[0])
            i = len(before) - 1
            point = (float(lon_g[i]), float(lat_g[i]))
            j = int(np.searchsorted(tg, end))
            dist = float(haversine_m(lon_g[i : i + 1], lat_g[i : i + 1], lon_g[j : j + 1],
                                     lat_g[j : j + 1])[0])  # fmt: skip
            hours = (end - start) / 3_600_000
            details = {"duration_minutes": round((end - start) / 60_000, 1),
                       "distance_nm": round(dist / 1852, 2),
                       "implied_speed_kn": round(dist / 1852 / max(hours, 1e-9), 2)}  # fmt: skip
    elif p.rule == "spoof":
        spoofed = t[~genuine]
        spoofed = spoofed[(spoofed >= p.start) & (spoofed <= p.end)]
        if len(spoofed):
            before, after = tg[tg < spoofed[0]], tg[tg > spoofed[-1]]
            start = int(before[-1]) if len(before) else int(spoofed[0])
            end = int(after[0]) if len(after) else int(spoofed[-1])
    elif p.rule in ("seen", "seen_static"):
        statics = log.statics(p.agent)
        times = [int(x) for x in t] + [s for s, _ in statics]
        if times:
            first = min(times) if p.rule == "seen" else min((s for s, _ in statics), default=None)
            if first is not None:
                start, end = first, max(times)
        if len(t):
            point = (float(lon[0]), float(lat[0]))
    elif p.rule == "static_change":
        statics = log.statics(p.agent)
        old_keys = {k for s, k in statics if s < p.start}
        old = [s for s, _ in statics if s < p.start]
        new = [s for s, k in statics if s >= p.start and k not in old_keys]
        if old and new:
            start, end = old[-1], new[0]
            if len(tg):
                k = min(int(np.searchsorted(tg, end)), len(tg) - 1)
                point = (float(lon_g[k]), float(lat_g[k]))
    if start is None or end is None or end < start:
        return None
    return Label(
        kind=p.kind,
        mmsi=mmsi_of[p.agent],
        other_mmsi=None if p.other is None else mmsi_of[p.other],
        zone=p.zone,
        start_ms=start,
        end_ms=end,
        scenario=p.scenario,
        lon=None if point is None else point[0],
        lat=None if point is None else point[1],
        details=details,
    )


@dataclass(frozen=True, slots=True)
class Zone:
    """A zone of the zone file with the alerts it raises."""

    id: str
    kind: str
    alerts: frozenset[str]
    geom: shapely.Geometry


def load_zones(path: Path) -> list[Zone]:
    """Read the zone file of DESIGN.md (GeoJSON FeatureCollection)."""
    with path.open() as f:
        features = json.load(f)["features"]
    out = []
    for ft in features:
        props = ft.get("properties") or {}
        geom = shapely.make_valid(shape(ft["geometry"]))
        shapely.prepare(geom)
        out.append(
            Zone(
                id=str(props["id"]),
                kind=str(props.get("kind", "custom")),
                alerts=frozenset(props.get("alerts") or ["entry", "exit"]),
                geom=geom,
            )
        )
    return out


class ZoneTruth:
    """Zone entries and exits of every MMSI from its genuine received fixes, in order.

    The first fix of an MMSI sets its state without a transition: a vessel already inside a zone
    when the capture begins has not entered it.
    """

    def __init__(self, zones: list[Zone]) -> None:
        self.zones = [z for z in zones if z.alerts & {"entry", "exit"}]
        self.state: dict[int, npt.NDArray[np.bool_]] = {}
        self.labels: list[Label] = []

    def observe(self, mmsi: I64, t: I64, lon: F64, lat: F64, scenario: list[str]) -> None:
        """Feed the genuine fixes of one window (sorted by time)."""
        if not self.zones or not len(mmsi):
            return
        inside = np.stack([shapely.contains_xy(z.geom, lon, lat) for z in self.zones], axis=1)
        order = np.lexsort((t, mmsi))
        for_mmsi: dict[int, list[int]] = defaultdict(list)
        for i in order.tolist():
            for_mmsi[int(mmsi[i])].append(i)
        for m, rows in for_mmsi.items():
            block = inside[rows]
            prev = self.state.get(m)
            if prev is None:
                prev = block[0]
            seq = np.vstack([prev[None, :], block])
            change = seq[1:] != seq[:-1]
            for r, z in zip(*np.nonzero(change), strict=True):
                zone = self.zones[int(z)]
                entered = bool(seq[r + 1, z])
                kind = "zone_entry" if entered else "zone_exit"
                if (entered and "entry" not in zone.alerts) or (
                    not entered and "exit" not in zone.alerts
                ):
                    continue
                i = rows[int(r)]
                self.labels.append(
                    Label(
                        kind=kind,
                        mmsi=m,
                        zone=zone.id,
                        start_ms=int(t[i]),
                        end_ms=int(t[i]),
                        scenario=scenario[i],
                        lon=float(lon[i]),
                        lat=float(lat[i]),
                    )
                )
            self.state[m] = block[-1]


def write_truth(labels: list[Label], path: Path) -> None:
    """Write labels as JSON lines, ordered by start time then kind and MMSI."""
    with path.open("w") as f:
        for lab in sorted(labels, key=lambda x: (x.start_ms, x.kind, x.mmsi)):
            f.write(json.dumps(lab.to_dict(), sort_keys=False) + "\n")


def read_truth(path: Path) -> list[dict[str, Any]]:
    """Read a truth file back as JSON objects."""
    with path.open() as f:
        return [json.loads(line) for line in f if line.strip()]
