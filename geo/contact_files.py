"""The contact file contracts (DESIGN.md): CSV with the `CONTACT_FIELDS` header, GeoJSON Points.

Parsing is all or nothing: every row is checked, and a file with any bad row is refused as a
whole with each problem named by row and field (`ContactFileError.problems`), so an import
never stores half a file. Rows are numbered from 1 (the first data row; in a CSV file that is
line 2) and GeoJSON features from 1 as well.

Rules, beyond the contract's "time, lat, lon and kind required, the rest may be empty":

- ``time``: ISO 8601; ``Z`` or an offset, a time without one is taken as UTC (spreadsheets drop
  the ``Z``); epoch seconds are refused, being ambiguous with milliseconds.
- ``lat`` -90..90, ``lon`` -180..180, finite; in GeoJSON the Point's coordinates, and ``lat``/
  ``lon`` properties, if present, must agree with them.
- ``radius_m`` over 0 and at most 100 km; ``course`` 0..360 (360 read as 0); ``speed_kn``
  0..100; ``length_m`` over 0 and at most 500; ``people`` a whole number 0..10,000;
  ``confidence`` 0..1; ``kind`` one of `ContactKind` (any case); ``note`` at most 2,000
  characters, ``source`` at most 100.
- Columns beyond the contract are ignored (a sheet's own ``id`` column, say); a missing required
  column refuses the file.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from geo.contacts import CONTACT_FIELDS, Contact, ContactKind
from geo.errors import GeoError
from geo.events import parse_time

REQUIRED = ("time", "lat", "lon", "kind")
MAX_PROBLEMS = 50  # named in the error; the rest counted


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a row was refused."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


class ContactFileError(GeoError):
    """A contact file (or request body) with bad rows; nothing of it is taken."""

    def __init__(self, what: str, problems: list[Problem], total: int | None = None) -> None:
        self.problems = problems[:MAX_PROBLEMS]
        self.total = len(problems) if total is None else total
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f" (and {self.total - 5} more)" if self.total > 5 else ""
        super().__init__(f"{what}: {self.total} bad row(s), nothing imported: {shown}{more}")

    def detail(self) -> list[dict[str, Any]]:
        """Return the problems as JSON objects (row, field, message)."""
        return [{"row": p.row, "field": p.field, "message": p.message} for p in self.problems]


class _RowError(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _number(
    row: Mapping[str, Any],
    name: str,
    lo: float,
    hi: float,
    *,
    required: bool = False,
    lo_open: bool = False,
) -> float | None:
    raw = row.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise _RowError(name, "required")
        return None
    if isinstance(raw, bool):
        raise _RowError(name, f"not a number: {raw!r}")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise _RowError(name, f"not a number: {_text(raw)[:40]!r}") from None
    if not math.isfinite(value):
        raise _RowError(name, f"not a finite number: {_text(raw)!r}")
    if value < lo or value > hi or (lo_open and value == lo):
        bound = f"over {lo:g}" if lo_open else f"at least {lo:g}"
        raise _RowError(name, f"{value:g} out of range (must be {bound} and at most {hi:g})")
    return value


def _time(row: Mapping[str, Any]) -> int:
    raw = _text(row.get("time"))
    if not raw:
        raise _RowError("time", "required")
    if raw.replace(".", "", 1).isdigit():
        raise _RowError("time", f"{raw!r} is not ISO 8601 (e.g. 2026-06-01T03:10:00Z)")
    try:
        return parse_time(raw)
    except ValueError:
        raise _RowError(
            "time", f"{raw[:40]!r} is not ISO 8601 (e.g. 2026-06-01T03:10:00Z)"
        ) from None


def _kind(row: Mapping[str, Any]) -> ContactKind:
    raw = _text(row.get("kind")).lower()
    if not raw:
        raise _RowError("kind", "required")
    try:
        return ContactKind(raw)
    except ValueError:
        allowed = ", ".join(k.value for k in ContactKind)
        raise _RowError("kind", f"{raw[:40]!r} is not one of {allowed}") from None


def _people(row: Mapping[str, Any]) -> int | None:
    value = _number(row, "people", 0, 10_000)
    if value is None:
        return None
    if value != int(value):
        raise _RowError("people", f"{value:g} is not a whole number")
    return int(value)


def _bounded_text(row: Mapping[str, Any], name: str, limit: int) -> str:
    value = _text(row.get(name))
    if len(value) > limit:
        raise _RowError(name, f"longer than {limit} characters")
    return value


def contact_from_row(row: Mapping[str, Any]) -> Contact:
    """Build one contact from a mapping of the contract's names; `_RowError` on the first fault."""
    time_ms = _time(row)
    lat = _number(row, "lat", -90.0, 90.0, required=True)
    lon = _number(row, "lon", -180.0, 180.0, required=True)
    kind = _kind(row)
    course = _number(row, "course", 0.0, 360.0)
    assert lat is not None and lon is not None
    return Contact(
        time_ms=time_ms,
        lat=lat,
        lon=lon,
        kind=kind,
        radius_m=_number(row, "radius_m", 0.0, 100_000.0, lo_open=True),
        source=_bounded_text(row, "source", 100),
        course=None if course is None else course % 360.0,
        speed_kn=_number(row, "speed_kn", 0.0, 100.0),
        length_m=_number(row, "length_m", 0.0, 500.0, lo_open=True),
        people=_people(row),
        confidence=_number(row, "confidence", 0.0, 1.0),
        note=_bounded_text(row, "note", 2000),
    )


