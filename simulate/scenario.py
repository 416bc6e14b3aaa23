"""A run: plan the traffic and behaviours slice by slice while emitting the capture, lazily.

`simulate` and `iter_simulation` are the two entry points. Both yield ``(event_time_ms, line)``
in time order, where the event time is the tag block's ``c:`` (whole seconds, in ms), the time a
decoder gives the line. The same seed gives the same bytes: every random draw comes from
generators seeded by (seed, purpose, index), never from shared global state, and the plan is
made in a fixed order (`Plan.advance`) whatever pace the lines are read at.

Nothing is planned up front but the schedule: before each window the plan is advanced to the
window's end (open tracks grown past it, voyages and behaviour episodes starting in it planned),
so the first lines of a day-long run come after one slice of planning, not the whole day's
(the live demo starts at once).

Per window (15 simulated minutes) the work is vectorised: every agent's report times run on from
where the last window left them (`Transponder`), its track is sampled in one call, all position
payloads of the window are packed in one numpy call per message type. Python touches each line
once, to format it.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from geo import shipped
from geo.contacts import Contact
from geo.events import parse_time
from simulate import behaviours as bh
from simulate.agent import Plan
from simulate.dark_boats import DarkTraffic
from simulate.fleet import Registry
from simulate.nmea import (
    Framer,
    corrupt,
    encode_type1,
    encode_type9,
    encode_type18,
    rot_raw,
    single_lines,
    static_payloads,
)
from simulate.reporting import (
    CLASS_RANGE,
    Network,
    Transponder,
    class_a_types,
    draw_outages,
    type3_share,
)
from simulate.sampling import FeedSampling
from simulate.shore import (
    AID_INTERVAL_MS,
    AID_REACH,
    AIDS,
    BASE_INTERVAL_MS,
    BASE_REACH,
    BASE_STATIONS,
    aid_payload,
    encode_type4,
    schedule,
)
from simulate.silences import SilenceTruth
from simulate.traffic import add_background
from simulate.truth import Label, RxLog, ZoneTruth, load_zones, refine
from simulate.watchlist import reserve_all
from simulate.world import KM_PER_DEG_LAT, world

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

WINDOW_MS = 15 * 60_000
#: Identifiers a static message carries: a type 5; a type 24 part A (name), part B (callsign).
_CARRIES_A = frozenset({"imo", "name", "callsign"})
_CARRIES_B = (frozenset({"name"}), frozenset({"callsign"}))
DEFAULT_START = "2026-06-01T00:00:00Z"
DEFAULT_ZONES = shipped.ZONE_FILE


@dataclass(frozen=True, slots=True)
class Scenario:
    """Knobs of a run. Held-out scenarios are never used to tune the engine."""

    name: str
    vessels: int
    density: tuple[int, int]  # labelled episodes of each kind per 6 h
    base_loss: float
    dup_prob: float
    corrupt_rate: float
    holdout: bool
    description: str
    stations: tuple[str, ...] | None = None  # names of `simulate.reporting.STATIONS`; None: all
    range_scale: float = 1.0
    sampling: str = "all"  # how the feed samples each vessel (`simulate.sampling`)
    shared: tuple[int, int] = (0, 0)  # MMSIs shared by two or three transmitters, per 6 h
    outages: int = 0  # stations down for a while, per 6 h (`simulate.reporting.Outage`)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("default", 300, (3, 6), 0.05, 0.35, 2e-4, False,
                 "ordinary traffic with a realistic sprinkling of every behaviour"),
        Scenario("smuggling", 160, (5, 8), 0.07, 0.3, 2e-4, False,
                 "fewer ships, more motherships, encounters, gaps and departures"),
        Scenario("busy", 480, (3, 5), 0.08, 0.5, 3e-4, True,
                 "held out: dense traffic, more duplicates"),
        Scenario("degraded", 260, (3, 6), 0.2, 0.15, 1e-3, True,
                 "held out: poor reception, many corrupt lines"),
        Scenario("coverage", 220, (4, 7), 0.07, 0.3, 2e-4, False,
                 "no receivers on the Libyan coast (the Bouri field's alone offshore) and"
                 " shorter ranges: vessels sail in and out of coverage, some switch off at its"
                 " edge",
                 ("lampedusa", "malta", "pantelleria", "pozzallo", "mazara", "kelibia", "sfax",
                  "augusta", "bouri"), 0.85),
        # Issue 12: shapes of real feeds (`make eval` holds out their seeds >= 1000).
        *(Scenario(f"sparse{m}", 200, (5, 8), 0.07, 0.3, 2e-4, False,
                   f"an extract keeping one report per vessel per {m} min", sampling=f"every:{m}")
          for m in (5, 10, 30, 60)),
        Scenario("satellite", 200, (5, 8), 0.07, 0.3, 2e-4, False,
                 "satellite passes: a vessel heard 1-3 times every 90-100 min for 5 h, then"
                 " unheard for 7 h, anywhere in the region",
                 range_scale=20.0, sampling="satellite"),
        Scenario("shared", 200, (3, 6), 0.07, 0.3, 2e-4, False,
                 "MMSIs shared by two or three vessels far apart, names alternating",
                 shared=(2, 3)),
        Scenario("outage", 220, (4, 7), 0.07, 0.3, 2e-4, False,
                 "two shore stations down for 45 min to 2 h each: every vessel that only one"
                 " of them heard falls silent at once, and is heard again when it is back",
                 outages=2),
    )
}  # fmt: skip
#: Scenarios whose feed carries every report heard, so their captures exercise every detector
#: (the feed shapes of issue 12 hide some behaviours by design).
FULL_FEED_SCENARIOS: tuple[str, ...] = tuple(
    name for name, sc in SCENARIOS.items() if sc.sampling == "all" and not sc.shared[1]
)


class Simulation:
    """One planned run; iterate it for lines, then read `labels` and `summary`.

    Parameters
    ----------
    hours, seed, start_ms
        Length, seed and start (epoch ms) of the capture.
    vessels
        Ordinary vessels at once (the scenario's default if None); labelled ones come on top.
    scenario
        A name of `SCENARIOS`.
    zones
        Zone file for zone entry/exit labels and port/anchorage exclusion of loitering; None
        for none. Defaults to the shipped central-Med set when it exists.
    truth
        False skips the bookkeeping of labels (the demo's live feed needs none).
    """

    def __init__(
        self,
        *,
        hours: float,
        seed: int,
        start_ms: int | None = None,
        vessels: int | None = None,
        scenario: str = "default",
        zones: Path | None = DEFAULT_ZONES,
        truth: bool = True,
    ) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
        if hours <= 0:
            raise ValueError("hours must be positive")
        self.scenario = SCENARIOS[scenario]
        self.hours = hours
        self.seed = seed
        self.start = parse_time(DEFAULT_START) if start_ms is None else start_ms
        self.end = self.start + int(hours * 3_600_000)
        self.zones = load_zones(zones) if zones is not None and zones.exists() else None
        self.truth = truth
        self.net = Network.of(self.scenario.stations, self.scenario.range_scale)
        if self.scenario.outages:
            n = max(1, round(self.scenario.outages * hours / 6))
            down = draw_outages(len(self.net.stations), self.start, self.end, n, seed)
            self.net = Network(self.net.stations, self.scenario.range_scale, tuple(down))
        self.reach: list[float] = []  # each agent's range factor (class and antenna height)
        rng = random.Random(seed)
        registry = Registry(rng)
        reserve_all(registry)
        self.plan = Plan(world(), rng, registry, self.start, self.end)
        self._schedule(vessels if vessels is not None else self.scenario.vessels)
        lo, hi = self.scenario.density
        n_dark = max(1, round(random.Random(f"{seed}/dark-n").randint(lo, hi) * 2 * hours / 6))
        #: Boats without AIS and their contacts (own random streams: the AIS is unchanged);
        #: planned without truth too, for the demo's sightings, calls and SAR passes.
        self.dark: DarkTraffic | None = DarkTraffic(seed, self.start, self.end, n_dark)
        self.labels: list[Label] = []
        self.summary: dict[str, Any] = {}
        self.sampling = FeedSampling.parse(self.scenario.sampling, seed)
        self.static_sampling = FeedSampling.parse(self.scenario.sampling, seed + 1)

    def _schedule(self, vessels: int) -> None:
        plan, h = self.plan, self.hours
        lo, hi = self.scenario.density
        add_background(plan, vessels, h)
        bh.add_motherships(plan, bh.count(plan, h, 2, 3), bh.count(plan, h, lo, hi))
        bh.add_gaps(plan, bh.count(plan, h, lo, hi))
        bh.add_spoofs(plan, bh.count(plan, h, lo, hi))
        bh.add_identity_changes(plan, bh.count(plan, h, lo, hi))
        bh.add_invalid_mmsis(plan, bh.count(plan, h, lo, hi))
        bh.add_watchlisted(plan, bh.count(plan, h, lo, hi))
        bh.add_departures(plan, bh.count(plan, h, lo, hi))
        bh.add_ngo(plan, bh.count(plan, h, 1, 1))
        if self.scenario.shared[1]:
            bh.add_shared_mmsis(plan, bh.count(plan, h, *self.scenario.shared))

    @property
    def contacts(self) -> list[Contact]:
        """Contacts made so far (sightings, calls, SAR detections), up to the lines yielded.

        Those of a 15-min window are all here before its first line is yielded, so a consumer
        that hands the new ones to the engine as it reads lines gives them in time.
        """
        return self.dark.contacts if self.dark is not None else []

    @property
    def n_agents(self) -> int:
        return len(self.plan.agents)

    def __iter__(self) -> Iterator[tuple[int, str]]:
        return self.lines()

    def lines(self) -> Iterator[tuple[int, str]]:
        """Generate the capture: ``(event_time_ms, line)`` in time order."""
        plan = self.plan
        log = RxLog(None if self.truth else set())
        zt = ZoneTruth(self.zones or []) if self.truth else None
        tx: list[Transponder] = []
        bias: list[float] = []
        has_rot: list[bool] = []
        type3: list[float] = []
        framer = Framer()
        counts: Counter[str] = Counter()
        seen: set[int] = set()
        pending: list[tuple[int, int, str]] = []
        seq = 0
        for w, w0 in enumerate(range(self.start, self.end, WINDOW_MS)):
            w1 = min(w0 + WINDOW_MS, self.end)
            plan.advance(w1)
            if self.dark is not None:
                self.dark.plan(plan)
                self.dark.window(plan, w0, w1)
            for i in range(len(tx), len(plan.agents)):  # agents planned in this slice
                r = np.random.default_rng([self.seed, 7, i])
                tx.append(Transponder(plan.agents[i], r))
                bias.append(float(r.normal(0, 2.5)))
                has_rot.append(bool(r.random() < 0.7))
                cls = plan.agents[i].vessel.ais_class
                self.reach.append(CLASS_RANGE.get(cls, 1.0) * float(r.uniform(0.85, 1.15)))
                # own streams from here: what the ones above draw stays as it was
                type3.append(type3_share(np.random.default_rng([self.seed, 23, i])))
            rng = np.random.default_rng([self.seed, 13, w])
            out: list[tuple[int, int, str]] = []
            cols = self._positions(w0, w1, tx, np.array(bias), np.array(has_rot), rng)
            if cols is not None:
                types_rng = np.random.default_rng([self.seed, 19, w])
                cols["a_type"] = class_a_types(np.array(type3)[cols["agent"]], types_rng)
                seq = self._emit_positions(cols, rng, log, zt, counts, seen, out, seq)
            seq = self._emit_statics(w0, w1, tx, rng, framer, log, counts, out, seq)
            if self.sampling.kind == "all":  # an archive-like extract keeps vessels only
                shore_rng = np.random.default_rng([self.seed, 17, w])
                seq = self._emit_shore(w0, w1, shore_rng, framer, counts, out, seq)
            out.extend(pending)
            out.sort()
            pending = [x for x in out if x[0] >= w1] if w1 < self.end else []
            for rx, _, line in out:
                if rx < w1 or w1 >= self.end:
                    yield rx // 1000 * 1000, line
        counts["vessels"] = len(seen)
        if self.truth:
            bh.plan_loitering(plan, self.zones)
            self._finish(log, zt, counts)

    # -- positions ---------------------------------------------------------------------------
    def _positions(
        self,
        w0: int,
        w1: int,
        tx: list[Transponder],
        bias: F64,
        has_rot: npt.NDArray[np.bool_],
        rng: np.random.Generator,
    ) -> dict[str, Any] | None:
        keys = ("agent", "t", "lon", "lat", "sog", "cog", "status", "rot", "turning", "genuine",
                "tx_lon", "tx_lat")  # fmt: skip
        parts: dict[str, list[Any]] = {k: [] for k in keys}
        for i, ag in enumerate(self.plan.agents):
            t = tx[i].positions(w0, w1)
            if not len(t):
                continue
            s = ag.track.sample(t)
            genuine = np.full(len(t), ag.log_as is None)
            lon, lat = s.lon.copy(), s.lat.copy()
            for sp in ag.spoofs:
                m = (t >= sp.start) & (t < sp.end)
                lon[m], lat[m] = sp.point
                genuine &= ~m
            parts["agent"].append(np.full(len(t), i))
            parts["t"].append(t)
            parts["lon"].append(lon)
            parts["lat"].append(lat)
            parts["sog"].append(s.sog)
            parts["cog"].append(s.cog)
            parts["status"].append(s.status.astype(np.int64))
            parts["rot"].append(np.where(s.turning, s.rot, 0.0))
            parts["turning"].append(s.turning)
            parts["genuine"].append(genuine)
            parts["tx_lon"].append(s.lon)  # where the transmitter is, whatever it claims
            parts["tx_lat"].append(s.lat)
        if not parts["t"]:
            return None
        c = {k: np.concatenate(v) for k, v in parts.items()}
        n = len(c["t"])
        noise_m = rng.normal(0.0, 4.0, (n, 2))
        c["lat"] = c["lat"] + noise_m[:, 0] / (KM_PER_DEG_LAT * 1000)
        c["lon"] = c["lon"] + noise_m[:, 1] / (KM_PER_DEG_LAT * 1000 * np.cos(np.radians(c["lat"])))
        moving = c["sog"] > 0.05
        c["sog_rep"] = np.where(
            moving,
            np.maximum(c["sog"] + rng.normal(0, 0.12, n), 0.0),
            np.abs(rng.normal(0, 0.04, n)),
        )
        c["cog_rep"] = np.where(
            moving, (c["cog"] + rng.normal(0, 1.2, n)) % 360.0, rng.uniform(0, 360, n)
        )
        c["heading"] = (
            np.rint(c["cog"] + bias[c["agent"]] + rng.normal(0, 0.8, n)).astype(np.int64) % 360
        )
        c["rot_raw"] = np.where(has_rot[c["agent"]], rot_raw(c["rot"]), -128)
        c["channel"] = np.where(rng.random(n) < 0.5, "A", "B")
        return c

    def _emit_positions(
        self,
        c: dict[str, Any],
        rng: np.random.Generator,
        log: RxLog,
        zt: ZoneTruth | None,
        counts: Counter[str],
        seen: set[int],
        out: list[tuple[int, int, str]],
        seq: int,
    ) -> int:
        agents = self.plan.agents
        n = len(c["t"])
        agent = c["agent"]
        cls = np.array([agents[i].vessel.ais_class for i in agent.tolist()])
        mmsi = np.array([agents[i].mmsi for i in agent.tolist()], np.int64)
        payload = np.zeros((n, 28), np.uint8)
        t = c["t"]
        second = (t // 1000) % 60
        speed10 = np.clip(np.rint(c["sog_rep"] * 10), 0, 1022).astype(np.int64)
        course10 = np.rint(c["cog_rep"] * 10).astype(np.int64) % 3600
        for kind in ("A", "B", "aircraft"):
            m = cls == kind
            if not m.any():
                continue
            if kind == "A":
                payload[m] = encode_type1(
                    mmsi[m], c["status"][m], c["rot_raw"][m], speed10[m], c["lon"][m],
                    c["lat"][m], course10[m], c["heading"][m], second[m],
                    np.ones(int(m.sum()), np.int64), c["a_type"][m])  # fmt: skip
            elif kind == "B":
                payload[m] = encode_type18(
                    mmsi[m], speed10[m], c["lon"][m], c["lat"][m], course10[m],
                    np.full(int(m.sum()), 511), second[m])  # fmt: skip
            else:
                alt = np.array([agents[i].altitude for i in agent[m].tolist()], np.int64)
                payload[m] = encode_type9(
                    mmsi[m], alt, np.clip(np.rint(c["sog_rep"][m]), 0, 1022).astype(np.int64),
                    c["lon"][m], c["lat"][m], course10[m], second[m])  # fmt: skip
        sc = self.scenario
        reach = np.array(self.reach)[agent]
        rec = self.net.receive(
            t, c["tx_lon"], c["tx_lat"], reach, rng, base_loss=sc.base_loss, dup_prob=sc.dup_prob
        )
        self._sample(self.sampling, rec, agent, t)
        bad_p = rec.primary_ok & (rng.random(n) < sc.corrupt_rate)
        bad_q = rec.secondary_ok & (rng.random(n) < sc.corrupt_rate)
        idx = np.concatenate([np.nonzero(rec.primary_ok)[0], np.nonzero(rec.secondary_ok)[0]])
        st = np.concatenate([rec.primary[rec.primary_ok], rec.secondary[rec.secondary_ok]])
        rx = np.concatenate([rec.primary_rx[rec.primary_ok], rec.secondary_rx[rec.secondary_ok]])
        bad = np.concatenate([bad_p[rec.primary_ok], bad_q[rec.secondary_ok]])
        stations = [self.net.names[s] for s in st.tolist()]
        lines = single_lines(payload[idx], c["channel"][idx], stations, rx // 1000)
        for k in np.nonzero(bad)[0].tolist():
            lines[k] = corrupt(lines[k], k)
        out.extend(zip(rx.tolist(), range(seq, seq + len(lines)), lines, strict=True))
        seq += len(lines)
        n_dup = int(rec.secondary_ok.sum())
        counts["lines"] += len(lines)
        counts["position_lines"] += len(lines)
        counts["duplicate_lines"] += n_dup
        counts["corrupt_lines"] += int(bad.sum())
        counts["transmissions"] += n
        valid_p = rec.primary_ok & ~bad_p
        valid_q = rec.secondary_ok & ~bad_q
        got = valid_p | valid_q
        counts["lost_transmissions"] += int((~got).sum())
        first = np.where(valid_p, rec.primary_rx, rec.secondary_rx)
        first = np.where(valid_p & valid_q, np.minimum(rec.primary_rx, rec.secondary_rx), first)
        fix_t = first // 1000 * 1000
        seen.update(np.unique(mmsi[got]).tolist())
        if log.enabled:
            log_agent = np.array(
                [agents[i].log_as if agents[i].log_as is not None else i for i in agent.tolist()],
                np.int64,
            )
            log.positions(log_agent[got], fix_t[got], c["genuine"][got], c["lon"][got],
                          c["lat"][got])  # fmt: skip
        if zt is not None:
            # Zones concern vessels the engine tracks: not SAR aircraft, and not MMSI 0, the
            # placeholder of unconfigured units that many unrelated transmitters share.
            g = got & c["genuine"] & (cls != "aircraft") & (mmsi != 0)
            o = np.argsort(fix_t[g], kind="stable")
            scen = [agents[i].scenario for i in agent[g][o].tolist()]
            zt.observe(mmsi[g][o], fix_t[g][o], c["lon"][g][o], c["lat"][g][o], scen)
            clone = np.array([ag.log_as is not None for ag in agents], dtype=np.bool_)[agent]
            g = got & clone & (cls != "aircraft") & (mmsi != 0)
            if zt.clones is not None and g.any():
                o = np.argsort(fix_t[g], kind="stable")
                scen = [agents[i].scenario for i in agent[g][o].tolist()]
                zt.clones.observe(agent[g][o], fix_t[g][o], c["lon"][g][o], c["lat"][g][o], scen)
        return seq

    # -- statics -----------------------------------------------------------------------------
    def _emit_statics(
        self,
        w0: int,
        w1: int,
        tx: list[Transponder],
        rng: np.random.Generator,
        framer: Framer,
        log: RxLog,
        counts: Counter[str],
        out: list[tuple[int, int, str]],
        seq: int,
    ) -> int:
        msgs: list[tuple[int, int, list[tuple[str, str]]]] = []
        lons: list[float] = []
        lats: list[float] = []
        part_no: list[int] = []
        for i, ag in enumerate(self.plan.agents):
            ts = tx[i].statics(w0, w1)
            if not len(ts):
                continue
            s = ag.track.sample(ts)
            for t, lon, lat in zip(ts.tolist(), s.lon.tolist(), s.lat.tolist(), strict=True):
                for k, parts in enumerate(static_payloads(ag.identity_at(t))):
                    msgs.append((i, t, parts))
                    part_no.append(k)
                    lons.append(lon)
                    lats.append(lat)
        if not msgs:
            return seq
        sent = np.array([m[1] for m in msgs], np.int64)
        sc = self.scenario
        reach = np.array([self.reach[m[0]] for m in msgs])
        rec = self.net.receive(sent, np.array(lons), np.array(lats), reach, rng,
                               base_loss=sc.base_loss, dup_prob=sc.dup_prob)  # fmt: skip
        # Each kind of static message (type 5; type 24 parts A and B) is sampled on its own, as
        # archives keep the latest of each: a vessel's callsign is not lost behind its name.
        kinds = np.array([m[0] * 8 + k for m, k in zip(msgs, part_no, strict=True)], np.int64)
        self._sample(self.static_sampling, rec, kinds, sent)
        chan = rng.random(len(msgs)) < 0.5
        for k, (i, _, parts) in enumerate(msgs):
            first: int | None = None
            ch = "A" if chan[k] else "B"
            for ok, st, rx in (
                (rec.primary_ok[k], rec.primary[k], rec.primary_rx[k]),
                (rec.secondary_ok[k], rec.secondary[k], rec.secondary_rx[k]),
            ):
                if not ok:
                    continue
                station = self.net.stations[int(st)]
                lines = framer.frame(parts, station.name, int(rx) // 1000, ch, station.groups)
                for line in lines:
                    out.append((int(rx), seq, line))
                    seq += 1
                counts["lines"] += len(lines)
                counts["static_lines"] += len(lines)
                first = int(rx) if first is None else min(first, int(rx))
            if first is not None:
                cls_a = self.plan.agents[i].vessel.ais_class == "A"
                carries = _CARRIES_A if cls_a else _CARRIES_B[part_no[k]]
                log.static(i, first // 1000 * 1000, tuple(p for p, _ in parts), carries)
        return seq

    # -- shore transmitters ------------------------------------------------------------------
    def _emit_shore(
        self,
        w0: int,
        w1: int,
        rng: np.random.Generator,
        framer: Framer,
        counts: Counter[str],
        out: list[tuple[int, int, str]],
        seq: int,
    ) -> int:
        """Emit the base station reports and aids to navigation heard in a window."""
        sites = {st.name: st for st in self.net.stations}
        bases = [b for b in BASE_STATIONS if b.site in sites]
        times = [schedule(w0, w1, BASE_INTERVAL_MS, b.mmsi * 7919) for b in bases]
        times += [schedule(w0, w1, AID_INTERVAL_MS, a.mmsi * 7919) for a in AIDS]
        nb = sum(len(t) for t in times[: len(bases)])
        where = [(sites[b.site].lon, sites[b.site].lat) for b in bases]
        where += [(a.lon, a.lat) for a in AIDS]
        t = np.concatenate(times)
        if not len(t):
            return seq
        who = np.repeat(np.arange(len(times)), [len(x) for x in times])
        lon = np.array([p[0] for p in where])[who]
        lat = np.array([p[1] for p in where])[who]
        reach = np.where(np.arange(len(t)) < nb, BASE_REACH, AID_REACH)
        sc = self.scenario
        rec = self.net.receive(
            t, lon, lat, reach, rng, base_loss=sc.base_loss, dup_prob=sc.dup_prob
        )
        mmsi = np.array([b.mmsi for b in bases], np.int64)[who[:nb]]
        payload = encode_type4(mmsi, t[:nb], lon[:nb], lat[:nb])
        channel = np.where(rng.random(len(t)) < 0.5, "A", "B")
        bad = rng.random((len(t), 2)) < sc.corrupt_rate
        lines: list[tuple[int, str]] = []
        n_bad = 0
        for ok, st, rx, dup in (
            (rec.primary_ok, rec.primary, rec.primary_rx, 0),
            (rec.secondary_ok, rec.secondary, rec.secondary_rx, 1),
        ):
            base = np.flatnonzero(ok[:nb])
            names = [self.net.names[s] for s in st[base].tolist()]
            got = single_lines(payload[base], channel[base], names, rx[base] // 1000)
            for k, text in zip(base.tolist(), got, strict=True):
                lines.append((int(rx[k]), corrupt(text, k) if bad[k, dup] else text))
                n_bad += int(bad[k, dup])
            for k in (nb + np.flatnonzero(ok[nb:])).tolist():
                aid = AIDS[int(who[k]) - len(bases)]
                station = self.net.stations[int(st[k])]
                parts = [aid_payload(aid, int(t[k]) // 1000 % 60)]
                c_sec = int(rx[k]) // 1000
                text = framer.frame(parts, station.name, c_sec, str(channel[k]), station.groups)[0]
                lines.append((int(rx[k]), corrupt(text, k) if bad[k, dup] else text))
                n_bad += int(bad[k, dup])
        for rx_ms, text in lines:
            out.append((rx_ms, seq, text))
            seq += 1
        counts["lines"] += len(lines)
        counts["shore_lines"] += len(lines)
        counts["corrupt_lines"] += n_bad
        return seq

    @staticmethod
    def _sample(sampling: FeedSampling, rec: Any, agent: I64, t: I64) -> None:
        """Keep only what the feed's sampling carries of the transmissions heard."""
        if sampling.kind == "all":
            return
        heard = np.flatnonzero(rec.primary_ok | rec.secondary_ok)
        order = heard[np.argsort(t[heard], kind="stable")]
        kept = np.zeros(len(t), dtype=np.bool_)
        kept[order] = sampling.keep(agent[order], t[order])
        rec.primary_ok &= kept
        rec.secondary_ok &= kept

    # -- truth -------------------------------------------------------------------------------
    def _finish(self, log: RxLog, zt: ZoneTruth | None, counts: Counter[str]) -> None:
        mmsi_of = {i: ag.mmsi for i, ag in enumerate(self.plan.agents)}
        sc = self.scenario
        silences = SilenceTruth(
            self.plan.agents, log, self.net, self.reach, self.zones, self.end,
            base_loss=sc.base_loss, dup_prob=sc.dup_prob,
        )  # fmt: skip
        labels = []
        for p in self.plan.labels:
            lab = refine(p, log, mmsi_of)
            if lab is None:
                continue
            if lab.kind == "loitering" and lab.end_ms - lab.start_ms < bh.LOITER_MIN_MS:
                continue
            if p.rule == "gap":
                lab = silences.annotate_dark(lab, p.agent)
            labels.append(lab)
        labels.extend(silences.out_of_range())
        if zt is not None:
            zt.finish(mmsi_of)
            labels.extend(zt.labels)
        if self.dark is not None:
            labels.extend(self.dark.labels(self.plan, log))
            counts["contacts"] = len(self.dark.contacts)
        labels.sort(key=lambda x: (x.start_ms, x.kind, x.mmsi))
        self.labels = labels
        by_kind = Counter(lab.kind for lab in labels)
        self.summary = {
            "scenario": self.scenario.name,
            "holdout": self.scenario.holdout,
            "seed": self.seed,
            "hours": self.hours,
            "agents": len(self.plan.agents),
            **{
                k: counts[k]
                for k in (
                    "lines",
                    "position_lines",
                    "static_lines",
                    "shore_lines",
                    "duplicate_lines",
                    "corrupt_lines",
                    "transmissions",
                    "lost_transmissions",
                    "vessels",
                    "contacts",
                )
            },  # fmt: skip
            "labels": dict(sorted(by_kind.items())),
            "zones": self.zones is not None,
        }


def iter_simulation(
    hours: float,
    seed: int,
    start_ms: int | None = None,
    *,
    vessels: int | None = None,
    scenario: str = "default",
) -> Iterator[tuple[int, str]]:
    """Lines of a run, lazily and in time order, without truth bookkeeping (the demo's feed)."""
    return demo_simulation(hours, seed, start_ms, vessels=vessels, scenario=scenario).lines()


def demo_simulation(
    hours: float,
    seed: int,
    start_ms: int | None = None,
    *,
    vessels: int | None = None,
    scenario: str = "default",
) -> Simulation:
    """Return a run without truth bookkeeping whose contacts appear as its lines are read."""
    return Simulation(
        hours=hours,
        seed=seed,
        start_ms=start_ms,
        vessels=vessels,
        scenario=scenario,
        zones=None,
        truth=False,
    )
