"""The encounter detector's incremental matching against brute force.

`geo.detectors.encounter_points.match` keeps each grid time's candidates sorted and sweeps only
the new ones at a slice end. What it must give: every pair within reach of a grid time exactly
once, at the slice end its later row arrives, wherever the points are (across ±180°, around
the poles). And `EncounterDetector._observations` must give what the sweep of all a grid
time's rows gave, to the last bit and in the same order, a vessel twice at a time included.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.config import EngineConfig
from geo.detectors.base import haversine_m
from geo.detectors.encounter import EncounterDetector
from geo.detectors.encounter_pairs import Observations, pack
from geo.detectors.encounter_points import Points, match
from geo.geodesy import chord_of_m, unit_vectors
from geo.tracker import Fleet

#: near a pole, either side of ±180°, and an ordinary place
CENTRES = [(89.996, 0.0), (-89.996, 120.0), (0.0, 179.996), (-30.0, -179.996), (45.0, 10.0)]
REACH = chord_of_m(1000.0) * (1.0 + 1e-9)
#: a few exact offsets (ties on an axis) and any offset up to about 2 km
OFFSET = st.one_of(st.sampled_from([0.0, 0.004, -0.004]), st.floats(-0.02, 0.02))
#: (centre, dlat, dlon, grid time, slice end)
POINT = st.tuples(st.integers(0, 4), OFFSET, OFFSET, st.integers(0, 2), st.integers(0, 3))
MIN = 60_000
T0 = 10**12
SETTINGS = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


def _place(centre: int, dlat: float, dlon: float) -> tuple[float, float]:
    lat0, lon0 = CENTRES[centre]
    lat = max(-90.0, min(90.0, lat0 + dlat))
    return lat, (lon0 + dlon + 180.0) % 360.0 - 180.0


def _slice_ends(drawn: list[tuple[int, float, float, int, int]]) -> list[tuple[Any, Points]]:
    """The points of each slice end (ids in arrival order), sorted by grid time as the detector
    sorts its new candidates."""
    out = []
    ident = 0
    for end in range(4):
        rows = [(T0 + g * MIN, *_place(c, a, o)) for c, a, o, g, e in drawn if e == end]
        if not rows:
            continue
        rows.sort(key=lambda r: r[0])  # stable: as they came within a grid time
        gt = np.array([r[0] for r in rows], np.int64)
        lat, lon = np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
        ids = np.arange(ident, ident + len(rows), dtype=np.int64)
        ident += len(rows)
        out.append((gt, Points(ids, lat, lon, unit_vectors(lat, lon).T)))
    return out


def _mismatches(
    drawn: list[tuple[int, float, float, int, int]],
    spoil: Callable[[dict[int, Points], dict[int, Points]], None] | None = None,
) -> list[Any]:
    """What `match`, fed slice end after slice end, gets wrong against all pairs of a grid time.

    ``spoil(before, after)``: a deliberately wrong rule applied to the kept points after each
    slice end (the test of this test).
    """
    ends = _slice_ends(drawn)
    points: dict[int, Points] = {}
    found: list[tuple[Any, ...]] = []
    for end, (gt, new) in enumerate(ends):
        before = dict(points)
        m = match(points, gt, new, REACH)
        assert np.all(m.seq[m.i] < m.seq[m.j])
        whens = np.array(m.whens, np.int64)[m.at].tolist()
        pairs = zip(whens, m.slot[m.i].tolist(), m.slot[m.j].tolist(), strict=True)
        found += [(w, i, j, end) for w, i, j in pairs]
        if spoil is not None:
            spoil(before, points)
    # brute force: every pair of a grid time within reach, found when its later row arrived
    arrived = {int(k): e for e, (_, new) in enumerate(ends) for k in new.slot.tolist()}
    rows: dict[int, list[tuple[int, Any]]] = {}
    for gt, new in ends:
        assert new.v is not None
        for w, k, v in zip(gt.tolist(), new.slot.tolist(), new.v.T, strict=True):
            rows.setdefault(w, []).append((k, v))
    want, unsure = [], set()
    for w, these in rows.items():
        for a, (ka, va) in enumerate(these):
            for kb, vb in these[a + 1 :]:
                chord = math.dist(va, vb)
                if abs(chord - REACH) < 1e-12:
                    unsure.add((w, ka, kb))  # at reach to the last bits: either is right
                elif chord <= REACH:
                    want.append((w, ka, kb, arrived[kb]))
    got = [f for f in found if f[:3] not in unsure]
    bad: list[Any] = sorted(set(got) ^ set(want))
    if len(got) != len(set(got)):
        bad.append("a pair found twice")
    # what is kept: every row once, sorted on its axis, arrival order known
    for w, these in rows.items() if spoil is None else []:
        p = points[w]
        assert p.v is not None and p.seq is not None
        assert np.all(np.diff(p.v[p.axis]) >= 0)
        assert p.arrived()[0].tolist() == [k for k, _ in these]
    return bad


@SETTINGS
@given(st.lists(POINT, max_size=60))
def test_new_candidates_pair_once_with_all_of_their_grid_time(
    drawn: list[tuple[int, float, float, int, int]],
) -> None:
    assert _mismatches(drawn) == []


def _crowd(seed: int) -> list[tuple[int, float, float, int, int]]:
    rng = np.random.default_rng(seed)
    return [
        (int(c), float(a), float(o), int(g), int(e))
        for c, a, o, g, e in zip(
            rng.integers(0, 5, 400),
            rng.uniform(-0.02, 0.02, 400),
            rng.uniform(-0.02, 0.02, 400),
            rng.integers(0, 2, 400),
            rng.integers(0, 4, 400),
            strict=True,
        )
    ]


def _wrong_axis(before: dict[int, Points], after: dict[int, Points]) -> None:
    """Search the kept rows on a coordinate they are not sorted on."""
    for p in after.values():
        p.axis = (p.axis + 1) % 3


def _not_kept(before: dict[int, Points], after: dict[int, Points]) -> None:
    """Forget a slice end's new rows (the merge left out)."""
    for w in list(after):
        if w in before:
            after[w] = before[w]
        else:
            del after[w]


