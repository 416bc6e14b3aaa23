"""Dead reckoning of a suspect to "now", and intercepts solved from where it is now.

Worked by hand: at 35°N a minute of latitude is one nautical mile on the mean sphere to 0.1 %,
and a fix 5 minutes old at 20 kn has moved 20 * 5 / 60 = 1.667 nm along its course.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo.geodesy import (
    EARTH_RADIUS_NM,
    destination_point,
    haversine_nm,
    initial_bearing_deg,
    rhumb_destination,
    rhumb_points,
)
from geo.intercept import (
    COURSE_UNKNOWN,
    MAX_DEAD_RECKONING_H,
    SAME_SPEED_OPENING,
    SPEED_UNKNOWN,
    TOO_SLOW,
    Asset,
    dead_reckon,
    intercept,
    rank_intercepts,
    solve_intercept,
)

MIN = 60_000
FIX = (35.0, 12.0)


@pytest.mark.parametrize("course", [0.0, 45.0, 90.0, 200.0, 315.0])
def test_five_minute_old_fix_at_twenty_knots_moves_one_point_six_seven_nm_along_course(
    course: float,
) -> None:
    dr = dead_reckon(*FIX, course, 20.0, 0, 5 * MIN)
    assert dr.motion == "underway" and dr.reason is None and dr.projected
    assert dr.age_s == 300.0
    assert dr.run_nm == pytest.approx(20.0 * 5 / 60, abs=1e-12)  # 1.6667 nm
    assert float(haversine_nm(*FIX, dr.lat, dr.lon)) == pytest.approx(5 / 3, abs=1e-5)
    # Over 1.7 nm the rhumb line and the great circle's initial bearing agree to 0.01°.
    off = (initial_bearing_deg(*FIX, dr.lat, dr.lon) - course + 180.0) % 360.0 - 180.0
    assert abs(off) < 0.01
    # The target keeps the course and speed it reported; only its position moved.
    target = dr.target(247_000_001)
    assert target is not None
    assert (target.lat, target.lon, target.course_deg, target.speed_kn) == (
        dr.lat,
        dr.lon,
        course,
        20.0,
    )
    assert (dr.fix_lat, dr.fix_lon) == FIX


def test_due_north_the_projection_is_a_minute_of_latitude_per_mile() -> None:
    dr = dead_reckon(*FIX, 0.0, 20.0, 0, 5 * MIN)
    assert dr.lon == FIX[1]
    assert dr.lat - FIX[0] == pytest.approx(math.degrees(5 / 3 / EARTH_RADIUS_NM), abs=1e-12)


def test_an_unknown_course_is_not_taken_as_north() -> None:
    for course in (None, 360.0, float("nan"), -1.0, 511.0):
        dr = dead_reckon(*FIX, course, 12.0, 0, 5 * MIN)
        assert dr.motion == "course_unknown" and dr.reason == COURSE_UNKNOWN
        assert dr.target() is None
        assert (dr.lat, dr.lon) == FIX and not dr.projected
        assert dr.age_s == 300.0


def test_an_unknown_speed_gives_the_reason_whatever_the_course() -> None:
    dr = dead_reckon(*FIX, 90.0, None, 0, MIN)
    assert dr.motion == "speed_unknown" and dr.reason == SPEED_UNKNOWN and dr.target() is None


def test_a_stopped_vessel_is_met_at_its_fix_even_without_a_course() -> None:
    for course in (None, 137.0):
        dr = dead_reckon(*FIX, course, 0.3, 0, 20 * MIN)
        assert dr.motion == "stationary" and dr.reason is None and not dr.projected
        target = dr.target()
        assert target is not None and target.speed_kn == 0.0 and (target.lat, target.lon) == FIX
    # A 30 kn asset 15 nm south meets it where it lies, in half an hour, steering north.
    start = destination_point(*FIX, 180.0, 15.0)
    stopped = dead_reckon(*FIX, None, 0.0, 0, 20 * MIN).target()
    assert stopped is not None
    (r,) = rank_intercepts([Asset("cutter", *start, 30.0)], stopped)
    assert r.intercept is not None
    assert r.intercept.time_h == pytest.approx(0.5, abs=1e-9)
    assert (r.intercept.lat, r.intercept.lon) == pytest.approx(FIX, abs=1e-12)
    assert r.intercept.heading_deg == pytest.approx(0.0, abs=1e-7)


def test_a_fix_older_than_the_limit_is_not_dead_reckoned() -> None:
    old = int((MAX_DEAD_RECKONING_H * 60 + 5) * MIN)
    dr = dead_reckon(*FIX, 90.0, 12.0, 0, old)
    assert dr.motion == "stale_fix" and dr.reason is not None and "65 min" in dr.reason
    assert dr.target() is None
    assert dead_reckon(*FIX, 90.0, 12.0, 0, int(MAX_DEAD_RECKONING_H * 60 * MIN)).reason is None


def test_a_clock_behind_the_fix_does_not_move_it_backwards() -> None:
    dr = dead_reckon(*FIX, 90.0, 12.0, 10 * MIN, 9 * MIN)
    assert dr.age_s == 0.0 and (dr.lat, dr.lon) == FIX and dr.reason is None


def test_stern_chase_from_the_projected_position_by_hand() -> None:
    # Fix 10 nm east of the asset, 5 min old, making 20 kn east: it is now 11.667 nm ahead.
    # A 30 kn asset closes at 10 kn: 1.1667 h, not the 1 h the stale fix would give.
    fix = rhumb_destination(*FIX, 90.0, 10.0)
    target = dead_reckon(*fix, 90.0, 20.0, 0, 5 * MIN).target()
    assert target is not None
    fast = solve_intercept(*FIX, 30.0, target.lat, target.lon, 90.0, 20.0)[0]
    assert fast is not None
    # (The chord along a parallel is a hair shorter than the rhumb run: 1e-6 relative.)
    assert fast.planar_time_h == pytest.approx((10.0 + 5 / 3) / 10.0, rel=1e-5)
    assert fast.time_h == pytest.approx(35 / 30, rel=2e-4)  # the sphere moves it a hair
    stale = intercept(*FIX, 30.0, *fix, 90.0, 20.0)
    assert stale is not None and stale.time_h == pytest.approx(1.0, rel=2e-4)
    # Equal speeds astern: never closes. Slower: never either.
    assert solve_intercept(*FIX, 20.0, target.lat, target.lon, 90.0, 20.0) == (
        None,
        SAME_SPEED_OPENING,
    )
    assert solve_intercept(*FIX, 15.0, target.lat, target.lon, 90.0, 20.0) == (None, TOO_SLOW)


def test_equal_speeds_head_on_meet_half_way_by_hand() -> None:
    # 20 nm apart on a meridian, both at 12 kn towards each other: 20 / 24 h, 10 nm each.
    t_lat, t_lon = destination_point(*FIX, 0.0, 20.0)
    i = intercept(*FIX, 12.0, t_lat, t_lon, 180.0, 12.0)
    assert i is not None
    assert i.time_h == pytest.approx(20 / 24, abs=1e-9)
    assert i.distance_nm == pytest.approx(10.0, abs=1e-7)
    # Equal speeds crossing at right angles, 20 nm off: (12 t)^2 = 400 + (12 t)^2 has no root.
    assert solve_intercept(*FIX, 12.0, t_lat, t_lon, 90.0, 12.0) == (None, SAME_SPEED_OPENING)


def test_at_two_hundred_nm_the_answer_is_on_the_sphere_not_the_plane() -> None:
    # The asset 200 nm west of a target running east at 20 kn; 25 kn closes at 5 kn: 40 h on
    # the plane. The refined time is exact on the sphere: v_A t from the asset.
    t_lat, t_lon = destination_point(*FIX, 45.0, 200.0)
    i = intercept(*FIX, 25.0, t_lat, t_lon, 150.0, 20.0)
    assert i is not None
    assert float(haversine_nm(*FIX, i.lat, i.lon)) == pytest.approx(25.0 * i.time_h, abs=1e-6)
    assert float(haversine_nm(t_lat, t_lon, i.lat, i.lon)) == pytest.approx(
        20.0 * i.time_h, abs=1e-6
    )
    assert abs(i.time_h - i.planar_time_h) * 25.0 < 1.0  # the plane's guess was within 1 nm


@pytest.mark.parametrize(("run", "offset"), [(50.0, 0.25), (100.0, 1.02), (200.0, 4.07)])
def test_great_circle_and_rhumb_line_part_as_the_module_docstring_says(
    run: float, offset: float
) -> None:
    # Same start and initial course 090 at 35°N: the ends part by about d² tan(lat) / (2 R).
    g = destination_point(*FIX, 90.0, run)
    lats, lons = rhumb_points(*FIX, 90.0, np.array([run]))
    apart = float(haversine_nm(g[0], g[1], float(lats[0]), float(lons[0])))
    assert apart == pytest.approx(offset, abs=0.01)
    assert apart == pytest.approx(
        run**2 * math.tan(math.radians(35.0)) / (2 * EARTH_RADIUS_NM), rel=0.01
    )
