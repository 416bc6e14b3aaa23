"""A track as a simplified GeoJSON line that keeps the time of every vertex it keeps.

Douglas-Peucker in a local metric frame (`geo.geodesy.LocalFrame`), so ``tolerance_m`` is
metres on the water, not degrees (a degree of longitude is 20 % shorter at 36° N). Shapely's
``simplify`` keeps a subset of the input vertices, so each kept vertex is matched back to its
index to carry its time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from geo.events import format_time
from geo.geodesy import LocalFrame


def simplify_track(mmsi: int, cols: dict[str, list[Any]], tolerance_m: float) -> dict[str, Any]:
    """Return a GeoJSON Feature LineString with ``properties.times`` of the kept vertices."""
    lon = np.asarray(cols["lon"], dtype=np.float64)
    lat = np.asarray(cols["lat"], dtype=np.float64)
    times = list(cols["time_ms"])
    keep = np.arange(len(lon))
    if len(lon) > 2 and tolerance_m > 0:
        frame = LocalFrame(float(np.mean(lat)), float(np.mean(lon)))
        x, y = frame.forward(lat, lon)
        xy = np.column_stack([np.asarray(x) * 1852.0, np.asarray(y) * 1852.0])
        line = shapely.linestrings(xy)
        simple = shapely.get_coordinates(shapely.simplify(line, tolerance_m))
        index: dict[tuple[float, float], list[int]] = {}
        for i, (a, b) in enumerate(xy.tolist()):
            index.setdefault((a, b), []).append(i)
        kept: list[int] = []
        last = -1
        for a, b in simple.tolist():
            candidates = [i for i in index.get((a, b), []) if i > last]
            if candidates:
                last = candidates[0]
                kept.append(last)
        keep = np.array(kept, dtype=np.int64)
    coords = [[round(float(lon[i]), 6), round(float(lat[i]), 6)] for i in keep]
    geometry: dict[str, Any] = (
        {"type": "LineString", "coordinates": coords}
        if len(coords) >= 2
        else {"type": "Point", "coordinates": coords[0]}
        if coords
        else {"type": "LineString", "coordinates": []}
    )
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "mmsi": mmsi,
            "times": [format_time(int(times[i])) for i in keep],
            "points": len(lon),
            "kept": len(coords),
            "tolerance_m": tolerance_m,
        },
    }
