from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import Point

from geo.geodesy import (
    EARTH_RADIUS_M,
    EARTH_RADIUS_NM,
    LocalFrame,
    destination_point,
    geodesic_area_nm2,
    haversine_nm,
    initial_bearing_deg,
    pairs_within,
    pairs_within_each,
    rhumb_points,
)


def test_one_degree_of_arc_is_r_times_pi_over_180_nm() -> None:
    assert haversine_nm(10.0, 20.0, 11.0, 20.0) == pytest.approx(EARTH_RADIUS_NM * math.pi / 180)


def test_haversine_is_vectorised_over_arrays() -> None:
    d = haversine_nm(np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.array([0.0, 1.0]), 0.0)
    assert d == pytest.approx([0.0, 60.04], abs=0.01)


@pytest.mark.parametrize("bearing", [0.0, 45.0, 135.0, 200.0, 315.0])
def test_destination_then_distance_and_bearing_round_trip(bearing: float) -> None:
    lat, lon = destination_point(35.5, 12.6, bearing, 37.5)
    assert haversine_nm(35.5, 12.6, lat, lon) == pytest.approx(37.5, abs=1e-9)
    assert initial_bearing_deg(35.5, 12.6, lat, lon) == pytest.approx(bearing, abs=1e-9)


def test_bearing_due_east_and_west_on_the_equator() -> None:
    assert initial_bearing_deg(0, 0, 0, 1) == pytest.approx(90.0)
    assert initial_bearing_deg(0, 0, 0, -1) == pytest.approx(270.0)


def test_rhumb_line_holds_its_course_and_distance() -> None:
    d = np.linspace(0.0, 300.0, 7)
    lats, lons = rhumb_points(35.0, 12.0, 60.0, d)
    # Along a rhumb line, north-south progress is d * cos(course) exactly.
    assert np.degrees(d * math.cos(math.radians(60.0)) / EARTH_RADIUS_NM) == pytest.approx(
        lats - 35.0
    )
    # A 50 nm leg of it is nearly the great-circle leg of the same length; the great circle
    # starts poleward of the rhumb line by about dlon * sin(lat) / 2 = 0.25 degrees here.
    assert haversine_nm(lats[0], lons[0], lats[1], lons[1]) == pytest.approx(50.0, rel=1e-4)
    dlon = lons[1] - lons[0]
    expected = 60.0 - dlon * math.sin(math.radians(35.2)) / 2
    assert initial_bearing_deg(lats[0], lons[0], lats[1], lons[1]) == pytest.approx(
        expected, abs=0.01
    )


def test_local_frame_distance_from_centre_is_exact() -> None:
    frame = LocalFrame(35.5, 12.6)
    for bearing, dist in [(10.0, 5.0), (100.0, 80.0), (250.0, 400.0)]:
        lat, lon = destination_point(35.5, 12.6, bearing, dist)
        x, y = frame.forward(lat, lon)
        assert math.hypot(x, y) == pytest.approx(dist, rel=1e-9)
        assert math.degrees(math.atan2(x, y)) % 360 == pytest.approx(bearing, abs=1e-7)


def test_local_frame_round_trips() -> None:
    frame = LocalFrame(35.5, 12.6)
    lats = np.array([35.5, 34.0, 37.2, 35.5])
    lons = np.array([12.6, 11.0, 15.9, 13.0])
    back = frame.inverse(*frame.forward(lats, lons))
    assert back[0] == pytest.approx(lats, abs=1e-10)
    assert back[1] == pytest.approx(lons, abs=1e-10)


def test_local_frame_agrees_with_proj_aeqd_on_the_same_sphere() -> None:
    frame = LocalFrame(35.5, 12.6)
    t = Transformer.from_crs(
        f"+proj=lonlat +R={EARTH_RADIUS_M}",
        f"+proj=aeqd +lat_0=35.5 +lon_0=12.6 +R={EARTH_RADIUS_M} +units=m",
        always_xy=True,
    )
    lons = np.array([10.0, 12.6, 14.2, 18.0])
    lats = np.array([33.0, 36.9, 35.4, 38.0])
    px, py = t.transform(lons, lats)
    x, y = frame.forward(lats, lons)
    assert x * 1852.0 == pytest.approx(px, abs=1e-3)
    assert y * 1852.0 == pytest.approx(py, abs=1e-3)


