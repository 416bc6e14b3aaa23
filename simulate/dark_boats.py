"""Boats without AIS and how they are seen: patrol aircraft, hotline calls, SAR passes.

The boats the mission is about transmit nothing; what reaches an operation centre is contacts.
This module plans such boats beside the AIS traffic (with its own random streams, so the AIS
capture of a seed is the same with or without them) and the contacts that sources would make of
them, window by window, so a consumer can hand them to the engine as the capture plays.

Boats leave the Libyan and Tunisian departure areas for Lampedusa, Linosa, Malta or Sicily at
4-7 kn: inflatables of 8-12 m with 40-90 people, or wooden boats of 12-20 m with up to 300
(``BOAT_KINDS``). A share of them (``MEET_SHARE``) first meet a mothership drifting off Libya
and lie alongside it (100-250 m off) for 25-45 min; that is a ``contact_association`` label for
the mothership, and every boat seen at least once is a ``dark_target`` label. A share of the
small AIS boats that leave a departure area (``ESCORT_SHARE``, scenario ``departure``) escort
a boat without AIS 0.5-1.5 nm abeam for ``ESCORT_MINUTES``: a ``contact_association`` label
(scenario ``escort``) for the escort. Escorts are planned as those boats leave, from a stream
of their own, so the other boats and their contacts are the same with or without them.

Sources, with their documented rates:

- **Patrol aircraft** (Frontex, national, NGO): daylight only (07:00-19:00 UTC), each boat at sea
  is sighted at a rate of one per ``AIRCRAFT_EVERY_H`` hours; a boat alongside a mothership is
  seen during the meeting with probability ``MEETING_SIGHTED`` (aircraft orbit motherships), an
  escorted boat 2-3 times 10-25 min apart with ``ESCORT_SIGHTED``, by the aircraft on station.
  Position error 150 m (1 sigma per axis), length within 1.5 m, people within 20 %, course and
  speed estimated (``SIGHTED_COURSE_DEG``, ``SIGHTED_SPEED_KN``, 1 sigma).
- **Hotline calls**: ``HOTLINE_SHARE`` of boats call once, 1-6 h after departure; the position
  (read from a satellite phone) is off by 600 m (1 sigma) and the people count is given.
- **SAR satellite passes** (Sentinel-1 IW over the central Mediterranean): daily at 05:05 and
  16:55 UTC over ``SAR_SWATH``; a boat without AIS is detected with probability
  ``SAR_DETECT_SMALL`` (8-12 m) or ``SAR_DETECT_LARGE``, an AIS vessel with
  ``SAR_DETECT_SHIP`` (these must be explained by their AIS, not become dark targets), and
  ``SAR_FALSE_PER_PASS`` false detections a pass on average (sea clutter, rigs, rocks) at
  random sea points. Position error 80 m (1 sigma per axis); the length estimate is 0.75-1.35
  times the true length (Global Fishing Watch publishes SAR lengths of that quality); a false
  detection has none.

Every contact is labelled in the truth by what it saw (``details.truth`` of the labels), so
recall and precision of both event kinds can be scored (`bench.eval`).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from geo.contacts import Contact, ContactKind
from simulate.agent import Plan
from simulate.behaviours import ARRIVALS_FROM_LY, ARRIVALS_FROM_TN, LY_DEPARTURES, TN_DEPARTURES
from simulate.motion import Track, TrackBuilder
from simulate.truth import Label, RxLog
from simulate.world import KM_PER_DEG_LAT, NoRoute, Point, offset

HOUR = 3_600_000
MIN = 60_000
DAY = 24 * HOUR

#: (name, length range m, people range, share of boats)
BOAT_KINDS = (("inflatable", (8, 12), (40, 90), 0.7), ("wooden", (12, 20), (80, 300), 0.3))
MEET_SHARE = 0.4
AIRCRAFT_EVERY_H = 4.0
MEETING_SIGHTED = 0.8
HOTLINE_SHARE = 0.6
SAR_PASSES_UTC_MIN = (5 * 60 + 5, 16 * 60 + 55)
SAR_SWATH = (10.8, 32.6, 15.2, 37.2)  # lon0, lat0, lon1, lat1
SAR_DETECT_SMALL = 0.65
SAR_DETECT_LARGE = 0.85
SAR_DETECT_SHIP = 0.9
SAR_FALSE_PER_PASS = 1.5
AIRCRAFT = ("Eagle 1", "Seabird", "Osprey 3")
#: An AIS vessel no station heard within this of a contact cannot be placed at its time (the
#: engine's `contact_interp_max_s`): its SAR detection is a boat without AIS to the room too,
#: and a mothership's association seen by no such contact is optional.
HEARD_NEAR_MS = HOUR
ESCORT_SHARE = 0.5
ESCORT_MINUTES = (60, 120)
ESCORT_SIGHTED = 0.8
#: Error (1 sigma) of an aircraft's estimate of a boat's speed (kn) and course (deg).
SIGHTED_SPEED_KN = 0.7
SIGHTED_COURSE_DEG = 10.0
#: Longest run since a fix over which a vessel is placed (the engine's ``RECKON_RUN_M``).
PLACE_RUN_M = 5000.0
HOTLINES = ("Alarm Phone",)


@dataclass(slots=True)
class DarkBoat:
    """One boat without AIS: its track, what it is, and the mothership it met (if any)."""

    number: int
    track: Track
    kind: str
    length_m: float
    people: int
    mother: int | None = None  # agent index
    meeting: tuple[int, int] | None = None
    contacts: list[Contact] = field(default_factory=list)
    escorted: bool = False  # the mother sailed alongside it (else they lay together)


def _gauss_offset(
    rng: random.Random, p: tuple[float, float], sigma_m: float
) -> tuple[float, float]:
    lon, lat = p
    dlat = rng.gauss(0, sigma_m) / (KM_PER_DEG_LAT * 1000)
    dlon = rng.gauss(0, sigma_m) / (KM_PER_DEG_LAT * 1000 * math.cos(math.radians(lat)))
    return round(lon + dlon, 5), round(lat + dlat, 5)


class DarkTraffic:
    """Plans the boats once the AIS plan has its motherships; yields contacts by window."""

    def __init__(self, seed: int, start: int, end: int, boats: int) -> None:
        self.rng = random.Random(f"{seed}/dark-boats")
        self.start = start
        self.end = end
        self.n = boats
        self.boats: list[DarkBoat] = []
        self.planned = False
        self.contacts: list[Contact] = []  # all made so far, in time order per window
        self.truth: dict[tuple[int, float, float], str] = {}  # contact -> what it saw
        self._pending: list[Contact] = []
        self.seed = seed
        #: Escorts come from their own stream: the other boats and passes stay the same.
        self.escort_rng = random.Random(f"{seed}/escorts")
        self._escort_seen: set[int] = set()

    # -- planning ------------------------------------------------------------------------------

    def plan(self, plan: Plan) -> None:
        """Plan the boats (once), some to meet the plan's motherships, and their own contacts."""
        if self.planned:
            return
        self.planned = True
        mothers = [i for i, ag in enumerate(plan.agents) if ag.scenario == "mothership"]
        for k in range(self.n):
            meet = bool(mothers) and self.rng.random() < MEET_SHARE
            boat = self._boat(plan, k, self.rng.choice(mothers) if meet else None)
            if boat is None and meet:  # no free drifting time: a boat that goes on its own
                boat = self._boat(plan, k, None)
            if boat is not None:
                self.boats.append(boat)
        for b in self.boats:
            self._aircraft(b)
            self._hotline(b)
        self._pending = sorted(
            (c for b in self.boats for c in b.contacts), key=lambda c: c.order_key()
        )

    def _kind(self, rng: random.Random | None = None) -> tuple[str, float, int]:
        rng = self.rng if rng is None else rng
        r = rng.random()
        for name, (l0, l1), (p0, p1), share in BOAT_KINDS:
            if r < share:
                return name, round(rng.uniform(l0, l1), 1), rng.randint(p0, p1)
            r -= share
        name, (l0, l1), (p0, p1), _ = BOAT_KINDS[-1]
        return name, round(rng.uniform(l0, l1), 1), rng.randint(p0, p1)

    def _boat(self, plan: Plan, k: int, mother: int | None) -> DarkBoat | None:
        rng = self.rng
        kind, length, people = self._kind()
        libya = mother is not None or rng.random() < 0.7
        origin = plan.world.place(rng.choice(LY_DEPARTURES if libya else TN_DEPARTURES)).sea
        dest = plan.world.place(rng.choice(ARRIVALS_FROM_LY if libya else ARRIVALS_FROM_TN)).sea
        speed = rng.uniform(4, 7)
        try:
            if mother is None:
                t0 = rng.randint(self.start - 6 * HOUR, max(self.start, self.end - 2 * HOUR))
                track = TrackBuilder(plan.world, t0, origin, rng).sail_to(dest, speed).build()
                return DarkBoat(k, track, kind, length, people)
            m = plan.agents[mother].track
            window = _drifting(m, max(self.start + HOUR, m.start), min(self.end - HOUR, m.end))
            if window is None:
                return None
            # not while an AIS boat is alongside it (that one would explain the sightings)
            busy = [(lab.start - 10 * MIN, lab.end + 10 * MIN) for lab in plan.labels
                    if lab.kind == "encounter" and mother in (lab.agent, lab.other)]  # fmt: skip
            for _ in range(20):
                e0 = rng.randint(window[0], max(window[0], window[1] - 45 * MIN))
                e1 = e0 + rng.randint(25, 45) * MIN
                if all(e1 < a or e0 > z for a, z in busy):
                    break
            else:
                return None
            side = rng.uniform(0, 360)
            meet = offset(m.position_at(e0), side, rng.uniform(100, 250))
            route = plan.world.route(origin, meet)
        except NoRoute:
            return None
        length_m = sum(_dist(a, b) for a, b in zip(route, route[1:], strict=False))
        t0 = e0 - int(length_m / (speed * 1852 / 3600) * 1000)
        b = TrackBuilder(plan.world, t0, origin, rng).sail(route[1:], speed)
        b.goto(meet, e0)
        for t in range(e0 + 5 * MIN, e1 + 1, 5 * MIN):
            b.goto(offset(m.position_at(t), side, rng.uniform(100, 250)), t)
        try:
            b.sail_to(dest, speed)
        except NoRoute:
            return None
        return DarkBoat(k, b.build(), kind, length, people, mother, (e0, e1))

    def _contact(
        self, b: DarkBoat | None, t: int, p: Point, kind: ContactKind, **kw: Any
    ) -> Contact:
        c = Contact(time_ms=t // 1000 * 1000, lat=p[1], lon=p[0], kind=kind, **kw)
        self.truth[(c.time_ms, c.lat, c.lon)] = "none" if b is None else f"boat:{b.number}"
        if b is not None:
            b.contacts.append(c)
        return c

    def _at_sea(self, b: DarkBoat, t: int) -> bool:
        return (
            b.track.start + 20 * MIN <= t <= b.track.end - 20 * MIN and self.start <= t < self.end
        )

    def _sighting(
        self, b: DarkBoat, t: int, rng: random.Random | None = None, on_station: str = ""
    ) -> None:
        rng = self.rng if rng is None else rng
        p = _gauss_offset(rng, b.track.position_at(t), 150.0)
        length = round(b.length_m + rng.uniform(-1.5, 1.5), 1)
        people = max(1, int(b.people * rng.uniform(0.8, 1.2)))
        drawn = rng.choice(AIRCRAFT)  # drawn either way: the stream stays the same
        # the observer's estimate of course and speed (its own stream: the rest stays the same)
        est = random.Random(f"{self.seed}/heading/{b.number}/{t}")
        now = b.track.sample(np.array([t], dtype=np.int64))
        speed = max(0.0, round(float(now.sog[0]) + est.gauss(0, SIGHTED_SPEED_KN), 1))
        course = (
            round((float(now.cog[0]) + est.gauss(0, SIGHTED_COURSE_DEG)) % 360)
            if speed > 1
            else None
        )
        self._contact(b, t, p, ContactKind.AIRCRAFT, radius_m=500.0,
                      source=on_station or drawn, length_m=length, people=people,
                      speed_kn=speed, course=course, note=f"{b.kind} boat")  # fmt: skip

    def _aircraft(self, b: DarkBoat) -> None:
        t = max(b.track.start, self.start)
        while True:
            t += int(self.rng.expovariate(1.0 / AIRCRAFT_EVERY_H) * HOUR)
            if t >= min(b.track.end, self.end):
                break
            hour = (t % DAY) / HOUR
            if 7 <= hour < 19 and self._at_sea(b, t):
                self._sighting(b, t)
        if b.meeting is not None and self.rng.random() < MEETING_SIGHTED:
            e0, e1 = b.meeting
            t = self.rng.randint(e0 + 5 * MIN, e1 - 5 * MIN)
            if self.start <= t < self.end:  # by the aircraft on station over that mothership
                self._sighting(b, t, on_station=AIRCRAFT[(b.mother or 0) % len(AIRCRAFT)])

    def _hotline(self, b: DarkBoat) -> None:
        if self.rng.random() >= HOTLINE_SHARE:
            return
        t = b.track.start + self.rng.randint(1 * HOUR, 6 * HOUR)
        if not self._at_sea(b, t) or (b.meeting and b.meeting[0] - HOUR <= t <= b.meeting[1]):
            return
        p = _gauss_offset(self.rng, b.track.position_at(t), 600.0)
        self._contact(b, t, p, ContactKind.HOTLINE, source=self.rng.choice(HOTLINES),
                      people=b.people, note="call relayed: engine trouble")  # fmt: skip

    # -- escorts -------------------------------------------------------------------------------

    def _escorts(self, plan: Plan, w0: int) -> None:
        """Let some small AIS boats that just left a departure area escort a boat without AIS.

        Planned as the AIS plan adds them (they leave through the run), each once: with
        probability `ESCORT_SHARE` a boat without AIS sails 0.5-1.5 nm abeam of it for
        `ESCORT_MINUTES`, then goes its own way; an aircraft on station reports them 2-3
        times (`ESCORT_SIGHTED`), 10-25 min apart.
        """
        rng = self.escort_rng
        new = [i for i, ag in enumerate(plan.agents)
               if ag.scenario == "departure" and i not in self._escort_seen]  # fmt: skip
        for i in new:
            self._escort_seen.add(i)
            if rng.random() >= ESCORT_SHARE:
                continue
            boat = self._escorted(plan, i, len(self.boats) + 1000, w0)
            if boat is None:
                continue
            self.boats.append(boat)
            e0, e1 = boat.meeting or (0, 0)
            if rng.random() < ESCORT_SIGHTED:
                t = rng.randint(e0 + 20 * MIN, max(e0 + 20 * MIN, e1 - 30 * MIN))
                for _ in range(rng.randint(2, 3)):
                    if w0 <= t < min(e1, self.end):
                        self._sighting(boat, t, rng, AIRCRAFT[i % len(AIRCRAFT)])
                    t += rng.randint(10, 25) * MIN
            self._pending = sorted(
                self._pending + [c for c in boat.contacts if c.time_ms >= w0],
                key=lambda c: c.order_key(),
            )

    def _escorted(self, plan: Plan, mother: int, number: int, w0: int) -> DarkBoat | None:
        rng = self.escort_rng
        m = plan.agents[mother].track
        e0 = max(m.start, w0) + rng.randint(10, 20) * MIN
        e1 = min(e0 + rng.randint(*ESCORT_MINUTES) * MIN, m.end - 10 * MIN)
        if e1 - e0 < 45 * MIN:
            return None
        kind, length, people = self._kind(rng)
        side = rng.choice((-90.0, 90.0))
        dest = plan.world.place(rng.choice(ARRIVALS_FROM_LY)).sea

        apart = rng.uniform(1000, 2700)  # held, give or take 100 m

        def abeam(t: int) -> Point:
            heading = float(m.sample(np.array([t], dtype=np.int64)).cog[0])
            return offset(m.position_at(t), heading + side, apart + rng.uniform(-100, 100))

        b = TrackBuilder(plan.world, e0, abeam(e0), rng)
        for t in range(e0 + 5 * MIN, e1 + 1, 5 * MIN):
            b.goto(abeam(t), t)
        try:
            b.sail_to(dest, rng.uniform(4, 7))
        except NoRoute:
            return None
        return DarkBoat(number, b.build(), kind, length, people, mother, (e0, e1),
                        escorted=True)  # fmt: skip

    # -- window by window ----------------------------------------------------------------------

    def window(self, plan: Plan, w0: int, w1: int) -> list[Contact]:
        """Return the contacts with times in [w0, w1): the boats' own, and SAR passes'."""
        self._escorts(plan, w0)
        out = [c for c in self._pending if w0 <= c.time_ms < w1]
        day = w0 - w0 % DAY
        for d in (day, day + DAY):
            for m in SAR_PASSES_UTC_MIN:
                t = d + m * MIN
                if w0 <= t < w1:
                    out += self._sar_pass(plan, t)
        out.sort(key=lambda c: c.order_key())
        self.contacts += out
        return out

    def _sar_pass(self, plan: Plan, t: int) -> list[Contact]:
        rng = random.Random(f"{self.rng.random()}/sar/{t}")
        lon0, lat0, lon1, lat1 = SAR_SWATH
        out: list[Contact] = []

        def inside(p: Point) -> bool:
            return lon0 <= p[0] <= lon1 and lat0 <= p[1] <= lat1

        for b in self.boats:
            if not self._at_sea(b, t):
                continue
            p = b.track.position_at(t)
            pd = SAR_DETECT_SMALL if b.length_m < 12 else SAR_DETECT_LARGE
            if inside(p) and rng.random() < pd:
                q = _gauss_offset(rng, p, 80.0)
                est = round(b.length_m * rng.uniform(0.75, 1.35), 1)
                out.append(self._contact(b, t, q, ContactKind.SAR, radius_m=500.0, source="S1",
                                         length_m=est))  # fmt: skip
        for i, ag in enumerate(plan.agents):
            if ag.vessel.ais_class == "aircraft" or not ag.track.start <= t <= ag.track.end:
                continue
            if any(a <= t < z for a, z in ag.dark):
                continue  # a vessel with its AIS off is a dark target for the SAR as well
            p = ag.track.position_at(t)
            if inside(p) and rng.random() < SAR_DETECT_SHIP:
                q = _gauss_offset(rng, p, 80.0)
                est = round(ag.vessel.length * rng.uniform(0.75, 1.35), 1)
                c = Contact(time_ms=t, lat=q[1], lon=q[0], kind=ContactKind.SAR, radius_m=500.0,
                            source="S1", length_m=est)  # fmt: skip
                self.truth[(c.time_ms, c.lat, c.lon)] = f"ais:{ag.mmsi}:{i}"
                out.append(c)
        n_false = np.random.default_rng(rng.getrandbits(32)).poisson(SAR_FALSE_PER_PASS)
        for _ in range(int(n_false)):
            p = (rng.uniform(lon0, lon1), rng.uniform(lat0, lat1))
            if not plan.world.leg_at_sea(p, p):
                continue
            out.append(self._contact(None, t, (round(p[0], 5), round(p[1], 5)), ContactKind.SAR,
                                     radius_m=500.0, source="S1"))  # fmt: skip
        return out

    # -- truth ---------------------------------------------------------------------------------

    def labels(self, plan: Plan, log: RxLog) -> list[Label]:
        """Return the truth: a dark_target per boat seen, an association per boat met.

        An association whose mothership is not `_placeable` at any contact made during the
        meeting is ``optional``: nothing places the vessel beside the boat.

        A SAR detection of an AIS vessel that what stations heard does not place at the pass
        (`_placeable`: what the engine has when it fuses it), or that sends MMSI 0, is a boat
        without AIS for the operation centre too (out of coverage, or nothing to attach it
        to): it is labelled ``dark_target`` (scenario ``unheard_ais``).
        """
        seen = {(c.time_ms, c.lat, c.lon) for c in self.contacts}
        out: list[Label] = []
        for c in self.contacts:
            what = self.truth.get((c.time_ms, c.lat, c.lon), "")
            if not what.startswith("ais:"):
                continue
            agent = int(what.rsplit(":", 1)[1])
            # MMSI 0 (an unconfigured transponder) is never tracked: no identity to attach to
            if not _placeable(plan, log, agent, c.time_ms) or plan.agents[agent].mmsi == 0:
                details = {"ais_mmsi": int(what.split(":")[1]),
                           "contacts": [[c.time_ms, c.lat, c.lon]]}  # fmt: skip
                out.append(Label("dark_target", 0, c.time_ms, c.time_ms, "unheard_ais",
                                 lat=c.lat, lon=c.lon, details=details))  # fmt: skip
        for b in self.boats:
            mine = sorted(
                (c for c in b.contacts if (c.time_ms, c.lat, c.lon) in seen),
                key=lambda c: c.order_key(),
            )
            if not mine:
                continue
            keys = [[c.time_ms, c.lat, c.lon] for c in mine]
            first, last = mine[0], mine[-1]
            details = {"boat": b.number, "kind": b.kind, "length_m": b.length_m,
                       "people": b.people, "contacts": keys}  # fmt: skip
            out.append(Label("dark_target", 0, first.time_ms, last.time_ms, "dark_boat",
                             lat=first.lat, lon=first.lon, details=details))  # fmt: skip
            if b.mother is not None and b.meeting is not None:
                e0, e1 = b.meeting
                during = [c for c in mine if e0 <= c.time_ms <= e1]
                if not during:
                    continue  # nobody saw them together: no evidence to find
                mmsi = plan.agents[b.mother].mmsi
                p = plan.agents[b.mother].track.position_at(e0)
                # nobody could place the mothership beside the boat: undecidable (optional)
                placed = any(_placeable(plan, log, b.mother, c.time_ms) for c in during)
                assoc = {**details, **({} if placed else {"optional": True})}
                how = "escort" if b.escorted else "mothership"
                out.append(Label("contact_association", mmsi, e0, e1, how,
                                 lat=p[1], lon=p[0], details=assoc))  # fmt: skip
        return out


def _placeable(plan: Plan, log: RxLog, agent: int, t_ms: int) -> bool:
    """Return whether what was heard of a vessel places it at ``t_ms`` (see `HEARD_NEAR_MS`).

    What anyone placing it would use: its last fix before and its first after, each within
    `HEARD_NEAR_MS`. Both: it was between them (a feed of one report an hour still shows
    where a ship on passage was at a SAR pass). One: reckoned from it, if it ran (at its
    speed then) no more than `PLACE_RUN_M` since: beyond, where it turned is anyone's guess.
    An older fix says less than a newer one: a vessel stopped an hour ago and under way at
    20 kn since is not placed by the hour-old fix.
    """
    t, genuine, _, _ = log.pos(agent)
    t = t[genuine]
    before = t[(t <= t_ms) & (t >= t_ms - HEARD_NEAR_MS)]
    after = t[(t > t_ms) & (t <= t_ms + HEARD_NEAR_MS)]
    if len(before) and len(after):
        return True
    near = before[-1:] if len(before) else after[:1]
    if not len(near):
        return False
    sog = plan.agents[agent].track.sample(near.astype(np.int64)).sog
    run = np.abs(near - t_ms) / 1000.0 * np.nan_to_num(sog) * 1852.0 / 3600.0
    return bool(np.any(run <= PLACE_RUN_M))


def _dist(a: Point, b: Point) -> float:
    dlat = (b[1] - a[1]) * KM_PER_DEG_LAT * 1000
    dlon = (b[0] - a[0]) * KM_PER_DEG_LAT * 1000 * math.cos(math.radians((a[1] + b[1]) / 2))
    return math.hypot(dlat, dlon)


def _drifting(track: Track, t0: int, t1: int) -> tuple[int, int] | None:
    """Return the longest stretch in [t0, t1] where the track is under 1.5 kn (10-min steps)."""
    if t1 - t0 < HOUR:
        return None
    times = np.arange(t0, t1, 10 * MIN, dtype=np.int64)
    slow = track.sample(times).sog < 1.5
    best: tuple[int, int] | None = None
    run_start: int | None = None
    for t, s in zip(times.tolist(), slow.tolist(), strict=True):
        if s and run_start is None:
            run_start = t
        if not s and run_start is not None:
            if best is None or t - run_start > best[1] - best[0]:
                best = (run_start, t)
            run_start = None
    if run_start is not None and (best is None or t1 - run_start > best[1] - best[0]):
        best = (run_start, t1)
    if best is None or best[1] - best[0] < HOUR:
        return None
    return best
