"""Build the dashboard's basemap (geo/data/coast/basemap_med.geojson) from Natural Earth.

Run ``.venv/bin/python scripts/build_basemap.py WORLD_ATLAS/countries-10m.json`` from the
repository root, where WORLD_ATLAS is the unpacked npm package ``world-atlas@2.0.2`` (Natural
Earth 4.1.0 admin-0 1:10m as TopoJSON; NE public domain, world-atlas ISC). The file it writes
holds the land of the whole Mediterranean and its approaches (Atlantic off Gibraltar, Black Sea,
Red Sea, Persian Gulf's edge) and the land borders between countries.

Why not only the GSHHG land the engine uses: that is clipped to the central-Mediterranean box
(7-20°E, 30-40°N), and zoomed out the map showed a rectangle of land cut off in straight
lines. Inside that box the basemap takes GSHHG "h" (geo/data/coast/land_gshhg_h.geojson), the
coast the territorial belts were drawn from; outside it Natural Earth; the union has no seam
where the land goes on across the box's edge.

The box below is wider than the view the dashboard allows (it clamps its view inside
``VIEW_BOX`` in map.js), so no clip line is ever on screen. Borders are the TopoJSON arcs two
countries share (a shared arc is a land border; an arc used once is coast).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from shapely import LineString, MultiLineString, Polygon, box, clip_by_rect, unary_union
from shapely.geometry import mapping, shape

#: lon/lat box of the data: a margin around map.js's VIEW_BOX (-15..48°E, 22..50°N).
BOX = (-30.0, 10.0, 62.0, 60.0)
#: Douglas-Peucker tolerance in degrees (~500 m): below what zoom 9 shows.
TOLERANCE = 0.004
COAST = Path(__file__).resolve().parents[1] / "geo" / "data" / "coast"
OUT = COAST / "basemap_med.geojson"
#: The box of the shipped GSHHG files: there the basemap takes GSHHG "h" (about 200 m), the
#: coastline the zone set's belts were buffered from, so belts and coast agree at zoom 10.
GSHHG_BOX = (7.0, 30.0, 20.0, 40.0)


def decode_arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Return the TopoJSON arcs as lon/lat lists (quantized, delta-encoded in the file)."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        out.append(pts)
    return out


def ring(arcs: list[list[tuple[float, float]]], ids: list[int]) -> list[tuple[float, float]]:
    """Join arcs into a ring (a negative id is arc ~id reversed; shared ends drop once)."""
    pts: list[tuple[float, float]] = []
    for i in ids:
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(a if not pts else a[1:])
    return pts


def polygons(arcs: list[list[tuple[float, float]]], geom: dict[str, Any]) -> list[Polygon]:
    """Return the polygons of a TopoJSON Polygon or MultiPolygon."""
    polys = [geom["arcs"]] if geom["type"] == "Polygon" else geom["arcs"]
    out = []
    for p in polys:
        rings = [r for r in (ring(arcs, ids) for ids in p) if len(r) >= 4]
        if not rings or not _overlaps_box(rings[0]):
            continue
        poly = Polygon(rings[0], rings[1:]).buffer(0)
        if not poly.is_empty:
            out.append(poly)
    return out


def _overlaps_box(pts: list[tuple[float, float]]) -> bool:
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return max(xs) >= BOX[0] and min(xs) <= BOX[2] and max(ys) >= BOX[1] and min(ys) <= BOX[3]


def build(topo: dict[str, Any]) -> dict[str, Any]:
    """Return the basemap FeatureCollection: land polygons, then one feature of borders."""
    arcs = decode_arcs(topo)
    land = unary_union(
        [p for g in topo["objects"]["land"]["geometries"] for p in polygons(arcs, g)]
    )
    land = clip_by_rect(land, *BOX).simplify(TOLERANCE, preserve_topology=True)
    gshhg = json.loads((COAST / "land_gshhg_h.geojson").read_text(encoding="utf-8"))
    fine = unary_union([shape(f["geometry"]).buffer(0) for f in gshhg["features"]])
    land = unary_union([land.difference(box(*GSHHG_BOX)), fine])
    parts = [g for g in getattr(land, "geoms", [land]) if not g.is_empty and g.area > 1e-5]
    features: list[dict[str, Any]] = [
        {"type": "Feature", "properties": {"kind": "land"}, "geometry": _rounded(mapping(p))}
        for p in parts
    ]
    uses: dict[int, int] = {}
    for g in topo["objects"]["countries"]["geometries"]:
        polys = [] if not g.get("arcs") else [g["arcs"]] if g["type"] == "Polygon" else g["arcs"]
        for p in polys:
            for r in p:
                for i in r:
                    k = i if i >= 0 else ~i
                    uses[k] = uses.get(k, 0) + 1
    borders = [LineString(arcs[k]) for k, n in sorted(uses.items()) if n >= 2 and len(arcs[k]) > 1]
    clipped = clip_by_rect(MultiLineString(borders), *BOX).simplify(TOLERANCE)
    features.append(
        {
            "type": "Feature",
            "properties": {"kind": "border"},
            "geometry": _rounded(mapping(clipped)),
        }
    )
    return {
        "type": "FeatureCollection",
        "bbox": list(BOX),
        "metadata": {
            "source": "Natural Earth 4.1.0 admin-0 1:10m via npm world-atlas@2.0.2 "
            "(countries-10m.json); NE public domain, world-atlas ISC",
            "made_by": "scripts/build_basemap.py",
        },
        "features": features,
    }


def _rounded(geom: Any) -> Any:
    """Round coordinates to 4 decimals (~10 m): the file shrinks by half, the picture not."""
    if isinstance(geom, (list, tuple)):
        if geom and isinstance(geom[0], float):
            return [round(v, 4) for v in geom]
        return [_rounded(g) for g in geom]
    if isinstance(geom, dict):
        return {k: _rounded(v) for k, v in geom.items()}
    return geom


def main(argv: list[str] | None = None) -> int:
    """Read world-atlas's countries-10m.json, write the basemap."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("countries_10m", type=Path)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    topo = json.loads(args.countries_10m.read_text(encoding="utf-8"))
    fc = build(topo)
    args.out.write_text(json.dumps(fc, separators=(",", ":")) + "\n", encoding="utf-8")
    n = len(fc["features"]) - 1
    print(f"{args.out}: {n} land polygons and the borders, {args.out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
