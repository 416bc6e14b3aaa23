from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import Polygon

from app.store import Store
from app.store.queries import (
    _ordered,
    latest_vessels,
    replay,
    set_risk,
    track,
    track_line,
    vessels_in_area,
)

from .data import HOUR, T0, traffic


def loaded(store: Store) -> None:
    store.write_batch(traffic())


def test_latest_vessels_in_box_filtered_by_type_flag_and_risk(store: Store) -> None:
    loaded(store)
    cols = traffic().positions
    last = {int(m): i for i, m in enumerate(cols.mmsi)}  # rows are in time order per vessel
    box = (12.0, 35.0, 12.6, 36.2)
    expect = sorted(
        m
        for m, i in last.items()
        if box[0] <= cols.lon[i] <= box[2] and box[1] <= cols.lat[i] <= box[3]
    )
    got = latest_vessels(store, bbox=box)
    assert [v.mmsi for v in got] == expect
    assert all(v.time_ms == int(cols.time_ms[last[v.mmsi]]) for v in got)
    tankers = latest_vessels(store, ship_types=["tanker"])
    assert [v.mmsi for v in tankers] == [247_000_001 + i for i in range(12) if i % 3 == 1]
    assert latest_vessels(store, flags=["it"]) == latest_vessels(store)
    assert latest_vessels(store, flags=["LY"]) == []
    set_risk(store, {247_000_003: 0.9, 247_000_004: 0.2})
    assert [v.mmsi for v in latest_vessels(store, min_risk=0.5)] == [247_000_003]


def test_track_points_in_window(store: Store) -> None:
    loaded(store)
    cols = traffic().positions
    m = 247_000_005
    t0, t1 = T0 + 10 * 60_000, T0 + 20 * 60_000
    sel = (cols.mmsi == m) & (cols.time_ms >= t0) & (cols.time_ms < t1)
    got = track(store, m, t0, t1)
    np.testing.assert_array_equal(got["time"], cols.time_ms[sel])
    np.testing.assert_array_equal(got["lat"], cols.lat[sel])
    np.testing.assert_array_equal(got["sog"], cols.speed[sel])


def test_simplified_track_matches_shapely_douglas_peucker(store: Store) -> None:
    loaded(store)
    cols = traffic().positions
    m = 247_000_002
    sel = cols.mmsi == m
    line = shapely.LineString(np.column_stack([cols.lon[sel], cols.lat[sel]]))
    for tol in (0.0005, 0.002, 0.01):
        got = track_line(store, m, T0, T0 + HOUR, tol)
        want = shapely.simplify(line, tol, preserve_topology=False)
        assert got is not None
        assert shapely.equals_exact(got, want, tolerance=1e-12), (tol, got, want)
        assert len(got.coords) < len(line.coords)
    assert track_line(store, m, T0 - HOUR, T0, 0.001) is None


def test_replay_columns_in_window_and_box(store: Store) -> None:
    loaded(store)
    cols = traffic().positions
    box = (12.2, 35.2, 12.8, 35.9)
    t0, t1 = T0 + 5 * 60_000, T0 + 25 * 60_000
    sel = (
        (cols.time_ms >= t0) & (cols.time_ms < t1) & (cols.lon >= box[0]) & (cols.lon <= box[2])
        & (cols.lat >= box[1]) & (cols.lat <= box[3])
    )  # fmt: skip
    order = np.lexsort((cols.mmsi[sel], cols.time_ms[sel]))
    got = replay(store, t0, t1, box)
    assert set(got) == {"mmsi", "time", "lon", "lat", "sog", "cog"}
    assert got["time"].size > 20
    pairs = (("mmsi", cols.mmsi), ("time", cols.time_ms), ("lon", cols.lon), ("lat", cols.lat))
    for k, src in (*pairs, ("sog", cols.speed), ("cog", cols.course)):
        np.testing.assert_array_equal(got[k], src[sel][order], err_msg=k)
    assert np.isnan(got["sog"]).any()
    empty = replay(store, T0 - HOUR, T0)
    assert all(v.size == 0 for v in empty.values())


def test_retroactive_geofence_first_and_last_time_inside(store: Store) -> None:
    loaded(store)
    cols = traffic().positions
    area = Polygon([(12.3, 35.3), (12.9, 35.4), (12.7, 36.0), (12.2, 35.8)])
    t0, t1 = T0 + 3 * 60_000, T0 + 33 * 60_000
    inside = (
        shapely.intersects_xy(area, cols.lon, cols.lat) & (cols.time_ms >= t0) & (cols.time_ms < t1)
    )
    want = [
        (int(m), int(cols.time_ms[inside & (cols.mmsi == m)].min()),
         int(cols.time_ms[inside & (cols.mmsi == m)].max()), int((inside & (cols.mmsi == m)).sum()))
        for m in np.unique(cols.mmsi[inside])
    ]  # fmt: skip
    got = vessels_in_area(store, area, t0, t1)
    assert [(v.mmsi, v.first_ms, v.last_ms, v.positions) for v in got] == want
    assert len(want) >= 2


def test_point_on_the_zone_boundary_counts_as_inside(store: Store) -> None:
    loaded(store)
    cols = traffic().positions
    x, y = float(cols.lon[0]), float(cols.lat[0])
    area = Polygon([(x, y), (x + 0.001, y - 0.05), (x + 0.05, y - 0.05)])  # (x, y) is a vertex
    got = vessels_in_area(store, area, T0, T0 + HOUR)
    assert int(cols.mmsi[0]) in [v.mmsi for v in got]


def test_rows_are_ordered_by_time_mmsi_lat_lon_with_or_without_shared_keys() -> None:
    rng = np.random.default_rng(3)
    n = 5000
    cols: dict[str, npt.NDArray[Any]] = {
        "time": rng.integers(T0, T0 + HOUR, n), "mmsi": rng.integers(200_000_000, 210_000_000, n),
        "lat": rng.random(n), "lon": rng.random(n), "sog": rng.random(n).astype(np.float32),
    }  # fmt: skip
    for shared in (False, True):
        if shared:  # rows sharing (time, mmsi): the order falls back on lat and lon
            cols["time"][:50], cols["mmsi"][:50] = cols["time"][50:100], cols["mmsi"][50:100]
        want = np.lexsort((cols["lon"], cols["lat"], cols["mmsi"], cols["time"]))
        got = _ordered(cols)
        assert all(np.array_equal(got[k], v[want]) for k, v in cols.items())
