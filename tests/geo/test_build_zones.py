"""The shipped zone set (geo/data/zones/central_med.geojson) and the functions that build it.

The full build takes about half a minute, so the shipped file is checked as committed and the
build functions run on a small region (Malta, the Pelagie islands and south-east Sicily, GSHHG
high resolution). ``scripts/build_zones.py --check`` rebuilds the whole file and compares bytes.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Point, box

from geo import shipped
from geo.zone_index import ZoneIndex
from geo.zones import SHIPPED_ZONE_FILE, Zone, ZoneKind, load_zone_file, parse_zones
from scripts.build_zones import (
    NM,
    STATES,
    Land,
    build,
    disc,
    maritime_zones,
    nearer_parts,
    read_land,
    render,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = shipped.DATA_DIR
GEOD = Geod(ellps="WGS84")
SMALL_BOX = (11.8, 34.9, 15.4, 37.0)


def _offset(lon: float, lat: float, azimuth: float, nm: float) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(lon, lat, azimuth, nm * NM)
    return float(x), float(y)


def _ids(index: ZoneIndex, lon: float, lat: float) -> set[str]:
    return {z.id for z in index.zones_at(lon, lat)}


@cache
def _shipped() -> tuple[list[Zone], ZoneIndex]:
    zones = load_zone_file(SHIPPED_ZONE_FILE)
    return zones, ZoneIndex(zones)


@cache
def _land_f() -> Any:
    obj = json.loads((DATA / "coast" / "land_gshhg_f.geojson").read_text(encoding="utf-8"))
    return shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in obj["features"]])


@cache
def _small_land() -> Land:
    obj = json.loads((DATA / "coast" / "land_gshhg_h.geojson").read_text(encoding="utf-8"))
    return read_land(obj, SMALL_BOX)


@cache
def _small_seas() -> dict[str, Zone]:
    states = {k: STATES[k] for k in ("ITA", "MLT")}
    return {z.id: z for z in maritime_zones(_small_land(), states)}


# --- the shipped file -----------------------------------------------------------------------

LAMPEDUSA = (12.60964, 35.50142)
LAMPIONE = (12.33454, 35.55916)
ZUWARA = (12.08199, 32.93120)


def test_shipped_file_loads_small_and_every_zone_valid_with_note_and_country() -> None:
    zones, _ = _shipped()
    assert SHIPPED_ZONE_FILE.stat().st_size < 2_000_000
    kinds = {z.kind for z in zones}
    assert {
        ZoneKind.TERRITORIAL_SEA,
        ZoneKind.CONTIGUOUS_ZONE,
        ZoneKind.SAR_REGION,
        ZoneKind.DEPARTURE_HOTSPOT,
        ZoneKind.ARRIVAL_AREA,
        ZoneKind.PORT,
    } <= kinds
    for z in zones:
        assert z.geometry.is_valid and not z.geometry.is_empty, z.id
        assert z.note and z.country, z.id
        assert shapely.get_precision(z.geometry) == 0  # plain coordinates, rounded on output
    ids = {z.id for z in zones}
    for slug in ("ita", "mlt", "tun", "lby"):
        assert {f"{slug}-territorial-sea", f"{slug}-contiguous-zone"} <= ids
    assert {"srr-ly", "srr-mt", "srr-it"} <= ids
    for place in ("zuwara", "sabratha", "garabulli", "tripoli", "al-khums", "sfax", "kerkennah"):
        assert f"departure-{place}" in ids
    for place in ("lampedusa", "linosa", "pantelleria", "malta", "se-sicily"):
        assert f"arrival-{place}" in ids


def test_shipped_notes_say_what_the_sources_are() -> None:
    zones, _ = _shipped()
    for z in zones:
        if z.kind is ZoneKind.TERRITORIAL_SEA:
            assert "baselines simplified to the coastline" in z.note
            assert "no straight baselines" in z.note and "median lines approximate" in z.note
        if z.kind is ZoneKind.SAR_REGION:
            assert "not verified against GISIS" in z.note and "schnerring/seabats-data" in z.note


def test_alerts_and_severity_follow_the_zone_family() -> None:
    zones, _ = _shipped()
    for z in zones:
        if z.kind is ZoneKind.DEPARTURE_HOTSPOT:
            assert z.severity == "high" and "entry" in z.alerts
        if z.kind is ZoneKind.TERRITORIAL_SEA:
            assert z.alerts == {"entry", "exit"}
        if z.kind is ZoneKind.SAR_REGION:
            assert "entry" in z.alerts
        if z.kind in (ZoneKind.PORT, ZoneKind.ANCHORAGE):
            assert "entry" not in z.alerts and "exit" not in z.alerts and z.suppresses_behaviour


def test_lampedusa_waters_are_italian_territorial_sea() -> None:
    _, index = _shipped()
    for azimuth in (0, 90, 180, 270):
        assert "ita-territorial-sea" in _ids(index, *_offset(*LAMPEDUSA, azimuth, 3))
    # the island itself is land: no sea zone covers it
    assert "ita-territorial-sea" not in _ids(index, *LAMPEDUSA)
    assert _land_f().contains(Point(*LAMPEDUSA))


def test_twenty_nm_south_of_lampedusa_is_contiguous_zone_not_territorial_sea() -> None:
    _, index = _shipped()
    here = _ids(index, *_offset(*LAMPEDUSA, 180, 20))
    assert "ita-contiguous-zone" in here and "ita-territorial-sea" not in here


def test_lampione_has_its_own_territorial_sea() -> None:
    _, index = _shipped()
    far_side = _offset(*LAMPIONE, 270, 5)  # about 14 nm from Lampedusa
    assert "ita-territorial-sea" in _ids(index, *far_side)


@pytest.mark.parametrize(
    ("island", "lon", "lat", "zone"),
    [
        ("Linosa", 12.86310, 35.86273, "ita-territorial-sea"),
        ("Pantelleria", 11.94611, 36.82836, "ita-territorial-sea"),
        ("Gozo", 14.25, 36.05, "mlt-territorial-sea"),
        ("Kerkennah", 11.23140, 34.74368, "tun-territorial-sea"),
    ],
)
def test_small_islands_have_their_own_territorial_sea(
    island: str, lon: float, lat: float, zone: str
) -> None:
    _, index = _shipped()
    assert zone in _ids(index, *_offset(lon, lat, 0, 9)), island


def test_malta_and_italy_seas_do_not_overlap() -> None:
    zones, _ = _shipped()
    by_id = {z.id: z for z in zones}
    for a in ("mlt-territorial-sea", "mlt-contiguous-zone"):
        for b in ("ita-territorial-sea", "ita-contiguous-zone"):
            ga, gb = by_id[a].geometry, by_id[b].geometry
            assert shapely.intersection(ga, gb, grid_size=1e-5).area == 0, (a, b)
            # floating-point overlay leaves at most centimetre-wide slivers along the median line
            shared = shapely.intersection(ga, gb)
            assert shared.area <= 1e-6 * max(1.0, shapely.length(shared) or 1.0), (a, b)
    # the median line lies between Gozo and Sicily: a point midway belongs to one state only
    _, index = _shipped()
    ids = _ids(index, 14.3, 36.4)
    assert len(ids & {"mlt-contiguous-zone", "ita-contiguous-zone"}) <= 1


def test_seas_of_different_states_never_overlap() -> None:
    zones, _ = _shipped()
    belts = [z for z in zones if z.kind in (ZoneKind.TERRITORIAL_SEA, ZoneKind.CONTIGUOUS_ZONE)]
    for i, a in enumerate(belts):
        for b in belts[i + 1 :]:
            assert shapely.intersection(a.geometry, b.geometry, grid_size=1e-5).area == 0


def test_territorial_seas_do_not_cover_land() -> None:
    zones, _ = _shipped()
    land = _land_f()
    rng = np.random.default_rng(5)
    inland = [(14.43, 35.88), (13.19, 32.80), (10.20, 35.00), (14.00, 37.50), LAMPEDUSA]
    for z in zones:
        if z.kind in (ZoneKind.TERRITORIAL_SEA, ZoneKind.PORT):
            for lon, lat in inland:
                assert not z.geometry.contains(Point(lon, lat)), (z.id, lon, lat)
    ts = next(z for z in zones if z.id == "ita-territorial-sea").geometry
    minx, miny, maxx, maxy = ts.bounds
    xs, ys = rng.uniform(minx, maxx, 20000), rng.uniform(miny, maxy, 20000)
    inside = shapely.contains_xy(ts, xs, ys)
    on_land = shapely.contains_xy(land, xs[inside], ys[inside])
    # coastline simplified by ~10 m: only a sliver of sea-zone area may fall on land
    assert on_land.mean() < 0.002


def test_off_zuwara_is_departure_hotspot_and_valletta_harbour_is_a_port() -> None:
    _, index = _shipped()
    assert "departure-zuwara" in _ids(index, *_offset(*ZUWARA, 0, 4))
    assert "departure-zuwara" not in _ids(index, *_offset(*ZUWARA, 0, 13))
    grand_harbour = (14.518, 35.895)
    assert not _land_f().contains(Point(*grand_harbour))
    assert "port-valletta" in _ids(index, *grand_harbour)


def test_sar_regions_exclude_land_and_keep_the_italy_malta_overlap() -> None:
    _, index = _shipped()
    assert {"srr-it", "srr-mt"} <= _ids(index, *_offset(*LAMPEDUSA, 180, 3))
    assert "srr-ly" in _ids(index, 13.0, 33.5)
    assert "srr-ly" not in _ids(index, 13.19, 32.80)  # Tripoli hinterland is land


# --- build functions on a small region -------------------------------------------------------


def test_disc_radius_is_true_in_nautical_miles() -> None:
    d = disc(12.6, 35.5, 12.0)
    lon, lat = shapely.get_coordinates(d.exterior).T
    _, _, dist = GEOD.inv(np.full(lon.size, 12.6), np.full(lon.size, 35.5), lon, lat)
    assert np.allclose(dist, 12 * NM, atol=2.0)


def test_clip_edges_are_not_coastline() -> None:
    obj = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"iso_a3": "ITA", "country": "Italy"},
                "geometry": shapely.geometry.mapping(box(14.0, 35.5, 14.5, 36.5)),
            }
        ],
    }
    land = read_land(obj, (13.0, 35.0, 15.0, 36.0))  # cuts the island at 36N
    coast = land.coast["ITA"]
    assert coast.length == pytest.approx(0.5 + 0.5 + 0.5)  # west, south, east; not the 36N edge
    assert not coast.intersects(LineString([(14.1, 36.0), (14.4, 36.0)]))


def test_buffering_clipped_land_equals_buffering_its_real_coast() -> None:
    obj = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"iso_a3": "MLT", "country": "Malta"},
                "geometry": shapely.geometry.mapping(box(14.0, 35.5, 14.5, 36.5)),
            }
        ],
    }
    land = read_land(obj, (13.0, 35.0, 15.0, 36.0))
    (ts, _) = maritime_zones(land, {"MLT": STATES["MLT"]})
    from scripts.build_zones import buffer_nm

    reference = shapely.difference(buffer_nm(land.coast["MLT"], 12.0), land.union)
    reference = shapely.intersection(reference, land.frame_box)
    assert ts.geometry.symmetric_difference(reference).area < 1e-4 * reference.area


def test_nearer_parts_follow_the_equidistance_line() -> None:
    a = LineString([(12.0, 35.0), (12.0, 35.2)])
    b = LineString([(12.4, 35.0), (12.4, 35.2)])
    region = box(12.05, 35.05, 12.35, 35.15)
    parts = nearer_parts(region, {"a": a, "b": b})
    assert parts["a"].contains(Point(12.15, 35.1)) and parts["b"].contains(Point(12.25, 35.1))
    assert parts["a"].area + parts["b"].area == pytest.approx(region.area, rel=1e-6)
    assert parts["a"].area == pytest.approx(parts["b"].area, rel=0.02)


def test_small_region_seas_keep_facts_of_the_full_build() -> None:
    seas = _small_seas()
    index = ZoneIndex(list(seas.values()))
    assert "ita-territorial-sea" in _ids(index, *_offset(*LAMPEDUSA, 180, 3))
    here = _ids(index, *_offset(*LAMPEDUSA, 180, 20))
    assert "ita-contiguous-zone" in here and "ita-territorial-sea" not in here
    assert "ita-territorial-sea" in _ids(index, *_offset(*LAMPIONE, 270, 5))
    mlt = seas["mlt-contiguous-zone"].geometry
    ita = seas["ita-contiguous-zone"].geometry
    assert shapely.intersection(mlt, ita, grid_size=1e-5).area == 0
    assert all(z.geometry.is_valid for z in seas.values())


def test_build_is_deterministic_and_loadable_on_a_small_region() -> None:
    land_obj = json.loads((DATA / "coast" / "land_gshhg_h.geojson").read_text(encoding="utf-8"))
    sar_obj = json.loads(
        (DATA / "sar" / "sar_regions_unverified.geojson").read_text(encoding="utf-8")
    )
    places = (DATA / "places.csv").read_text(encoding="utf-8")
    tiny = (14.0, 35.6, 14.8, 36.2)  # Malta alone
    states = {"MLT": STATES["MLT"]}
    first = render(build(land_obj, sar_obj, places, tiny, states))
    again = render(build(land_obj, sar_obj, places, tiny, states))
    assert first == again
    zones = {z.id: z for z in parse_zones(json.loads(first))}
    assert {"mlt-territorial-sea", "srr-mt", "arrival-malta", "port-valletta"} <= set(zones)
    assert "port-marsaxlokk" in zones
    # Valletta and Marsaxlokk are 3.7 nm apart: their 2.5-nm port discs are split, not overlapping
    overlap = zones["port-valletta"].geometry.intersection(zones["port-marsaxlokk"].geometry)
    assert overlap.area < 1e-9
