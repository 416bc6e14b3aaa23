"""Land polygons for reachability: the one place in `geo/` that reads a file.

`geo.reach` needs the coastline as a shapely geometry. Reading and unioning the GeoJSON is a
few hundred milliseconds, so callers (the service at start-up, a test fixture) build it once with
`load_land` and pass the result to every `reachable_area` call. The file read sits in this thin
module so that everything else in `geo/` stays free of I/O.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape


def land_from_geojson(obj: dict[str, Any]) -> Any:
    """Union the polygons of a GeoJSON FeatureCollection (or one geometry) into one geometry.

    The union removes shared edges between adjacent polygons (the GSHHG files split a mainland
    along national borders), so the coast is only where land meets sea. Invalid rings are
    repaired with ``make_valid`` rather than rejected: a self-touching islet must not make the
    whole coastline unusable. The result is prepared (`shapely.prepare`) for repeated predicates.

    Examples
    --------
    >>> land = land_from_geojson({"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
    ...      "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}},
    ...     {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
    ...      "coordinates": [[[1, 0], [2, 0], [2, 1], [1, 1], [1, 0]]]}}]})
    >>> land.geom_type, land.area
    ('Polygon', 2.0)
    """
    if obj.get("type") == "FeatureCollection":
        geoms = [shape(f["geometry"]) for f in obj.get("features", []) if f.get("geometry")]
    elif obj.get("type") == "Feature":
        geoms = [shape(obj["geometry"])]
    else:
        geoms = [shape(obj)]
    polys = [shapely.make_valid(g) for g in geoms]
    land = shapely.union_all(polys) if polys else shapely.Polygon()
    shapely.prepare(land)
    return land


def load_land(path: str | Path) -> Any:
    """Read a land GeoJSON file (e.g. ``geo/data/coast/land_gshhg_h.geojson``) into one geometry.

    Build it once and reuse it: see `land_from_geojson`. The GSHHG "h" resolution (about 200 m
    along the coast) is the right trade-off for reachability: "f" is five times the vertices for
    detail well inside the uncertainty of a dark vessel's track.
    """
    with Path(path).open(encoding="utf-8") as fh:
        return land_from_geojson(json.load(fh))
