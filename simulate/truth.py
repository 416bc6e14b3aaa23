"""Truth labels: what a correct detector could know, from the messages actually received.

A label is planned in simulator time (`PlannedLabel`) and refined against the receive log: a gap
runs from the last fix heard before the transmitter went dark to the first fix heard after; an
identity change from the last static heard with the old identity to the first heard with the new
one; a loiter from the first to the last slow fix heard. A planned behaviour that left no trace in
the capture (every spoofed fix lost, say, or all but one) gets no label. Times are the tag block
``c:`` times (whole seconds), the event time a decoder gives each message.

Zone transitions are labelled for every vessel (not SAR aircraft, which the engine does not
track), not only the scripted departures, so precision of `zone_entry`/`zone_exit` can be
measured: the genuine fixes heard, in order, per MMSI, tested against each zone with those alerts;
two consecutive fixes on the other side make a transition, dated at the first (`ZoneTruth`).
Visits of zones with a dwell alert that last their ``dwell_minutes`` are ``zone_dwell`` labels.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import shape

from geo.config import EngineConfig
from geo.events import format_time
from simulate.agent import PlannedLabel
from simulate.world import haversine_m

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
    """Receive times (event time, ms) of the agents that may carry labels.

    ``agents`` None keeps every agent's: labels are planned while the capture is emitted, and a
    gap or a spoof is refined against fixes received before it was planned.
    """

    def __init__(self, agents: set[int] | None) -> None:
        self.agents = agents
        self.enabled = agents is None or bool(agents)
        self._chunks: list[tuple[I64, I64, npt.NDArray[np.bool_], F64, F64]] = []
        self._by_agent: dict[int, tuple[I64, npt.NDArray[np.bool_], F64, F64]] | None = None
        self._static: dict[int, list[tuple[int, tuple[object, ...]]]] = defaultdict(list)
        #: per agent: (time, identifiers a received static message carried)
        self._carried: dict[int, list[tuple[int, frozenset[str]]]] = defaultdict(list)

    def positions(
        self, agent: I64, t: I64, genuine: npt.NDArray[np.bool_], lon: F64, lat: F64
    ) -> None:
        """Record received position fixes (arrays, any order within a window)."""
        if self.agents is not None:
            keep = np.isin(agent, np.fromiter(self.agents, np.int64, len(self.agents)))
            agent, t, genuine, lon, lat = agent[keep], t[keep], genuine[keep], lon[keep], lat[keep]
        if len(agent):
            self._chunks.append((agent, t, genuine, lon, lat))
            self._by_agent = None

    def static(
        self,
        agent: int,
        t: int,
        identity: tuple[object, ...],
        carries: frozenset[str] = frozenset({"imo", "name", "callsign"}),
    ) -> None:
        """Record a received static message, the identity it carried and which identifiers.

        A type 5 carries IMO, name and callsign; a class B unit's type 24 part A the name only,
        part B the callsign: a feed that kept one part shows only its identifier.
        """
        if self.agents is None or agent in self.agents:
            self._static[agent].append((t, identity))
            self._carried[agent].append((t, carries))

    def statics_carrying(self, a: int, fields: set[str]) -> list[int]:
        """Return when an agent's received static messages carried any of ``fields``."""
        return sorted(t for t, c in self._carried.get(a, []) if c & fields)

    def pos(self, a: int) -> tuple[I64, npt.NDArray[np.bool_], F64, F64]:
        """All received fixes of an agent, time-ordered: (t, genuine, lon, lat)."""
        if self._by_agent is None:
            self._by_agent = self._index()
        got = self._by_agent.get(a)
        if got is None:
            e = np.zeros(0)
            return np.zeros(0, np.int64), np.zeros(0, bool), e, e
        return got

    def _index(self) -> dict[int, tuple[I64, npt.NDArray[np.bool_], F64, F64]]:
        if not self._chunks:
            return {}
        agent, t, genuine, lon, lat = (np.concatenate(c) for c in zip(*self._chunks, strict=True))
        o = np.lexsort((t, agent))  # stable: equal times keep the order they were received in
        agent, t, genuine, lon, lat = agent[o], t[o], genuine[o], lon[o], lat[o]
        ids, first = np.unique(agent, return_index=True)
        bounds = [*first.tolist(), len(agent)]
        return {
            int(a): (t[i:j], genuine[i:j], lon[i:j], lat[i:j])
            for a, i, j in zip(ids.tolist(), bounds[:-1], bounds[1:], strict=True)
        }

    def statics(self, a: int) -> list[tuple[int, tuple[object, ...]]]:
        return sorted(self._static.get(a, []), key=lambda x: x[0])


