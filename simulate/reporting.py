"""When a transponder transmits, and which shore stations hear it.

Reporting intervals follow ITU-R M.1371-5 Annex 1 Table 1 (class A) and Table 2 (class B):

- class A at anchor or moored, not faster than 3 kn: 3 min; 0-14 kn: 10 s (3 1/3 s when
  changing course); 14-23 kn: 6 s (2 s changing course); over 23 kn: 2 s;
- class B "CS" (type 18): 30 s above 2 kn, 3 min at or below 2 kn;
- SAR aircraft (type 9): 10 s;
- static and voyage data (type 5, type 24 A+B): every 6 min.

Reception (`Network`): a shore station hears a transmitter fully within 70 % of its range and
not at all beyond 105 % of it (the radio horizon of a mast and a ship's antenna), with a fringe
between where reception falls off. The range depends on the transmitter (class B "CS" sends 2 W
against class A's 12.5 W from a lower antenna: about 60 % of the range; each ship's antenna height
moves its range by up to 15 %; a SAR aircraft at altitude is heard far beyond a ship's horizon)
and on propagation, which breathes with the day (8 % of range, peaking at a different hour at
each station). The station with the best margin hears with the scenario's base loss (slot
collisions), the next one too, less often (the duplicates an aggregated feed carries); a few
received lines are corrupted. So vessels sail out of coverage, between stations and off the
edge of the network, as they do off a real coast; the truth knows when (`Network.probability`).

Stations also go down (`Outage`: power, the uplink), as a real feed's holes: while one is down
it hears nothing, and the best stations still up hear what they can, so the vessels that it
alone heard fall silent at once, and come back when it does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simulate.agent import Agent
from simulate.world import KM_PER_DEG_LAT, NM

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

STATIC_INTERVAL_MS = 360_000
CLASS_B_SLOW_KN = 2.0


def class_a_interval_ms(sog: F64, status: npt.NDArray[np.int8], turning: B) -> I64:
    """Class A reporting interval (ms) per ITU-R M.1371-5 Table 1."""
    out = np.full(len(sog), 10_000, np.int64)
    out = np.where(turning, 3_333, out)
    out = np.where(sog > 14.0, np.where(turning, 2_000, 6_000), out)
    out = np.where(sog > 23.0, 2_000, out)
    parked = ((status == 1) | (status == 5)) & (sog <= 3.0)
    return np.asarray(np.where(parked, 180_000, out), np.int64)


def class_b_interval_ms(sog: F64) -> I64:
    """Class B CS reporting interval (ms) per ITU-R M.1371-5 Table 2."""
    return np.asarray(np.where(sog > CLASS_B_SLOW_KN, 30_000, 180_000), np.int64)


def interval_ms(agent: Agent, sog: F64, status: npt.NDArray[np.int8], turning: B) -> I64:
    """Return reporting interval for an agent's class at given kinematics."""
    cls = agent.vessel.ais_class
    if cls == "aircraft":
        return np.full(len(sog), 10_000, np.int64)
    if cls == "B":
        return class_b_interval_ms(sog)
    return class_a_interval_ms(sog, status, turning)


def position_times(agent: Agent, start: int, end: int, rng: np.random.Generator) -> I64:
    """Transmission times (ms) of an agent's position reports in [start, end), in order."""
    return _position_times(agent, start, end, rng, None)[0]


