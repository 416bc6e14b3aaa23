"""Lon/lat boxes that may cross the antimeridian, in one place.

A box is ``(min_lon, min_lat, max_lon, max_lat)``; ``min_lon > max_lon`` means it crosses
±180° (a Pacific view from 170° E to 170° W is ``(170, -10, -170, 10)``), as GeoJSON (RFC 7946
§5.2) and OGC API - Features define it. Every bbox the API, the OGC endpoints and the live
streams accept goes through `make_bbox`, and every test of a point or a shape against one
through `contains` and `pieces`, so they cannot disagree at the antimeridian.

Examples
--------
>>> box = make_bbox(170, -10, -170, 10)
>>> contains(box, 179.5, 0.0), contains(box, -175.0, 0.0), contains(box, 0.0, 0.0)
(True, True, False)
>>> pieces(box)
[(170.0, -10.0, 180.0, 10.0), (-180.0, -10.0, -170.0, 10.0)]
"""

from __future__ import annotations

import math

Bbox = tuple[float, float, float, float]


def make_bbox(a: float, b: float, c: float, d: float) -> Bbox:
    """Return the box of four numbers; ValueError says what is wrong with them."""
    if not all(math.isfinite(x) for x in (a, b, c, d)):
        raise ValueError("bbox must be four finite numbers")
    if not (-180 <= a <= 180 and -180 <= c <= 180 and -90 <= b <= d <= 90):
        raise ValueError("bbox is out of range or has minLat > maxLat")
    return (float(a), float(b), float(c), float(d))


def contains(bbox: Bbox, lon: float | None, lat: float | None) -> bool:
    """Return whether a point lies in the box (edges inclusive; no position: never)."""
    if lon is None or lat is None:
        return False
    a, b, c, d = bbox
    if not b <= lat <= d:
        return False
    return a <= lon <= c if a <= c else (lon >= a or lon <= c)


def pieces(bbox: Bbox) -> list[Bbox]:
    """Return the box as boxes that do not cross the antimeridian (one, or two halves)."""
    a, b, c, d = bbox
    if a <= c:
        return [bbox]
    return [(a, b, 180.0, d), (-180.0, b, c, d)]


def meets(bounds: Bbox, bbox: Bbox) -> bool:
    """Return whether plain ``bounds`` (min <= max) and ``bbox`` overlap."""
    return any(
        not (bounds[2] < p[0] or bounds[0] > p[2] or bounds[3] < p[1] or bounds[1] > p[3])
        for p in pieces(bbox)
    )
