"""Boats without AIS in the simulator: their contacts, their truth, the AIS left unchanged."""

from __future__ import annotations

import itertools
from collections import Counter

from geo.contacts import ContactKind
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
    assocs = [lab for lab in a.labels if lab.kind == "contact_association"]
    assert assocs and all(lab.mmsi in motherships for lab in assocs)
    assert a.summary["contacts"] == len(a.contacts)


def test_the_ais_capture_is_the_same_with_boats_without_ais() -> None:
    sim = Simulation(hours=1, seed=5, scenario="smuggling")
    plain = iter_simulation(1, 5, scenario="smuggling")
    assert list(itertools.islice(sim, 3000)) == list(itertools.islice(plain, 3000))
