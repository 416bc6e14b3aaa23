"""A zone file's binary form is read only when made from that very file, and gives its zones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import shapely

from geo import shipped, zone_binary
from geo.zones import load_zone_file, parse_zones, zone_to_feature

DATA = Path(__file__).resolve().parents[1] / "data" / "zones"


def _write_binary(path: Path) -> Path:
    zones = parse_zones(json.loads(path.read_text(encoding="utf-8")))
    stored = [(zone_to_feature(z)["properties"], z.geometry) for z in zones]
    return zone_binary.write_binary(path, stored)


def test_the_shipped_binary_form_is_fresh_and_gives_the_parsed_zones() -> None:
    raw = shipped.ZONE_FILE.read_bytes()
    stored = zone_binary.load(zone_binary.binary_path(shipped.ZONE_FILE).read_bytes(), raw)
    assert stored is not None, "geo/data/zones/central_med.wkb is stale: run build_zones.py"
    parsed = parse_zones(json.loads(raw))
    loaded = load_zone_file(shipped.ZONE_FILE)
    assert loaded == parsed
    assert all(
        shapely.to_wkb(a.geometry) == shapely.to_wkb(b.geometry)
        for a, b in zip(loaded, parsed, strict=True)
    )


def test_an_edited_zone_file_is_parsed_not_read_from_its_old_binary_form(tmp_path: Path) -> None:
    path = tmp_path / "zones.geojson"
    shutil.copy(DATA / "valid_small.geojson", path)
    _write_binary(path)
    obj = json.loads(path.read_text(encoding="utf-8"))
    obj["features"][0]["properties"]["name"] = "Renamed"
    path.write_text(json.dumps(obj), encoding="utf-8")
    assert load_zone_file(path)[0].name == "Renamed"


def test_a_binary_form_of_another_format_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "zones.geojson"
    shutil.copy(DATA / "valid_small.geojson", path)
    zone_binary.binary_path(path).write_bytes(b"not a binary form")
    assert load_zone_file(path) == load_zone_file(DATA / "valid_small.geojson")
    blob = _write_binary(path).read_bytes()
    assert zone_binary.load(blob[:-5], path.read_bytes()) is None
    assert zone_binary.load(blob, path.read_bytes()) is not None
