"""One sort of a packed key orders a batch's rows exactly as `numpy.lexsort` does."""

from __future__ import annotations

import numpy as np
import pytest

from app.store.order import by_vessel_time, by_vessel_time_position


def _rows(seed: int, n: int, span_ms: int, mmsi_max: int) -> tuple[np.ndarray, ...]:
    """Few vessels, few distinct times and positions: many ties in each key, -0.0 among them."""
    rng = np.random.default_rng(seed)
    mmsi = rng.integers(0, 6, n) * (mmsi_max // 6)
    time_ms = 1_780_272_000_000 + rng.integers(0, 5, n) * (span_ms // 4)
    lat = rng.choice([0.0, -0.0, 35.5, 36.0], n)
    lon = rng.choice([0.0, -0.0, 12.25], n)
    return mmsi, time_ms, lat, lon


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize(
    ("span_ms", "mmsi_max"),
    [(60_000, 999_999_999), (2**33 + 4, 999_999_999), (60_000, 2**31)],  # packed; two fallbacks
)
def test_the_orders_are_lexsort_s_stable_orders(seed: int, span_ms: int, mmsi_max: int) -> None:
    mmsi, time_ms, lat, lon = _rows(seed, 400, span_ms, mmsi_max)
    assert by_vessel_time(mmsi, time_ms).tolist() == np.lexsort((time_ms, mmsi)).tolist()
    got = by_vessel_time_position(mmsi, time_ms, lat, lon)
    assert got.tolist() == np.lexsort((lon, lat, time_ms, mmsi)).tolist()


def test_no_rows_and_one_row() -> None:
    empty = np.zeros(0, dtype=np.int64)
    assert by_vessel_time_position(empty, empty, empty.astype(float), empty.astype(float)).size == 0
    one = np.array([5], dtype=np.int64)
    assert by_vessel_time(one, one).tolist() == [0]
