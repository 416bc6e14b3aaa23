"""The outlier filter's array path for vessels it only accepts or calls stale (`geo.plain_groups`)
decides as its fix-by-fix loop does: the same events and counts, whichever path a group took."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ais_ingest.records import PositionReport, Record
from geo import tracker as tracker_module
from geo.config import EngineConfig
from geo.engine import Engine
from geo.plain_groups import STALE_MOVE_M, Latest, Settled, settle_plain
from tests.geo.engine_scenarios import batches, canonical, make_engine, pos, track

CFG = EngineConfig()
HOUR = 3600.0


def _settle_nothing(latest: Latest, first: Any, length: Any, eligible: Any, *_: Any) -> Settled:
    none = np.zeros(0, dtype=np.int64)
    return Settled(np.zeros(len(first), dtype=np.bool_), none, none.astype(bool), none.astype(bool))


def _run(records: list[Record], sizes: list[int]) -> tuple[list[str], dict[str, Any], Engine]:
    eng = make_engine()
    out = []
    for b in batches(records, sizes):
        out += eng.process(b)
    out += eng.flush()
    return canonical(out), eng.record_counts(), eng


def both_paths(
    records: list[Record], sizes: list[int], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, int]:
    """Run the engine with the array path and with the loop alone; assert the same outcome.

    Return how many groups the array path settled, and how many it was offered.
    """
    seen = [0, 0]

    def counting(*args: Any) -> Settled:
        done = settle_plain(*args)
        seen[0] += int(done.groups.sum())
        seen[1] += len(done.groups)
        return done

    with monkeypatch.context() as m:
        m.setattr(tracker_module, "settle_plain", counting)
        fast, fast_counts, fast_eng = _run(records, sizes)
    with monkeypatch.context() as m:
        m.setattr(tracker_module, "settle_plain", _settle_nothing)
        slow, slow_counts, slow_eng = _run(records, sizes)
    assert fast == slow
    assert fast_counts == slow_counts
    assert fast_eng.tracker.stale == slow_eng.tracker.stale
    assert fast_eng.tracker.rejected == slow_eng.tracker.rejected
    return seen[0], seen[1]


def one_feed_four_times(seed: int) -> list[Record]:
    """`bench.cli`'s real capture in small: one feed's 40 minutes again three times, 3 min later
    each, so every vessel keeps going back to places it held (a stale repeat after each fix)."""
    rng = random.Random(seed)
    feed: list[Record] = []
    for k in range(12):
        mmsi = 247000000 + k
        sog = rng.choice([0.0, 0.3, 6.0, 12.0, 25.0])
        every = rng.choice([2.0, 10.0, 30.0, 180.0])
        feed += track(mmsi, rng.uniform(0, 60), 40 * 60, every, 36.0 + k / 50, 14.0, sog,
                      rng.uniform(0, 360), rng.choice([1, 18, 27]))  # fmt: skip
    out: list[Record] = []
    for copy in range(4):
        for r in feed:
            assert isinstance(r, PositionReport) and r.lat is not None and r.lon is not None
            t = (r.time_ms - feed[0].time_ms) / 1000 + copy * 180 + rng.uniform(0, 1)
            out.append(pos(t, r.mmsi, r.lat, r.lon, r.speed, r.course, r.msg_type))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_feed_repeated_is_decided_alike_on_both_paths(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    settled, offered = both_paths(one_feed_four_times(seed), [700] * 60, monkeypatch)
    assert settled > offered / 10  # many off the loop, or the test proves little


def test_outliers_jumps_and_silences_go_to_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """A jump that becomes the track, a lone outlier, a 40 min silence and a shared MMSI, amid
    repeats: the groups the rules can do more with are the loop's, and decide as before."""
    v = 256000001
    recs = track(v, 0, 2 * HOUR, 60, 35.5, 14.5, 10.0)
    recs = [r for r in recs if not 3000 <= (r.time_ms - recs[0].time_ms) / 1000 <= 5400]
    recs.append(pos(1200.5, v, 36.5, 15.5))  # a lone outlier, 80 nm away
    recs += track(v, 6000, 7200, 90, 34.0, 12.0, 9.0)  # a second transmitter far off
    for r in list(recs[:40:3]):
        assert isinstance(r, PositionReport) and r.lat is not None and r.lon is not None
        recs.append(pos((r.time_ms - recs[0].time_ms) / 1000 + 900.2, v, r.lat, r.lon))
    settled, offered = both_paths(sorted(recs, key=lambda r: r.time_ms), [37] * 80, monkeypatch)
    assert offered > settled > 0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # vessel
            st.floats(0, 4 * HOUR),  # time
            st.floats(-0.05, 0.05),  # lat offset from its home
            st.floats(-0.05, 0.05),
            st.one_of(st.none(), st.floats(0, 40)),  # speed
            st.sampled_from([1, 3, 18, 27]),
        ),
        min_size=1,
        max_size=120,
    ),
    st.integers(1, 50),
)
def test_random_feeds_are_decided_alike_on_both_paths(
    rows: list[tuple[int, float, float, float, float | None, int]], size: int
) -> None:
    own = [pos(t, 244000000 + v, 36.0 + v + dlat, 14.0 + dlon, sog, 90.0, mt)
           for v, t, dlat, dlon, sog, mt in rows]  # fmt: skip
    # places held again: each vessel's rows repeated 10-50 min later
    t0 = min(r.time_ms for r in own)
    again = [pos((r.time_ms - t0) / 1000 + 600 + 60 * (i % 40), r.mmsi, r.lat or 0.0,
                 r.lon or 0.0, r.speed, 90.0, r.msg_type)
             for i, r in enumerate(own[::2])]  # fmt: skip
    recs: list[Record] = [*own, *again]
    recs.sort(key=lambda r: r.time_ms)
    with pytest.MonkeyPatch.context() as mp:
        both_paths(recs, [size] * (len(recs) // size + 1), mp)


def _one(**kw: Any) -> Settled:
    """Settle one group of fixes after a track's latest fix at t 0, (36 N, 14 E), 10 kn."""
    t = np.array(kw["t"], dtype=np.int64)
    n = len(t)
    lat = np.array(kw.get("lat", [36.0] * n))
    lon = np.array(kw.get("lon", [14.0] * n))
    mt = np.full(n, 1, dtype=np.uint8)
    sog = np.full(n, 10.0)
    latest = Latest(np.array([0]), np.array([14.0]), np.array([36.0]),
                    np.array([1], dtype=np.uint8), np.array([10.0]))  # fmt: skip
    rep = np.array(kw.get("repeat", [False] * n))
    return settle_plain(latest, np.array([0]), np.array([n]), np.array([True]),
                        (t, lon, lat, mt, sog), rep, CFG)  # fmt: skip


def test_a_stale_repeat_between_two_fixes_is_set_aside_in_arrays() -> None:
    north = 36.0 + 1000 / 111_195  # 1 km north
    done = _one(t=[60_000, 120_000, 180_000], lat=[36.0, north, 36.0],
                   repeat=[False, True, False])  # fmt: skip
    assert done.groups.tolist() == [True]
    assert done.accepted.tolist() == [True, False, True]
    assert done.stale.tolist() == [False, True, False]


def test_what_the_rules_could_do_more_with_is_left_to_the_loop() -> None:
    far = 36.0 + 50_000 / 111_195  # 50 km in a minute: an outlier
    assert not _one(t=[60_000], lat=[far]).groups[0]
    assert not _one(t=[int(CFG.dr_min_silence_s * 1000)]).groups[0]  # a silence's end
    # a repeat at the stale distance to the last bit: the loop measures it
    edge = 36.0 + math.degrees(STALE_MOVE_M / 6_371_008.8)
    assert not _one(t=[120_000], lat=[edge], repeat=[True]).groups[0]
    assert not _one(t=list(range(60_000, 60_000 * 10, 60_000))).groups[0]  # too long a group
