"""Own assets: the one validation of an asset (API bodies and the assets file) and the file.

An asset follows its own AIS when it has an MMSI and sits at ``lat``/``lon`` otherwise; with
both, the fix is where it waits until its AIS is heard (a patrol boat in port). The file
(``MARE_ASSETS_FILE``) is CSV with a header row or JSON (a list of objects, or
``{"assets": [...]}``) of the same fields; it is checked whole before anything is written, and
an invalid row refuses the file with its row number and the reason, as a bad zone file does.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, ValidationError, model_validator

#: Columns of the CSV form, in order (also the keys of the JSON form).
COLUMNS = ("name", "kind", "mmsi", "lat", "lon", "max_speed_kn")


class AssetIn(BaseModel):
    """An own asset; a position is needed unless the MMSI will give one."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    kind: Literal["vessel", "aircraft"] = "vessel"
    mmsi: Annotated[int | None, Field(ge=1, le=999_999_999)] = None
    lat: Annotated[float | None, Field(ge=-90, le=90)] = None
    lon: Annotated[float | None, Field(ge=-180, le=180)] = None
    max_speed_kn: Annotated[float, Field(gt=0, le=1000)]

    @model_validator(mode="after")
    def _placed(self) -> Self:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        if self.mmsi is None and self.lat is None:
            raise ValueError("an asset without an MMSI needs lat and lon")
        return self


class AssetFileError(ValueError):
    """An assets file that cannot be read or breaks the rules; the message names the row."""


def _reason(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e["loc"])
        msg = str(e["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def _csv_rows(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("name", "max_speed_kn") if c not in (reader.fieldnames or [])]
    if missing:
        raise AssetFileError(f"no {', '.join(missing)} column (header: {','.join(COLUMNS)})")
    rows = []
    for r in reader:
        # Empty cells are absent values (a fixed asset has no MMSI, a tracked one no fix).
        rows.append({k: v.strip() for k, v in r.items() if k and v is not None and v.strip()})
    return rows


def _json_rows(text: str) -> list[dict[str, Any]]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AssetFileError(f"not JSON ({exc})") from None
    if isinstance(obj, dict):
        obj = obj.get("assets")
    if not isinstance(obj, list) or not all(isinstance(r, dict) for r in obj):
        raise AssetFileError('expected a list of objects, or {"assets": [...]}')
    return obj


def parse_assets(text: str, *, json_form: bool) -> list[AssetIn]:
    """Validate every row (numbered from 1, as a spreadsheet shows data rows after the header)."""
    rows = _json_rows(text) if json_form else _csv_rows(text)
    out: list[AssetIn] = []
    names: set[str] = set()
    for n, row in enumerate(rows, start=1):
        try:
            asset = AssetIn.model_validate(row)
        except ValidationError as exc:
            raise AssetFileError(f"row {n}: {_reason(exc)}") from None
        if asset.name in names:
            raise AssetFileError(f"row {n}: name {asset.name!r} twice (assets upsert by name)")
        names.add(asset.name)
        out.append(asset)
    return out


def load_assets_file(path: str | Path) -> list[AssetIn]:
    """Read and validate an assets file (``.json`` as JSON, anything else as CSV)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AssetFileError(f"assets file {p}: cannot read ({exc})") from None
    try:
        return parse_assets(text, json_form=p.suffix.lower() == ".json")
    except AssetFileError as exc:
        raise AssetFileError(f"assets file {p}: {exc}") from None