def test_the_brute_force_check_catches_a_wrong_rule() -> None:
    assert _mismatches(_crowd(3)) == []
    assert _mismatches(_crowd(3), _wrong_axis)
    assert _mismatches(_crowd(3), _not_kept)


# -- the detector's observations: as the full sweep gave them ------------------------------------

#: (vessel, dlat, dlon, grid time, slice end): a vessel may be twice at a grid time;
#: the even vessels meet at 45°N 10°E, the odd ones across ±180°
VESSEL_POINT = st.tuples(
    st.integers(0, 5),
    st.sampled_from([0.0, 0.002, -0.002]) | st.floats(-0.006, 0.006),
    st.sampled_from([0.0, 0.002, -0.002]) | st.floats(-0.006, 0.006),
    st.integers(0, 2),
    st.integers(0, 2),
)


def _full_sweep(
    kept: dict[int, list[tuple[int, float, float, Any]]],
    gt: Any,
    new: Points,
    fleet: Fleet,
    cfg: EngineConfig,
) -> list[tuple[Any, ...]]:
    """The observations of one slice end as a sweep of all of each grid time's rows found them:
    rows in arrival order sorted stably on their widest axis, pairs in sweep order, then sorted
    stably by (time, lo, hi)."""
    assert new.v is not None
    for w, s, la, lo, v in zip(gt.tolist(), new.slot, new.lat, new.lon, new.v.T, strict=True):
        kept.setdefault(w, []).append((int(s), float(la), float(lo), v))
    fresh: dict[int, int] = {}
    for w in gt.tolist():
        fresh[w] = fresh.get(w, 0) + 1
    out = []
    for w, n_new in fresh.items():
        rows = kept[w]
        first_new = len(rows) - n_new
        xyz = np.array([r[3] for r in rows])
        axis = int(np.argmax(xyz.max(axis=0) - xyz.min(axis=0)))
        order = sorted(range(len(rows)), key=lambda r: (xyz[r, axis], r))
        for a in range(len(order)):
            for b in range(a + 1, len(order)):
                ra, rb = order[a], order[b]
                if max(ra, rb) < first_new:
                    continue
                d3 = xyz[ra] - xyz[rb]
                if float(np.dot(d3, d3)) > REACH_M * REACH_M:
                    continue
                i, j = min(ra, rb), max(ra, rb)
                (si, lai, loi, vi), (sj, laj, loj, vj) = rows[i], rows[j]
                if si == sj:
                    continue
                d = haversine_m(np.array([loi]), np.array([lai]), np.array([loj]), np.array([laj]))
                if d[0] > cfg.encounter_distance_m:
                    continue
                mi, mj = int(fleet.mmsi_col[si]), int(fleet.mmsi_col[sj])
                lo_m, hi_m = min(mi, mj), max(mi, mj)
                s0, s1 = (si, sj) if mi < mj else (sj, si)
                mid = vi + vj
                out.append((w, lo_m, hi_m, s0, s1, d[0], mid[0], mid[1], mid[2]))
    return sorted(out, key=lambda o: o[:3])


