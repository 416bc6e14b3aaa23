"""Zones: the zone-file contract of DESIGN.md, parsed strictly into immutable `Zone` objects.

A zone file is a GeoJSON FeatureCollection of Polygon/MultiPolygon features (WGS84 lon/lat) with
properties ``id`` (unique slug), ``name``, ``kind`` and optional ``alerts``, ``dwell_minutes``,
``severity``, ``note`` and ``country``. A file that breaks the contract is refused with a
`ZoneFileError` naming the feature (its id, or its index when it has none) and the reason: a
geofence that silently differs from what its author drew gives wrong alerts, which is worse than
no alerts.

Invalid geometry (self-intersections, crossing rings) is refused unless the caller passes
``repair=True``: `shapely.make_valid` then keeps the polygonal part and a `ZoneRepairWarning`
says which zone was changed and by how much area. Refusing is the default because a repair can
change what is inside (a bow-tie becomes two triangles, a ring drawn across itself loses a lobe);
only the caller knows whether that is benign (the shipped zone builder repairs the Italian SAR
region, whose published vertex list crosses itself by a few metres in the Gulf of Trieste).

`geo/` does no I/O except the thin `load_zone_file`, which only reads the JSON text (or its
parsed form beside it, `geo.zone_binary`, when that was made from these very bytes).
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

from geo import shipped, zone_binary
from geo.errors import ZoneFileError
from geo.events import Severity

__all__ = [
    "DEFAULT_ALERTS",
    "DEFAULT_SEVERITY",
    "SHIPPED_ZONE_FILE",
    "Zone",
    "ZoneAlert",
    "ZoneKind",
    "ZoneRepairWarning",
    "load_zone_file",
    "parse_zones",
    "zones_to_geojson",
]

#: The central-Mediterranean zone set built by ``scripts/build_zones.py`` (a repository file,
#: present in a source checkout; `mare detect` uses it when no ``--zones`` is given).
SHIPPED_ZONE_FILE = shipped.ZONE_FILE


class ZoneKind(StrEnum):
    """The zone kinds of DESIGN.md; the names are part of the contract."""

    TERRITORIAL_SEA = "territorial_sea"
    CONTIGUOUS_ZONE = "contiguous_zone"
    SAR_REGION = "sar_region"
    DEPARTURE_HOTSPOT = "departure_hotspot"
    ARRIVAL_AREA = "arrival_area"
    PORT = "port"
    ANCHORAGE = "anchorage"
    PATROL_AREA = "patrol_area"
    CUSTOM = "custom"


class ZoneAlert(StrEnum):
    """Transitions a zone can alert on; members compare and hash equal to their plain strings."""

    ENTRY = "entry"
    EXIT = "exit"
    DWELL = "dwell"


class ZoneRepairWarning(UserWarning):
    """An invalid zone geometry was repaired with `shapely.make_valid` (``repair=True``)."""


#: The contract's default when a feature has no ``alerts`` property.
DEFAULT_ALERTS: frozenset[ZoneAlert] = frozenset({ZoneAlert.ENTRY, ZoneAlert.EXIT})

#: Severity when a feature gives none. A departure hotspot is where a suspect's trip begins, so
#: its alerts matter most; a territorial sea marks a change of jurisdiction; contiguous zones and
#: SAR regions are context; ports and anchorages are where slow, clustered traffic is normal.
DEFAULT_SEVERITY: Mapping[ZoneKind, Severity] = {
    ZoneKind.TERRITORIAL_SEA: Severity.MEDIUM,
    ZoneKind.CONTIGUOUS_ZONE: Severity.LOW,
    ZoneKind.SAR_REGION: Severity.LOW,
    ZoneKind.DEPARTURE_HOTSPOT: Severity.HIGH,
    ZoneKind.ARRIVAL_AREA: Severity.MEDIUM,
    ZoneKind.PORT: Severity.INFO,
    ZoneKind.ANCHORAGE: Severity.INFO,
    ZoneKind.PATROL_AREA: Severity.MEDIUM,
    ZoneKind.CUSTOM: Severity.MEDIUM,
}

_SUPPRESSING_KINDS = frozenset({ZoneKind.PORT, ZoneKind.ANCHORAGE})
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")


@dataclass(frozen=True)
class Zone:
    """One geofence: an immutable, validated feature of a zone file.

    ``geometry`` is always a valid, non-empty `MultiPolygon` in WGS84 lon/lat (a Polygon is
    promoted), so consumers never branch on the geometry type.
    """

    id: str
    name: str
    kind: ZoneKind
    geometry: MultiPolygon
    alerts: frozenset[ZoneAlert] = DEFAULT_ALERTS
    dwell_minutes: float | None = None
    severity: Severity = Severity.MEDIUM
    note: str = ""
    country: str | None = None
    #: The zone's membership grid classified beforehand (`geo.zone_grid.ZoneGrid.learn_all`),
    #: when it came from a zone file's binary form: a faster way to the same answers.
    cells: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def suppresses_behaviour(self) -> bool:
        """Whether loitering and encounters inside are normal (ports and anchorages, DESIGN.md)."""
        return self.kind in _SUPPRESSING_KINDS

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat) of the zone."""
        b = self.geometry.bounds
        return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def _fail(label: str, reason: str) -> ZoneFileError:
    return ZoneFileError(f"zone {label}: {reason}")


