import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Point, Polygon, box

from geo import zone_grid
from geo.errors import GeoError, ZoneFileError
from geo.events import Severity
from geo.zone_index import ZoneIndex
from geo.zones import (
    DEFAULT_ALERTS,
    Zone,
    ZoneAlert,
    ZoneKind,
    ZoneRepairWarning,
    load_zone_file,
    parse_zones,
    zones_to_geojson,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "zones"
SQUARE = [[[12.0, 35.0], [13.0, 35.0], [13.0, 36.0], [12.0, 36.0], [12.0, 35.0]]]


def _fc(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def _feature(geometry: dict[str, Any] | None = None, **props: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": "z1", "name": "Zone one", "kind": "custom"}
    base.update(props)
    base = {k: v for k, v in base.items() if v is not _DROP}
    return {
        "type": "Feature",
        "properties": base,
        "geometry": geometry or {"type": "Polygon", "coordinates": SQUARE},
    }


_DROP = object()


def _refused(obj: Any, *fragments: str) -> str:
    with pytest.raises(ZoneFileError) as info:
        parse_zones(obj)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


# --- loader ---------------------------------------------------------------------------------


def test_kinds_are_exactly_the_design_contract() -> None:
    assert {k.value for k in ZoneKind} == {
        "territorial_sea",
        "contiguous_zone",
        "sar_region",
        "departure_hotspot",
        "arrival_area",
        "port",
        "anchorage",
        "patrol_area",
        "custom",
    }


def test_valid_file_loads_with_holes_multiparts_and_defaults() -> None:
    zones = load_zone_file(DATA / "valid_small.geojson")
    ring, ports, hot = zones
    assert [z.id for z in zones] == ["ring-with-hole", "two-parts", "default_props"]
    assert all(isinstance(z.geometry, MultiPolygon) for z in zones)
    assert len(ring.geometry.geoms[0].interiors) == 1
    assert ring.alerts == {"entry", "exit", "dwell"} and ring.dwell_minutes == 30.0
    assert ring.severity is Severity.HIGH and ring.note == "test fixture" and ring.country == "MT"
    assert len(ports.geometry.geoms) == 2 and ports.alerts == frozenset()
    assert hot.alerts == DEFAULT_ALERTS == {"entry", "exit"}
    assert hot.severity is Severity.HIGH  # departure hotspots default to high
    assert hot.note == "" and hot.country is None and hot.dwell_minutes is None


def test_ports_and_anchorages_suppress_behaviour_detection() -> None:
    kinds = {k for k in ZoneKind if Zone("a", "A", k, MultiPolygon()).suppresses_behaviour}
    assert kinds == {ZoneKind.PORT, ZoneKind.ANCHORAGE}


def test_alert_enum_matches_plain_strings() -> None:
    assert "dwell" in frozenset({ZoneAlert.DWELL})
    assert str(ZoneAlert.ENTRY) == "entry" and ZoneAlert("exit") is ZoneAlert.EXIT


def test_zone_file_error_is_a_geo_error() -> None:
    assert issubclass(ZoneFileError, GeoError)


def test_not_a_feature_collection_is_refused() -> None:
    _refused({"type": "Feature"}, "not a GeoJSON FeatureCollection")
    _refused([], "not a GeoJSON FeatureCollection")
    _refused({"type": "FeatureCollection"}, "no features list")


@pytest.mark.parametrize(
    ("props", "fragments"),
    [
        ({"id": _DROP}, ("#0", "no id")),
        ({"id": "Has Spaces"}, ("#0", "'Has Spaces'", "slug")),
        ({"id": 7}, ("#0", "slug")),
        ({"name": ""}, ("'z1'", "name")),
        ({"kind": "harbour"}, ("'z1'", "unknown kind 'harbour'")),
        ({"kind": None}, ("'z1'", "unknown kind None")),
        ({"alerts": "entry"}, ("'z1'", "alerts must be a list")),
        ({"alerts": ["entry", "enter"]}, ("'z1'", "unknown alert 'enter'")),
        ({"alerts": ["dwell"]}, ("'z1'", "dwell alert needs dwell_minutes")),
        ({"alerts": ["dwell"], "dwell_minutes": -5}, ("'z1'", "dwell_minutes must be positive")),
        ({"dwell_minutes": "10"}, ("'z1'", "dwell_minutes must be a number")),
        ({"severity": "urgent"}, ("'z1'", "unknown severity 'urgent'")),
        ({"note": 3}, ("'z1'", "note must be a string")),
        ({"country": 3}, ("'z1'", "country must be a string")),
    ],
)
def test_bad_properties_are_refused_naming_feature_and_reason(
    props: dict[str, Any], fragments: tuple[str, ...]
) -> None:
    _refused(_fc(_feature(**props)), *fragments)


def test_duplicate_id_is_refused_naming_both_features() -> None:
    _refused(_fc(_feature(), _feature(name="Again")), "'z1'", "duplicate id", "#0", "#1")


@pytest.mark.parametrize(
    ("geometry", "fragments"),
    [
        ({"type": "Point", "coordinates": [12, 35]}, ("Polygon or MultiPolygon", "'Point'")),
        (
            {"type": "LineString", "coordinates": [[12, 35], [13, 36]]},
            ("Polygon or MultiPolygon",),
        ),
        (
            {"type": "GeometryCollection", "geometries": []},
            ("Polygon or MultiPolygon",),
        ),
        ({"type": "Polygon", "coordinates": []}, ("empty",)),
        ({"type": "MultiPolygon", "coordinates": []}, ("empty",)),
        (
            {"type": "Polygon", "coordinates": [[[35, 12], [36, 12], [36, 95], [35, 12]]]},
            ("outside the WGS84 range", "(36, 95)"),
        ),
        (
            {"type": "Polygon", "coordinates": [[[190, 35], [191, 35], [191, 36], [190, 35]]]},
            ("outside the WGS84 range",),
        ),
        ({"type": "Polygon", "coordinates": [[["12", 35], [13, 35], [13, 36]]]}, ("numbers",)),
        (
            {"type": "Polygon", "coordinates": [[[12, 35], [13, True], [13, 36], [12, 35]]]},
            ("numbers",),
        ),
        (
            {"type": "Polygon", "coordinates": [[[12, 35], [13, 35, 1], [13, 36], [12, 35]]]},
            ("malformed Polygon",),
        ),
        (
            {"type": "Polygon", "coordinates": [[[12, 35], [13, 35], [13, [36]], [12, 35]]]},
            ("numbers",),
        ),
        ({"type": "Polygon", "coordinates": [[[12, 35], [13, 35]]]}, ("malformed Polygon",)),
        ({"type": "Polygon"}, ("numbers",)),
    ],
)
def test_bad_geometry_is_refused_naming_feature_and_reason(
    geometry: dict[str, Any], fragments: tuple[str, ...]
) -> None:
    _refused(_fc(_feature(geometry)), "'z1'", *fragments)


def test_missing_geometry_is_refused() -> None:
    feature = _feature()
    feature["geometry"] = None
    _refused(_fc(feature), "'z1'", "no geometry")


def test_nan_coordinate_is_refused() -> None:
    geom = {"type": "Polygon", "coordinates": [[[12, 35], [13, float("nan")], [13, 36], [12, 35]]]}
    _refused(_fc(_feature(geom)), "NaN")


def test_feature_without_id_is_named_by_index() -> None:
    _refused(_fc(_feature(id="ok"), _feature(id=_DROP)), "zone #1", "no id")


def test_self_intersection_is_refused_by_default_with_the_reason() -> None:
    with pytest.raises(ZoneFileError, match=r"'bowtie'.*Self-intersection.*repair=True"):
        load_zone_file(DATA / "bowtie.geojson")


def test_self_intersection_is_repaired_on_request_with_a_warning() -> None:
    with pytest.warns(ZoneRepairWarning, match="'bowtie'.*make_valid"):
        (zone,) = load_zone_file(DATA / "bowtie.geojson", repair=True)
    assert zone.geometry.is_valid and len(zone.geometry.geoms) == 2
    assert zone.geometry.area == pytest.approx(0.5)


def test_unreadable_and_non_json_files_are_refused_with_the_path(tmp_path: Path) -> None:
    with pytest.raises(ZoneFileError, match="cannot read"):
        load_zone_file(tmp_path / "missing.geojson")
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ZoneFileError, match=r"bad\.geojson: not JSON"):
        load_zone_file(bad)


def test_file_errors_carry_the_path(tmp_path: Path) -> None:
    path = tmp_path / "z.geojson"
    path.write_text(json.dumps(_fc(_feature(kind="nope"))), encoding="utf-8")
    with pytest.raises(ZoneFileError, match=r"z\.geojson: zone 'z1': unknown kind"):
        load_zone_file(path)


def test_3d_positions_are_accepted_and_flattened() -> None:
    ring = [[12, 35, 0], [13, 35, 0], [13, 36, 0], [12, 35, 0]]
    geom = {"type": "Polygon", "coordinates": [ring]}
    (zone,) = parse_zones(_fc(_feature(geom)))
    assert not zone.geometry.has_z


def test_export_round_trips_every_field() -> None:
    zones = load_zone_file(DATA / "valid_small.geojson")
    exported = zones_to_geojson(zones)
    again = parse_zones(json.loads(json.dumps(exported)))
    assert again == zones
    first = exported["features"][0]
    assert first["geometry"]["type"] == "MultiPolygon"
    assert first["properties"]["alerts"] == ["dwell", "entry", "exit"]
    # RFC 7946: exterior rings counter-clockwise
    ring = Polygon(first["geometry"]["coordinates"][0][0])
    assert ring.exterior.is_ccw


def test_parse_does_not_mutate_its_input() -> None:
    obj = json.loads((DATA / "valid_small.geojson").read_text(encoding="utf-8"))
    before = copy.deepcopy(obj)
    parse_zones(obj)
    assert obj == before


# --- index ----------------------------------------------------------------------------------


def _zone(zid: str, geom: Polygon | MultiPolygon, kind: ZoneKind = ZoneKind.CUSTOM) -> Zone:
    mp = geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])
    return Zone(zid, zid, kind, mp)