REACH_M = chord_of_m(EngineConfig().encounter_distance_m) * (1.0 + 1e-9)


def _as_rows(obs: Observations | None) -> list[tuple[Any, ...]]:
    if obs is None:
        return []
    cols = (obs.when, obs.lo, obs.hi, obs.s0, obs.s1, obs.dist, obs.x, obs.y, obs.z)
    return list(zip(*(c.tolist() for c in cols), strict=True))


def _vessel_ends(
    drawn: list[tuple[int, float, float, int, int]], fleet: Fleet
) -> list[tuple[Any, Points]]:
    slots = fleet.slots(np.array([201000000 + 7 * v for v in range(6)], np.int64))
    out = []
    for end in range(3):
        rows = [
            (T0 + g * MIN, int(slots[v]), *_place(2 if v % 2 else 4, a, o))
            for v, a, o, g, e in drawn
            if e == end
        ]
        if rows:
            rows.sort(key=lambda r: r[0])
            out.append(
                (
                    np.array([r[0] for r in rows], np.int64),
                    Points(
                        np.array([r[1] for r in rows], np.int64),
                        np.array([r[2] for r in rows]),
                        np.array([r[3] for r in rows]),
                    ),
                )
            )
    return out


def _same_as_full_sweep(
    drawn: list[tuple[int, float, float, int, int]], restore_at: int
) -> list[tuple[Any, ...]]:
    """Check the detector, snapshotted and restored before slice end ``restore_at``, slice end by
    slice end against `_full_sweep`; return all the observations."""
    fleet = Fleet()
    cfg = EngineConfig()
    det = EncounterDetector(cfg)
    kept: dict[int, list[tuple[int, float, float, Any]]] = {}
    seen = []
    for end, (gt, pts) in enumerate(_vessel_ends(drawn, fleet)):
        if end == restore_at:
            det, old = EncounterDetector(cfg), det
            det.load_state(json.loads(json.dumps(old.to_state())))
        new = Points(pts.slot, pts.lat, pts.lon)
        new.v = unit_vectors(new.lat, new.lon).T  # as the detector makes them
        want = _full_sweep(kept, gt, new, fleet, cfg)
        det.new = [(gt, Points(pts.slot, pts.lat, pts.lon))]
        obs = det._observations(fleet)
        if obs is not None:  # and by pair, stably, for `PairTable.absorb`
            by_pair = np.argsort(pack(obs.lo, obs.hi), kind="stable")
            assert obs.by_pair is not None and obs.by_pair.tolist() == by_pair.tolist()
        got = _as_rows(obs)
        assert got == want  # floats too: the same to the last bit, in the same order
        seen += want
    return seen


@SETTINGS
@given(st.lists(VESSEL_POINT, max_size=40), st.integers(0, 3))
def test_observations_are_the_full_sweeps_to_the_last_bit(
    drawn: list[tuple[int, float, float, int, int]], restore_at: int
) -> None:
    _same_as_full_sweep(drawn, restore_at)


def test_a_vessel_twice_at_a_time_keeps_the_full_sweeps_order() -> None:
    """Two positions of vessel 0 at one grid time, both near vessel 2: two observations of the
    pair at that time, in the full sweep's order, which is not the order they arrived in."""
    drawn = [
        (2, 0.0, 0.0, 0, 0),
        (0, 0.0, 0.002, 0, 1),  # east of vessel 2: later on the sweep (y), first to arrive
        (0, 0.0, -0.002, 0, 1),  # west: first on the sweep
    ]
    east, west = unit_vectors(np.array([45.0, 45.0]), np.array([10.002, 9.998]))
    assert east[1] > west[1] and abs(east[1] - west[1]) > abs(east[0] - west[0])  # y: the sweep's
    seen = _same_as_full_sweep(drawn, 9)
    assert [o[:3] for o in seen] == [(T0, 201000000, 201000014)] * 2
    assert seen[0][7] < seen[1][7]  # west first: by y of the midpoints
