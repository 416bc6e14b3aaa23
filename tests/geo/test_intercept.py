from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from geo.geodesy import (
    EARTH_RADIUS_NM,
    LocalFrame,
    destination_point,
    haversine_nm,
    initial_bearing_deg,
    rhumb_points,
)
from geo.intercept import (
    AREA_OUTGROWS,
    BEYOND_HALF_GLOBE,
    SAME_SPEED_OPENING,
    TOO_SLOW,
    Asset,
    Target,
    intercept,
    rank_intercepts,
    solve_intercept,
    time_to_reach_area,
    time_to_zone,
    zone_entry,
)
from geo.reach import reachable_area

HOUR = 3_600_000
A = (35.0, 12.0)  # the asset's position in most cases


def ahead(bearing: float, dist: float) -> tuple[float, float]:
    return destination_point(A[0], A[1], bearing, dist)


def assert_consistent_on_the_sphere(
    i: object, asset_speed: float, t_lat: float, t_lon: float, course: float, speed: float
) -> None:
    """The great-circle check: the point is v_A t from the asset and v_T t along the track."""
    from geo.intercept import Intercept

    assert isinstance(i, Intercept)
    assert haversine_nm(A[0], A[1], i.lat, i.lon) == pytest.approx(asset_speed * i.time_h, abs=1e-6)
    assert haversine_nm(t_lat, t_lon, i.lat, i.lon) == pytest.approx(speed * i.time_h, abs=1e-6)
    along = speed * i.time_h
    if along > 1e-3:
        # A position good to 1e-6 nm fixes the bearing only to ~1e-6/along radians, so the
        # tolerance scales with distance; compare angles modulo 360 (359.99... is 0).
        tolerance = max(1e-6, math.degrees(2e-6 / along))
        bearing = initial_bearing_deg(t_lat, t_lon, i.lat, i.lon)
        off = (bearing - course + 180.0) % 360.0 - 180.0
        assert abs(off) <= tolerance


def test_head_on_closing_speeds_add() -> None:
    # Target 30 nm north coming south at 10 kn, asset at 20 kn: closing at 30 kn, 1 h,
    # meeting 20 nm north of the asset, heading north.
    t_lat, t_lon = ahead(0.0, 30.0)
    i = intercept(*A, 20.0, t_lat, t_lon, 180.0, 10.0)
    assert i is not None
    assert i.time_h == pytest.approx(1.0, abs=1e-9)
    assert i.minutes == pytest.approx(60.0, abs=1e-7)
    assert i.distance_nm == pytest.approx(20.0, abs=1e-7)
    assert i.heading_deg == pytest.approx(0.0, abs=1e-7)
    assert (i.lat, i.lon) == pytest.approx(ahead(0.0, 20.0), abs=1e-9)
    assert_consistent_on_the_sphere(i, 20.0, t_lat, t_lon, 180.0, 10.0)


def test_stern_chase_thirty_knots_after_ten_knots_twenty_nm_ahead_takes_one_hour() -> None:
    t_lat, t_lon = ahead(0.0, 20.0)
    i = intercept(*A, 30.0, t_lat, t_lon, 0.0, 10.0)
    assert i is not None
    assert i.time_h == pytest.approx(1.0, abs=1e-9)
    assert i.distance_nm == pytest.approx(30.0, abs=1e-7)
    assert i.target_run_nm == pytest.approx(10.0, abs=1e-7)
    assert i.heading_deg == pytest.approx(0.0, abs=1e-7)


def test_perpendicular_crossing_worked_by_pythagoras() -> None:
    # Target 30 nm north of the asset heading east at 8 kn; asset at 17 kn.
    # (17 t)^2 = 30^2 + (8 t)^2  ->  225 t^2 = 900  ->  t = 2 h; the target runs 16 nm,
    # the asset 34 nm, steering atan(16 / 30) = 28.07 degrees on the plane.
    t_lat, t_lon = ahead(0.0, 30.0)
    i = intercept(*A, 17.0, t_lat, t_lon, 90.0, 8.0)
    assert i is not None
    assert i.planar_time_h == pytest.approx(2.0, abs=1e-9)
    assert i.time_h == pytest.approx(2.0, rel=2e-4)  # the sphere moves it a hair
    assert i.distance_nm == pytest.approx(34.0, rel=2e-4)
    assert i.heading_deg == pytest.approx(math.degrees(math.atan2(16, 30)), abs=0.1)
    # Spherical Pythagoras (right angle at the target): cos c = cos a cos b.
    a, b, c = (x / EARTH_RADIUS_NM for x in (30.0, 8.0 * i.time_h, 17.0 * i.time_h))
    assert math.cos(c) == pytest.approx(math.cos(a) * math.cos(b), abs=1e-12)
    assert_consistent_on_the_sphere(i, 17.0, t_lat, t_lon, 90.0, 8.0)


