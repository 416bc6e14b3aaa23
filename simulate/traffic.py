"""Ordinary traffic of the central Mediterranean, all of it already under way at the start.

- Transits between the Strait of Sicily's gates (Gibraltar-Suez through the channel between
  Sicily and Tunisia/Malta, the Ionian for Greece and the Adriatic, the Tyrrhenian) and the
  region's ports (Marsaxlokk, Augusta, Tripoli, Misrata, Sfax, Gabes...); when a voyage ends a
  new vessel enters, so the count stays steady.
- Ferries shuttling on real routes: Valletta-Pozzallo (fast craft), Palermo-Tunis,
  Trapani-Pantelleria, Porto Empedocle-Linosa-Lampedusa, Sfax-Kerkennah.
- Fishing: Mazara del Vallo trawlers (class A) on the Strait's grounds, Tunisian and Libyan
  class B boats off their coasts, all in slow zig-zags.
- Ships at anchor: Hurd's Bank off Malta, Augusta roads, tankers off the Libyan terminals
  (Zawiya, Mellitah, Tripoli, Misrata, the Bouri field).
- Patrol vessels in their areas, SAR aircraft sorties (type 9), NGO rescue ships.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from simulate.agent import Agent, Plan
from simulate.fleet import Role, Vessel
from simulate.motion import MOORED, Track, TrackBuilder
from simulate.world import NM, NoRoute, Point, World, distance_m, offset

HOUR = 3_600_000
MIN = 60_000

#: Where lanes leave the simulated area.
GATES: dict[str, Point] = {
    "GIBRALTAR": (9.85, 37.75),
    "PORT SAID": (17.15, 34.3),
    "PIRAEUS": (17.15, 36.8),
    "GENOVA": (12.2, 38.55),
}
#: The Gibraltar-Suez lane: round Cape Bon, between Pantelleria and Sicily, south of Malta.
MAIN_LANE: list[Point] = [(11.2, 37.5), (12.3, 37.15), (13.9, 36.1), (14.6, 35.55)]

PORTS = ["Marsaxlokk", "Valletta", "Augusta", "Catania", "Tripoli", "Misrata", "Al Khums",
         "Sfax", "Gabes", "Zarzis", "Sousse", "Porto Empedocle", "Licata", "Siracusa"]  # fmt: skip

#: (origin, destination, weight); each is used in both directions.
VOYAGES: list[tuple[str, str, int]] = [
    ("GIBRALTAR", "PORT SAID", 34),
    ("GIBRALTAR", "PIRAEUS", 10),
    ("GIBRALTAR", "Marsaxlokk", 8),
    ("PORT SAID", "Marsaxlokk", 6),
    ("PORT SAID", "GENOVA", 5),
    ("Tripoli", "Marsaxlokk", 4),
    ("Misrata", "Augusta", 3),
    ("Tripoli", "GENOVA", 3),
    ("Sfax", "Valletta", 2),
    ("Augusta", "PORT SAID", 4),
    ("Gabes", "GIBRALTAR", 2),
    ("Misrata", "PIRAEUS", 2),
    ("Tripoli", "GIBRALTAR", 3),
    ("Al Khums", "Valletta", 2),
    ("Sousse", "Catania", 1),
    ("Zarzis", "Licata", 1),
    ("Siracusa", "PORT SAID", 2),
]

FERRIES: list[tuple[list[str], float, str]] = [
    (["Valletta", "Pozzallo"], 34.0, "MT"),
    (["Palermo", "Tunis (La Goulette)"], 21.0, "IT"),
    (["Trapani", "Pantelleria"], 15.0, "IT"),
    (["Porto Empedocle", "Linosa", "Lampedusa"], 15.0, "IT"),
    (["Sfax", "Kerkennah Islands"], 10.0, "TN"),
    (["Valletta", "Catania"], 30.0, "MT"),
]

TRAWL_GROUNDS: list[Point] = [(12.25, 37.0), (12.0, 36.45), (12.9, 36.55), (13.5, 36.0),
                              (12.8, 35.2), (11.6, 37.35), (13.2, 36.75)]  # fmt: skip
TN_GROUNDS: list[Point] = [(11.5, 34.55), (11.35, 35.45), (11.45, 33.7), (11.35, 36.95),
                           (11.4, 35.15), (11.05, 35.78), (11.8, 34.9)]  # fmt: skip
LY_GROUNDS: list[Point] = [(12.1, 33.05), (12.45, 32.95), (13.3, 33.05), (14.3, 32.82),
                           (14.65, 32.62), (13.75, 32.92)]  # fmt: skip
ANCHORAGES: list[tuple[str, Point, float, str]] = [
    ("Hurd's Bank", (14.645, 35.875), 2500.0, "MT"),
    ("Augusta roads", (15.27, 37.18), 2500.0, "IT"),
    ("Zawiya terminal", (12.70, 32.88), 2000.0, "LY"),
    ("Mellitah terminal", (12.24, 32.96), 2000.0, "LY"),
    ("Tripoli anchorage", (13.20, 32.96), 2000.0, "LY"),
    ("Misrata anchorage", (15.20, 32.46), 2000.0, "LY"),
    ("Bouri field", (12.65, 33.90), 1500.0, "LY"),
]
PATROL_AREAS: list[tuple[tuple[float, float, float, float], str]] = [
    ((12.0, 35.1, 13.2, 35.95), "IT"),
    ((14.0, 35.4, 15.0, 36.2), "MT"),
    ((12.3, 32.95, 13.9, 33.5), "LY"),
    ((10.9, 34.3, 11.9, 35.2), "TN"),
]


def berth(plan: Plan, name: str) -> Point:
    """Return a mooring spot within 350 m of a harbour's sea point, so ships do not stack up."""
    sea = plan.world.place(name).sea
    for _ in range(30):
        p = offset(sea, plan.rng.uniform(0, 360), plan.rng.uniform(60, 350))
        if plan.world.leg_at_sea(sea, p):
            return p
    return sea


