"""The outlier filter's fix-by-fix rules give the figures of the array rules they stand for.

`geo.tracker` decides a few fixes one at a time with scalar forms of array rules (a one-element
array cost more than the arithmetic); a scalar form that drifted from its rule by one bit would
make a replay's jumps differ from a live run's.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from geo.config import EngineConfig
from geo.silence_rule import sampling_threshold_one, sampling_threshold_s
from geo.tracker import sampling_at, sampling_at_one, speed_limit_kn, speed_limit_one

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