def test_asset_too_slow_has_no_solution_and_says_why() -> None:
    # Crossing at 20 kn 30 nm off, asset 10 kn: (10 t)^2 = 900 + (20 t)^2 has no root.
    t_lat, t_lon = ahead(0.0, 30.0)
    assert intercept(*A, 10.0, t_lat, t_lon, 90.0, 20.0) is None
    result, reason = solve_intercept(*A, 10.0, t_lat, t_lon, 90.0, 20.0)
    assert result is None and reason == TOO_SLOW
    # Running straight away faster than the asset: also none.
    assert solve_intercept(*A, 10.0, t_lat, t_lon, 0.0, 12.0) == (None, TOO_SLOW)


def test_faster_target_coming_towards_the_asset_is_still_met() -> None:
    # Target faster (20 kn) but heading at the asset, 30 nm off; asset 5 kn: 30 / 25 = 1.2 h.
    t_lat, t_lon = ahead(0.0, 30.0)
    i = intercept(*A, 5.0, t_lat, t_lon, 180.0, 20.0)
    assert i is not None
    assert i.time_h == pytest.approx(1.2, abs=1e-9)
    assert i.distance_nm == pytest.approx(6.0, abs=1e-7)


def test_equal_speeds_meet_only_when_the_target_closes() -> None:
    t_lat, t_lon = ahead(0.0, 30.0)
    i = intercept(*A, 15.0, t_lat, t_lon, 180.0, 15.0)
    assert i is not None and i.time_h == pytest.approx(1.0, abs=1e-9)
    assert solve_intercept(*A, 15.0, t_lat, t_lon, 0.0, 15.0) == (None, SAME_SPEED_OPENING)


def test_asset_already_at_the_target_meets_it_at_once() -> None:
    i = intercept(*A, 25.0, *A, 123.0, 12.0)
    assert i is not None
    assert i.time_h == 0.0 and i.distance_nm == 0.0
    assert (i.lat, i.lon) == pytest.approx(A)


def test_stationary_target_is_distance_over_speed() -> None:
    t_lat, t_lon = ahead(135.0, 45.0)
    i = intercept(*A, 30.0, t_lat, t_lon, 0.0, 0.0)
    assert i is not None
    assert i.time_h == pytest.approx(1.5, abs=1e-9)
    assert i.heading_deg == pytest.approx(135.0, abs=1e-7)
    assert (i.lat, i.lon) == pytest.approx((t_lat, t_lon), abs=1e-12)


def test_asset_with_no_speed_only_meets_a_target_that_runs_into_it() -> None:
    t_lat, t_lon = ahead(0.0, 10.0)
    assert solve_intercept(*A, 0.0, t_lat, t_lon, 90.0, 10.0)[0] is None
    i = intercept(*A, 0.0, t_lat, t_lon, 180.0, 10.0)
    assert i is not None and i.time_h == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize(
    ("bearing", "dist", "course", "vt", "va"),
    [(30.0, 12.0, 250.0, 9.0, 25.0), (200.0, 40.0, 10.0, 14.0, 18.0), (95.0, 5.0, 95.0, 6.0, 40.0)],
)
def test_plane_and_great_circle_agree_for_small_distances(
    bearing: float, dist: float, course: float, vt: float, va: float
) -> None:
    t_lat, t_lon = ahead(bearing, dist)
    i = intercept(*A, va, t_lat, t_lon, course, vt)
    assert i is not None
    assert i.time_h == pytest.approx(i.planar_time_h, rel=1e-3)
    assert_consistent_on_the_sphere(i, va, t_lat, t_lon, course, vt)


def test_negative_speeds_are_refused() -> None:
    with pytest.raises(ValueError):
        intercept(*A, -1.0, 35.1, 12.0, 0.0, 5.0)