def test_geometry_transform_round_trip() -> None:
    frame = LocalFrame(35.5, 12.6)
    disc = Point(0, 0).buffer(30.0)
    back = frame.to_local(frame.to_lonlat(disc))
    assert shapely.equals_exact(back, disc, tolerance=1e-8)


def test_spherical_area_of_a_geodesic_disc() -> None:
    frame = LocalFrame(35.5, 12.6)
    disc = frame.to_lonlat(Point(0, 0).buffer(30.0, quad_segs=64))
    # pi r^2 on the plane; the cap of radius r on a sphere is 2 pi R^2 (1 - cos(r/R)).
    cap = 2 * math.pi * EARTH_RADIUS_NM**2 * (1 - math.cos(30.0 / EARTH_RADIUS_NM))
    assert geodesic_area_nm2(disc) == pytest.approx(cap, rel=5e-4)


_GRID_POINTS = st.lists(
    st.tuples(*[st.integers(0, 3)] * 3), max_size=30
)  # a coarse grid: ties on every axis, and pairs exactly ``reach`` apart


@given(_GRID_POINTS, st.sampled_from([0.0, 1.0, 1.5, 3.0]), st.integers(0, 31))
def test_pairs_within_a_late_rows_pairs_are_the_full_answers_in_its_order(
    points: list[tuple[int, int, int]], reach: float, first_new: int
) -> None:
    xyz = np.array(points, dtype=float).reshape(-1, 3)
    full = pairs_within(xyz, reach)
    brute = {
        (i, j)
        for i in range(len(xyz))
        for j in range(i + 1, len(xyz))
        if np.sum((xyz[i] - xyz[j]) ** 2) <= reach * reach
    }
    assert {(int(i), int(j)) for i, j in full} == brute
    late = full[(full[:, 0] >= first_new) | (full[:, 1] >= first_new)]
    assert pairs_within(xyz, reach, first_new=first_new).tolist() == late.tolist()


@given(st.lists(st.tuples(_GRID_POINTS, st.integers(0, 31)), max_size=6))
def test_pairs_within_each_is_pairs_within_of_each_set_in_turn(
    sets: list[tuple[list[tuple[int, int, int]], int]],
) -> None:
    xyzs = [np.array(points, dtype=float).reshape(-1, 3) for points, _ in sets]
    want = [
        (s, int(i), int(j))
        for s, (xyz, (_, first_new)) in enumerate(zip(xyzs, sets, strict=True))
        for i, j in pairs_within(xyz, 1.5, first_new=first_new)
    ]
    at, i, j = pairs_within_each(
        np.concatenate([np.zeros((0, 3)), *xyzs]),
        np.array([len(xyz) for xyz in xyzs], np.intp),
        1.5,
        np.array([first_new for _, first_new in sets], np.intp),
    )
    assert list(zip(at.tolist(), i.tolist(), j.tolist(), strict=True)) == want


def test_pairs_within_each_sorts_large_sets_alone_to_the_same_answer() -> None:
    rng = np.random.default_rng(7)
    xyzs = [rng.integers(0, 30, (2500, 3)).astype(float) for _ in range(2)]  # ties everywhere
    firsts = [0, 2400]
    want = [
        (s, int(i), int(j))
        for s, (xyz, first_new) in enumerate(zip(xyzs, firsts, strict=True))
        for i, j in pairs_within(xyz, 1.5, first_new=first_new)  # 2,500 rows: the one sort
    ]
    at, i, j = pairs_within_each(
        np.concatenate(xyzs), np.array([2500, 2500]), 1.5, np.array(firsts)
    )
    assert list(zip(at.tolist(), i.tolist(), j.tolist(), strict=True)) == want