def test_index_answers_holes_multiparts_and_overlaps() -> None:
    zones = load_zone_file(DATA / "valid_small.geojson")
    idx = ZoneIndex(zones)
    lon = np.array([14.2, 14.5, 12.05, 12.55, 12.3, 12.1, 20.0])
    lat = np.array([35.2, 35.5, 35.05, 35.05, 35.05, 33.0, 39.0])
    p, z = idx.query(lon, lat)
    assert list(zip(p.tolist(), z.tolist(), strict=True)) == [(0, 0), (2, 1), (3, 1), (5, 2)]
    matrix = idx.membership_matrix(lon, lat)
    assert matrix.shape == (7, 3) and matrix.sum() == 4 and matrix[2, 1]
    assert [zz.id for zz in idx.zones_at(14.2, 35.2)] == ["ring-with-hole"]
    assert idx.zones_at(14.5, 35.5) == []  # in the hole
    assert idx.position("two-parts") == 1


def test_overlapping_zones_all_report_and_pairs_are_sorted() -> None:
    idx = ZoneIndex([_zone("b", box(0, 0, 2, 2)), _zone("a", box(1, 1, 3, 3))])
    p, z = idx.query(np.array([2.5, 1.5, 0.5]), np.array([2.5, 1.5, 0.5]))
    assert p.tolist() == [0, 1, 1, 2] and z.tolist() == [1, 0, 1, 0]