#: A spoofed position is labelled once at least two false fixes were received, and two genuine
#: ones: a single fix far off a track cannot be told from a corrupt message, which a detector
#: must drop silently (issue 5: an outlier does not corrupt the track, and is not an alert by
#: itself), whichever of the two transmitters that one fix came from (a satellite feed that
#: caught a cloned MMSI's transmitter on three passes and the real vessel on one shows a track
#: and one fix far off it).
SPOOF_MIN_FIXES = 2
#: An encounter whose vessels were heard inside it for less than 20 minutes (from the later
#: first fix to the earlier last fix) is labelled ``optional`` (``details.optional``: neither
#: found nor missed, an event on it is right): the definition's minimum, which no detector
#: can be required to see in less (a 20-minute meeting seen by one fix of each vessel, as a
#: sparse feed shows it), though fixes just outside it may show it.
ENCOUNTER_MIN_MS = 20 * 60_000
#: An identity change is labelled once two static reports with the new identity were received:
#: one could be a corrupt report (the engine's ``identity_confirm``), and a vessel that sails
#: out of range after its first new report has not shown the change to anyone.
IDENTITY_MIN_STATICS = 2
#: A switch-off after the vessel's first fix received is ``optional``: one report of a vessel
#: never heard again shows no transmitter that stopped (the engine's ``gap_min_fixes``).
GAP_MIN_FIXES = EngineConfig().gap_min_fixes


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
                if p.kind != "encounter":
                    return None
                start, end = p.start, p.end  # unseen inside: a detector may still bridge it
                details["optional"] = True
            else:
                start = max(int(tg[sel][0]), int(osel[0]))
                end = min(int(tg[sel][-1]), int(osel[-1]))
            if p.kind == "encounter" and end - start < ENCOUNTER_MIN_MS:
                details["optional"] = True
                start, end = min(start, end), max(start, end)
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
            if len(before) < GAP_MIN_FIXES:
                details["optional"] = True
    elif p.rule == "spoof":
        spoofed = t[~genuine]
        spoofed = spoofed[(spoofed >= p.start) & (spoofed <= p.end)]
        if len(spoofed) >= SPOOF_MIN_FIXES and len(tg) >= SPOOF_MIN_FIXES:
            before, after = tg[tg < spoofed[0]], tg[tg > spoofed[-1]]
            start = int(before[-1]) if len(before) else int(spoofed[0])
            end = int(after[0]) if len(after) else int(spoofed[-1])
    elif p.rule in ("seen", "seen_static"):
        statics = log.statics(p.agent)
        times = [int(x) for x in t] + [s for s, _ in statics]
        # a match on an identifier needs a static message that carried it (not every part does)
        on = p.details.get("matched_on", ())
        wanted = {str(f) for f in on if f != "mmsi"} if isinstance(on, list | tuple) else set()
        matching = log.statics_carrying(p.agent, wanted) if wanted else [s for s, _ in statics]
        if times:
            first = min(times) if p.rule == "seen" else min(matching, default=None)
            if first is not None:
                start, end = first, max(times)
        if len(t):
            point = (float(lon[0]), float(lat[0]))
    elif p.rule == "static_change":
        statics = log.statics(p.agent)
        old_keys = {k for s, k in statics if s < p.start}
        old = [s for s, _ in statics if s < p.start]
        new = [s for s, k in statics if s >= p.start and k not in old_keys]
        if old and len(new) >= IDENTITY_MIN_STATICS:
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
    dwell_minutes: float | None = None


