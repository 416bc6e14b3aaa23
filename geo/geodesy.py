"""Small spherical geodesy in nautical miles: the shared ground of reach and intercept.

Everything here works on a sphere of the mean Earth radius (IUGG R1 = 6,371,008.8 m). The
sphere, not the WGS84 ellipsoid, is used on purpose: it keeps distance, bearing, destination and
the local projection mutually consistent (a point `destination_point` puts 10 nm away is 10 nm
away by `haversine_nm`, and 10 nm from the centre of a `LocalFrame`), which is what the worked
examples in the tests rely on. The sphere differs from the ellipsoid by at most about 0.5 % in
distance, far below the uncertainty of a dark vessel's speed.

`LocalFrame` is the spherical azimuthal equidistant projection centred on a point, in nautical
miles: distances and azimuths *from the centre* are exact at any range; elsewhere distances are
stretched perpendicular to the radius by ``c / sin(c)`` (c the angular distance from the centre),
that is less than 0.15 % within 300 nm of the centre and 1.6 % at 1,000 nm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius R1 of the IUGG (Moritz, Geodetic Reference System 1980)."""

METRES_PER_NM = 1852.0
"""The international nautical mile (International Hydrographic Conference, 1929)."""

EARTH_RADIUS_NM = EARTH_RADIUS_M / METRES_PER_NM

FloatArray = npt.NDArray[np.float64]


