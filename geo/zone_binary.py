"""A zone file's parsed zones in a binary form kept beside it, read instead when it matches.

Parsing the shipped zone set (1.8 MB of GeoJSON, 89k vertices) costs 0.09-0.1 s at every
start of `mare detect`: the JSON, a numpy array per ring and the validity check of every
geometry, each about a quarter. Its parsed form, the zones' properties and their geometries as
WKB (exact float64 coordinates), loads in 0.01 s. It also keeps each zone's membership grid
classified whole (`geo.zone_grid`, zlib-compressed: 25 kB), so that a run learns none of it.
It is only a faster way to the same zones: `scripts/build_zones.py` writes it (`stored`,
`write_binary`) from the zones parsed from the GeoJSON it writes, and it names the GeoJSON by
a digest of its bytes, so a zone file edited since is parsed again
(`geo.zones.load_zone_file`) and gives what it says. The properties are the zone file's own
and are checked as when parsed; the geometries were checked when the GeoJSON was parsed to
write this; a grid made with other parameters than today's (`geo.zone_grid.LAYOUT`) is not
used.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import shapely
from shapely.errors import GEOSException
from shapely.geometry import MultiPolygon

from geo.zone_grid import LAYOUT, ZoneGrid

__all__ = ["binary_path", "digest", "dump", "load", "stored", "write_binary"]

MAGIC = b"MAREZWKB"
VERSION = 2
_HEAD = struct.Struct("<8sII")  # magic, version, length of the JSON header
#: One zone as stored: its feature's properties (the zone file's contract), its geometry and
#: its membership grid's state (`geo.zone_grid.ZoneGrid.learn_all`), if any.
Stored = tuple[dict[str, Any], MultiPolygon, bytes | None]


def binary_path(path: Path) -> Path:
    """Return where the binary form of the zone file ``path`` lives (``x.geojson`` -> ``x.wkb``)."""
    return path.with_suffix(".wkb")


def digest(source: bytes) -> str:
    """Return the digest naming a zone file's bytes."""
    return hashlib.blake2b(source, digest_size=20).hexdigest()


def dump(zones: list[Stored], source: bytes) -> bytes:
    """Return the binary form of parsed zones, made from a zone file whose bytes are ``source``."""
    blobs, props = [], []
    for p, geom, cells in zones:
        wkb = bytes(shapely.to_wkb(geom))
        grid = zlib.compress(cells) if cells is not None else b""
        blobs += [wkb, grid]
        props.append({**p, "wkb": len(wkb), "grid": len(grid)})
    head = json.dumps({"source": digest(source), "grid": LAYOUT, "zones": props}).encode()
    return b"".join([_HEAD.pack(MAGIC, VERSION, len(head)), head, *blobs])


def load(blob: bytes, source: bytes) -> list[Stored] | None:
    """Return the zones of a binary form made from ``source``; None if made from other bytes.

    A blob that is not this format (or this version of it) is None too: the caller parses.
    """
    try:
        magic, version, size = _HEAD.unpack_from(blob)
        if magic != MAGIC or version != VERSION:
            return None
        head: dict[str, Any] = json.loads(blob[_HEAD.size : _HEAD.size + size])
        if head["source"] != digest(source):
            return None
        at = _HEAD.size + size
        props, parts, grids = [], [], []
        for p in head["zones"]:
            n, g = p.pop("wkb"), p.pop("grid")
            props.append(p)
            parts.append(blob[at : at + n])
            grids.append(zlib.decompress(blob[at + n : at + n + g]) if g else None)
            at += n + g
        geoms = shapely.from_wkb(parts).tolist()
    except (ValueError, KeyError, TypeError, struct.error, zlib.error, GEOSException):
        return None
    if at != len(blob) or not all(isinstance(g, MultiPolygon) for g in geoms):
        return None
    if head["grid"] != LAYOUT:
        grids = [None] * len(grids)
    return list(zip(props, geoms, grids, strict=True))


class Parsed(Protocol):
    """A parsed zone (`geo.zones.Zone`): what the binary form keeps of it besides properties."""

    @property
    def geometry(self) -> MultiPolygon: ...


Z = TypeVar("Z", bound=Parsed)


def stored(zones: Sequence[Z], properties: Callable[[Z], dict[str, Any]]) -> list[Stored]:
    """Return parsed zones as stored: their properties, geometry and whole membership grid."""
    out: list[Stored] = []
    for z in zones:
        geom = shapely.from_wkb(shapely.to_wkb(z.geometry))  # prepared here, not the caller's
        shapely.prepare(geom)
        grid = ZoneGrid.over(geom)
        out.append((properties(z), z.geometry, grid.learn_all() if grid is not None else None))
    return out


def write_binary(path: Path, zones: list[Stored]) -> Path:
    """Write the binary form of the zone file ``path`` (its parsed ``zones``) beside it."""
    out = binary_path(path)
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(dump(zones, path.read_bytes()))
    tmp.replace(out)
    return out