def load_zones(path: Path) -> list[Zone]:
    """Read the zone file of DESIGN.md (GeoJSON FeatureCollection).

    ``alerts`` absent means the contract's default (entry and exit); an empty list means none
    (ports and anchorages are there to suppress behaviour alerts, not to raise their own).
    """
    with path.open() as f:
        features = json.load(f)["features"]
    out = []
    for ft in features:
        props = ft.get("properties") or {}
        geom = shapely.make_valid(shape(ft["geometry"]))
        shapely.prepare(geom)
        alerts = props.get("alerts")
        dwell = props.get("dwell_minutes")
        out.append(
            Zone(
                id=str(props["id"]),
                kind=str(props.get("kind", "custom")),
                alerts=frozenset(["entry", "exit"] if alerts is None else alerts),
                geom=geom,
                dwell_minutes=None if dwell is None else float(dwell),
            )
        )
    return out


#: A vessel is on the other side of a boundary once two consecutive received fixes at least 20 s
#: apart put it there. One fix across is not a transition: GNSS noise is several metres, and a
#: vessel sailing along a boundary (a lane on the 12-nm line) flickers across it; the issue asks
#: for one transition then. Nor is a few seconds across, as a ship turning at a boundary reports
#: every 2-3 s (the engine's ``zone_confirm_fixes`` and ``zone_confirm_s``).
CONFIRM_FIXES = 2
CONFIRM_MS = 20_000


@dataclass(slots=True)
class _Side:
    """Committed side of every zone for one MMSI, the runs not yet confirmed, visit starts."""

    inside: npt.NDArray[np.bool_]
    entered: dict[int, int]  # zone index -> committed entry (or first fix) time
    pending: dict[int, tuple[int, float, float, int, str]]  # zone -> (t, lon, lat, n, scenario)
    last_t: int = 0
    scenario: str = "traffic"
    seen_in: dict[int, int] = field(default_factory=dict)  # zone -> last fix inside this visit