def haversine_nm(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in nautical miles (scalars or numpy arrays, degrees).

    The haversine form stays accurate for the short distances the dashboard mostly meets, where
    the spherical law of cosines loses precision.

    Examples
    --------
    One minute of latitude is one nautical mile on this sphere, to 0.1 %:

    >>> round(float(haversine_nm(35.0, 12.0, 35.0 + 1 / 60, 12.0)), 3)
    1.001
    >>> round(float(haversine_nm(0.0, 0.0, 0.0, 1.0)), 2)
    60.04
    """
    p1 = np.radians(lat1)
    p2 = np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    d = 2 * EARTH_RADIUS_NM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return float(d) if np.ndim(d) == 0 else d


def initial_bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the initial true bearing (degrees, [0, 360)) of the great circle from 1 to 2.

    This is the course to steer at departure; on a great circle it changes along the way, which
    over the tens of miles of an intercept is a fraction of a degree.

    Examples
    --------
    >>> initial_bearing_deg(35.0, 12.0, 36.0, 12.0)
    0.0
    >>> round(initial_bearing_deg(0.0, 0.0, 0.0, 1.0), 6)
    90.0
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    if x == 0.0 and y == 0.0:
        return 0.0
    bearing = math.degrees(math.atan2(y, x)) % 360.0
    return 0.0 if bearing > 360.0 - 1e-9 else bearing


def destination_point(
    lat: float, lon: float, bearing_deg: float, distance_nm: float
) -> tuple[float, float]:
    """Point reached by following the great circle from (lat, lon) on an initial bearing.

    Returns ``(lat, lon)`` in degrees, longitude normalised to [-180, 180).

    Examples
    --------
    >>> lat, lon = destination_point(35.0, 12.0, 0.0, 60.0)
    >>> round(lat, 4), lon
    (35.9993, 12.0)
    >>> round(haversine_nm(35.0, 12.0, *destination_point(35.0, 12.0, 77.0, 42.0)), 9)
    42.0
    """
    p1, l1 = math.radians(lat), math.radians(lon)
    theta = math.radians(bearing_deg)
    d = distance_nm / EARTH_RADIUS_NM
    sin_p2 = math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(theta)
    p2 = math.asin(max(-1.0, min(1.0, sin_p2)))
    l2 = l1 + math.atan2(
        math.sin(theta) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * sin_p2
    )
    lon2 = (math.degrees(l2) + 180.0) % 360.0 - 180.0
    return math.degrees(p2), lon2


def rhumb_points(
    lat: float, lon: float, course_deg: float, distances_nm: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Points along the rhumb line (constant true course) at the given distances.

    A vessel holding a compass course follows a rhumb line (loxodrome), not a great circle; the
    two part by about ``d**2 * tan(lat) / (8 R)``, i.e. 0.25 nm over 100 nm east-west at 35°N but
    25 nm over 1,000 nm, which matters for a 48 h projection. Longitudes are left unwrapped so a
    track stays continuous. Latitudes are clamped short of the poles.

    Examples
    --------
    >>> lats, lons = rhumb_points(35.0, 12.0, 90.0, np.array([0.0, 60.0]))
    >>> float(lats[1]), round(float(lons[1]), 4)
    (35.0, 13.22)
    """
    d = np.asarray(distances_nm, dtype=float) / EARTH_RADIUS_NM
    theta = math.radians(course_deg)
    p1 = math.radians(lat)
    p2 = np.clip(p1 + d * math.cos(theta), -math.radians(89.9), math.radians(89.9))
    dpsi = np.log(np.tan(math.pi / 4 + p2 / 2) / math.tan(math.pi / 4 + p1 / 2))
    dp = p2 - p1
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(np.abs(dpsi) > 1e-12, dp / np.where(dpsi == 0, 1.0, dpsi), math.cos(p1))
    dl = d * math.sin(theta) / q
    return np.degrees(p2), lon + np.degrees(dl)


def rhumb_destination(
    lat: float, lon: float, course_deg: float, distance_nm: float
) -> tuple[float, float]:
    """Point reached by holding a true course for a distance (dead reckoning), ``(lat, lon)``.

    The scalar form of `rhumb_points`, longitude normalised to [-180, 180). A vessel holding its
    course keeps it along the rhumb line, so a projected fix keeps the course it was reported
    with (on a great circle the course would drift by ``d * tan(lat) / R`` radians).

    Examples
    --------
    Five minutes at 20 kn on course 090 from 35°N: 1.667 nm east, on the same parallel:

    >>> lat, lon = rhumb_destination(35.0, 12.0, 90.0, 20.0 * 5 / 60)
    >>> lat, round(float(haversine_nm(35.0, 12.0, lat, lon)), 4)
    (35.0, 1.6667)
    """
    lats, lons = rhumb_points(lat, lon, course_deg, np.array([distance_nm], dtype=float))
    return float(lats[0]), (float(lons[0]) + 180.0) % 360.0 - 180.0


@dataclass(frozen=True, slots=True)
class LocalFrame:
    """Spherical azimuthal equidistant frame centred on (lat0, lon0), x east and y north in nm.

    Distances and azimuths from the centre are exact, so a disc of radius r around the centre
    in this frame is exactly the set of points within r nm (great-circle) of it. Implemented
    here in numpy rather than through pyproj so that forward and inverse share one sphere with
    `haversine_nm`; the tests check it against PROJ's ``+proj=aeqd``.

    Examples
    --------
    >>> f = LocalFrame(35.0, 12.0)
    >>> x, y = f.forward(35.5, 12.0)
    >>> round(float(x), 9), round(float(y), 3)
    (0.0, 30.02)
    >>> [round(float(v), 9) for v in f.inverse(x, y)]
    [35.5, 12.0]
    """

    lat0: float
    lon0: float

    def forward(self, lat: Any, lon: Any) -> tuple[Any, Any]:
        """Project degrees to (x, y) in nautical miles."""
        p0 = math.radians(self.lat0)
        p = np.radians(lat)
        dl = np.radians(np.asarray(lon, dtype=float) - self.lon0)
        cos_c = np.clip(math.sin(p0) * np.sin(p) + math.cos(p0) * np.cos(p) * np.cos(dl), -1.0, 1.0)
        c = np.arccos(cos_c)
        # c / sin(c), using the series near the centre where both vanish.
        k = np.where(c < 1e-6, 1.0 + c * c / 6.0, c / np.where(c < 1e-6, 1.0, np.sin(c)))
        x = EARTH_RADIUS_NM * k * np.cos(p) * np.sin(dl)
        y = EARTH_RADIUS_NM * k * (math.cos(p0) * np.sin(p) - math.sin(p0) * np.cos(p) * np.cos(dl))
        return x, y

    def inverse(self, x: Any, y: Any) -> tuple[Any, Any]:
        """Unproject (x, y) in nautical miles to (lat, lon) degrees (lon not wrapped)."""
        p0 = math.radians(self.lat0)
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        rho = np.hypot(x, y)
        c = rho / EARTH_RADIUS_NM
        sin_c, cos_c = np.sin(c), np.cos(c)
        safe_rho = np.where(rho == 0.0, 1.0, rho)
        lat = np.arcsin(np.clip(cos_c * math.sin(p0) + y * sin_c * math.cos(p0) / safe_rho, -1, 1))
        dl = np.arctan2(x * sin_c, rho * math.cos(p0) * cos_c - y * math.sin(p0) * sin_c)
        lat = np.where(rho == 0.0, p0, lat)
        dl = np.where(rho == 0.0, 0.0, dl)
        return np.degrees(lat), self.lon0 + np.degrees(dl)

    def to_local(self, geometry: Any) -> Any:
        """Project a lon/lat shapely geometry into this frame."""
        return shapely.transform(geometry, self._forward_xy)

    def to_lonlat(self, geometry: Any) -> Any:
        """Unproject a shapely geometry in this frame back to lon/lat."""
        return shapely.transform(geometry, self._inverse_xy)

    def _forward_xy(self, coords: FloatArray) -> FloatArray:
        x, y = self.forward(coords[:, 1], coords[:, 0])
        return np.column_stack([x, y])

    def _inverse_xy(self, coords: FloatArray) -> FloatArray:
        lat, lon = self.inverse(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])


