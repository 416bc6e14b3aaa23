"""A zone file's binary form is read only when made from that very file, and gives its zones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import shapely

from geo import shipped, zone_binary
from geo.zone_index import ZoneIndex
from geo.zones import load_zone_file, parse_zones, zone_to_feature

DATA = Path(__file__).resolve().parents[1] / "data" / "zones"


def _write_binary(path: Path) -> Path:
    zones = parse_zones(json.loads(path.read_text(encoding="utf-8")))
    stored = zone_binary.stored(zones, lambda z: zone_to_feature(z)["properties"])
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


def test_zones_with_their_stored_grids_answer_as_zones_that_learn_them() -> None:
    """Random points over the shipped set and points next to its vertices."""
    loaded = load_zone_file(shipped.ZONE_FILE)
    parsed = parse_zones(json.loads(shipped.ZONE_FILE.read_bytes()))
    assert all(z.cells for z in loaded) and not any(z.cells for z in parsed)
    rng = np.random.default_rng(3)
    verts = np.concatenate([shapely.get_coordinates(z.geometry) for z in parsed])
    near = verts[rng.integers(0, len(verts), 3000)] + rng.normal(0, 1e-6, (3000, 2))
    lon = np.r_[rng.uniform(7, 20, 20_000), near[:, 0]]
    lat = np.r_[rng.uniform(30, 40, 20_000), near[:, 1]]
    stored, learnt = ZoneIndex(loaded), ZoneIndex(parsed)
    for a, b in zip(stored.query(lon, lat), learnt.query(lon, lat), strict=True):
        assert np.array_equal(a, b)
    for i in range(0, len(lon), 101):
        assert stored.zones_at(lon[i], lat[i]) == learnt.zones_at(lon[i], lat[i])