class ZoneTruth:
    """Zone entries, exits and dwells of every vessel from its genuine received fixes, in order.

    The first fix of an MMSI sets its state without a transition: a vessel already inside a zone
    when the capture begins has not entered it (its visit, for dwell, starts at that fix). A
    transition needs `CONFIRM_FIXES` consecutive fixes on the new side spanning `CONFIRM_MS`
    and is dated at the first.
    A visit of a zone with a dwell alert in which a fix shows the vessel still inside
    ``dwell_minutes`` after the entry is a ``zone_dwell`` from the entry to the exit, or to the
    vessel's last fix if it is still inside at the end (`finish`).

    A second transmitter on a vessel's MMSI (a clone, `simulate.behaviours.add_shared_mmsis`)
    crosses zones too, under that MMSI: heard alone for hours, it is all the feed shows of the
    MMSI, and a detector follows it. Its transitions (`clones`, fed by agent) are labelled
    ``optional``, neither asked for nor false: which of the tracks a detector follows at a time
    is its choice.
    """

    def __init__(self, zones: list[Zone], *, optional: bool = False) -> None:
        self.zones = [z for z in zones if z.alerts & {"entry", "exit", "dwell"}]
        self.state: dict[int, _Side] = {}
        self.labels: list[Label] = []
        self._dwell: dict[tuple[int, int], tuple[float, float]] = {}  # where each visit began
        self.optional = optional
        #: The clones' transitions, keyed by agent (`finish` names their MMSI).
        self.clones: ZoneTruth | None = None if optional else ZoneTruth(zones, optional=True)

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
            st = self.state.get(m)
            if st is None:
                i0 = rows[0]
                st = _Side(block[0].copy(), {}, {})
                for z in np.flatnonzero(block[0]).tolist():
                    st.entered[z] = int(t[i0])
                    st.seen_in[z] = int(t[i0])
                    self._dwell[(m, z)] = (float(lon[i0]), float(lat[i0]))
                self.state[m] = st
            st.last_t = int(t[rows[-1]])
            st.scenario = scenario[rows[-1]]
            if not st.pending and bool((block == st.inside[None, :]).all()):
                for z in st.entered:
                    st.seen_in[z] = st.last_t
                continue
            for r, i in enumerate(rows):
                self._step(m, st, block[r], int(t[i]), float(lon[i]), float(lat[i]), scenario[i])

    def _step(
        self,
        m: int,
        st: _Side,
        here: npt.NDArray[np.bool_],
        t: int,
        lon: float,
        lat: float,
        scen: str,
    ) -> None:
        for z in np.flatnonzero(here != st.inside).tolist():
            p = st.pending.get(z)
            p = (t, lon, lat, 1, scen) if p is None else (*p[:3], p[3] + 1, p[4])
            st.pending[z] = p
            if p[3] < CONFIRM_FIXES or t - p[0] < CONFIRM_MS:
                continue
            del st.pending[z]
            entered = bool(here[z])
            st.inside[z] = entered
            self._transition(m, st, z, entered, p)
        for z in [z for z in st.pending if here[z] == st.inside[z]]:
            del st.pending[z]
        for z in st.entered:
            if here[z]:
                st.seen_in[z] = t

    def _transition(
        self, m: int, st: _Side, z: int, entered: bool, p: tuple[int, float, float, int, str]
    ) -> None:
        zone = self.zones[z]
        t0, lon, lat, _, scen = p
        if entered:
            st.entered[z] = t0
            st.seen_in[z] = t0
            self._dwell[(m, z)] = (lon, lat)
        else:
            since = st.entered.pop(z, None)
            if since is not None:
                self._dwell_label(m, z, since, t0, st.seen_in.pop(z, since), scen)
        kind = "zone_entry" if entered else "zone_exit"
        if (entered and "entry" in zone.alerts) or (not entered and "exit" in zone.alerts):
            self.labels.append(
                Label(kind, m, t0, t0, scen, zone=zone.id, lon=lon, lat=lat,
                      details={"optional": True} if self.optional else {})
            )  # fmt: skip

    def _dwell_label(self, m: int, z: int, since: int, until: int, seen: int, scen: str) -> None:
        """Label a visit from ``since`` to ``until`` as a dwell if a fix shows it lasted.

        The last fix inside (at ``seen``) must be ``dwell_minutes`` after the entry: a vessel
        that fell silent in the zone and reappeared outside has not shown it stayed (nor could a
        detector know).
        """
        zone = self.zones[z]
        lon, lat = self._dwell.pop((m, z), (None, None))
        if "dwell" not in zone.alerts or not zone.dwell_minutes:
            return
        if seen - since < zone.dwell_minutes * 60_000:
            return
        details: dict[str, Any] = {"dwell_minutes": zone.dwell_minutes}
        if self.optional:
            details["optional"] = True
        self.labels.append(
            Label("zone_dwell", m, since, until, scen, zone=zone.id, lon=lon, lat=lat,
                  details=details)
        )  # fmt: skip

    def finish(self, mmsi_of: dict[int, int] | None = None) -> None:
        """End of the capture: visits still going that passed their dwell time are dwells.

        ``mmsi_of`` (agent -> MMSI) adds the clones' transitions, under the MMSI they used.
        """
        for m, st in self.state.items():
            for z, since in sorted(st.entered.items()):
                self._dwell_label(m, z, since, st.last_t, st.seen_in.get(z, since), st.scenario)
            st.entered.clear()
            st.seen_in.clear()
        if self.clones is not None and mmsi_of is not None:
            self.clones.finish()
            self.labels += [replace(lab, mmsi=mmsi_of[lab.mmsi]) for lab in self.clones.labels]
            self.clones.labels = []


def write_truth(labels: list[Label], path: Path) -> None:
    """Write labels as JSON lines, ordered by start time then kind and MMSI."""
    with path.open("w") as f:
        for lab in sorted(labels, key=lambda x: (x.start_ms, x.kind, x.mmsi)):
            f.write(json.dumps(lab.to_dict(), sort_keys=False) + "\n")
