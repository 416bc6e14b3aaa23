"""`geo.tracker.Fleet`: one slot per MMSI, the same whatever the order vessels arrive in."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.tracker import Fleet

MMSIS = st.lists(st.integers(min_value=0, max_value=60), unique=True, max_size=25)


@settings(max_examples=60, deadline=None)
@given(st.lists(MMSIS, max_size=8))
def test_slots_are_given_once_in_order_of_arrival_and_kept(calls: list[list[int]]) -> None:
    fleet, expected = Fleet(), dict[int, int]()
    for mmsis in calls:
        out = fleet.slots(np.array(mmsis, dtype=np.int64)).tolist()
        for m in mmsis:
            expected.setdefault(m, len(expected))
        assert out == [expected[m] for m in mmsis]
    assert fleet.mmsi == sorted(expected, key=expected.__getitem__)
    assert fleet.slot_of == expected
    assert fleet.mmsi_col[: len(expected)].tolist() == fleet.mmsi


def test_slots_survive_a_snapshot() -> None:
    fleet = Fleet()
    fleet.slots(np.array([247000002, 247000001, 0], dtype=np.int64))
    again = Fleet.from_state(fleet.to_state())
    out = again.slots(np.array([0, 247000003, 247000001], dtype=np.int64))
    assert out.tolist() == [2, 3, 1]