def geodesic_area_nm2(geometry: Any) -> float:
    """Area of a lon/lat (multi)polygon on the sphere, in square nautical miles.

    Computed by PROJ's geodesic polygon area on the same sphere (exact for geodesic edges),
    so it does not inherit the area distortion of the local frame.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> round(geodesic_area_nm2(box(12.0, 35.0, 12.1, 35.1)), 1)
    29.5
    """
    from pyproj import Geod

    geod = Geod(a=EARTH_RADIUS_M, b=EARTH_RADIUS_M)
    area_m2, _ = geod.geometry_area_perimeter(geometry)
    return abs(float(area_m2)) / METRES_PER_NM**2


def unit_vectors(lat: Any, lon: Any) -> FloatArray:
    """Points on the unit sphere (earth-centred x, y, z), one row per point, degrees in.

    Straight-line (chord) distances between these rows are monotone in great-circle distance
    everywhere, so a k-d tree over them answers "within d metres" queries with no seam at the
    antimeridian and no singularity at the poles, which a lon/lat index has at both.

    Examples
    --------
    >>> unit_vectors(np.array([0.0, 90.0]), np.array([180.0, 0.0])).round(12).tolist()
    [[-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    p = np.radians(np.asarray(lat, dtype=float)).reshape(-1)
    lam = np.radians(np.asarray(lon, dtype=float)).reshape(-1)
    c = np.cos(p)
    # Written into one array: np.column_stack's set-up cost more than the arithmetic on a
    # slice part's few hundred rows, called some ten times a part.
    out = np.empty((p.size, 3))
    np.multiply(c, np.cos(lam), out=out[:, 0])
    np.multiply(c, np.sin(lam), out=out[:, 1])
    np.sin(p, out=out[:, 2])
    out += 0.0  # no -0.0
    return out


def chord_of_m(distance_m: float) -> float:
    """Chord length on the unit sphere of a great-circle distance in metres.

    Examples
    --------
    >>> round(chord_of_m(math.pi * EARTH_RADIUS_M), 12)  # half the globe: the diameter
    2.0
    """
    return 2.0 * math.sin(min(distance_m / EARTH_RADIUS_M, math.pi) / 2.0)


def lat_lon_of(xyz: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Latitude and longitude (degrees, longitude in [-180, 180]) of vectors, any length.

    The inverse of `unit_vectors`; a sum of unit vectors gives the spherical mean position,
    which, unlike the mean of longitudes, is right for points either side of ±180°.
    A zero vector (points spread evenly round the globe) has no direction and gives (0, 0).

    Examples
    --------
    >>> v = unit_vectors(np.array([10.0, 10.0]), np.array([179.5, -179.5])).sum(axis=0)
    >>> lat, lon = lat_lon_of(v[None, :])
    >>> round(float(lat[0]), 3), round(abs(float(lon[0])), 6)
    (10.0, 180.0)
    """
    v = np.atleast_2d(np.asarray(xyz, dtype=float))
    lat = np.degrees(np.arctan2(v[:, 2], np.hypot(v[:, 0], v[:, 1])))
    lon = np.degrees(np.arctan2(v[:, 1], v[:, 0]))
    return lat, lon


def interpolate_track(
    t0: Any, lat0: Any, lon0: Any, t1: Any, lat1: Any, lon1: Any, t: Any
) -> tuple[FloatArray, FloatArray]:
    """Positions at times ``t`` on the great circle between two fixes, at constant speed.

    Spherical linear interpolation (slerp), element-wise: exact for a vessel that held a great
    circle at constant speed between the fixes, and free of the antimeridian seam that a linear
    interpolation of longitudes has (halfway from 179.9°E to 179.9°W is 180°, not 0°). Equal
    times give the first fix; antipodal fixes have no unique great circle and give a point on
    one of them.

    Examples
    --------
    >>> lat, lon = interpolate_track(0, 0.0, 179.9, 10, 0.0, -179.9, 5)
    >>> round(float(lat), 9), round(abs(float(lon)), 9)
    (0.0, 180.0)
    """
    a = unit_vectors(lat0, lon0)
    b = unit_vectors(lat1, lon1)
    span = np.asarray(t1, dtype=float) - np.asarray(t0, dtype=float)
    f = np.where(span > 0, (np.asarray(t, dtype=float) - t0) / np.where(span > 0, span, 1.0), 0.0)
    f = np.atleast_1d(f)[:, None]
    dot = np.clip(np.sum(a * b, axis=1), -1.0, 1.0)[:, None]
    omega = np.arccos(dot)
    s = np.sin(omega)
    small = s < 1e-12
    safe = np.where(small, 1.0, s)
    wa = np.where(small, 1.0 - f, np.sin((1.0 - f) * omega) / safe)
    wb = np.where(small, f, np.sin(f * omega) / safe)
    lat, lon = lat_lon_of(wa * a + wb * b)
    if np.ndim(t) == 0 and np.ndim(t0) == 0:
        return lat[0], lon[0]
    return lat, lon