def parse_rows(rows: Iterable[Mapping[str, Any]], what: str = "contacts") -> list[Contact]:
    """Parse mappings (JSON objects, CSV rows) into contacts, all or nothing.

    Examples
    --------
    >>> [c.kind.value for c in parse_rows([{"time": "2026-06-01T03:10:00Z", "lat": 33.9,
    ...                                     "lon": 12.1, "kind": "SAR"}])]
    ['sar']
    >>> parse_rows([{"time": "yesterday", "lat": 33.9, "lon": 12.1, "kind": "sar"}])
    Traceback (most recent call last):
    ...
    geo.contact_files.ContactFileError: contacts: 1 bad row(s), nothing imported: row 1, time: \
'yesterday' is not ISO 8601 (e.g. 2026-06-01T03:10:00Z)
    """
    out: list[Contact] = []
    problems: list[Problem] = []
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            problems.append(Problem(n, "row", "not an object"))
            continue
        try:
            out.append(contact_from_row(row))
        except _RowError as exc:
            problems.append(Problem(n, exc.field, exc.message))
    if problems:
        raise ContactFileError(what, problems)
    return out


def parse_csv(text: str, what: str = "contact CSV") -> list[Contact]:
    """Parse the contract's CSV (header line first), all or nothing."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if not header:
        raise ContactFileError(what, [Problem(0, "header", "empty file, no header line")])
    missing = [f for f in REQUIRED if f not in header]
    if missing:
        raise ContactFileError(
            what,
            [Problem(0, "header", f"missing column(s) {', '.join(missing)} "
                                  f"(header: {','.join(CONTACT_FIELDS)})")],
        )  # fmt: skip
    reader.fieldnames = header
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for n, row in enumerate(reader, start=1):
        if None in row:  # more cells than header names
            problems.append(Problem(n, "row", f"{len(header) + len(row[None])} cells, header has "
                                              f"{len(header)}"))  # fmt: skip
        rows.append(row)
    if problems:
        raise ContactFileError(what, problems)
    return parse_rows(rows, what)


def _feature_row(feature: Any) -> dict[str, Any]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise _RowError("type", "not a GeoJSON Feature")
    geom = feature.get("geometry")
    if not isinstance(geom, dict) or geom.get("type") != "Point":
        raise _RowError("geometry", "not a Point")
    coords = geom.get("coordinates")
    if (
        not isinstance(coords, list)
        or len(coords) < 2
        or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords[:2])
    ):
        raise _RowError("geometry", "coordinates are not [lon, lat]")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise _RowError("properties", "not an object")
    row = dict(props)
    lon, lat = float(coords[0]), float(coords[1])
    for name, value in (("lat", lat), ("lon", lon)):
        given = row.get(name)
        if given not in (None, ""):
            try:
                agrees = abs(float(given) - value) < 1e-6
            except (TypeError, ValueError):
                agrees = False
            if not agrees:
                raise _RowError(name, f"property {given!r} disagrees with the Point ({value})")
        row[name] = value
    return row


def parse_geojson(obj: Any, what: str = "contact GeoJSON") -> list[Contact]:
    """Parse a FeatureCollection (or one Feature) of Points, all or nothing."""
    if isinstance(obj, dict) and obj.get("type") == "Feature":
        features: list[Any] = [obj]
    elif isinstance(obj, dict) and obj.get("type") == "FeatureCollection":
        feats = obj.get("features")
        if not isinstance(feats, list):
            raise ContactFileError(what, [Problem(0, "features", "not a list")])
        features = feats
    else:
        raise ContactFileError(what, [Problem(0, "type", "not a GeoJSON FeatureCollection")])
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for n, feat in enumerate(features, start=1):
        try:
            rows.append(_feature_row(feat))
        except _RowError as exc:
            problems.append(Problem(n, exc.field, exc.message))
            rows.append({})
    if problems:
        raise ContactFileError(what, problems)
    return parse_rows(rows, what)


def parse_text(text: str, what: str = "contacts") -> list[Contact]:
    """Parse a file's text by its content: GeoJSON (or a JSON list of objects) or CSV."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")):
        try:
            obj = json.loads(stripped)
        except ValueError as exc:
            raise ContactFileError(what, [Problem(0, "json", str(exc))]) from None
        if isinstance(obj, list):
            return parse_rows(obj, what)
        return parse_geojson(obj, what)
    return parse_csv(text, what)


def to_csv(contacts: Iterable[Contact]) -> str:
    """Write contacts in the contract's CSV (the inverse of `parse_csv`)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CONTACT_FIELDS)
    for c in contacts:
        d = c.to_dict()
        w.writerow(["" if d[f] is None else d[f] for f in CONTACT_FIELDS])
    return buf.getvalue()


def to_geojson(contacts: Iterable[Contact]) -> dict[str, Any]:
    """Return contacts as a FeatureCollection of Points (properties: the contract's names)."""
    feats = []
    for c in contacts:
        props = c.to_dict()
        feats.append(
            {
                "type": "Feature",
                "id": c.id,
                "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": feats}