def endpoint(world: World, name: str) -> Point:
    """Return a gate or a port's harbour point."""
    return GATES[name] if name in GATES else world.place(name).sea


def voyage_route(world: World, a: str, b: str) -> list[Point]:
    """Waypoints of a voyage; the Gibraltar-Suez lane follows the channel's via points."""
    pa, pb = endpoint(world, a), endpoint(world, b)
    if {a, b} == {"GIBRALTAR", "PORT SAID"}:
        via = MAIN_LANE if a == "GIBRALTAR" else MAIN_LANE[::-1]
        return world.route_via([pa, *via, pb])
    return world.route(pa, pb)


def lane_offset(world: World, pts: list[Point], rng: random.Random) -> list[Point]:
    """Shift interior waypoints sideways up to 2 nm so ships do not sail in single file."""
    if len(pts) <= 2:
        return pts
    d = rng.uniform(-2, 2) * NM
    out = [pts[0]] + [offset(p, rng.uniform(0, 360), abs(d)) for p in pts[1:-1]] + [pts[-1]]
    return out if world.path_at_sea(out) else pts


def random_sea_point(
    plan: Plan, centre: Point, radius_m: float, min_land_km: float = 1.0
) -> Point | None:
    """Return a random point within ``radius_m`` of ``centre``, ``min_land_km`` clear of land."""
    w = plan.world
    for _ in range(40):
        p = offset(centre, plan.rng.uniform(0, 360), radius_m * math.sqrt(plan.rng.random()))
        if w.in_bbox(p) and w.leg_at_sea(p, p) and w.nearest_sea(p, min_land_km) == p:
            return p
    return None


def add_transits(plan: Plan, n: int) -> None:
    """``n`` lanes of transits, each a chain of voyages by successive vessels.

    A lane plans its next voyage when the plan reaches the time it sets off; the first voyage
    of each is already under way at the start.
    """
    for _ in range(n):
        plan.schedule(plan.start, _Lane().voyage)


