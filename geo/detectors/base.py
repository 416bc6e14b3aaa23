"""What every detector shares: the slice context, distances, places and wording.

Detectors see one *slice part* at a time: the accepted fixes of one event-time slice (or the part
of it that one batch carried), grouped by vessel in time order, each with the vessel's previous
accepted fix beside it. Everything a detector reads is per record or per vessel, never "the
state at the end of the batch", which is what makes the events independent of batch sizes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from geo.config import KNOT_MS, NM_M

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
I8 = npt.NDArray[np.int8]
U8 = npt.NDArray[np.uint8]
B = npt.NDArray[np.bool_]

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)


def haversine_m(lon0: F64, lat0: F64, lon1: F64, lat1: F64) -> F64:
    """Return great-circle distances in metres, element-wise (degrees in).

    Examples
    --------
    >>> one = np.array([12.0])
    >>> round(float(haversine_m(one, np.array([35.0]), one, np.array([36.0]))[0]))
    111195
    """
    p0 = np.radians(lat0)
    p1 = np.radians(lat1)
    dp = p1 - p0
    dl = np.radians(lon1 - lon0)
    a = np.sin(dp / 2.0) ** 2 + np.cos(p0) * np.cos(p1) * np.sin(dl / 2.0) ** 2
    # (`numpy.clip` gives the same, at twice the price of the two calls on a slice part)
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(np.maximum(a, 0.0), 1.0)))  # type: ignore[no-any-return]


_arcsin = np.arcsin


def distance_one_m(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    """Return `haversine_m` of one pair of points: the same float as its element of an array.

    For a rule decided in arrays for most fixes and fix by fix for the rest: `distance_m`
    (``math``) differs from numpy's functions in the last bit for about one pair in 3,000, so
    a decision at a threshold would depend on which path the batches sent a fix down.
    """
    # `haversine_m`'s operations in its order on Python floats: ``math``'s sin, cos and sqrt
    # give numpy's floats here, its asin does not, so numpy's arcsin takes the one value
    # (0 of 10^6 random pairs differ; a one-element array cost ten times as much, and the
    # outlier filter asks this of every repeat it judges fix by fix).
    p0 = math.radians(lat0)
    p1 = math.radians(lat1)
    s0 = math.sin((p1 - p0) / 2.0)
    s1 = math.sin(math.radians(lon1 - lon0) / 2.0)
    a = s0 * s0 + math.cos(p0) * math.cos(p1) * (s1 * s1)
    return 2.0 * EARTH_RADIUS_M * float(_arcsin(math.sqrt(min(max(a, 0.0), 1.0))))


def distance_m(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    """Return the great-circle distance in metres between two points (scalar version)."""
    p0 = math.radians(lat0)
    p1 = math.radians(lat1)
    a = (
        math.sin((p1 - p0) / 2.0) ** 2
        + math.cos(p0) * math.cos(p1) * math.sin(math.radians(lon1 - lon0) / 2.0) ** 2
    )
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, max(0.0, a))))


def bearing_deg(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    """Return the initial true bearing from point 0 to point 1, degrees 0-360."""
    p0 = math.radians(lat0)
    p1 = math.radians(lat1)
    dl = math.radians(lon1 - lon0)
    x = math.sin(dl) * math.cos(p1)
    y = math.cos(p0) * math.sin(p1) - math.sin(p0) * math.cos(p1) * math.cos(dl)
    return (math.degrees(math.atan2(x, y)) + 360.0) % 360.0


def knots(metres: float, seconds: float) -> float:
    """Return the speed in knots of covering ``metres`` in ``seconds`` (0 when no time passed)."""
    return metres / seconds / KNOT_MS if seconds > 0 else 0.0


def nm(metres: float) -> float:
    """Return metres in nautical miles, rounded to 0.1 nm for reports."""
    return round(metres / NM_M, 1)


def format_duration(seconds: float) -> str:
    """Return a duration as a watch officer reads it.

    Examples
    --------
    >>> format_duration(9600)
    '2 h 40 min'
    >>> format_duration(125)
    '2 min'
    >>> format_duration(10)
    '10 s'
    """
    if seconds < 59.5:
        return f"{max(0, int(round(seconds)))} s"
    minutes = int(round(seconds / 60.0))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


_COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
#: Beyond this a place names nothing: "4,951 nm NE of Tobruk" is no help to anyone reading an
#: alert off Taiwan; an event there says where it is by its position alone.
NEAR_MAX_NM = 250.0


@dataclass(frozen=True, slots=True)
class Place:
    """A named place (departure point, port, arrival area) given to geo as data, not read here."""

    name: str
    lon: float
    lat: float
    country: str = ""
    role: str = ""


@dataclass(frozen=True, slots=True)
class PlaceIndex:
    """Nearest-place lookups for wording ("38 nm off Zuwara"): places are few, so a scan."""

    places: Sequence[Place] = ()
    _lon: F64 = field(init=False, repr=False)
    _lat: F64 = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lon", np.array([p.lon for p in self.places], dtype=np.float64))
        object.__setattr__(self, "_lat", np.array([p.lat for p in self.places], dtype=np.float64))

    def nearest(self, lon: float, lat: float) -> dict[str, object] | None:
        """Return ``{"name", "country", "distance_nm", "direction"}`` of the nearest place.

        ``direction`` is where the point lies as seen from the place ("N" of Zuwara). None if
        the nearest is further than `NEAR_MAX_NM`: places are a region's gazetteer.
        """
        if not self.places or not (math.isfinite(lon) and math.isfinite(lat)):
            return None
        d = haversine_m(
            self._lon, self._lat, np.full_like(self._lon, lon), np.full_like(self._lat, lat)
        )
        i = int(np.argmin(d))
        if d[i] > NEAR_MAX_NM * 1852.0:
            return None
        p = self.places[i]
        direction = _COMPASS[int(((bearing_deg(p.lon, p.lat, lon, lat) + 22.5) % 360.0) // 45.0)]
        return {
            "name": p.name,
            "country": p.country,
            "distance_nm": nm(float(d[i])),
            "direction": direction,
        }


def describe_place(near: object) -> str:
    """Return "38 nm N of Zuwara" (or "off Zuwara" when within a mile) from `PlaceIndex.nearest`."""
    if not isinstance(near, dict):
        return ""
    dist = float(near.get("distance_nm", 0.0))
    if dist < 1.0:
        return f"off {near['name']}"
    return f"{dist:.0f} nm {near['direction']} of {near['name']}"


@dataclass(slots=True)
class SliceContext:
    """Accepted fixes of one slice part, grouped by vessel, with each vessel's previous fix.

    ``starts`` holds the first index of each vessel group (and ``len`` at the end); records
    inside a group are in event-time order. ``prev_*`` describe the fix before each record:
    the previous record of the group, or the vessel's stored last fix (``prev_t == -1`` when
    the vessel had none).
    """

    slot: I64
    mmsi: I64
    t: I64
    lon: F64
    lat: F64
    sog: F64
    cog: F64
    msg_type: U8
    status: I8
    supp: B
    zhash: U64
    zones_at: Callable[[int], tuple[int, ...]]
    zone_names: Callable[[int], list[str]]
    prev_t: I64
    prev_lon: F64
    prev_lat: F64
    prev_sog: F64
    prev_type: U8
    prev_status: I8
    prev_supp: B
    starts: I64
    gap: B = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    #: 1 when the fix starts the track somewhere else (the reported position jumped there, see
    #: `geo.tracker`), 2 when it jumped back near where it was before that jump; else 0.
    moved: I8 = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    #: Course over ground of the fix before each record (dead reckoning of where it went).
    prev_cog: F64 = field(default_factory=lambda: np.zeros(0))
    #: ITU-R M.1371 reporting interval at the fix before each record (set by the gap detector).
    prev_nominal_s: F64 = field(default_factory=lambda: np.zeros(0))
    _group: I64 = field(init=False, repr=False, default_factory=lambda: np.zeros(0, np.int64))
    _step_m: F64 = field(init=False, repr=False, default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return int(self.t.shape[0])

    def group(self) -> I64:
        """Each record's vessel group (index into ``starts``), made once per part."""
        if len(self._group) != len(self):
            self._group = np.repeat(np.arange(len(self.starts) - 1), np.diff(self.starts))
        return self._group

    def step_m(self) -> F64:
        """Great-circle metres from each record's previous fix (NaN without one), made once."""
        if len(self._step_m) != len(self):
            self._step_m = haversine_m(self.prev_lon, self.prev_lat, self.lon, self.lat)
        return self._step_m

    def use_steps(self, step_m: F64, measure: B | None = None) -> None:
        """Take `step_m` measured already (the tracker's), measuring only where ``measure``.

        The same floats as measuring all of them: `haversine_m` works element by element.
        """
        if measure is not None and measure.any():
            step_m[measure] = haversine_m(
                self.prev_lon[measure], self.prev_lat[measure], self.lon[measure], self.lat[measure]
            )
        self._step_m = step_m

    def groups_with(self, mask: B) -> list[tuple[int, int]]:
        """Return ``(start, stop)`` of the vessel groups where ``mask`` holds for any record."""
        if not mask.any():
            return []
        starts = self.starts[:-1]
        hit = np.logical_or.reduceat(mask, starts) if len(starts) else np.zeros(0, dtype=bool)
        idx = np.flatnonzero(hit)
        return [(int(self.starts[i]), int(self.starts[i + 1])) for i in idx]


@dataclass(frozen=True, slots=True)
class Describer:
    """What detectors may ask the engine for when wording an event (all pure lookups)."""

    place: Callable[[float, float], dict[str, object] | None]
    vessel: Callable[[int], dict[str, object]]
    zones_at_point: Callable[[float, float], list[str]]
