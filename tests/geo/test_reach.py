from __future__ import annotations

import heapq
import json
import math
from typing import Any

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, box, shape

from geo import shipped
from geo.geodesy import EARTH_RADIUS_NM, LocalFrame, geodesic_area_nm2, haversine_nm
from geo.land import load_land
from geo.reach import MAX_RADIUS_NM, reachable_area
from geo.vessel_speeds import GO_FAST, UNKNOWN, max_speed_kn, speed_class

HOUR = 3_600_000
COAST = shipped.LAND_FILE
FIX = (35.0, 12.0)  # open water south-west of Malta, used for the synthetic coasts
FRAME = LocalFrame(*FIX)


@pytest.fixture(scope="module")
def land() -> Any:
    return load_land(COAST)


@pytest.fixture(scope="module")
def lampedusa() -> Any:
    with COAST.open() as fh:
        features = json.load(fh)["features"]
    (island,) = [
        shape(f["geometry"])
        for f in features
        if "Lampedusa" in (f["properties"].get("names") or [])
    ]
    return island


def synthetic(x0: float, y0: float, x1: float, y1: float) -> Any:
    """A rectangle given in nm in the frame of FIX, as lon/lat land."""
    return FRAME.to_lonlat(shapely.segmentize(box(x0, y0, x1, y1), 0.5))


def at(x: float, y: float) -> Point:
    lat, lon = FRAME.inverse(x, y)
    return Point(float(lon), float(lat))


def reach(radius_nm: float, land: Any, fix: tuple[float, float] = FIX, **kw: Any) -> Any:
    # 15 kn for radius/15 h; elapsed rounded to the millisecond.
    return reachable_area(
        *fix,
        0,
        round(radius_nm / 15.0 * HOUR),
        last_speed_kn=8.0,
        max_speed_kn=15.0,
        land=land,
        **kw,
    )


def sea_path_nm(island_local: Any, a: tuple[float, float], b: tuple[float, float]) -> float:
    """Exact shortest sea path round one polygon: Dijkstra on its visibility graph."""
    nodes = [a, b, *list(island_local.exterior.coords)[:-1]]
    inside = island_local.buffer(-1e-6)

    def visible(p: tuple[float, float], q: tuple[float, float]) -> bool:
        return not LineString([p, q]).intersects(inside)

    best = {0: 0.0}
    queue = [(0.0, 0)]
    done: set[int] = set()
    while queue:
        d, i = heapq.heappop(queue)
        if i in done:
            continue
        if i == 1:
            return d
        done.add(i)
        for j, q in enumerate(nodes):
            if j not in done and visible(nodes[i], q):
                nd = d + math.dist(nodes[i], q)
                if nd < best.get(j, math.inf):
                    best[j] = nd
                    heapq.heappush(queue, (nd, j))
    raise AssertionError("no path")


def test_open_water_radius_after_two_hours_at_fifteen_knots_is_thirty_nm() -> None:
    a = reachable_area(*FIX, 0, 2 * HOUR, last_speed_kn=11.0, max_speed_kn=15.0)
    assert a.radius_nm == pytest.approx(30.0)
    assert a.elapsed_h == pytest.approx(2.0)
    coords = shapely.get_coordinates(a.geometry)
    d = haversine_nm(FIX[0], FIX[1], coords[:, 1], coords[:, 0])
    # Circumscribed polygon: never inside the circle, at most 0.12 % outside it.
    assert d.min() >= 30.0 - 1e-6
    assert d.max() <= 30.0 * 1.0013
    cap = 2 * math.pi * EARTH_RADIUS_NM**2 * (1 - math.cos(30.0 / EARTH_RADIUS_NM))
    assert a.area_nm2 == pytest.approx(cap, rel=2e-3)
    assert not a.land_clipped


def test_observed_speed_above_the_class_bound_widens_the_area() -> None:
    a = reachable_area(*FIX, 0, HOUR, last_speed_kn=22.0, max_speed_kn=15.0)
    assert a.max_speed_kn == 22.0
    assert a.radius_nm == pytest.approx(22.0)


def test_no_elapsed_time_is_the_fix_itself() -> None:
    a = reachable_area(*FIX, 5000, 5000, last_speed_kn=None, max_speed_kn=15.0)
    assert a.geometry.equals(Point(FIX[1], FIX[0]))
    assert a.area_nm2 == 0.0


def test_time_before_the_fix_is_refused() -> None:
    with pytest.raises(ValueError):
        reachable_area(*FIX, 10_000, 0, last_speed_kn=None, max_speed_kn=15.0)


def test_very_long_gaps_are_capped_and_flagged() -> None:
    a = reachable_area(*FIX, 0, 1000 * HOUR, last_speed_kn=None, max_speed_kn=15.0)
    assert a.capped
    assert a.radius_nm == 15_000.0
    assert max(a.geometry.bounds[3] - FIX[0], 0) < MAX_RADIUS_NM / 60 + 1


