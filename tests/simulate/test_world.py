import numpy as np
import pytest

from simulate.world import NoRoute, World, distance_m, world


@pytest.fixture(scope="module")
def w() -> World:
    return world()


def _densify(
    points: list[tuple[float, float]], step_m: float = 200.0
) -> tuple[np.ndarray, np.ndarray]:
    lons, lats = [], []
    for a, b in zip(points, points[1:], strict=False):
        n = max(2, int(distance_m(a, b) / step_m))
        f = np.linspace(0, 1, n)
        lons.append(a[0] + f * (b[0] - a[0]))
        lats.append(a[1] + f * (b[1] - a[1]))
    return np.concatenate(lons), np.concatenate(lats)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Porto Empedocle", "Lampedusa"),
        ("Palermo", "Tunis (La Goulette)"),
        ("Valletta", "Pozzallo"),
        ("Zuwara", "Lampedusa"),
        ("Sfax", "Kerkennah Islands"),
        ("Trapani", "Pantelleria"),
        ("Augusta", "Misrata"),
    ],
)
def test_routes_between_ports_never_touch_land(w: World, a: str, b: str) -> None:
    route = w.route(w.place(a).sea, w.place(b).sea)
    assert w.path_at_sea(route)
    lon, lat = _densify(route)
    assert not w.on_land(lon, lat).any()


def test_route_goes_around_an_island_in_the_way(w: World) -> None:
    west, east = (12.45, 35.51), (12.75, 35.51)  # either side of Lampedusa
    assert not w.leg_at_sea(west, east)
    route = w.route(west, east)
    assert len(route) > 2
    assert w.path_at_sea(route)


def test_leg_across_malta_is_not_at_sea(w: World) -> None:
    assert not w.leg_at_sea((14.2, 35.9), (14.7, 35.9))


def test_route_from_land_is_refused(w: World) -> None:
    with pytest.raises(NoRoute):
        w.route((14.0, 37.5), (13.0, 35.0))  # inland Sicily


def test_harbour_points_are_at_sea(w: World) -> None:
    pts = [p.sea for p in w.places.values()]
    lon = np.array([p[0] for p in pts])
    lat = np.array([p[1] for p in pts])
    assert not w.near_land(lon, lat).any()