class _Lane:
    """One lane's chain: the next vessel sets off 1-20 minutes after the last one arrives."""

    def __init__(self) -> None:
        self.first = True
        self.t = 0

    def voyage(self, plan: Plan) -> None:
        names = [(a, b) for a, b, _ in VOYAGES] + [(b, a) for a, b, _ in VOYAGES]
        weights = [w for _, _, w in VOYAGES] * 2
        t = plan.start if self.first else self.t
        a, b = plan.rng.choices(names, weights)[0]
        role = plan.rng.choice((Role.CARGO, Role.CARGO, Role.TANKER))
        v = plan.registry.vessel(role)
        speed = plan.rng.uniform(12, 18) if role is Role.CARGO else plan.rng.uniform(10, 14)
        pts = lane_offset(plan.world, voyage_route(plan.world, a, b), plan.rng)
        dest = b.upper()[:20]
        v = _with(v, destination=dest, max_speed=max(v.max_speed, speed + 2))
        length = sum(distance_m(p, q) for p, q in zip(pts, pts[1:], strict=False))
        dur = int(length / (speed * NM / 3600) * 1000)
        t0 = t - int(plan.rng.random() * dur) if self.first else t
        track = TrackBuilder(plan.world, t0, pts[0], plan.rng).sail(pts[1:], speed).build()
        plan.add(Agent(v, track, on=max(plan.start, t0), off=track.end))
        self.t = track.end + plan.rng.randint(1, 20) * MIN
        self.first = False
        if self.t < plan.end:
            plan.schedule(self.t, self.voyage)


def _with(v: Vessel, **changes: Any) -> Vessel:
    return replace(v, **changes)


def add_ferries(plan: Plan) -> None:
    """Plan the scheduled ferries, each at a random point of its cycle at the start."""
    for stops, speed, flag in FERRIES:
        v = plan.registry.vessel(Role.FERRY, flag)
        v = _with(v, max_speed=speed + 3, destination=stops[-1].upper()[:20])
        pts = [berth(plan, s) for s in stops]
        cycle = pts + pts[-2:0:-1]
        rng = plan.rng
        t0 = plan.start - rng.randint(0, 10) * HOUR
        b = TrackBuilder(plan.world, t0, cycle[0], rng)
        plan.add_growing(b, _FerryCycle(cycle, speed).extend, _all_run(plan, v))


class _FerryCycle:
    """A ferry's round: 40-120 minutes alongside, then on to the next stop of the cycle."""

    def __init__(self, cycle: list[Point], speed: float) -> None:
        self.cycle = cycle
        self.speed = speed
        self.i = 0

    def extend(self, b: TrackBuilder, until: int) -> None:
        while b.now < until:
            b.stay(b.rng.randint(40, 120) * MIN, MOORED)
            self.i = (self.i + 1) % len(self.cycle)
            b.sail_to(self.cycle[self.i], self.speed * b.rng.uniform(0.93, 1.0))


def _all_run(plan: Plan, v: Vessel) -> Callable[[Track], Agent]:
    """Return a maker of agents on the air for the whole run, on the track given."""
    return lambda track: Agent(v, track, plan.start, plan.end)


def _zigzag(ground: Point, radius: float) -> Callable[[TrackBuilder, int], object]:
    """Trawl on around a ground, in the heading the last slice ended with."""
    return lambda b, until: b.zigzag(ground, radius, until - b.now, resume=True)


def _swing(anchor: Point) -> Callable[[TrackBuilder, int], object]:
    """Swing on around the same anchor."""
    return lambda b, until: b.swing(until - b.now, anchor=anchor)


def add_fishing(plan: Plan, n_trawlers: int, n_tn: int, n_ly: int) -> None:
    """Trawlers from Mazara and class B boats off Tunisia and Libya, trawling in zig-zags."""
    rng = plan.rng
    for role, n, grounds, flag in (
        (Role.TRAWLER, n_trawlers, TRAWL_GROUNDS, "IT"),
        (Role.FISHING_B, n_tn, TN_GROUNDS, "TN"),
        (Role.FISHING_B, n_ly, LY_GROUNDS, "LY"),
    ):
        for _ in range(n):
            v = plan.registry.vessel(role, flag)
            ground = rng.choice(grounds)
            radius = rng.uniform(5000, 12000)
            t0 = plan.start - rng.randint(10, 120) * MIN
            if role is Role.TRAWLER and rng.random() < 0.25:
                b = TrackBuilder(plan.world, t0, berth(plan, "Mazara del Vallo"), rng)
                b.stay(rng.randint(30, 240) * MIN, MOORED)
                target = random_sea_point(plan, ground, radius) or ground
                b.sail_to(target, rng.uniform(8, 10))
            else:
                p = random_sea_point(plan, ground, radius)
                if p is None:
                    continue
                b = TrackBuilder(plan.world, t0, p, rng)
            plan.add_growing(b, _zigzag(ground, radius), _all_run(plan, v))


