"""The outlier filter's fix-by-fix rules give the figures of the array rules they stand for.

`geo.tracker` decides a few fixes one at a time with scalar forms of array rules (a one-element
array cost more than the arithmetic); a scalar form that drifted from its rule by one bit would
make a replay's jumps differ from a live run's.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from geo.config import EngineConfig
from geo.detectors.base import distance_one_m, haversine_m
from geo.detectors.loitering import Episode, LoiterDetector
from geo.plain_groups import repeats_to_judge
from geo.silence_rule import sampling_threshold_one, sampling_threshold_s
from geo.speed_test import Fix, speed_limit_kn, speed_limit_one
from geo.tracker import Tracker, sampling_at, sampling_at_one

CFG = EngineConfig()
speeds = st.one_of(st.just(float("nan")), st.floats(0.0, 120.0))
samplings = st.one_of(
    st.just(float("nan")),
    st.just(float("inf")),
    st.sampled_from([CFG.gap_sampling_cap_s, CFG.gap_sparse_sampling_s]),
    st.floats(0.0, 20_000.0),
)


@given(
    st.sampled_from([1, 2, 3, 5, 18, 19, 24, 27]),
    speeds,
    speeds,
    st.integers(0, 10**8).map(lambda ms: ms / 1000.0),
)
def test_speed_limit_one_is_speed_limit_kn(
    msg_type: int, sog0: float, sog1: float, dt_s: float
) -> None:
    arr = speed_limit_kn(
        np.array([msg_type], np.uint8), CFG, np.array([sog0]), np.array([sog1]), dt_s
    )
    assert speed_limit_one(msg_type, CFG, sog0, sog1, dt_s) == float(arr[0])


@given(samplings)
def test_sampling_threshold_one_is_sampling_threshold_s(own_s: float) -> None:
    assert sampling_threshold_one(own_s, CFG) == float(
        sampling_threshold_s(np.array([own_s]), CFG)[0]
    )


@given(
    st.one_of(st.just(float("nan")), st.just(-1e6), st.floats(-10.0, 16.0)),
    st.integers(1_600_000_000_000, 1_900_000_000_000),
    st.integers(0, 10**9),
)
def test_sampling_at_one_is_sampling_at(skey: float, skey_t: int, later_ms: int) -> None:
    half = CFG.gap_sampling_half_life_s
    want = float(sampling_at(skey, skey_t, skey_t + later_ms, half))
    got = sampling_at_one(skey, skey_t, skey_t + later_ms, half)
    assert got == want or (got != got and want != want)


# Pairs of points where `math` and numpy's haversine fall either side of a rule's border:
# 199.99999999999997 m (numpy) against 200.0 m (math), and 7408.0 against 7408.000000000001.
STALE_BORDER = (14.439168455352467, 36.47225314620108, 14.44087410800738, 36.47108961008707)
DRIFT_BORDER = (13.547166424988255, 33.96879550673101, 13.616219279515585, 33.93477404669994)


def test_a_repeat_at_the_stale_border_is_judged_alike_in_arrays_and_fix_by_fix() -> None:
    # 200 m behind the track's latest fix, two minutes after it: `repeats_to_judge` decides
    # most vessels' repeats, `Tracker._stale` the rest; the batches choose which.
    lon0, lat0, lon1, lat1 = STALE_BORDER
    primary, fix = Fix(0, lon0, lat0, 1, 5.0), Fix(120_000, lon1, lat1, 1, 5.0)
    one = np.ones(1, dtype=np.bool_)
    # the array path's distance, as `Tracker.filter` measures it for its speed test
    step = haversine_m(np.array([lon0]), np.array([lat0]), np.array([lon1]), np.array([lat1]))
    judged = repeats_to_judge(
        one, ~one, one, np.array([0]), step, np.array([120_000]), np.array([0, 1])
    )
    assert Tracker(CFG)._stale(primary, fix, []) == bool(judged[0])


def test_a_fix_at_the_drift_limit_ends_a_loitering_run_alike_on_both_paths() -> None:
    # An hour into a run, a fix at its allowed drift: the quiet path decides in arrays,
    # `drifted_too_far` fix by fix.
    lon0, lat0, lon1, lat1 = DRIFT_BORDER
    det = LoiterDetector(CFG)
    allowed = det.allowed_drift_m(3_600_000)
    ep = Episode(0, 0, lon0, lat0, 0.0, 0.0, 0.0, 0)
    ctx = SimpleNamespace(t=np.array([3_600_000]), lon=np.array([lon1]), lat=np.array([lat1]))
    quiet = haversine_m(np.array([lon0]), np.array([lat0]), ctx.lon, ctx.lat) > allowed
    assert det.drifted_too_far(ep, ctx, 0) == bool(quiet[0])  # type: ignore[arg-type]


def test_distance_one_m_is_haversine_m_of_one_pair() -> None:
    """Random pairs near and far, and the same point twice: the very floats, fix by fix."""
    rng = np.random.default_rng(21)
    n = 20_000
    lon0, lat0 = rng.uniform(-180, 180, n), rng.uniform(-90, 90, n)
    near = rng.random(n) < 0.7
    lon1 = np.where(near, lon0 + rng.normal(0, 0.01, n), rng.uniform(-180, 180, n))
    lat1 = np.where(near, np.clip(lat0 + rng.normal(0, 0.01, n), -90, 90), rng.uniform(-90, 90, n))
    lon1[:100], lat1[:100] = lon0[:100], lat0[:100]
    whole = haversine_m(lon0, lat0, lon1, lat1).tolist()
    cols = (lon0.tolist(), lat0.tolist(), lon1.tolist(), lat1.tolist())
    assert [distance_one_m(*p) for p in zip(*cols, strict=True)] == whole
