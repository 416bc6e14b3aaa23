"""The engine's array helpers give numpy's answers (`geo.arrays`)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from geo.arrays import distinct, member

ints = st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=60)


@given(ints)
def test_distinct_is_numpy_unique(values: list[int]) -> None:
    a = np.array(values, dtype=np.int64)
    got = distinct(a)
    assert got.dtype == np.int64
    assert got.tolist() == np.unique(a).tolist()


@given(ints, ints)
def test_member_is_numpy_isin(values: list[int], keys: list[int]) -> None:
    a = np.array(values, dtype=np.int64)
    assert member(a, keys).tolist() == np.isin(a, keys).tolist()
    assert member(a, np.array(keys, dtype=np.int64)).tolist() == np.isin(a, keys).tolist()
