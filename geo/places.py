"""Places (ports, departure towns, arrival areas) for the engine's wording, read from CSV.

The engine says "38 nm N of Zuwara" from a list of `Place`; the list comes from
``geo/data/places.csv`` (GeoNames, see its README) or a file of the user's with the same
header ``name,country,role,lon,lat`` (more columns are ignored). One reader for the service
and ``mare detect``, so a bad file is refused the same way by both.
"""

from __future__ import annotations

import csv
from pathlib import Path

from geo import shipped
from geo.detectors.base import Place
from geo.errors import PlacesFileError


def load_places(path: str | Path) -> list[Place]:
    """Return the places of a CSV file; `PlacesFileError` names the row and the reason."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PlacesFileError(f"places file {path}: {exc}") from exc
    places = []
    for n, r in enumerate(rows, start=2):  # row 1 is the header
        try:
            lon, lat = float(r["lon"]), float(r["lat"])
            name = r["name"]
        except (KeyError, TypeError, ValueError) as exc:
            raise PlacesFileError(f"places file {path}, row {n}: {exc!r}") from exc
        if not (-180 <= lon <= 180 and -90 <= lat <= 90) or not name:
            raise PlacesFileError(f"places file {path}, row {n}: no name or out-of-range lon/lat")
        places.append(Place(name, lon, lat, r.get("country") or "", r.get("role") or ""))
    return places


def shipped_places() -> list[Place]:
    """Return the places Mare ships (`geo.shipped.PLACES_FILE`), none where it is absent.

    The default of `mare detect` and of the benchmarks: a checkout trimmed of its data still
    runs, its events without "38 nm N of Zuwara".
    """
    return load_places(shipped.PLACES_FILE) if shipped.PLACES_FILE.is_file() else []