def _parse_alerts(label: str, raw: Any) -> frozenset[ZoneAlert]:
    if raw is None:
        return DEFAULT_ALERTS
    if isinstance(raw, str) or not isinstance(raw, list):
        raise _fail(label, f"alerts must be a list of entry/exit/dwell, got {raw!r}")
    out: set[ZoneAlert] = set()
    for item in raw:
        try:
            out.add(ZoneAlert(item))
        except (ValueError, TypeError):
            raise _fail(label, f"unknown alert {item!r} (expected entry, exit or dwell)") from None
    return frozenset(out)


def _parse_dwell(label: str, raw: Any) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise _fail(label, f"dwell_minutes must be a number, got {raw!r}")
    value = float(raw)
    if not math.isfinite(value) or value <= 0:
        raise _fail(label, f"dwell_minutes must be positive, got {raw!r}")
    return value


def _check_coordinates(label: str, geom: dict[str, Any]) -> dict[str, Any]:
    """Refuse non-numeric, non-finite or out-of-WGS84-range coordinates before shapely sees them.

    Return the geometry to build: its rings as numpy arrays when each is a list of JSON
    numbers of one dimension (shapely then builds it in C; from lists it takes every point in
    Python, most of loading the shipped zones), else as given.
    """
    try:
        rings = _rings(geom)
        arrays = [_ring_array(ring) for ring in rings]
        if all(a is not None for a in arrays):
            parts = [a[:, :2] for a in arrays if a is not None]
            coords = np.concatenate(parts) if parts else np.zeros((0, 2))
        else:
            positions = [pt[:2] for ring in rings for pt in ring if _is_position(pt)]
            if sum(len(r) for r in rings) != len(positions):
                raise TypeError
            coords = np.asarray(positions, dtype=float).reshape(-1, 2)
    except (TypeError, ValueError):
        raise _fail(label, "coordinates are not nested arrays of [lon, lat] numbers") from None
    lon, lat = coords[:, 0], coords[:, 1]
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise _fail(label, "coordinates contain NaN or infinity")
    out = (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if out.any():
        bad = coords[out][0]
        raise _fail(
            label,
            f"coordinate ({bad[0]:g}, {bad[1]:g}) is outside the WGS84 range "
            "(GeoJSON positions are [lon, lat] in degrees)",
        )
    if not all(a is not None for a in arrays):
        return geom
    it = iter(arrays)
    if geom["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [next(it) for _ in geom["coordinates"]]}
    polys = [[next(it) for _ in poly] for poly in geom["coordinates"]]
    return {"type": "MultiPolygon", "coordinates": polys}


def _ring_array(ring: list[Any]) -> npt.NDArray[np.float64] | None:
    """Return a ring of [lon, lat] or [lon, lat, z] JSON numbers as an array, else None.

    Type checks by ``set(map(type, ...))`` run in C: bool, str and nested lists are refused as
    by `_is_position`, which decides every ring this does not take.
    """
    if not ring or set(map(type, ring)) != {list}:
        return None
    dims = set(map(len, ring))
    if len(dims) != 1 or not dims <= {2, 3}:
        return None
    if not set(map(type, chain.from_iterable(ring))) <= {int, float}:
        return None
    return np.array(ring, dtype=float)


def _is_position(pt: Any) -> bool:
    return (
        isinstance(pt, list)
        and len(pt) in (2, 3)
        and all(isinstance(c, int | float) and not isinstance(c, bool) for c in pt)
    )


def _rings(geom: dict[str, Any]) -> list[list[Any]]:
    coords = geom.get("coordinates")
    if not isinstance(coords, list):
        raise TypeError("coordinates missing")
    polys = [coords] if geom["type"] == "Polygon" else coords
    rings: list[list[Any]] = []
    for poly in polys:
        if not isinstance(poly, list):
            raise TypeError("polygon is not a list of rings")
        for ring in poly:
            if not isinstance(ring, list):
                raise TypeError("ring is not a list of positions")
            rings.append(ring)
    return rings


def _parse_geometry(label: str, raw: Any, repair: bool) -> MultiPolygon:
    if not isinstance(raw, dict):
        raise _fail(label, "feature has no geometry")
    gtype = raw.get("type")
    if gtype not in ("Polygon", "MultiPolygon"):
        raise _fail(label, f"geometry must be a Polygon or MultiPolygon, got {gtype!r}")
    built = _check_coordinates(label, raw)
    try:
        geom = shape(built)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.GEOSException) as exc:
        raise _fail(label, f"malformed {gtype}: {exc}") from None
    geom = shapely.force_2d(geom)
    if geom.is_empty:
        raise _fail(label, "geometry is empty")
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        if not repair:
            raise _fail(label, f"invalid geometry: {reason} (pass repair=True to apply make_valid)")
        fixed = _polygonal_part(shapely.make_valid(geom))
        if fixed.is_empty:
            raise _fail(label, f"invalid geometry: {reason}; make_valid leaves no area")
        warnings.warn(
            f"zone {label}: repaired invalid geometry ({reason}) with make_valid; "
            f"area {geom.area:.6g} -> {fixed.area:.6g} deg²",
            ZoneRepairWarning,
            stacklevel=4,
        )
        geom = fixed
    return as_multipolygon(geom)


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the areal parts of a geometry (make_valid may add lines and points)."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon | MultiPolygon)]
    polys: list[Polygon] = []
    for part in parts:
        polys.extend(part.geoms if isinstance(part, MultiPolygon) else [part])
    return MultiPolygon(polys) if polys else MultiPolygon()


def as_multipolygon(geom: shapely.Geometry) -> MultiPolygon:
    """Return ``geom`` as a MultiPolygon (Polygon promoted, other types' areal parts kept)."""
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    part = _polygonal_part(geom)
    return part if isinstance(part, MultiPolygon) else MultiPolygon([part])


def _parse_feature(
    index: int,
    feature: Any,
    repair: bool,
    geometry: MultiPolygon | None = None,
    cells: bytes | None = None,
) -> Zone:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise _fail(f"#{index}", "is not a GeoJSON Feature")
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise _fail(f"#{index}", "has no properties object")
    zone_id = props.get("id", feature.get("id"))
    if zone_id is None:
        raise _fail(f"#{index}", "has no id property")
    if not isinstance(zone_id, str) or not _SLUG.match(zone_id):
        raise _fail(
            f"#{index} ({zone_id!r})",
            "id must be a slug: 1-64 lower-case letters, digits, '-' or '_'",
        )
    label = repr(zone_id)
    name = props.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _fail(label, "name must be a non-empty string")
    raw_kind = props.get("kind")
    try:
        kind = ZoneKind(str(raw_kind)) if isinstance(raw_kind, str) else ZoneKind("")
    except ValueError:
        allowed = ", ".join(k.value for k in ZoneKind)
        raise _fail(label, f"unknown kind {raw_kind!r} (one of {allowed})") from None
    alerts = _parse_alerts(label, props.get("alerts"))
    dwell = _parse_dwell(label, props.get("dwell_minutes"))
    if ZoneAlert.DWELL in alerts and dwell is None:
        raise _fail(label, "a dwell alert needs dwell_minutes")
    raw_severity = props.get("severity")
    try:
        severity = DEFAULT_SEVERITY[kind] if raw_severity is None else Severity(raw_severity)
    except ValueError:
        allowed = ", ".join(s.value for s in Severity)
        raise _fail(label, f"unknown severity {raw_severity!r} (one of {allowed})") from None
    note = props.get("note", "")
    if not isinstance(note, str):
        raise _fail(label, "note must be a string")
    country = props.get("country")
    if country is not None and not isinstance(country, str):
        raise _fail(label, "country must be a string")
    if geometry is None:
        geometry = _parse_geometry(label, feature.get("geometry"), repair)
    return Zone(
        id=zone_id,
        name=name.strip(),
        kind=kind,
        geometry=geometry,
        alerts=alerts,
        dwell_minutes=dwell,
        severity=severity,
        note=note,
        country=country,
        cells=cells,
    )


def parse_zones(obj: Any, *, repair: bool = False) -> list[Zone]:
    """Parse a zone-file GeoJSON object (already decoded from JSON) into zones, in file order.

    Raises `ZoneFileError` naming the feature and the reason on the first contract breach;
    ``repair=True`` repairs invalid geometry with `shapely.make_valid` and warns instead.

    Examples
    --------
    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature",
    ...     "properties": {"id": "box", "name": "Box", "kind": "patrol_area"},
    ...     "geometry": {"type": "Polygon",
    ...                  "coordinates": [[[12, 35], [13, 35], [13, 36], [12, 35]]]}}]}
    >>> (zone,) = parse_zones(fc)
    >>> zone.id, zone.kind.value, sorted(map(str, zone.alerts)), zone.severity.value
    ('box', 'patrol_area', ['entry', 'exit'], 'medium')
    """
    if not isinstance(obj, dict) or obj.get("type") != "FeatureCollection":
        raise ZoneFileError("zone file: not a GeoJSON FeatureCollection")
    features = obj.get("features")
    if not isinstance(features, list):
        raise ZoneFileError("zone file: FeatureCollection has no features list")
    zones: list[Zone] = []
    seen: dict[str, int] = {}
    for i, feature in enumerate(features):
        zone = _parse_feature(i, feature, repair)
        if zone.id in seen:
            raise _fail(repr(zone.id), f"duplicate id (features #{seen[zone.id]} and #{i})")
        seen[zone.id] = i
        zones.append(zone)
    return zones


def load_zone_file(path: str | Path, *, repair: bool = False) -> list[Zone]:
    """Read a zone file (GeoJSON) and parse it with `parse_zones`; I/O errors name the path."""
    p = Path(path)
    try:
        raw = p.read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        raise ZoneFileError(f"zone file {p}: cannot read ({exc.strerror or exc})") from None
    parsed = _read_binary(p, raw)
    if parsed is not None:
        return parsed
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ZoneFileError(f"zone file {p}: not JSON ({exc})") from None
    try:
        return parse_zones(obj, repair=repair)
    except ZoneFileError as exc:
        raise ZoneFileError(f"zone file {p}: {exc}") from None


def _read_binary(path: Path, raw: bytes) -> list[Zone] | None:
    """Return the zones of ``path``'s binary form (`geo.zone_binary`) if made from ``raw``."""
    try:
        blob = zone_binary.binary_path(path).read_bytes()
    except OSError:
        return None
    stored = zone_binary.load(blob, raw)
    if stored is None:
        return None
    try:
        zones = [
            _parse_feature(i, {"type": "Feature", "properties": props}, False, geom, cells)
            for i, (props, geom, cells) in enumerate(stored)
        ]
    except ZoneFileError:
        return None
    return zones if len({z.id for z in zones}) == len(zones) else None


def _listify(coords: Any, ndigits: int | None) -> Any:
    if isinstance(coords, tuple | list):
        if coords and isinstance(coords[0], float | int):
            return [float(c) if ndigits is None else round(float(c), ndigits) for c in coords]
        return [_listify(c, ndigits) for c in coords]
    return coords


def zone_to_feature(zone: Zone, *, ndigits: int | None = None) -> dict[str, Any]:
    """Export one zone as a GeoJSON Feature of the contract (RFC 7946 ring orientation)."""
    props: dict[str, Any] = {
        "id": zone.id,
        "name": zone.name,
        "kind": zone.kind.value,
        "alerts": sorted(a.value for a in zone.alerts),
    }
    if zone.dwell_minutes is not None:
        props["dwell_minutes"] = zone.dwell_minutes
    props["severity"] = zone.severity.value
    if zone.country is not None:
        props["country"] = zone.country
    props["note"] = zone.note
    geom = mapping(shapely.orient_polygons(zone.geometry, exterior_cw=False))
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": geom["type"], "coordinates": _listify(geom["coordinates"], ndigits)},
    }


def zones_to_geojson(
    zones: Iterable[Zone], *, ndigits: int | None = None, metadata: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Export zones as a zone-file FeatureCollection that `parse_zones` reads back unchanged.

    ``ndigits`` rounds coordinates for publication; rounding can make a valid polygon invalid, so
    round with `shapely.set_precision` first when the result must load without ``repair``.
    """
    out: dict[str, Any] = {"type": "FeatureCollection"}
    if metadata:
        out["metadata"] = dict(metadata)
    out["features"] = [zone_to_feature(z, ndigits=ndigits) for z in zones]
    return out