def test_area_behind_lampedusa_needs_a_way_round(land: Any, lampedusa: Any) -> None:
    fix = (35.480, 12.600)  # just south of Lampedusa
    north = Point(12.600, 35.530)  # straight across the island, 3.0 nm
    frame = LocalFrame(*fix)
    nx, ny = frame.forward(north.y, north.x)
    straight = math.hypot(float(nx), float(ny))
    way_round = sea_path_nm(frame.to_local(lampedusa), (0.0, 0.0), (float(nx), float(ny)))
    assert straight == pytest.approx(3.0, abs=0.01)
    assert way_round == pytest.approx(4.75, abs=0.01)

    short = reach(3.6, land, fix)  # more than the straight line, less than the way round
    assert land.contains(Point(12.600, 35.505))  # the island is really in the way
    assert not short.geometry.contains(north)
    assert shapely.difference(Point(0, 0).buffer(3.6), frame.to_local(land)).contains(
        Point(float(nx), float(ny))
    ), "disc minus land would (wrongly) claim it"
    # First included within about one step and 2 % short of the exact way round.
    assert not reach(way_round * 0.97 - 0.1, land, fix).geometry.contains(north)
    assert reach(way_round + 0.05, land, fix).geometry.contains(north)


def test_reachable_area_contains_no_land(land: Any) -> None:
    a = reach(30.0, land, (35.48, 12.60))
    assert a.land_clipped
    on_land = shapely.intersection(a.geometry, land)
    assert on_land.is_empty or geodesic_area_nm2(on_land) < 1e-3
    # Lampedusa and Linosa are cut out, the sea round them is kept.
    assert not a.geometry.contains(Point(12.57, 35.51))
    assert a.geometry.contains(Point(12.60, 35.60))


def test_peninsula_must_be_rounded_at_its_tip() -> None:
    # A 1 nm thick peninsula from far west to x = 5 nm, between y = 2 and y = 3 nm. The point
    # (0, 6) is 6 nm away straight, but the way round is via the corners (5, 2) and (5, 3):
    # sqrt(5**2 + 2**2) + 1 + sqrt(5**2 + 3**2) = 12.216 nm.
    peninsula = synthetic(-60.0, 2.0, 5.0, 3.0)
    target = at(0.0, 6.0)
    way_round = math.hypot(5, 2) + 1 + math.hypot(5, 3)
    assert way_round == pytest.approx(12.216, abs=1e-3)
    assert not reach(10.0, peninsula).geometry.contains(target)
    assert not reach(way_round * 0.98 - 0.3, peninsula).geometry.contains(target)
    assert reach(way_round + 0.1, peninsula).geometry.contains(target)
    # Open water south of the peninsula is the plain disc.
    a = reach(10.0, peninsula)
    assert a.geometry.contains(at(0.0, -9.9))
    assert a.geometry.contains(at(-9.0, 1.9))


def test_thin_wall_is_never_jumped_even_with_long_steps() -> None:
    # A wall 0.1 nm thick, 40 nm either side, with steps of 30/48 = 0.6 nm: nothing north of
    # it is within 30 nm by sea (the way round is over 80 nm).
    wall = synthetic(-40.0, 1.0, 40.0, 1.1)
    a = reach(30.0, wall)
    assert a.step_nm > 0.5
    north = FRAME.to_local(a.geometry).intersection(box(-50, 1.1, 50, 50))
    assert north.is_empty or north.area < 1e-6


def test_c_shaped_harbour_opens_only_through_its_mouth() -> None:
    # A square harbour wall round the fix (inside 4x4 nm, 1 nm thick) open to the east
    # between y = -0.5 and y = 0.5. The point (-3.5, 0), just west of the west wall, is
    # 3.5 nm away straight but must be reached out through the mouth and round the harbour.
    walls = shapely.union_all(
        [
            synthetic(-3.0, 2.0, 3.0, 3.0),  # north wall
            synthetic(-3.0, -3.0, 3.0, -2.0),  # south wall
            synthetic(-3.0, -3.0, -2.0, 3.0),  # west wall
            synthetic(2.0, 0.5, 3.0, 3.0),  # east wall, north of the mouth
            synthetic(2.0, -3.0, 3.0, -0.5),  # east wall, south of the mouth
        ]
    )
    behind = at(-3.5, 0.0)
    # Out through the mouth to (3, 0.5), round the corner (3, 3), along to (-3, 3), down.
    way_round = math.hypot(3.0, 0.5) + 2.5 + 6.0 + math.hypot(0.5, 3.0)
    inside = reach(2.0, walls)
    assert inside.geometry.contains(at(1.0, 1.0))
    assert not inside.geometry.contains(at(2.5, 1.5))  # in the wall
    assert not reach(way_round * 0.98 - 0.3, walls).geometry.contains(behind)
    assert reach(way_round + 0.1, walls).geometry.contains(behind)


def test_growth_is_monotonic_with_time(land: Any) -> None:
    fix = (35.48, 12.60)
    small = reach(5.0, land, fix).geometry
    large = reach(12.0, land, fix).geometry
    assert shapely.difference(small, large.buffer(1e-7)).area < 1e-9


