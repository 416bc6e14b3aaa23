"""Telling a decoded table from an NMEA capture, from a file's first bytes (no pandas).

`mare detect` and `mare ingest` ask this of every input before deciding how to read it; it
must cost nothing when the input is NMEA, so pandas and GDAL are loaded only to read a table.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ais_ingest.errors import TableError
from ais_ingest.packed import open_packed, zipped_layer
from ais_ingest.table_columns import match_columns, missing_required

#: Bytes read to tell a table from an NMEA capture.
SNIFF_BYTES = 16384
#: Suffixes read as GIS layers whatever their first bytes (a Shapefile's .shp is binary).
LAYER_SUFFIXES = frozenset({".gpkg", ".geojson", ".shp", ".fgb", ".geojsonl", ".geojsons"})
GEOPACKAGE_MAGIC = b"SQLite format 3\x00"


def read_head(path: Path) -> str:
    """Return the file's first `SNIFF_BYTES`, unpacked, as text (a spreadsheet's BOM dropped)."""
    with open_packed(path) as f:
        raw = f.read(SNIFF_BYTES)
    return raw.decode("utf-8-sig", errors="replace")


def first_line(text: str) -> str:
    """Return the first line that is not blank, stripped."""
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "")


def looks_nmea(line: str) -> bool:
    """Whether a line is an NMEA sentence, bare, tag-blocked or after a logger's stamp."""
    return line[:1] in "!\\$" or "VDM," in line or "VDO," in line


def delimiter(text: str) -> str:
    """Return the field separator of a CSV header line (comma unless plainly another)."""
    try:
        return csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def is_layer(path: Path, head: str) -> bool:
    """Return True for a GeoPackage, a GeoJSON (collection or sequence) or a known GIS suffix.

    ``head`` is unpacked: a zipped layer (`zipped_layer`) is told before it is read.
    """
    if path.suffix.lower() in LAYER_SUFFIXES or head.startswith(GEOPACKAGE_MAGIC.decode()):
        return True
    start = head.lstrip()[:4096]
    return start.startswith("{") and '"Feature' in start and '"geometry"' in start


def is_table(path: Path) -> bool:
    """Return True if ``path`` holds a decoded table, False for an NMEA capture (or anything else).

    A CSV whose header names at least two of Mare's fields but not all four required ones is a
    table that cannot be read: `TableError` says which columns are missing.
    """
    if zipped_layer(path) is not None:
        return True
    head = read_head(path)
    if is_layer(path, head):
        return True
    line = first_line(head)
    if not line or looks_nmea(line):
        return False
    if line.startswith(("{", "[")):  # JSON lines, or one JSON array of objects
        return True
    header = next(csv.reader([line], delimiter=delimiter(line)))
    columns = match_columns(header)
    if len(columns) < 2:
        return False
    missing = missing_required(columns)
    if missing:
        raise TableError(
            f"{path}: a table needs columns for {', '.join(missing)}; its header has: "
            + ", ".join(h.strip() for h in header)
        )
    return True
