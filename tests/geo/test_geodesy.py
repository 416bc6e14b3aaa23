from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
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