def test_fix_on_land_starts_from_the_nearest_coast(land: Any) -> None:
    a = reach(5.0, land, (35.505, 12.60))  # inside Lampedusa
    assert a.start_snapped_nm > 0.0
    assert a.area_nm2 > 10.0
    assert not a.geometry.contains(Point(12.60, 35.505))


def test_likely_area_is_the_sector_round_the_last_course_inside_the_reach() -> None:
    a = reachable_area(*FIX, 0, 2 * HOUR, last_speed_kn=10.0, max_speed_kn=15.0, course_deg=45.0)
    assert a.likely is not None and a.likely_area_nm2 is not None
    assert a.parameters["likely_min_nm"] == pytest.approx(15.0)
    assert a.parameters["likely_max_nm"] == pytest.approx(25.0)
    # +-30 degrees of 15..25 nm: (60/360) * pi * (25**2 - 15**2) = 209.4 nm^2
    assert a.likely_area_nm2 == pytest.approx(209.4, rel=5e-3)
    c = FRAME.to_local(a.likely).centroid
    assert math.degrees(math.atan2(c.x, c.y)) == pytest.approx(45.0, abs=0.5)
    assert shapely.difference(a.likely, a.geometry.buffer(1e-6)).is_empty


def test_likely_area_is_cut_by_land() -> None:
    wall = synthetic(-40.0, 20.0, 40.0, 22.0)
    a = reachable_area(
        *FIX, 0, 2 * HOUR, last_speed_kn=10.0, max_speed_kn=15.0, course_deg=0.0, land=wall
    )
    assert a.likely is not None
    assert FRAME.to_local(a.likely).bounds[3] == pytest.approx(20.0, abs=1e-3)
    # Entirely behind the wall: no likely area at all.
    b = reachable_area(
        *FIX,
        0,
        2 * HOUR,
        last_speed_kn=10.0,
        max_speed_kn=15.0,
        course_deg=0.0,
        land=synthetic(-40.0, 10.0, 40.0, 12.0),
    )
    assert b.likely is None


def test_no_likely_area_without_a_course() -> None:
    a = reachable_area(*FIX, 0, HOUR, last_speed_kn=10.0, max_speed_kn=15.0)
    assert a.likely is None and a.likely_area_nm2 is None


def test_geojson_has_the_area_the_likely_sector_and_the_fix() -> None:
    a = reachable_area(
        *FIX,
        1_700_000_000_000,
        1_700_000_000_000 + 2 * HOUR,
        last_speed_kn=10.0,
        max_speed_kn=15.0,
        course_deg=90.0,
    )
    gj = json.loads(json.dumps(a.to_geojson()))
    assert gj["type"] == "FeatureCollection"
    kinds = [f["properties"]["kind"] for f in gj["features"]]
    assert kinds == ["reachable", "likely", "last_fix"]
    props = gj["features"][0]["properties"]
    assert props["radius_nm"] == 30.0
    assert props["last_fix"] == "2023-11-14T22:13:20Z"
    assert props["at"] == "2023-11-15T00:13:20Z"
    assert gj["features"][0]["geometry"]["type"] == "Polygon"
    assert gj["features"][2]["geometry"]["coordinates"] == [12.0, 35.0]
    assert np.allclose(shape(gj["features"][0]["geometry"]).area, a.geometry.area, rtol=1e-4)


@pytest.mark.parametrize(
    ("ship_type", "name"),
    [
        (30, "fishing"),
        (37, "pleasure craft"),
        (36, "sailing"),
        (40, "high-speed craft"),
        (49, "high-speed craft"),
        (51, "search and rescue / pilot / law enforcement"),
        (52, "towing / tug"),
        (60, "passenger"),
        (69, "passenger"),
        (70, "cargo"),
        (79, "cargo"),
        (80, "tanker"),
        (89, "tanker"),
        (25, "wing in ground"),
    ],
)
def test_ais_ship_types_map_to_their_classes(ship_type: int, name: str) -> None:
    assert speed_class(ship_type).name == name


@pytest.mark.parametrize("ship_type", [None, 0, 19, 38, 39, 56, 90, 99, 100, 255])
def test_unknown_reserved_and_other_types_get_the_conservative_bound(
    ship_type: int | None,
) -> None:
    assert speed_class(ship_type) is UNKNOWN
    assert UNKNOWN.max_speed_kn >= GO_FAST.max_speed_kn


def test_caller_override_of_the_class_speed_drives_the_reach() -> None:
    with pytest.raises(ValueError):
        max_speed_kn(30, override_kn=-1.0)
    fishing = reachable_area(*FIX, 0, HOUR, last_speed_kn=4.0, max_speed_kn=max_speed_kn(30))
    go_fast = reachable_area(
        *FIX, 0, HOUR, last_speed_kn=4.0, max_speed_kn=max_speed_kn(30, override_kn=45.0)
    )
    assert (fishing.radius_nm, go_fast.radius_nm) == (15.0, 45.0)
