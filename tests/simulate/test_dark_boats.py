"""Boats without AIS in the simulator: their contacts, their truth, the AIS left unchanged."""

from __future__ import annotations

import itertools
from collections import Counter

from geo.contacts import ContactKind
from geo.detectors.base import distance_m
from simulate.dark_boats import SAR_PASSES_UTC_MIN
from simulate.scenario import Simulation, iter_simulation


def _run(seed: int) -> Simulation:
    sim = Simulation(hours=6, seed=seed, scenario="smuggling")
    for _ in sim:
        pass
    return sim


def test_contacts_and_labels_are_deterministic_and_consistent() -> None:
    a, b = _run(3), _run(3)
    assert a.contacts == b.contacts and [x.to_dict() for x in a.labels] == [
        x.to_dict() for x in b.labels
    ]
    kinds = Counter(c.kind for c in a.contacts)
    assert kinds[ContactKind.SAR] > 0 and kinds[ContactKind.HOTLINE] > 0
    passes = {(c.time_ms // 60_000) % 1440 for c in a.contacts if c.kind is ContactKind.SAR}
    assert passes <= set(SAR_PASSES_UTC_MIN)
    made = {(c.time_ms, c.lat, c.lon) for c in a.contacts}
    dark = [lab for lab in a.labels if lab.kind == "dark_target"]
    assert dark and all({tuple(k) for k in lab.details["contacts"]} <= made for lab in dark)
    motherships = {ag.mmsi for ag in a.plan.agents if ag.scenario == "mothership"}
    escorts = {ag.mmsi for ag in a.plan.agents if ag.scenario == "departure"}
    assocs = [lab for lab in a.labels if lab.kind == "contact_association"]
    assert assocs and all(
        lab.mmsi in (escorts if lab.scenario == "escort" else motherships) for lab in assocs
    )
    assert {lab.scenario for lab in assocs} == {"mothership", "escort"}
    assert a.summary["contacts"] == len(a.contacts)


def test_the_ais_capture_is_the_same_with_boats_without_ais() -> None:
    sim = Simulation(hours=1, seed=5, scenario="smuggling")
    plain = iter_simulation(1, 5, scenario="smuggling")
    assert list(itertools.islice(sim, 3000)) == list(itertools.islice(plain, 3000))


def test_escorted_boats_sail_abeam_of_their_escort_and_are_sighted_with_course_and_speed() -> None:
    sim = _run(3)
    boats = [b for b in sim.dark.boats if b.escorted] if sim.dark else []
    assert boats
    sighted = 0
    for boat in boats:
        assert boat.mother is not None and boat.meeting is not None
        e0, e1 = boat.meeting
        escort = sim.plan.agents[boat.mother].track
        for t in range(e0, e1, 10 * 60_000):
            apart = distance_m(*boat.track.position_at(t), *escort.position_at(t))
            assert 800 <= apart <= 3000, (t, apart)
        during = [c for c in boat.contacts if e0 <= c.time_ms <= e1]
        assert all(c.speed_kn is not None and c.kind is ContactKind.AIRCRAFT for c in during)
        sighted += len(during) >= 2
    assert sighted