def test_rank_intercepts_sorts_by_time_and_puts_the_unreachable_last_with_reasons() -> None:
    tgt = Target(*ahead(0.0, 20.0), course_deg=0.0, speed_kn=10.0, mmsi=247123456)
    assets = [
        Asset("too slow", *A, 8.0),
        Asset("cutter", *A, 30.0),  # 1 h
        Asset("helicopter", *A, 110.0, kind="aircraft"),  # 20 / 100 = 0.2 h
        Asset("patrol boat", *ahead(0.0, 10.0), 20.0),  # 10 / 10 = 1 h, tie with the cutter
        Asset("idle", *A, 0.0),
    ]
    ranked = rank_intercepts(assets, tgt)
    assert [r.asset.name for r in ranked] == [
        "helicopter",
        "cutter",
        "patrol boat",
        "too slow",
        "idle",
    ]
    assert [None if r.intercept is None else round(r.intercept.time_h, 6) for r in ranked] == [
        0.2,
        1.0,
        1.0,
        None,
        None,
    ]
    assert ranked[3].reason == TOO_SLOW
    assert ranked[4].reason is not None
    d = ranked[0].to_dict()
    assert d["asset"] == "helicopter" and d["intercept"]["minutes"] == pytest.approx(12.0)
    assert ranked[3].to_dict()["intercept"] is None


def test_time_to_reach_an_open_water_area_by_hand() -> None:
    # Fix 100 nm east, dark 2 h at up to 15 kn: a 30 nm disc that keeps growing at 15 kn.
    # Asset at 40 kn: near edge 70 nm off closes at 55 kn -> 1.273 h;
    # whole area: 40 tau = 100 + 30 + 15 tau -> tau = 5.2 h.
    lat, lon = ahead(90.0, 100.0)
    area = reachable_area(lat, lon, 0, 2 * HOUR, last_speed_kn=10.0, max_speed_kn=15.0)
    r = time_to_reach_area(Asset("patrol", *A, 40.0), area)
    assert r.nearest_nm == pytest.approx(70.0, abs=0.05)
    assert r.farthest_nm == pytest.approx(130.0, abs=1e-6)
    assert r.nearest_h == pytest.approx(70.0 / 55.0, abs=1e-3)
    assert r.cover_h is not None
    assert r.cover_h == pytest.approx(5.2, abs=1e-6)
    # At that time the grown area is indeed within the asset's own reach.
    later = reachable_area(
        lat, lon, 0, round((2 + r.cover_h) * HOUR), last_speed_kn=10.0, max_speed_kn=15.0
    )
    coords = shapely.get_coordinates(later.geometry)
    far = haversine_nm(A[0], A[1], coords[:, 1], coords[:, 0]).max()
    assert far <= 40.0 * r.cover_h * 1.0015


def test_asset_inside_the_area_is_there_already() -> None:
    area = reachable_area(*ahead(0.0, 5.0), 0, HOUR, last_speed_kn=10.0, max_speed_kn=15.0)
    r = time_to_reach_area(Asset("patrol", *A, 30.0), area)
    assert r.nearest_h == 0.0 and r.nearest_nm == 0.0
    assert r.cover_h == pytest.approx((5.0 + 15.0) / 15.0, abs=1e-6)


def test_area_that_outgrows_the_asset_cannot_be_covered() -> None:
    area = reachable_area(*ahead(0.0, 50.0), 0, HOUR, last_speed_kn=10.0, max_speed_kn=45.0)
    r = time_to_reach_area(Asset("slow", *A, 30.0), area)
    assert r.cover_h is None and r.reason == AREA_OUTGROWS
    assert r.nearest_h == pytest.approx(5.0 / 75.0, abs=1e-3)
    assert r.to_dict()["cover_h"] is None


def test_land_clipped_area_is_covered_no_later_than_the_open_water_disc() -> None:
    frame = LocalFrame(*A)
    wall = frame.to_lonlat(shapely.segmentize(box(-30.0, 38.0, 30.0, 40.0), 0.5))
    fix = ahead(0.0, 50.0)  # the wall is between the asset and the far side of the fix
    clipped = reachable_area(*fix, 0, HOUR, last_speed_kn=5.0, max_speed_kn=15.0, land=wall)
    disc = reachable_area(*fix, 0, HOUR, last_speed_kn=5.0, max_speed_kn=15.0)
    asset = Asset("patrol", *A, 35.0)
    rc, rd = time_to_reach_area(asset, clipped), time_to_reach_area(asset, disc)
    assert rc.cover_h is not None and rd.cover_h is not None
    assert rc.cover_h <= rd.cover_h + 1e-9
    assert rd.cover_h == pytest.approx((50.0 + 15.0) / 20.0, abs=1e-6)
    assert rc.nearest_nm > rd.nearest_nm  # the near side is behind the wall


def box_ahead(dist_nm: float, course: float = 0.0) -> Polygon:
    """A 1-degree box whose near edge is `dist_nm` straight ahead on `course` (0 or 90)."""
    (lat,), (lon,) = rhumb_points(A[0], A[1], course, np.array([dist_nm]))
    if course == 0.0:
        return box(A[1] - 0.5, lat, A[1] + 0.5, lat + 1.0)
    return box(lon, A[0] - 0.5, lon + 1.0, A[0] + 0.5)


