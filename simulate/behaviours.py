"""Labelled behaviours: what the engine must find, scripted on top of ordinary traffic.

Densities are per 6 hours of simulated time (3-6 of each kind by default), enough to measure
recall and precision per kind without turning the channel into a crime scene. Each behaviour
plans its labels in simulator time; `simulate.truth.refine` turns them into what the capture
actually shows.

Durations avoid the detectors' decision boundaries: encounters last 30-50 or 70-90 minutes, so a
small boat is either clearly not loitering (under an hour slow) or clearly is; gaps last 1-6 h,
far beyond any class- and speed-aware silence threshold under terrestrial coverage.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np
import shapely

from simulate.agent import Agent, Plan, PlannedLabel, Spoof
from simulate.fleet import INVALID_MMSIS, Role, Vessel
from simulate.motion import AT_ANCHOR, MOORED, TrackBuilder
from simulate.traffic import GATES, LY_GROUNDS, TN_GROUNDS, random_sea_point
from simulate.truth import Zone
from simulate.watchlist import WATCHLIST, WatchEntry
from simulate.world import NM, NoRoute, Point, distance_m, offset

HOUR = 3_600_000
MIN = 60_000
#: Loitering as the engine defines it (issue 5): slower than 2 kn for at least an hour at sea,
#: outside port and anchorage zones.
LOITER_MAX_KN = 2.0
LOITER_MIN_MS = HOUR

MOTHER_SPOTS: list[Point] = [(12.3, 33.55), (13.0, 33.65), (13.8, 33.35), (14.6, 33.2),
                             (11.9, 33.75)]  # fmt: skip
LY_DEPARTURES = ["Zuwara", "Sabratha", "Garabulli", "Tripoli", "Al Khums", "Zawiya", "Tajura"]
TN_DEPARTURES = ["Sfax", "Kerkennah Islands", "Chebba", "Mahdia"]
ARRIVALS_FROM_LY = ["Lampedusa", "Linosa", "Valletta", "Pozzallo", "Lampedusa"]
ARRIVALS_FROM_TN = ["Lampedusa", "Pantelleria", "Lampedusa", "Linosa"]


def count(plan: Plan, hours: float, lo: int, hi: int) -> int:
    """How many episodes of a kind for a run: ``lo``-``hi`` per 6 hours, at least one."""
    return max(1, round(plan.rng.randint(lo, hi) * hours / 6.0))


def add_motherships(plan: Plan, n: int, encounters: int) -> None:
    """Motherships drifting off Libya for hours; small boats come out to meet them.

    Planned at the start with their encounters: a mothership sails in from the east for many
    hours before it loiters, so it is under way from the first minutes.
    """
    plan.schedule(plan.start, lambda plan: _motherships(plan, n, encounters))


def _motherships(plan: Plan, n: int, encounters: int) -> None:
    rng = plan.rng
    span = plan.end - plan.start
    ships: list[tuple[int, int, int]] = []
    for k in range(n):
        spot = MOTHER_SPOTS[k % len(MOTHER_SPOTS)]
        spot = random_sea_point(plan, spot, 15_000) or spot
        l0 = plan.start + int(rng.uniform(-0.3, 0.35) * span)
        l1 = min(plan.end - 20 * MIN, max(l0, plan.start) + int(rng.uniform(0.45, 0.9) * span))
        v = plan.registry.vessel(Role.MOTHERSHIP, rng.choice(("LY", "PA", "TR", "MT")))
        v = replace(v, destination="")
        origin = GATES["PORT SAID"]
        try:
            route = plan.world.route(origin, spot)
        except NoRoute:
            continue
        length = sum(distance_m(a, b) for a, b in zip(route, route[1:], strict=False))
        speed = rng.uniform(9, 11)
        b = TrackBuilder(plan.world, l0 - int(length / (speed * NM / 3600) * 1000), origin, rng)
        b.sail(route[1:], speed)
        b.drift(max(l1 - b.now, MIN), (0.3, 1.1))
        b.sail_to(GATES["PORT SAID"], speed)
        track = b.build()
        i = plan.add(Agent(v, track, on=plan.start, off=track.end, scenario="mothership"))
        plan.busy.add(i)
        ships.append((i, max(l0, plan.start), l1))
    for k in range(encounters):
        if not ships:
            return
        i, a, z = ships[k % len(ships)]
        _add_encounter(plan, i, a, z)


def _add_encounter(plan: Plan, mother: int, a: int, z: int) -> None:
    rng = plan.rng
    dur = rng.choice((rng.randint(30, 50), rng.randint(70, 90))) * MIN
    taken = [
        (lab.start, lab.end)
        for lab in plan.labels
        if lab.kind == "encounter" and lab.other == mother
    ]
    for _ in range(20):
        if z - a - dur < 20 * MIN:
            return
        e0 = rng.randint(a + 10 * MIN, z - dur - 10 * MIN)
        if all(e0 > s1 + 30 * MIN or e0 + dur < s0 - 30 * MIN for s0, s1 in taken):
            break
    else:
        return
    e1 = e0 + dur
    m = plan.agents[mother].track
    mpos = m.position_at(e0)
    origin_name = min(LY_DEPARTURES, key=lambda name: distance_m(plan.world.place(name).sea, mpos))
    origin = plan.world.place(origin_name).sea
    bearing = rng.uniform(0, 360)
    meet = offset(mpos, bearing, rng.uniform(120, 220))
    try:
        route = plan.world.route(origin, meet)
    except NoRoute:
        return
    speed = rng.uniform(18, 24)
    length = sum(distance_m(p, q) for p, q in zip(route, route[1:], strict=False))
    b = TrackBuilder(plan.world, e0 - int(length / (speed * NM / 3600) * 1000), origin, rng)
    b.sail(route[1:], speed)
    knots = [int(t) for t in m.t if e0 < t < e1] + [e1]
    for tk in knots:
        p = offset(m.position_at(tk), bearing + rng.uniform(-10, 10), rng.uniform(120, 220))
        b.goto(p, tk)
    home = origin if rng.random() < 0.5 else plan.world.place(rng.choice(ARRIVALS_FROM_LY)).sea
    b.sail_to(home, speed)
    track = b.build()
    v = plan.registry.vessel(Role.SMALL_BOAT, "LY")
    i = plan.add(Agent(v, track, on=track.start, off=track.end, scenario="mothership_encounter"))
    plan.busy.add(i)
    plan.label(
        PlannedLabel(
            "encounter",
            "mothership_encounter",
            i,
            e0,
            e1,
            "span",
            other=mother,
            details={"planned_minutes": dur // MIN},
        )
    )


def _candidates(plan: Plan, roles: tuple[Role, ...], t0: int, t1: int) -> list[int]:
    """Unscripted agents of given roles transmitting over [t0, t1], at sea and not moored."""
    out = []
    for i, ag in enumerate(plan.agents):
        if i in plan.busy or ag.vessel.role not in roles or ag.log_as is not None:
            continue
        # a growing track will reach t1: its last leg stands for what it will be doing then
        end = ag.off if ag.growing else ag.track.end
        if ag.on > t0 or ag.off < t1 or ag.track.start > t0 or end < t1:
            continue
        s = ag.track.sample(np.array([t0, t1], np.int64))
        if np.any(np.isin(s.status, (MOORED, AT_ANCHOR))):
            continue
        out.append(i)
    return out


def add_gaps(plan: Plan, n: int) -> None:
    """Vessels going dark for 1-6 hours at sea and reappearing where their speed took them.

    The times are drawn now; each gap picks its vessel when the plan reaches half an hour
    before it, among the vessels then at sea.
    """
    rng = plan.rng
    for _ in range(n):
        room = plan.end - plan.start - 60 * MIN
        if room < 60 * MIN:
            return
        dur = min(rng.randint(60, 360) * MIN, room)
        d0 = rng.randint(plan.start + 30 * MIN, plan.end - dur - 30 * MIN)
        plan.schedule(d0 - 30 * MIN, partial(_gap, d0=d0, dur=dur))


def _gap(plan: Plan, d0: int, dur: int) -> None:
    roles = (Role.CARGO, Role.TANKER, Role.TRAWLER, Role.FISHING_B)
    cands = _candidates(plan, roles, d0 - 30 * MIN, d0 + dur + 30 * MIN)
    if not cands:
        return
    i = plan.rng.choice(cands)
    plan.busy.add(i)
    plan.agents[i].dark.append((d0, d0 + dur))
    plan.agents[i].scenario = "dark"
    plan.label(
        PlannedLabel(
            "ais_gap", "dark", i, d0, d0 + dur, "gap", details={"planned_minutes": dur // MIN}
        )  # fmt: skip
    )


def add_spoofs(plan: Plan, n: int) -> None:
    """Position spoofing: a jump to an impossible place, or a second transmitter on the MMSI.

    Each picks its vessel when the plan reaches ten minutes before it.
    """
    rng = plan.rng
    for k in range(n):
        if plan.end - plan.start < 50 * MIN:
            return
        if k % 2 == 0:
            ts = rng.randint(plan.start + 20 * MIN, plan.end - 20 * MIN)
            dur = rng.randint(30, 120) * 1000
            plan.schedule(ts - 10 * MIN, partial(_jump, ts=ts, dur=dur))
        else:
            dur = rng.randint(20, 60) * MIN
            c0 = rng.randint(
                plan.start + 15 * MIN, max(plan.start + 15 * MIN, plan.end - dur - 15 * MIN)
            )
            plan.schedule(c0 - 10 * MIN, partial(_clone, c0=c0, dur=dur))


def _jump(plan: Plan, ts: int, dur: int) -> None:
    rng = plan.rng
    cands = _candidates(plan, (Role.CARGO, Role.TANKER), ts - 10 * MIN, ts + 10 * MIN)
    if not cands:
        return
    i = rng.choice(cands)
    here = plan.agents[i].track.position_at(ts)
    for _ in range(40):
        p = offset(here, rng.uniform(0, 360), rng.uniform(100_000, 300_000))
        if plan.world.in_bbox(p) and plan.world.leg_at_sea(p, p):
            break
    else:
        return
    plan.busy.add(i)
    plan.agents[i].spoofs.append(Spoof(ts, ts + dur, p))
    plan.label(
        PlannedLabel(
            "position_jump",
            "spoof_jump",
            i,
            ts,
            ts + dur,
            "spoof",
            point=p,
            details={"jump_km": round(distance_m(here, p) / 1000, 1)},
        )  # fmt: skip
    )


def _clone(plan: Plan, c0: int, dur: int) -> None:
    rng = plan.rng
    cands = _candidates(plan, (Role.CARGO, Role.TANKER), c0 - 10 * MIN, c0 + dur + 10 * MIN)
    if not cands:
        return
    i = rng.choice(cands)
    ground = rng.choice(LY_GROUNDS + TN_GROUNDS)
    p = random_sea_point(plan, ground, 8000)
    if p is None:
        return
    target = plan.agents[i]
    track = TrackBuilder(plan.world, c0, p, rng).zigzag(ground, 8000, dur + MIN, (3, 6)).build()
    clone = Agent(
        target.vessel,
        track,
        on=c0,
        off=c0 + dur,
        send_statics=False,
        log_as=i,
        scenario="spoof_clone",
    )
    plan.add(clone)
    plan.busy.add(i)
    plan.label(
        PlannedLabel(
            "position_jump",
            "spoof_clone",
            i,
            c0,
            c0 + dur,
            "spoof",
            point=p,
            details={"second_transmitter": True},
        )  # fmt: skip
    )


def add_identity_changes(plan: Plan, n: int) -> None:
    """Name, callsign, IMO or type changes on the same MMSI (reflagging, disguise)."""
    rng = plan.rng
    for _ in range(n):
        if plan.end - plan.start < 90 * MIN:
            return
        tc = rng.randint(plan.start + 40 * MIN, plan.end - 40 * MIN)
        plan.schedule(tc - 40 * MIN, partial(_identity_change, tc=tc))


def _identity_change(plan: Plan, tc: int) -> None:
    roles = (Role.CARGO, Role.TANKER, Role.TRAWLER, Role.FISHING_B)
    cands = _candidates(plan, roles, tc - 40 * MIN, tc + 40 * MIN)
    if not cands:
        return
    i = plan.rng.choice(cands)
    ag = plan.agents[i]
    old = ag.vessel
    # an IMO number appearing where none was sent (0) fills a gap, it does not change one
    fields = ["name", "callsign", "ship_type"] + (
        ["imo"] if old.ais_class == "A" and old.imo else []
    )
    what = plan.rng.choice(fields)
    new = _changed(plan, old, what)
    plan.busy.add(i)
    ag.identities.append((tc, new))
    ag.scenario = "identity"
    plan.label(
        PlannedLabel(
            "identity_change",
            "identity",
            i,
            tc,
            tc,
            "static_change",
            details={"field": what, "old": getattr(old, what), "new": getattr(new, what)},
        )  # fmt: skip
    )


def _changed(plan: Plan, v: Vessel, what: str) -> Vessel:
    reg = plan.registry
    if what == "name":
        return replace(v, name=reg.name(v.flag))
    if what == "callsign":
        return replace(v, callsign=reg.callsign(v.flag))
    if what == "imo":
        return replace(v, imo=reg.imo())
    types = [t for t in (30, 37, 52, 70, 79, 80, 89) if t != v.ship_type]
    return replace(v, ship_type=plan.rng.choice(types))


def add_invalid_mmsis(plan: Plan, n: int) -> None:
    """Boats broadcasting placeholder or malformed MMSIs, fishing off Tunisia and Libya.

    Each is planned when the plan reaches the moment it switches on.
    """
    rng = plan.rng
    pool = [m for m in INVALID_MMSIS if m not in plan.registry.used_mmsi]
    rng.shuffle(pool)
    for mmsi in pool[:n]:
        plan.registry.used_mmsi.add(mmsi)
        on = rng.randint(plan.start, max(plan.start, plan.end - 60 * MIN))
        plan.schedule(on, partial(_invalid, mmsi=mmsi, on=on))


def _invalid(plan: Plan, mmsi: int, on: int) -> None:
    rng = plan.rng
    flag = rng.choice(("TN", "LY"))
    v = replace(plan.registry.vessel(Role.FISHING_B, flag), mmsi=mmsi)
    ground = rng.choice(TN_GROUNDS if flag == "TN" else LY_GROUNDS)
    p = random_sea_point(plan, ground, 8000)
    if p is None:
        return
    b = TrackBuilder(plan.world, on - rng.randint(0, 60) * MIN, p, rng)
    i = plan.add_growing(
        b,
        lambda b, until: b.zigzag(ground, 9000, until - b.now, resume=True),
        lambda tr: Agent(v, tr, on=on, off=plan.end, scenario="invalid_mmsi"),
    )
    plan.busy.add(i)
    plan.label(PlannedLabel("invalid_mmsi", "invalid_mmsi", i, on, plan.end, "seen"))


def add_watchlisted(plan: Plan, n: int) -> None:
    """Vessels from the sample watchlist, each matching it by MMSI, IMO, callsign or name."""
    plan.schedule(plan.start, lambda plan: _watchlisted(plan, n))


def _watchlisted(plan: Plan, n: int) -> None:
    rng = plan.rng
    present = [e for e in WATCHLIST if e.role]
    rng.shuffle(present)
    for e in present[:n]:
        i = _watch_agent(plan, e)
        if i is None:
            continue
        rule = "seen" if e.mmsi else "seen_static"
        plan.label(
            PlannedLabel(
                "watchlist_match",
                "watchlist",
                i,
                plan.start,
                plan.end,
                rule,
                details={"matched_on": e.matched_on, "note": e.note},
            )  # fmt: skip
        )


def _watch_agent(plan: Plan, e: WatchEntry) -> int | None:
    rng = plan.rng
    role = Role(e.role)
    v = plan.registry.vessel(role, e.flag)
    changes: dict[str, object] = {}
    if e.mmsi:
        changes["mmsi"] = e.mmsi
    if e.imo:
        changes["imo"] = e.imo
    if e.broadcast_name:
        changes["name"] = e.broadcast_name
    if e.callsign:
        changes["callsign"] = e.callsign
    v = replace(v, **changes)  # type: ignore[arg-type]
    t0 = plan.start - rng.randint(10, 90) * MIN
    if role in (Role.FISHING_B, Role.TRAWLER):
        ground = rng.choice(LY_GROUNDS if e.flag == "LY" else TN_GROUNDS)
        p = random_sea_point(plan, ground, 8000)
        if p is None:
            return None
        i = plan.add_growing(
            TrackBuilder(plan.world, t0, p, rng),
            lambda b, until: b.zigzag(ground, 9000, until - b.now, resume=True),
            lambda tr: Agent(v, tr, on=plan.start, off=plan.end, scenario="watchlist"),
        )
        plan.busy.add(i)
        return i
    a, b = rng.choice([("GIBRALTAR", "PORT SAID"), ("PORT SAID", "GIBRALTAR")])
    pts = plan.world.route(GATES[a], GATES[b])
    t0 = plan.start - rng.randint(2, 20) * HOUR
    track = TrackBuilder(plan.world, t0, pts[0], rng).sail(pts[1:], rng.uniform(11, 15)).build()
    if track.end <= plan.start + 30 * MIN:
        return None
    i = plan.add(Agent(v, track, on=plan.start, off=min(plan.end, track.end), scenario="watchlist"))
    plan.busy.add(i)
    return i


def add_departures(plan: Plan, n: int) -> None:
    """Small boats leaving Libyan and Tunisian departure areas, heading north at 5-8 kn.

    Each is planned when the plan reaches its departure.
    """
    for _ in range(n):
        t0 = plan.rng.randint(plan.start - HOUR, max(plan.start, plan.end - 2 * HOUR))
        plan.schedule(max(t0, plan.start), partial(_departure, t0=t0))


def _departure(plan: Plan, t0: int) -> None:
    rng = plan.rng
    libya = rng.random() < 0.7
    origin = plan.world.place(rng.choice(LY_DEPARTURES if libya else TN_DEPARTURES)).sea
    dest = plan.world.place(rng.choice(ARRIVALS_FROM_LY if libya else ARRIVALS_FROM_TN)).sea
    try:
        b = TrackBuilder(plan.world, t0, origin, rng).sail_to(dest, rng.uniform(5, 8))
    except NoRoute:
        return
    track = b.build()
    v = plan.registry.vessel(Role.SMALL_BOAT, "LY" if libya else "TN")
    i = plan.add(Agent(v, track, on=max(t0, plan.start), off=track.end, scenario="departure"))
    plan.busy.add(i)


def add_ngo(plan: Plan, n: int) -> None:
    """NGO rescue ships: out to the Libyan SAR region, a rescue stop of 1.5-3 h, back north."""
    plan.schedule(plan.start, lambda plan: _ngo(plan, n))


def _ngo(plan: Plan, n: int) -> None:
    rng = plan.rng
    for _ in range(n):
        spot = random_sea_point(plan, (rng.uniform(12.0, 13.8), rng.uniform(33.6, 34.0)), 10_000)
        if spot is None:
            continue
        t0 = plan.start - rng.randint(0, 3) * HOUR
        b = TrackBuilder(plan.world, t0, spot, rng)
        b.zigzag(spot, 25_000, rng.randint(20, 150) * MIN, (5, 8), (20, 40), status=0)
        b.drift(rng.randint(90, 180) * MIN, (0.2, 1.0))
        b.sail_to(plan.world.place("Lampedusa").sea, rng.uniform(9, 11))
        track = b.build()
        v = plan.registry.vessel(Role.NGO)
        i = plan.add(
            Agent(v, track, on=plan.start, off=min(plan.end, track.end), scenario="ngo_rescue")
        )
        plan.busy.add(i)


def plan_loitering(plan: Plan, zones: list[Zone] | None) -> None:
    """Label every slow period of an hour or more at sea outside port and anchorage zones.

    Not only the motherships: an NGO ship stopped for a rescue or a small boat in a long
    encounter loiters by the same definition, and the engine is right to say so. Without a zone
    file, moored and anchored legs stand in for port and anchorage zones.
    """
    shelter = [z for z in zones or [] if z.kind in ("port", "anchorage")]
    for i, ag in enumerate(plan.agents):
        if ag.vessel.ais_class == "aircraft" or ag.log_as is not None:
            continue
        tr = ag.track
        slow = tr.speed < LOITER_MAX_KN
        if zones is None:
            slow &= ~np.isin(tr.status, (MOORED, AT_ANCHOR))
        k = 0
        n = len(slow)
        while k < n:
            if not slow[k]:
                k += 1
                continue
            j = k
            while j + 1 < n and slow[j + 1]:
                j += 1
            a, z = max(int(tr.t[k]), ag.on), min(int(tr.t[j + 1]), ag.off)
            k = j + 1
            if z - a < LOITER_MIN_MS:
                continue
            mid = tr.position_at((a + z) // 2)
            if any(zone.geom.contains(_pt(mid)) for zone in shelter):
                continue
            plan.label(PlannedLabel("loitering", ag.scenario, i, a, z, "span"))


def _pt(p: Point) -> shapely.Point:
    return shapely.Point(p)


def add_shared_mmsis(plan: Plan, n: int) -> None:
    """MMSIs shared by two or three vessels far apart: each keeps its own name and track.

    Misconfigured transponders (a copied MMSI, a default number) put several real vessels on one
    MMSI, heard at once, interleaved, with their static names alternating. One label per MMSI
    for the whole period (``cause: shared_mmsi``): it is one identity conflict, however many
    transmitters and flips. Each picks its vessel when the plan reaches ten minutes before it.
    """
    rng = plan.rng
    for k in range(n):
        if plan.end - plan.start < 90 * MIN:
            return
        dur = min(rng.randint(120, 300) * MIN, plan.end - plan.start - 40 * MIN)
        first = plan.start + 20 * MIN
        c0 = rng.randint(first, max(first, plan.end - dur - 10 * MIN))
        extra = 2 if k % 3 == 2 else 1
        plan.schedule(c0 - 10 * MIN, partial(_share, c0=c0, dur=dur, extra=extra))


def _share(plan: Plan, c0: int, dur: int, extra: int) -> None:
    rng = plan.rng
    roles = (Role.CARGO, Role.TANKER, Role.TRAWLER)
    cands = _candidates(plan, roles, c0 - 10 * MIN, c0 + dur + 10 * MIN)
    if not cands:
        return
    i = rng.choice(cands)
    target = plan.agents[i]
    here = target.track.position_at(c0)
    windows: list[tuple[int, int]] = []
    for j in range(extra):
        s0 = c0 + j * rng.randint(20, 60) * MIN
        s1 = min(c0 + dur, plan.end)
        if s1 - s0 < 60 * MIN:
            break
        for _ in range(20):
            ground = rng.choice(LY_GROUNDS + TN_GROUNDS)
            p = random_sea_point(plan, ground, 8000)
            if p is not None and distance_m(here, p) > 100_000:
                break
        else:
            continue
        builder = TrackBuilder(plan.world, s0, p, rng)
        track = builder.zigzag(ground, 8000, s1 - s0 + MIN, (3, 8)).build()
        reg = plan.registry
        other = replace(
            target.vessel,
            name=reg.name(target.vessel.flag),
            callsign=reg.callsign(target.vessel.flag),
            imo=0,
        )
        plan.add(Agent(other, track, on=s0, off=s1, log_as=i, scenario="shared_mmsi"))
        windows.append((s0, s1))
    if not windows:
        return
    plan.busy.add(i)
    plan.label(
        PlannedLabel(
            "position_jump",
            "shared_mmsi",
            i,
            min(w[0] for w in windows),
            max(w[1] for w in windows),
            "spoof",
            point=None,
            details={"cause": "shared_mmsi", "transmitters": 1 + len(windows)},
        )  # fmt: skip
    )