def test_boundary_points_are_outside_and_nan_is_in_no_zone() -> None:
    idx = ZoneIndex([_zone("sq", box(0, 0, 1, 1))])
    lon = np.array([0.0, 0.5, 1.0, np.nan, 0.5, np.inf])
    lat = np.array([0.5, 0.0, 1.0, 0.5, np.nan, 0.5])
    assert idx.query(lon, lat)[0].size == 0
    assert idx.zones_at(float("nan"), float("nan")) == []


def test_empty_index_and_empty_batch() -> None:
    empty = ZoneIndex([])
    p, z = empty.query(np.array([1.0]), np.array([1.0]))
    assert p.size == z.size == 0
    assert empty.membership_matrix(np.array([1.0]), np.array([1.0])).shape == (1, 0)
    idx = ZoneIndex([_zone("sq", box(0, 0, 1, 1))])
    assert idx.query(np.array([]), np.array([]))[0].size == 0


def test_index_refuses_duplicate_ids_and_mismatched_arrays() -> None:
    with pytest.raises(ValueError, match="duplicate zone id"):
        ZoneIndex([_zone("a", box(0, 0, 1, 1)), _zone("a", box(2, 2, 3, 3))])
    with pytest.raises(ValueError, match="differ in length"):
        ZoneIndex([_zone("a", box(0, 0, 1, 1))]).query(np.zeros(2), np.zeros(3))


# --- Hypothesis: vectorised membership equals shapely's scalar contains ----------------------


