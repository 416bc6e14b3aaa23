"""The figure a silence is judged on: the vessel's own reception, the way, the map's end."""

from __future__ import annotations

import pytest

from geo.config import EngineConfig
from geo.silence_reception import silence_reception

GOOD = EngineConfig().coverage_good


@pytest.mark.timeout(10)
def test_a_boat_heard_better_than_its_cell_is_judged_on_its_own_reception() -> None:
    assert silence_reception(0.55, 0.70, [], off_map=False) == 0.70


@pytest.mark.timeout(10)
def test_the_cell_stands_in_while_the_vessel_own_reception_is_unknown() -> None:
    assert silence_reception(0.55, None, [], off_map=False) == 0.55


@pytest.mark.timeout(10)
def test_a_vessel_fading_in_a_good_cell_is_at_the_edge() -> None:
    got = silence_reception(0.95, 0.30, [0.9], off_map=False)
    assert got is not None and got < GOOD


@pytest.mark.timeout(10)
def test_one_poor_cell_between_good_ones_is_not_the_edge() -> None:
    got = silence_reception(0.84, 0.92, [0.84, 0.53, 0.87], off_map=False)
    assert got is not None and got >= GOOD


@pytest.mark.timeout(10)
def test_a_way_into_cells_out_of_range_is_the_edge() -> None:
    got = silence_reception(0.80, 0.75, [0.4, 0.1, 0.0], off_map=False)
    assert got is not None and got < GOOD


@pytest.mark.timeout(10)
def test_a_way_off_the_map_lets_the_fringe_at_the_last_fix_count() -> None:
    assert silence_reception(0.50, 0.70, [], off_map=True) == 0.50
    assert silence_reception(0.95, 0.97, [], off_map=True) == 0.95  # a good cell stays good


@pytest.mark.timeout(10)
def test_nothing_known_is_none() -> None:
    assert silence_reception(None, None, [], off_map=False) is None


@pytest.mark.timeout(10)
def test_a_way_off_the_map_keeps_fading_as_it_faded_on_the_way_in() -> None:
    got = silence_reception(0.66, 0.72, [], off_map=True, fade=0.1)
    assert got is not None and got < GOOD
    assert silence_reception(0.95, 0.97, [], off_map=True, fade=0.1) == pytest.approx(0.85)
    assert silence_reception(0.66, 0.72, [], off_map=False, fade=0.1) == 0.72  # on the map
