"""The engine on the whole globe: the same geometry gives the same events at 0°, at ±180° and
near the poles (pair search and distances have no seam and no singularity)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ais_ingest.records import Record
from geo.events import Event, EventKind
from geo.geodesy import EARTH_RADIUS_M, chord_of_m, haversine_nm, interpolate_track, unit_vectors
from tests.geo.engine_scenarios import of_kind, pos, run

MOTHER, BOAT = 642100001, 642100002


def wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


def drifting(
    mmsi: int, lat: float, lon: float, start_s: float, end_s: float, every_s: float, msg_type: int
) -> list[Record]:
    """A vessel drifting north at 0.5 kn, longitudes wrapped to [-180, 180)."""
    out: list[Record] = []
    t = start_s
    while t <= end_s:
        dlat = 0.5 * 1852.0 / 3600.0 * (t - start_s) / 111_195.0
        out.append(pos(t, mmsi, lat + dlat, wrap(lon), 0.5, 0.0, msg_type))
        t += every_s
    return out


def alongside(lat: float, lon: float, apart_m: float = 150.0) -> list[Record]:
    """Two vessels side by side (east-west) for 90 minutes, centred on (lat, lon)."""
    half = apart_m / 2.0 / (111_195.0 * math.cos(math.radians(lat)))
    recs = drifting(MOTHER, lat, lon - half, 0, 5400, 10, 1)
    recs += drifting(BOAT, lat, lon + half, 5, 5400, 30, 18)
    return recs


def one_encounter(events: list[Event]) -> Event:
    (enc,) = of_kind(events, EventKind.ENCOUNTER)
    return enc


def test_an_encounter_straddling_the_antimeridian_is_found_as_at_greenwich() -> None:
    at_zero = one_encounter(run(alongside(33.4, 0.0)))
    at_180 = one_encounter(run(alongside(33.4, 180.0)))  # one vessel at 179.999E, one at 179.999W
    assert at_180.start_ms == at_zero.start_ms and at_180.end_ms == at_zero.end_ms
    assert at_180.details["min_distance_m"] == at_zero.details["min_distance_m"]
    assert at_180.lon is not None and abs(at_180.lon) > 179.99  # placed on the line, not at 0°
    assert at_180.lat is not None and at_zero.lat is not None
    assert abs(at_180.lat - at_zero.lat) < 1e-6


def test_an_encounter_at_80_north_is_found_as_at_the_equator_latitudes() -> None:
    at_80 = one_encounter(run(alongside(80.0, 20.0)))
    at_33 = one_encounter(run(alongside(33.4, 20.0)))
    assert (at_80.start_ms, at_80.end_ms) == (at_33.start_ms, at_33.end_ms)
    assert at_80.details["duration_s"] == at_33.details["duration_s"]
    assert abs(at_80.details["min_distance_m"] - at_33.details["min_distance_m"]) <= 2


def test_vessels_near_the_pole_on_different_meridians_are_paired_by_distance() -> None:
    # 300 m from the pole on meridians 90° apart: 424 m apart, a degree-based index sees 90°.
    lat = 90.0 - 300.0 / 111_195.0
    recs = [pos(t, MOTHER, lat, 0.0, 0.3) for t in range(0, 3600, 10)]
    recs += [pos(t + 5, BOAT, lat, 90.0, 0.3, msg_type=18) for t in range(0, 3600, 30)]
    enc = one_encounter(run(recs))
    assert 400 < enc.details["min_distance_m"] < 450


def test_slow_vessels_a_kilometre_apart_across_the_antimeridian_are_not_an_encounter() -> None:
    assert of_kind(run(alongside(33.4, 180.0, apart_m=1000.0)), EventKind.ENCOUNTER) == []


def test_loitering_on_the_antimeridian_is_placed_on_it() -> None:
    recs = []
    for k, t in enumerate(range(0, 7200, 60)):
        recs.append(pos(t, MOTHER, 10.0, 179.9995 if k % 2 else -179.9995, 0.2, 0.0))
    (loiter,) = of_kind(run(recs), EventKind.LOITERING)
    assert loiter.lon is not None and abs(loiter.lon) > 179.99


def test_a_vessel_sailing_across_the_antimeridian_raises_nothing() -> None:
    recs = []
    for t in range(0, 7200, 10):
        lon = 179.5 + 12.0 * 1852.0 / 3600.0 * t / (111_195.0 * math.cos(math.radians(-16.0)))
        recs.append(pos(t, 512000001, -16.0, wrap(lon), 12.0, 90.0))
    assert run(recs) == []  # no jump at the seam, no gap, no loitering


def test_a_vessel_crossing_the_pole_region_raises_nothing() -> None:
    # Along meridian 0 over the top and down meridian 180 at 12 kn: longitude flips at the pole.
    recs = []
    for t in range(0, 3600, 10):
        lat = 89.9 + 12.0 * 1852.0 / 3600.0 * t / 111_195.0
        lon = 0.0
        if lat > 90.0:
            lat, lon = 180.0 - lat, 180.0
        recs.append(pos(t, 257000001, lat, lon, 12.0, 0.0 if lon == 0.0 else 180.0))
    assert run(recs) == []


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-89.0, 89.0),
    st.floats(-180.0, 180.0),
    st.floats(-89.0, 89.0),
    st.floats(-180.0, 180.0),
    st.floats(0.0, 1.0),
)
def test_interpolated_positions_lie_on_the_great_circle_between_the_fixes(
    lat0: float, lon0: float, lat1: float, lon1: float, f: float
) -> None:
    total = float(haversine_nm(lat0, lon0, lat1, lon1))
    if total > 10_000:  # near-antipodal fixes have no unique great circle
        return
    lat, lon = interpolate_track(0.0, lat0, lon0, 1000.0, lat1, lon1, 1000.0 * f)
    a = float(haversine_nm(lat0, lon0, float(lat), float(lon)))
    b = float(haversine_nm(float(lat), float(lon), lat1, lon1))
    assert abs(a - f * total) < 1e-6 * max(total, 1.0) + 1e-7
    assert abs(a + b - total) < 1e-6 * max(total, 1.0) + 1e-7
    assert -180.0 <= float(lon) <= 180.0


@settings(max_examples=200, deadline=None)
@given(st.floats(-90.0, 90.0), st.floats(-180.0, 180.0), st.floats(-90.0, 90.0),
       st.floats(-180.0, 180.0))  # fmt: skip
def test_chord_between_unit_vectors_is_the_chord_of_the_great_circle_distance(
    lat0: float, lon0: float, lat1: float, lon1: float
) -> None:
    v = unit_vectors(np.array([lat0, lat1]), np.array([lon0, lon1]))
    chord = float(np.linalg.norm(v[0] - v[1]))
    d_m = float(haversine_nm(lat0, lon0, lat1, lon1)) * 1852.0
    assert abs(chord - chord_of_m(d_m)) < 1e-9
    assert d_m <= math.pi * EARTH_RADIUS_M + 1e-6