@st.composite
def _polygons(draw: st.DrawFn) -> MultiPolygon:
    """Valid polygons with holes and several parts: unions of discs and hulls minus discs."""
    coord = st.floats(0, 10, allow_nan=False, allow_infinity=False)
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            pts = draw(st.lists(st.tuples(coord, coord), min_size=3, max_size=8))
            parts.append(shapely.convex_hull(shapely.multipoints(pts)))
        else:
            radius = draw(st.floats(0.2, 4))
            segs = draw(st.integers(1, 6))
            parts.append(Point(draw(coord), draw(coord)).buffer(radius, quad_segs=segs))
    with np.errstate(invalid="ignore"):  # near-degenerate hulls make GEOS warn; kept if valid
        geom = shapely.union_all(parts)
    for _ in range(draw(st.integers(0, 3))):
        hole = Point(draw(coord), draw(coord)).buffer(draw(st.floats(0.1, 2)), quad_segs=2)
        geom = geom.difference(hole)
    areal = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon) and g.area > 0]
    assume(areal)
    mp = MultiPolygon(areal)
    assume(mp.is_valid)
    return mp


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    polys=st.lists(_polygons(), min_size=1, max_size=4),
    seed=st.integers(0, 2**32 - 1),
)
def test_query_equals_scalar_contains(polys: list[MultiPolygon], seed: int) -> None:
    zones = [_zone(f"z{i}", g) for i, g in enumerate(polys)]
    idx = ZoneIndex(zones)
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-1, 11, 300)
    lat = rng.uniform(-1, 11, 300)
    # include exact vertices (boundary points) and NaNs
    verts = shapely.get_coordinates(polys[0])[:20]
    lon = np.r_[lon, verts[:, 0], np.nan]
    lat = np.r_[lat, verts[:, 1], 1.0]
    expected = {
        (i, j)
        for i in range(lon.size)
        for j, zone in enumerate(zones)
        if np.isfinite(lon[i]) and zone.geometry.contains(Point(lon[i], lat[i]))
    }
    p, z = idx.query(lon, lat)
    assert set(zip(p.tolist(), z.tolist(), strict=True)) == expected
    wp, wz = idx.query_within(lon, lat)
    assert np.array_equal(wp, p) and np.array_equal(wz, z)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_tree_path_for_many_zones_equals_scalar_contains(seed: int) -> None:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 10, (150, 2))
    zones = [
        _zone(f"d{i}", Point(x, y).buffer(rng.uniform(0.1, 1.5), quad_segs=3))
        for i, (x, y) in enumerate(centres)
    ]
    idx = ZoneIndex(zones)
    lon = rng.uniform(0, 10, 200)
    lat = rng.uniform(0, 10, 200)
    points = shapely.points(lon, lat)
    expected = {
        (int(i), j)
        for j, zone in enumerate(zones)
        for i in np.flatnonzero(shapely.contains(zone.geometry, points))
    }
    p, z = idx.query(lon, lat)
    assert set(zip(p.tolist(), z.tolist(), strict=True)) == expected


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    polys=st.lists(_polygons(), min_size=1, max_size=3),
    seed=st.integers(0, 2**32 - 1),
    cells=st.sampled_from([1, 3, 16, 256]),
)
def test_membership_grids_answer_as_contains_xy_query_after_query(
    polys: list[MultiPolygon], seed: int, cells: int
) -> None:
    """Points on and next to the boundaries, asked again once their cells are learnt."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(zone_grid, "CELLS", cells)
        zones = [_zone(f"z{i}", g) for i, g in enumerate(polys)]
        idx = ZoneIndex(zones)
        rng = np.random.default_rng(seed)
        verts = np.concatenate([shapely.get_coordinates(g) for g in polys])
        near = verts[rng.integers(0, len(verts), 200)] + rng.normal(0, 1e-7, (200, 2))
        for _ in range(3):
            pts = np.r_[rng.uniform(-1, 11, (200, 2)), near, verts[:30]]
            rng.shuffle(pts)
            lon, lat = pts[:, 0], pts[:, 1]
            want = {
                (int(i), j)
                for j, zone in enumerate(zones)
                for i in np.flatnonzero(shapely.contains_xy(zone.geometry, lon, lat))
            }
            p, z = idx.query(lon, lat)
            assert set(zip(p.tolist(), z.tolist(), strict=True)) == want
            for i in range(0, len(lon), 37):
                expected = [zones[j] for j in sorted(j for k, j in want if k == i)]
                assert idx.zones_at(lon[i], lat[i]) == expected
