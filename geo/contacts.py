"""Contacts: boats seen without AIS (sightings, radar, satellite detections, hotline calls).

A contact is an observation of *something* on the water at a time and place, with an
uncertainty radius and the kind of source that made it. The engine fuses contacts with the AIS
picture (`geo.detectors.contacts`): a contact some AIS vessel explains is attached to it; the rest
are dark targets. This module holds the value types and the per-kind defaults, nothing else.

Default uncertainty radii (used when a contact gives none), by source kind:

- ``aircraft`` 500 m: a patrol aircraft or drone reports its own GNSS position and a bearing and
  range to the boat; Frontex surveillance reports give positions to 0.01' (18 m) but the
  observer's offset is a few hundred metres.
- ``vessel`` 300 m: a ship reporting a boat it passed.
- ``radar`` 300 m: a coastal or ship radar at 20-40 nm has a range resolution of tens of metres
  and a bearing error of ~0.5-1 deg (300-700 m at 40 nm).
- ``sar`` 500 m: Sentinel-1 vessel detections are geolocated to a few pixels (~100 m), and
  Skylight and Global Fishing Watch match them to AIS within 1-1.5 km once AIS is interpolated.
- ``optical`` 200 m: Sentinel-2/Planet detections are geolocated to a pixel or two.
- ``hotline`` 2000 m: a position relayed by phone (an NGO alarm line passing on a satellite
  phone's GPS) is read aloud, rounded and often minutes old.
- ``other`` 1000 m.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from geo.events import format_time


class ContactKind(StrEnum):
    """The kind of source that reported a contact."""

    AIRCRAFT = "aircraft"
    VESSEL = "vessel"
    RADAR = "radar"
    SAR = "sar"
    OPTICAL = "optical"
    HOTLINE = "hotline"
    OTHER = "other"


DEFAULT_RADIUS_M: dict[ContactKind, float] = {
    ContactKind.AIRCRAFT: 500.0,
    ContactKind.VESSEL: 300.0,
    ContactKind.RADAR: 300.0,
    ContactKind.SAR: 500.0,
    ContactKind.OPTICAL: 200.0,
    ContactKind.HOTLINE: 2000.0,
    ContactKind.OTHER: 1000.0,
}

#: The columns of the contact CSV (DESIGN.md), also the GeoJSON property names.
CONTACT_FIELDS = (
    "time",
    "lat",
    "lon",
    "radius_m",
    "kind",
    "source",
    "course",
    "speed_kn",
    "length_m",
    "people",
    "confidence",
    "note",
)


@dataclass(frozen=True, slots=True)
class BoatClass:
    """What a boat without AIS probably is, by its length, and how fast it can go.

    The bounds are for the reachable area and for gating later contacts to a track. Migrant
    boats on the central Mediterranean route are inflatables (8-12 m, 40-60 hp outboard, 4-7 kn
    loaded), wooden fishing boats (12-25 m, 5-9 kn) and, from Tunisia, small iron boats (6-8 m,
    ~6 kn); smugglers' go-fasts do 30-50 kn. Without a length the boat is taken as a small one
    at 10 kn: a go-fast is rarely reported without one, and a 45 kn bound would make every
    inflatable's area hundreds of miles wide after a night.
    """

    name: str
    max_speed_kn: float


SMALL_BOAT = BoatClass("small boat (inflatable or iron boat)", 10.0)
WOODEN_BOAT = BoatClass("fishing-boat size (12-25 m)", 12.0)
LARGE_BOAT = BoatClass("large vessel without AIS (over 25 m)", 18.0)


def boat_class(length_m: float | None) -> BoatClass:
    """Return the boat class of a contact's length (unknown: a small boat).

    Examples
    --------
    >>> boat_class(9).max_speed_kn, boat_class(18).max_speed_kn, boat_class(None).name
    (10.0, 12.0, 'small boat (inflatable or iron boat)')
    """
    if length_m is None or length_m < 12.0:
        return SMALL_BOAT
    if length_m <= 25.0:
        return WOODEN_BOAT
    return LARGE_BOAT


def speed_bound_kn(length_m: float | None, observed_kn: float | None) -> float:
    """Return the speed a dark target may be assumed to reach: its class's, or more if seen.

    A boat observed faster than its class bound evidently can go that fast; 25 % is added to an
    observed speed for the error of a radar or visual estimate.

    Examples
    --------
    >>> speed_bound_kn(9, None), speed_bound_kn(9, 30.0)
    (10.0, 37.5)
    """
    bound = boat_class(length_m).max_speed_kn
    if observed_kn is not None and math.isfinite(observed_kn):
        bound = max(bound, observed_kn * 1.25)
    return bound


@dataclass(frozen=True, slots=True)
class Contact:
    """One observation of a boat; see the module docstring.

    ``id`` is the store's id (None before storing, e.g. in ``mare detect``); ``ref`` an
    identifier the source gave (a radar's target number ``radar-1:12``), which ties a radar
    track's contacts together. ``radius_m`` None means the kind's default (`radius`).
    """

    time_ms: int
    lat: float
    lon: float
    kind: ContactKind
    radius_m: float | None = None
    source: str = ""
    course: float | None = None
    speed_kn: float | None = None
    length_m: float | None = None
    people: int | None = None
    confidence: float | None = None
    note: str = ""
    id: int | None = None
    ref: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def radius(self) -> float:
        """Return the uncertainty radius in metres (given, else the kind's default)."""
        return self.radius_m if self.radius_m is not None else DEFAULT_RADIUS_M[self.kind]

    def order_key(self) -> tuple[int, float, float, str, str]:
        """Return a total order independent of arrival (for deterministic fusion)."""
        return (self.time_ms, self.lat, self.lon, self.kind.value, self.source)

    def with_id(self, contact_id: int) -> Contact:
        """Return this contact with its store id."""
        return replace(self, id=contact_id)

    def to_dict(self) -> dict[str, Any]:
        """Return the contract's fields (CSV header names) as JSON values."""
        return {
            "id": self.id,
            "time": format_time(self.time_ms),
            "lat": self.lat,
            "lon": self.lon,
            "radius_m": self.radius_m,
            "kind": self.kind.value,
            "source": self.source,
            "course": self.course,
            "speed_kn": self.speed_kn,
            "length_m": self.length_m,
            "people": self.people,
            "confidence": self.confidence,
            "note": self.note,
            "ref": self.ref,
        }

    def to_state(self) -> dict[str, Any]:
        """Return the exact (millisecond) form for engine snapshots."""
        d = self.to_dict()
        d["time_ms"] = self.time_ms
        del d["time"]
        return d

    @classmethod
    def from_state(cls, obj: dict[str, Any]) -> Contact:
        """Inverse of `to_state`."""
        return cls(
            time_ms=int(obj["time_ms"]),
            lat=float(obj["lat"]),
            lon=float(obj["lon"]),
            kind=ContactKind(obj["kind"]),
            radius_m=obj.get("radius_m"),
            source=obj.get("source") or "",
            course=obj.get("course"),
            speed_kn=obj.get("speed_kn"),
            length_m=obj.get("length_m"),
            people=obj.get("people"),
            confidence=obj.get("confidence"),
            note=obj.get("note") or "",
            id=obj.get("id"),
            ref=obj.get("ref"),
        )
