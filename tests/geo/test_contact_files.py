from __future__ import annotations

import json

import pytest

from geo.contact_files import ContactFileError, parse_csv, parse_geojson, parse_text, to_csv
from geo.contacts import Contact, ContactKind

HEADER = "time,lat,lon,radius_m,kind,source,course,speed_kn,length_m,people,confidence,note\n"


def test_csv_with_only_required_fields_takes_defaults() -> None:
    (c,) = parse_csv(HEADER + "2026-06-01T03:10:00Z,33.91,12.77,,sar,,,,,,,\n")
    assert c == Contact(1780283400000, 33.91, 12.77, ContactKind.SAR)
    assert c.radius == 500.0  # the kind's default


def test_csv_full_row_and_round_trip() -> None:
    text = HEADER + (
        '2026-06-01T03:10:00Z,33.91,12.77,300,Aircraft,Eagle 1,275,6.5,11,80,0.8,"grey, rubber"\n'
    )
    (c,) = parse_csv(text)
    assert (c.kind, c.source, c.course, c.speed_kn, c.length_m, c.people, c.confidence) == (
        ContactKind.AIRCRAFT, "Eagle 1", 275.0, 6.5, 11.0, 80, 0.8)  # fmt: skip
    assert c.note == "grey, rubber"
    assert parse_csv(to_csv([c])) == [c]


def test_csv_columns_in_any_order_and_extra_columns_ignored() -> None:
    (c,) = parse_csv("kind,lon,lat,time,id\nradar,12.5,34.0,2026-06-01T03:10:00+02:00,77\n")
    assert c.time_ms == 1780283400000 - 2 * 3_600_000
    assert (c.lat, c.lon) == (34.0, 12.5)


def test_time_without_offset_is_utc() -> None:
    (c,) = parse_csv("time,lat,lon,kind\n2026-06-01T03:10:00,34,12,other\n")
    assert c.time_ms == 1780283400000


def test_every_bad_row_is_named_by_row_and_field_and_nothing_is_taken() -> None:
    text = HEADER + (
        "2026-06-01T03:10:00Z,33.9,12.7,,sar,,,,,,,\n"
        "2026-06-01T03:11:00Z,95,12.7,,sar,,,,,,,\n"
        "2026-06-01T03:12:00Z,33.9,12.7,,submarine,,,,,,,\n"
        "1780283400,33.9,12.7,,sar,,,,,,,\n"
        "2026-06-01T03:13:00Z,33.9,12.7,-5,sar,,,,,,,\n"
        "2026-06-01T03:13:00Z,33.9,12.7,,sar,,,,,2.5,,\n"
        "2026-06-01T03:13:00Z,33.9,,,sar,,,,,,,\n"
    )
    with pytest.raises(ContactFileError) as info:
        parse_csv(text)
    got = [(p.row, p.field) for p in info.value.problems]
    assert got == [(2, "lat"), (3, "kind"), (4, "time"), (5, "radius_m"), (6, "people"),
                   (7, "lon")]  # fmt: skip
    assert "6 bad row(s), nothing imported" in str(info.value)
    assert "row 2, lat: 95 out of range" in str(info.value)


def test_missing_required_column_refuses_the_file() -> None:
    with pytest.raises(ContactFileError, match="missing column.*kind"):
        parse_csv("time,lat,lon\n2026-06-01T03:10:00Z,33,12\n")


def test_row_with_too_many_cells_is_refused() -> None:
    with pytest.raises(ContactFileError, match="row 1, row: 5 cells"):
        parse_csv("time,lat,lon,kind\n2026-06-01T03:10:00Z,33,12,sar,extra\n")


def _feature(x: float, y: float, **props: object) -> dict[str, object]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {"time": "2026-06-01T03:10:00Z", "kind": "optical", **props}}  # fmt: skip


def test_geojson_points_carry_the_same_names() -> None:
    fc = {"type": "FeatureCollection", "features": [_feature(12.1, 33.2, people=40)]}
    (c,) = parse_geojson(fc)
    assert (c.lat, c.lon, c.kind, c.people) == (33.2, 12.1, ContactKind.OPTICAL, 40)
    assert parse_text(json.dumps(fc)) == [c]


def test_geojson_non_point_and_disagreeing_lat_are_refused() -> None:
    line = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]},
            "properties": {}}  # fmt: skip
    fc = {"type": "FeatureCollection", "features": [_feature(12.1, 33.2, lat=34.0), line]}
    with pytest.raises(ContactFileError) as info:
        parse_geojson(fc)
    assert [(p.row, p.field) for p in info.value.problems] == [(1, "lat"), (2, "geometry")]


def test_json_list_of_objects() -> None:
    (c,) = parse_text('[{"time": "2026-06-01T03:10:00Z", "lat": 33, "lon": 12, "kind": "vessel"}]')
    assert c.kind is ContactKind.VESSEL


def test_booleans_and_nan_are_not_numbers() -> None:
    with pytest.raises(ContactFileError) as info:
        parse_text(
            '[{"time": "2026-06-01T03:10:00Z", "lat": true, "lon": 12, "kind": "sar"},'
            ' {"time": "2026-06-01T03:10:00Z", "lat": 33, "lon": "nan", "kind": "sar"}]'
        )
    assert [(p.row, p.field) for p in info.value.problems] == [(1, "lat"), (2, "lon")]