def _position_times(
    agent: Agent, start: int, end: int, rng: np.random.Generator, cursor: int | None
) -> tuple[I64, int | None]:
    """Position report times in [start, end) and the next nominal time after them.

    The interval is constant between breakpoints (track knots, manoeuvre windows, dark
    intervals), so times are generated piecewise with `numpy.arange`; a small jitter stands in
    for slot selection. Nothing is sent while dark. ``cursor`` is the next nominal time the
    previous window left (None: a random phase), so reports run on across windows.
    """
    lo, hi = max(start, agent.on, agent.track.start), min(end, agent.off, agent.track.end)
    if hi <= lo:
        return np.zeros(0, np.int64), cursor
    tr = agent.track
    turns = np.concatenate([tr.turn_at - 30_000, tr.turn_at + 30_001])
    dark = np.array([x for ab in agent.dark for x in ab], np.int64)
    inner = np.concatenate([tr.t, turns, dark])
    edges = np.unique(np.concatenate([[lo, hi], inner[(inner > lo) & (inner < hi)]]))
    mids = (edges[:-1] + edges[1:]) // 2
    s = tr.sample(mids)
    iv = interval_ms(agent, s.sog, s.status, s.turning)
    parts: list[I64] = []
    if cursor is None:
        cursor = lo + int(rng.integers(0, int(iv[0]) if len(iv) else 1))
    for i in range(len(mids)):
        a, b = int(edges[i]), int(edges[i + 1])
        if agent.is_dark(int(mids[i])):
            cursor = b
            continue
        step = int(iv[i])
        cursor = max(a, min(cursor, a + step))
        if cursor < b:
            ts = np.arange(cursor, b, step, dtype=np.int64)
            parts.append(ts)
            cursor = int(ts[-1]) + step
    if not parts:
        return np.zeros(0, np.int64), cursor
    out = np.concatenate(parts)
    out = out + rng.integers(-150, 150, len(out))
    out = np.clip(out, lo, hi - 1)
    return np.sort(out), cursor


