"""A zone file's parsed zones in a binary form kept beside it, read instead when it matches.

Parsing the shipped zone set (1.8 MB of GeoJSON, 89k vertices) costs 0.09-0.1 s at every
start of `mare detect`: the JSON, a numpy array per ring and the validity check of every
geometry, each about a quarter. Its parsed form, the zones' properties and their geometries as
WKB (exact float64 coordinates), loads in under 0.01 s. It is only a faster way to the same
zones: `scripts/build_zones.py` writes it (`write_binary`) from the zones parsed from the
GeoJSON it writes, and it names the GeoJSON by a digest of its bytes, so a zone file edited
since is parsed again (`geo.zones.load_zone_file`) and gives what it says. The properties are
the zone file's own and are checked as when parsed; the geometries were checked when the
GeoJSON was parsed to write this.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon

__all__ = ["binary_path", "digest", "dump", "load", "write_binary"]

MAGIC = b"MAREZWKB"
VERSION = 1
_HEAD = struct.Struct("<8sII")  # magic, version, length of the JSON header
#: One zone as stored: its feature's properties (the zone file's contract) and its geometry.
Stored = tuple[dict[str, Any], MultiPolygon]


def binary_path(path: Path) -> Path:
    """Return where the binary form of the zone file ``path`` lives (``x.geojson`` -> ``x.wkb``)."""
    return path.with_suffix(".wkb")


def digest(source: bytes) -> str:
    """Return the digest naming a zone file's bytes."""
    return hashlib.blake2b(source, digest_size=20).hexdigest()


def dump(zones: list[Stored], source: bytes) -> bytes:
    """Return the binary form of parsed zones, made from a zone file whose bytes are ``source``."""
    blobs = [bytes(shapely.to_wkb(geom)) for _, geom in zones]
    props = [{**p, "wkb": len(blob)} for (p, _), blob in zip(zones, blobs, strict=True)]
    head = json.dumps({"source": digest(source), "zones": props}).encode()
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
        props, parts = [], []
        for p in head["zones"]:
            n = p.pop("wkb")
            props.append(p)
            parts.append(blob[at : at + n])
            at += n
        geoms = shapely.from_wkb(parts).tolist()
    except (ValueError, KeyError, TypeError, struct.error, shapely.errors.GEOSException):
        return None
    if at != len(blob) or not all(isinstance(g, MultiPolygon) for g in geoms):
        return None
    return list(zip(props, geoms, strict=True))


def write_binary(path: Path, zones: list[Stored]) -> Path:
    """Write the binary form of the zone file ``path`` (its parsed ``zones``) beside it."""
    out = binary_path(path)
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(dump(zones, path.read_bytes()))
    tmp.replace(out)
    return out