def test_time_to_zone_crossing_a_square_at_a_known_distance() -> None:
    assert time_to_zone(*A, 0.0, 12.0, box_ahead(30.0)) == pytest.approx(2.5, abs=1e-6)
    assert time_to_zone(*A, 90.0, 10.0, box_ahead(45.0, 90.0)) == pytest.approx(4.5, abs=1e-6)
    entry = zone_entry(*A, 90.0, 10.0, box_ahead(45.0, 90.0))
    assert entry is not None
    assert entry.lat == pytest.approx(A[0], abs=1e-9)  # a rhumb line east keeps its latitude
    assert entry.distance_nm == pytest.approx(45.0, abs=1e-5)


def test_time_to_zone_through_a_corner_on_a_diagonal_course() -> None:
    # Course 045 on the rhumb line: the zone starts 21 nm north (the north-south progress
    # is d cos 45, exact on a rhumb line), so d = 21 / cos 45 = 29.7 nm, 2.97 h at 10 kn.
    (lat,), _ = rhumb_points(A[0], A[1], 0.0, np.array([21.0]))
    zone = box(A[1] - 1.0, lat, A[1] + 3.0, lat + 1.0)
    assert time_to_zone(*A, 45.0, 10.0, zone) == pytest.approx(
        21 / math.cos(math.pi / 4) / 10, 1e-6
    )


def test_first_entry_counts_when_the_track_crosses_a_zone_twice() -> None:
    near, far = box_ahead(10.0, 90.0), box_ahead(80.0, 90.0)
    zone = shapely.union_all([near, far])
    assert time_to_zone(*A, 90.0, 20.0, zone) == pytest.approx(0.5, abs=1e-6)


def test_time_to_zone_is_zero_inside_and_none_when_missed_or_too_far() -> None:
    zone = box_ahead(30.0)
    inside = (zone.centroid.y, zone.centroid.x)
    assert time_to_zone(*inside, 0.0, 10.0, zone) == 0.0
    assert time_to_zone(*inside, 0.0, 0.0, zone) == 0.0
    assert time_to_zone(*A, 180.0, 10.0, zone) is None  # heading away
    assert time_to_zone(*A, 0.0, 0.0, zone) is None  # stopped outside
    assert time_to_zone(*A, 0.0, 10.0, zone, horizon_h=2.0) is None  # 3 h away
    assert time_to_zone(*A, 0.0, 10.0, zone, horizon_h=3.5) == pytest.approx(3.0, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    bearing=st.floats(0.0, 360.0),
    dist=st.floats(0.5, 80.0),
    course=st.floats(0.0, 360.0),
    vt=st.floats(0.0, 40.0),
    va=st.floats(1.0, 60.0),
)
def test_intercept_is_the_earliest_meeting_on_the_sphere(
    bearing: float, dist: float, course: float, vt: float, va: float
) -> None:
    t_lat, t_lon = ahead(bearing, dist)
    i, reason = solve_intercept(*A, va, t_lat, t_lon, course, vt)

    def gap(t: float) -> float:
        """Target's distance from the asset minus how far the asset can run by time t."""
        p = destination_point(t_lat, t_lon, course, vt * t)
        return float(haversine_nm(A[0], A[1], *p)) - va * t

    if i is None:
        assert reason is not None
        # Never caught: over a long look-ahead the target stays out of the asset's reach.
        assert all(gap(t) > -1e-6 for t in np.linspace(0.0, 100.0, 201))
        return
    assert_consistent_on_the_sphere(i, va, t_lat, t_lon, course, vt)
    # Earliest: before it, the target was always out of reach.
    assert all(gap(t) > -1e-6 for t in np.linspace(0.0, i.time_h, 50)[:-1])


def test_a_chase_that_closes_at_a_hairs_speed_has_no_intercept() -> None:
    """1 kn after a target a mile ahead at 0.99999 kn: 100,000 h of laps round the globe.

    The planar answer then put the meeting 8,073 nm from the asset after a run of 100,000 nm
    (hypothesis found it): beyond half the globe no course reaches the target.
    """
    t_lat, t_lon = ahead(0.0, 1.0)
    assert solve_intercept(*A, 1.0, t_lat, t_lon, 0.0, 0.99999) == (None, BEYOND_HALF_GLOBE)
    i = intercept(*A, 1.0, t_lat, t_lon, 0.0, 0.9)  # 10 h: still one
    assert i is not None and i.time_h == pytest.approx(10.0, rel=1e-3)