class Transponder:
    """One agent's transmissions window by window, its reporting phase kept between windows.

    Windows must come in time order; each draws from the agent's own generator, so what an
    agent sends does not depend on the other agents.
    """

    def __init__(self, agent: Agent, rng: np.random.Generator) -> None:
        self.agent = agent
        self.rng = rng
        self._cursor: int | None = None
        self._static_phase: int | None = None

    def positions(self, start: int, end: int) -> I64:
        """Position report times in [start, end)."""
        ts, self._cursor = _position_times(self.agent, start, end, self.rng, self._cursor)
        return ts

    def statics(self, start: int, end: int) -> I64:
        """Static/voyage broadcast times in [start, end).

        Every 6 min, none while dark or for aircraft, the first at a random moment of the first
        6 minutes on the air.
        """
        ag = self.agent
        if not ag.send_statics or ag.vessel.ais_class == "aircraft":
            return np.zeros(0, np.int64)
        lo, hi = max(start, ag.on, ag.track.start), min(end, ag.off, ag.track.end)
        if hi <= lo:
            return np.zeros(0, np.int64)
        if self._static_phase is None:
            self._static_phase = lo + int(self.rng.integers(0, STATIC_INTERVAL_MS))
        phase = self._static_phase
        first = phase + max(0, -(-(lo - phase) // STATIC_INTERVAL_MS)) * STATIC_INTERVAL_MS
        ts = np.arange(first, hi, STATIC_INTERVAL_MS, dtype=np.int64)
        keep = np.array([not ag.is_dark(int(t)) for t in ts], bool)
        return ts[keep] if len(ts) else ts


@dataclass(frozen=True, slots=True)
class Station:
    """A shore receiver: name (tag block ``s:``), position, nominal VHF range for class A."""

    name: str
    lon: float
    lat: float
    range_nm: float
    groups: bool  # multipart sentences tagged with NMEA 4.10 ``g:`` groups (else sequence ids)


#: A coastal network with some coverage of the Libyan coast (terminals and the offshore fields
#: carry receivers in real networks); ranges are typical of a mast at 50-100 m.
STATIONS: tuple[Station, ...] = (
    Station("lampedusa", 12.60, 35.51, 75, True),
    Station("malta", 14.42, 35.92, 70, False),
    Station("pantelleria", 11.95, 36.80, 70, True),
    Station("pozzallo", 14.85, 36.72, 60, False),
    Station("mazara", 12.59, 37.64, 60, False),
    Station("kelibia", 11.10, 36.85, 60, True),
    Station("sfax", 10.90, 34.75, 70, False),
    Station("zarzis", 11.12, 33.51, 65, True),
    Station("tripoli", 13.19, 32.90, 80, False),
    Station("misrata", 15.10, 32.38, 70, True),
    Station("augusta", 15.22, 37.24, 60, False),
    Station("bouri", 12.65, 33.90, 60, True),
)
#: Class A position reports by type, as in the AISHub capture of `bench.ingest` (341k lines):
#: type 3 (an ITDMA unit's, or a SOTDMA unit's answer to an interrogation) 12 %, type 2
#: (assigned mode) 3 %, the rest type 1. Type 3 comes from some units, often: 40 % of the
#: units send it for 30 % of their reports.
TYPE3_UNITS, TYPE3_SHARE, TYPE2_SHARE = 0.4, 0.3, 0.03


def type3_share(rng: np.random.Generator) -> float:
    """Draw the share of a class A unit's position reports that are type 3."""
    return TYPE3_SHARE if rng.random() < TYPE3_UNITS else 0.0


def class_a_types(type3: F64, rng: np.random.Generator) -> I64:
    """Message type (1, 2 or 3) of class A position reports, given each unit's type 3 share."""
    u = rng.random(len(type3))
    return np.where(u < TYPE2_SHARE, 2, np.where(u < TYPE2_SHARE + type3, 3, 1)).astype(np.int64)


#: Range of a transmitter class relative to a station's nominal (class A) range.
CLASS_RANGE: dict[str, float] = {"A": 1.0, "B": 0.6, "aircraft": 1.6}
#: Reception is full within this share of a range and gone beyond the second.
FULL_TO, GONE_AT = 0.7, 1.05
#: Daily swing of propagation, as a share of range.
DAILY_SWING = 0.08
DAY_MS = 86_400_000


def fringe(rel: F64) -> F64:
    """Share of transmissions a station hears at ``rel`` times its range (1 near, 0 beyond).

    Examples
    --------
    >>> fringe(np.array([0.5, 0.7, 0.875, 1.05, 1.2])).round(2).tolist()
    [1.0, 1.0, 0.35, 0.0, 0.0]
    """
    x = np.clip((GONE_AT - rel) / (GONE_AT - FULL_TO), 0.0, 1.0)
    return x**1.5


@dataclass(frozen=True, slots=True)
class Outage:
    """A station that hears nothing from ``start_ms`` to ``end_ms`` (index into the network)."""

    station: int
    start_ms: int
    end_ms: int


#: An outage lasts 45 min to 2 h (a power cut, a lost uplink, until someone restarts it).
OUTAGE_MS = (45 * 60_000, 120 * 60_000)


def draw_outages(
    n_stations: int, start_ms: int, end_ms: int, count: int, seed: int
) -> list[Outage]:
    """Draw ``count`` outages of distinct stations inside a run, each ending before it does.

    Deterministic: one generator seeded by the run's seed and nothing else.

    Examples
    --------
    >>> o = draw_outages(12, 0, 6 * 3_600_000, 2, seed=8)
    >>> len(o), len({x.station for x in o}), all(x.end_ms < 6 * 3_600_000 for x in o)
    (2, 2, True)
    """
    rng = random.Random(f"{seed}/outages")
    stations = rng.sample(range(n_stations), min(count, n_stations))
    out = []
    for st in stations:
        dur = rng.randint(*OUTAGE_MS)
        lo, hi = start_ms + 3_600_000, end_ms - dur - 30 * 60_000
        t0 = rng.randint(lo, max(lo, hi))
        out.append(Outage(st, t0, min(t0 + dur, end_ms - 1)))
    return sorted(out, key=lambda o: (o.start_ms, o.station))


@dataclass(slots=True)
class Reception:
    """Which station heard each transmission, and when (ms)."""

    primary: npt.NDArray[np.intp]
    primary_ok: B
    primary_rx: I64
    secondary: npt.NDArray[np.intp]
    secondary_ok: B
    secondary_rx: I64


class Network:
    """The shore stations of a run: who hears a transmission, and how likely."""

    def __init__(
        self,
        stations: tuple[Station, ...] = STATIONS,
        scale: float = 1.0,
        outages: tuple[Outage, ...] = (),
    ) -> None:
        if len(stations) < 2:
            raise ValueError("a network needs at least two stations")
        self.stations = stations
        self.outages = outages
        self.names = [s.name for s in stations]
        self._lon = np.array([s.lon for s in stations])
        self._lat = np.array([s.lat for s in stations])
        self._range_m = np.array([s.range_nm * NM * scale for s in stations])
        # the hour of best propagation, spread over the day and fixed per station
        self._phase = np.arange(len(stations)) * (2.0 * np.pi / len(stations))

    @classmethod
    def of(cls, names: tuple[str, ...] | None, scale: float = 1.0) -> Network:
        """Build a network of the `STATIONS` named (all if None), ranges times ``scale``."""
        if names is None:
            return cls(STATIONS, scale)
        by_name = {s.name: s for s in STATIONS}
        return cls(tuple(by_name[n] for n in names), scale)

    def _rel(self, tx_ms: I64, lon: F64, lat: F64, reach: F64, outages: bool = True) -> F64:
        """Distance over effective range, per transmission and station (infinite: down)."""
        coslat = np.cos(np.radians(35.0))
        dx = (lon[:, None] - self._lon[None, :]) * coslat
        dy = lat[:, None] - self._lat[None, :]
        d = np.sqrt(dx * dx + dy * dy) * KM_PER_DEG_LAT * 1000.0
        day = 2.0 * np.pi * (tx_ms % DAY_MS) / DAY_MS
        prop = 1.0 + DAILY_SWING * np.sin(day[:, None] + self._phase[None, :])
        out: F64 = d / (self._range_m[None, :] * prop * reach[:, None])
        for o in self.outages if outages else ():
            out[(tx_ms >= o.start_ms) & (tx_ms < o.end_ms), o.station] = np.inf
        return out

    def _two_best(self, rel: F64) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], F64, F64]:
        order = np.argsort(rel, axis=1)
        p, q = order[:, 0], order[:, 1]
        rows = np.arange(len(rel))
        return p, q, rel[rows, p], rel[rows, q]

    def probability(
        self,
        tx_ms: I64,
        lon: F64,
        lat: F64,
        reach: F64,
        *,
        base_loss: float,
        dup_prob: float,
        outages: bool = True,
    ) -> F64:
        """Chance that a transmission reaches the feed (by either of the two best stations).

        ``outages`` False: the chance had every station been up.
        """
        _, _, rp, rq = self._two_best(self._rel(tx_ms, lon, lat, reach, outages))
        miss = (1.0 - (1.0 - base_loss) * fringe(rp)) * (1.0 - dup_prob * fringe(rq))
        return 1.0 - miss

    def receive(
        self,
        tx_ms: I64,
        lon: F64,
        lat: F64,
        reach: F64,
        rng: np.random.Generator,
        *,
        base_loss: float,
        dup_prob: float,
    ) -> Reception:
        """Decide reception of transmissions by the two stations with the best margin.

        ``reach`` scales each transmitter's range (class and antenna, see `CLASS_RANGE`).
        """
        n = len(tx_ms)
        p, q, rp, rq = self._two_best(self._rel(tx_ms, lon, lat, reach))
        u = rng.random((n, 4))
        primary_ok = u[:, 0] < (1.0 - base_loss) * fringe(rp)
        secondary_ok = u[:, 1] < dup_prob * fringe(rq)
        primary_rx = tx_ms + (40 + u[:, 2] * 400).astype(np.int64)
        secondary_rx = tx_ms + (300 + u[:, 3] * 1500).astype(np.int64)
        return Reception(p, primary_ok, primary_rx, q, secondary_ok, secondary_rx)