def add_anchored(plan: Plan, n: int) -> None:
    """Ships at anchor, spread over the anchorages at least 700 m apart."""
    rng = plan.rng
    placed: list[Point] = []
    for k in range(n):
        name, centre, radius, flag = ANCHORAGES[k % len(ANCHORAGES)]
        for _ in range(30):
            p = random_sea_point(plan, centre, radius, 0.8)
            if p is not None and all(distance_m(p, q) > 700 for q in placed):
                break
        else:
            continue
        placed.append(p)
        role_flag = None if flag in ("MT", "IT") else rng.choice((None, "LY", "MT"))
        v = plan.registry.vessel(Role.ANCHORED, role_flag)
        if name.endswith("terminal") or name == "Bouri field":
            v = _with(v, ship_type=rng.choice((80, 81, 84)))
        v = _with(v, destination=name.upper()[:20])
        t0 = plan.start - rng.randint(1, 20) * HOUR
        b = TrackBuilder(plan.world, t0, p, rng)
        plan.add_growing(b, _swing(p), _all_run(plan, v))


def add_patrols(plan: Plan, n: int) -> None:
    """Patrol vessels sweeping their areas between random waypoints at 8-16 kn."""
    rng = plan.rng
    for k in range(n):
        box, flag = PATROL_AREAS[k % len(PATROL_AREAS)]
        v = plan.registry.vessel(Role.PATROL, flag)
        start = _box_point(plan, box)
        if start is None:
            continue
        b = TrackBuilder(plan.world, plan.start - rng.randint(0, 60) * MIN, start, rng)
        plan.add_growing(b, _Sweep(plan, box).extend, _all_run(plan, v))


class _Sweep:
    """A patrol's sweep: on to a random point of its area, and again."""

    def __init__(self, plan: Plan, box: tuple[float, float, float, float]) -> None:
        self.plan = plan
        self.box = box

    def extend(self, b: TrackBuilder, until: int) -> None:
        while b.now < until:
            p = _box_point(self.plan, self.box)
            if p is None:
                break
            try:
                b.sail_to(p, b.rng.uniform(8, 16))
            except NoRoute:
                continue


def _box_point(plan: Plan, box: tuple[float, float, float, float]) -> Point | None:
    for _ in range(40):
        p = (plan.rng.uniform(box[0], box[2]), plan.rng.uniform(box[1], box[3]))
        if plan.world.nearest_sea(p, 2.0) == p and plan.world.leg_at_sea(p, p):
            return p
    return None


def add_sar_aircraft(plan: Plan, sorties: int) -> None:
    """SAR aircraft sorties over the sea south of Lampedusa and Malta (type 9, 10 s).

    Each sortie is planned when the plan reaches its take-off.
    """
    for _ in range(sorties):
        t0 = plan.rng.randint(plan.start - HOUR, max(plan.start, plan.end - 2 * HOUR))
        plan.schedule(max(t0, plan.start), partial(_sortie, t0=t0))


def _sortie(plan: Plan, t0: int) -> None:
    rng = plan.rng
    box = (11.5, 33.4, 14.8, 35.9)
    v = plan.registry.vessel(Role.SAR_AIRCRAFT)
    p = _box_point(plan, box)
    if p is None:
        return
    b = TrackBuilder(plan.world, t0, p, rng)
    end = t0 + rng.randint(120, 240) * MIN
    while b.now < end:
        q = _box_point(plan, box)
        if q is not None and distance_m(b.here, q) > 20_000 and plan.world.leg_at_sea(b.here, q):
            b.sail([q], rng.uniform(130, 165))
    alt = rng.randint(300, 1500)
    plan.add(Agent(v, b.build(), on=max(t0, plan.start), off=end, altitude=alt))


def add_background(plan: Plan, n_vessels: int, hours: float) -> None:
    """Schedule the ordinary traffic for about ``n_vessels`` at once."""
    n_ferry = len(FERRIES)
    rest = max(0, n_vessels - n_ferry)
    plan.schedule(plan.start, add_ferries)
    add_transits(plan, int(rest * 0.42))
    plan.schedule(
        plan.start,
        lambda plan: add_fishing(plan, int(rest * 0.12), int(rest * 0.12), int(rest * 0.08)),
    )
    plan.schedule(plan.start, lambda plan: add_anchored(plan, int(rest * 0.16)))
    plan.schedule(plan.start, lambda plan: add_patrols(plan, max(2, int(rest * 0.04))))
    add_sar_aircraft(plan, max(1, round(hours / 6 * plan.rng.uniform(1, 2))))
