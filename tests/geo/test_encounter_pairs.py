from __future__ import annotations

import random

import numpy as np
import pytest

from geo.config import EngineConfig
from geo.detectors.base import Describer
from geo.detectors.encounter import EncounterDetector
from geo.detectors.encounter_pairs import Observations, Pair
from geo.events import Event

SAY = Describer(lambda lon, lat: None, lambda m: {"mmsi": m}, lambda lon, lat: [])
MIN = 60_000
#: steps between slice ends: a minute, within and past the break, past interpolation, a day
STEPS = [MIN, MIN, MIN, 5 * MIN, 15 * MIN, 4 * 60 * MIN, 24 * 60 * MIN]


def _slice_ends(seed: int, n: int) -> list[Observations]:
    """Observations of the pairs of five vessels at ``n`` slice ends, some late, some twice."""
    rng = random.Random(seed)
    out, now = [], 10**12
    for _ in range(n):
        step = rng.choice(STEPS)
        now += step
        # times of a slice end: up to half an hour back (breaks inside), after a stitch 3 min
        back = [0, 1, 3] if 3 * 60 * MIN < step < 12 * 60 * MIN else [0, 1, 3, 30]
        rows = []
        for lo in range(1, 5):
            for hi in range(lo + 1, 6):
                if rng.random() < 0.4:
                    continue
                times = range(now - rng.choice(back) * MIN, now + 1, MIN)
                for when in sorted(rng.sample(list(times), rng.randint(1, len(times)))):
                    for _ in range(rng.choice([1, 1, 1, 2])):  # a vessel twice at a time
                        xyz = [rng.uniform(-1.0, 1.0) for _ in range(3)]
                        rows.append((when, lo, hi, lo, hi, rng.uniform(0.0, 500.0), *xyz))
        rows.sort(key=lambda r: r[:3])
        cols = [np.array(c) for c in zip(*rows, strict=True)]
        out.append(Observations(*cols[:5], *cols[5:]))
    return out


def _set_aside(det: EncounterDetector, when: int) -> None:
    """An episode reported, then given up while both vessels were unheard."""
    p = Pair(when - 40 * MIN, when, 41, 1.0, 0.5, 0.25, 20.0, 900.0, emitted=True)
    p.details = {"vessel": {"mmsi": 2}, "other": {"mmsi": 4}, "near": None, "zones": []}
    det.unheard[(2, 4)] = p


@pytest.mark.parametrize("seed", range(12))
def test_pairs_extended_at_once_are_the_rules_one_by_one_to_the_last_bit(seed: int) -> None:
    fast, rules = EncounterDetector(EngineConfig()), EncounterDetector(EngineConfig())
    by_rules: dict[tuple[int, int], Pair] = {}
    _set_aside(fast, 10**12)
    _set_aside(rules, 10**12)
    for obs in _slice_ends(seed, 30):
        got: list[Event] = []
        want: list[Event] = []
        fast._match(obs, got, SAY)
        rules._apply(obs, np.arange(len(obs)), by_rules, want, SAY)
        assert got == want
        assert dict(fast.pairs.pairs()) == by_rules
        assert fast.unheard == rules.unheard


def test_the_random_slice_ends_take_every_path_of_the_rules() -> None:
    """The test above is only as good as its observations: breaks, reports and a stitch."""
    rules = EncounterDetector(EngineConfig())
    _set_aside(rules, 10**12)
    pairs: dict[tuple[int, int], Pair] = {}
    events: list[Event] = []
    for seed in range(12):
        for obs in _slice_ends(seed, 30):
            rules._apply(obs, np.arange(len(obs)), pairs, events, SAY)
    closed = [e for e in events if e.end_ms is not None]
    assert closed and len(closed) < len(events)
    assert any("unheard_s" in e.details for e in events)


def test_a_pair_stitched_and_broken_again_at_one_slice_end_reports_what_happened() -> None:
    # Set aside unheard at T, together again at T + 4 h (one meeting: stitched), then again at
    # T + 4 h 20 min, with nothing between (apart: the meeting ended). Both reach one slice end
    # when a late feed delivers them together; the new pair was reported as if it were the
    # stitched one, without its details, and the engine stopped on an assertion.
    det = EncounterDetector(EngineConfig())
    t = 10**12
    _set_aside(det, t)
    when = np.array([t + 240 * MIN, t + 260 * MIN])
    obs = Observations(
        when, np.array([2, 2]), np.array([4, 4]), np.array([2, 2]), np.array([4, 4]),
        np.array([30.0, 30.0]), np.zeros(2), np.zeros(2), np.full(2, 2.0),
    )  # fmt: skip
    events: list[Event] = []
    det._match(obs, events, SAY)
    # the stitched meeting, closed where it broke: its last version, not reopened after it
    (closed,) = events
    assert closed.end_ms == t + 240 * MIN and closed.start_ms == t - 40 * MIN
    assert closed.details["unheard_s"] == 240 * 60
    # the pair open now began at the second meeting and is not reported yet (too short)
    ((key, p),) = det.pairs.pairs()
    assert key == (2, 4) and p.start == t + 260 * MIN and not p.emitted
