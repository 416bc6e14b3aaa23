"""Decoded AIS tables as providers write them: columns, times, values, statics, refusals."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ais_ingest.errors import TableError
from ais_ingest.records import iso_utc
from ais_ingest.table_columns import match_columns
from ais_ingest.table_sniff import is_table
from ais_ingest.table_times import NO_TIME, parse_times
from ais_ingest.tables import read_tables

MARINECADASTRE = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass\n"
)
DMA = (
    "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,"
    "Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,"
    "Type of position fixing device,Draught,Destination,ETA,Data source type,A,B,C,D\n"
)


def _times(values: list[object]) -> list[str | None]:
    ms = parse_times(pd.Series(values))
    return [None if v == NO_TIME else iso_utc(int(v)) for v in ms]


def test_times_in_every_form_providers_write() -> None:
    assert _times(["2024-03-01T10:00:00", "2024-03-01 10:00:05Z", "2024-03-01T12:00:06+02:00"]) == [
        "2024-03-01T10:00:00Z",
        "2024-03-01T10:00:05Z",
        "2024-03-01T10:00:06Z",
    ]
    assert _times(["2019-01-01 00:00:00 UTC", "2019-01-01 00:00:01.500000 UTC", "soon"]) == [
        "2019-01-01T00:00:00Z",
        "2019-01-01T00:00:01.500Z",
        None,
    ]
    assert _times([1_700_000_000, 1_700_000_060]) == [
        "2023-11-14T22:13:20Z",
        "2023-11-14T22:14:20Z",
    ]
    assert _times(["1700000000000", "1700000060000"]) == [
        "2023-11-14T22:13:20Z",
        "2023-11-14T22:14:20Z",
    ]


def test_exactearth_compact_times_as_aisdb_keeps_them() -> None:
    """AISdb's test data (``test_data_20210701.csv``, exactEarth's CSV): every row was bad_time."""
    assert _times(["20210701_144207", "20210701_171259", "2021"]) == [
        "2021-07-01T14:42:07Z",
        "2021-07-01T17:12:59Z",
        None,
    ]


def test_slashed_dates_are_read_the_way_the_data_allows() -> None:
    # a day above 12 settles it either way
    assert _times(["13/03/2024 10:00:00", "01/03/2024 10:00:00"]) == [
        "2024-03-13T10:00:00Z",
        "2024-03-01T10:00:00Z",
    ]
    assert _times(["03/13/2024 10:00:00", "03/01/2024 10:00:00"]) == [
        "2024-03-13T10:00:00Z",
        "2024-03-01T10:00:00Z",
    ]
    # both readings parse: the one that spans a day, not ten months, is the extract
    assert _times(["01/03/2024 23:59:00", "02/03/2024 00:01:00", "01/11/2024 00:00:00"])[:2] != [
        None,
        None,
    ]
    ms = parse_times(pd.Series(["01/03/2024 23:59:00", "02/03/2024 00:01:00"]))
    assert int(ms[1] - ms[0]) == 120_000  # day first: 1 and 2 March, two minutes apart


def test_columns_are_known_by_their_folded_names() -> None:
    cols = match_columns(MARINECADASTRE.strip().split(","))
    assert cols["mmsi"] == "MMSI" and cols["time"] == "BaseDateTime" and cols["lat"] == "LAT"
    assert cols["ais_class"] == "TransceiverClass" and cols["ship_type"] == "VesselType"
    cols = match_columns(DMA.strip().split(","))
    assert cols["time"] == "# Timestamp" and cols["ais_class"] == "Type of mobile"
    assert cols["to_bow"] == "A" and cols["turn"] == "ROT"
    gfw = match_columns(["ssvid", "timestamp", "lat", "lon", "speed", "course", "type"])
    assert gfw["mmsi"] == "ssvid" and gfw["msg_type"] == "type"


def test_marinecadastre_rows_become_positions_and_one_static_per_change(tmp_path: Path) -> None:
    rows = [
        "366999001,2024-01-01T00:00:00,37.0,-122.0,10.2,90.0,91,SEA STAR,IMO9000001,WXY1,70,0,"
        "120,20,7.5,70,A",
        "366999001,2024-01-01T00:01:00,37.001,-121.99,10.1,90.5,511,SEA STAR,IMO9000001,WXY1,70,"
        "0,120,20,7.5,70,A",
        "366999002,2024-01-01T00:00:30,91.0,181.0,102.3,360.0,511,,,,37,15,,,,,B",
    ]
    path = tmp_path / "AIS_2024_01_01.csv"
    path.write_text(MARINECADASTRE + "\n".join(rows) + "\n")
    assert is_table(path)
    read = read_tables([path])
    pos = read.positions
    assert pos.time_ms.tolist() == sorted(pos.time_ms.tolist())  # by time, not by file order
    assert pos.mmsi.tolist() == [366999001, 366999002, 366999001]
    assert pos.msg_type.tolist() == [1, 18, 1]
    second = pos.report(1)  # every not-available code is None
    assert (second.lat, second.lon, second.speed, second.course, second.heading) == (None,) * 5
    assert second.status == 15
    first = pos.report(0)
    assert (first.speed, first.course, first.heading, first.status) == (10.2, 90.0, 91, 0)
    statics = read.batch_statics
    named = [s for s in statics if s.mmsi == 366999001]
    assert len(named) == 1  # the same data a minute later is not a new record
    s = named[0]
    assert (s.name, s.callsign, s.imo, s.ship_type, s.length, s.beam, s.draught) == (
        "SEA STAR",
        "WXY1",
        9000001,  # MarineCadastre writes "IMO9000001"
        70,
        120,
        20,
        7.5,
    )
    assert [x.ship_type for x in statics if x.mmsi == 366999002] == [37]
    assert [x.msg_type for x in statics if x.mmsi == 366999002] == [24]  # class B
    assert read.stats.report()["rows"] == 3 and read.stats.warning() is None


def test_dma_rows_day_first_words_and_stations(tmp_path: Path) -> None:
    rows = [
        "13/02/2024 10:00:00,Class A,219000001,55.5,11.5,Under way using engine,0,11.0,180.0,"
        "179,Unknown,OXAB,NORDSO,Fishing,,8,30,GPS,4.2,ESBJERG,,AIS,20,10,4,4",
        "13/02/2024 10:00:10,Base Station,2190047,55.6,11.6,Unknown value,,,,,,,,,,,,,,,,AIS,,,,",
        "13/02/2024 10:00:20,Class A,219000001,55.4999,11.5,Under way using engine,0,11.0,180.0,"
        "179,Unknown,OXAB,NORDSO,Fishing,,8,30,GPS,4.2,ESBJERG,,AIS,20,10,4,4",
    ]
    path = tmp_path / "aisdk-2024-02-13.csv"
    path.write_text(DMA + "\n".join(rows) + "\n")
    read = read_tables([path])
    assert iso_utc(int(read.positions.time_ms[0])) == "2024-02-13T10:00:00Z"
    assert read.positions.mmsi.tolist() == [219000001, 219000001]
    (s,) = read.batch_statics
    assert (s.name, s.ship_type, s.to_bow, s.to_stern, s.destination) == (
        "NORDSO",
        30,
        20,
        10,
        "ESBJERG",
    )
    # the status in words, as the DMA writes it: a vessel under way, not one of unknown status
    assert read.positions.status.tolist() == [0, 0]
    report = read.stats.report()
    assert report["skipped"]["not_a_vessel"] == 1
    assert "row 2" in report["first_skipped"]["not_a_vessel"]


def test_gfw_json_lines_gzipped(tmp_path: Path) -> None:
    lines = [
        {"ssvid": "273111000", "timestamp": "2020-05-01 01:00:00 UTC", "lat": 43.1, "lon": 35.2,
         "speed": 9.5, "course": 45.0, "type": "AIS.1", "shipname": "VOLGA"},
        {"ssvid": "273111000", "timestamp": "2020-05-01 00:00:00 UTC", "lat": 43.0, "lon": 35.1,
         "speed": 9.5, "course": 45.0, "type": "AIS.1", "shipname": "VOLGA"},
    ]  # fmt: skip
    path = tmp_path / "messages.jsonl.gz"
    path.write_bytes(gzip.compress(("\n".join(json.dumps(x) for x in lines) + "\n").encode()))
    assert is_table(path)
    read = read_tables([path])
    assert [iso_utc(int(t)) for t in read.positions.time_ms] == [
        "2020-05-01T00:00:00Z",
        "2020-05-01T01:00:00Z",
    ]
    # an hour apart: the standing data is repeated, as the transponder repeats it
    assert [s.name for s in read.batch_statics] == ["VOLGA", "VOLGA"]


def test_gfw_messages_as_one_json_array_msgid_is_no_message_type(tmp_path: Path) -> None:
    # GFW's message schema as pipe-gaps' test data has it: one JSON array, numbers as text,
    # ``msgid`` a UUID (these end in digits that read as message types 4, 5, 1 and 18) and
    # ``type`` the message type; a satellite's long-range broadcasts (type 27) and a report
    def message(uuid: str, t: float, kind: str, receiver: str) -> dict[str, object]:
        return {"ssvid": "226013750", "msgid": uuid, "timestamp": t,
                "lat": "44.556666666666665", "lon": "-0.24666666666666667", "course": "511.0",
                "speed_knots": "0.0", "type": kind, "receiver_type": receiver}  # fmt: skip

    items = [
        message("295fa26f-cee9-1d86-8d28-d5ed96c32834", 1704412120.0, "AIS.27", "satellite"),
        message("662f36fb-a643-3454-b774-bbf17319d665", 1704378820.0, "AIS.27", "satellite"),
        message("5219f2bc-0184-8324-1d60-c5cc7d84ba01", 1704420758.0, "AIS.1", "terrestrial"),
        message("48a89ffc-50a4-13d7-ffa9-9de88915ce18", 1704356136.0, "AIS.27", "satellite"),
        "not a message",
    ]
    path = tmp_path / "messages.json"
    path.write_text(json.dumps(items, indent=2))
    assert is_table(path)
    read = read_tables([path])
    report = read.stats.report()
    assert report["positions"] == 4
    assert report["skipped"]["bad_row"] == 1
    assert "messages.json item 5: not a JSON object" in report["first_skipped"]["bad_row"]
    assert read.positions.msg_type.tolist() == [27, 27, 27, 1]
    assert read.positions.source == ["satellite", "satellite", "satellite", "terrestrial"]
    assert np.isnan(read.positions.course).all()  # 511: not available
    assert read.positions.speed.tolist() == [0.0] * 4


def test_a_type_column_of_ship_types_says_nothing_of_messages(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "mmsi,time,lat,lon,type\n"
        "247000001,2024-01-01T00:00:00Z,40.0,12.0,70\n"
        "247000002,2024-01-01T00:00:10Z,40.0,12.0,18\n"
        "247000003,2024-01-01T00:00:20Z,40.0,12.0,30\n"
    )
    read = read_tables([path])
    assert read.positions.msg_type.tolist() == [1, 1, 1]


def test_bad_rows_are_counted_with_the_first_example_and_nothing_else_lost(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "mmsi,time,lat,lon\n"
        "247000001,2024-01-01T00:00:00Z,40.0,12.0\n"
        "247000001,yesterday,40.0,12.0\n"
        "twelve,2024-01-01T00:00:10Z,40.0,12.0\n"
        "247000001,2024-01-01T00:00:20Z,40.0,12.0,extra,fields\n"
        "247000002,2024-01-01T00:00:30Z,,\n"
    )
    read = read_tables([path])
    report = read.stats.report()
    assert report["rows"] == 5
    assert report["positions"] == 2  # the row without a position is a record the engine counts
    assert report["skipped"] == {
        "bad_row": 1,
        "bad_time": 1,
        "bad_mmsi": 1,
        "not_a_vessel": 0,
        "other_message": 0,
    }
    assert "row 2: time 'yesterday'" in report["first_skipped"]["bad_time"]
    assert "line 5" in report["first_skipped"]["bad_row"]
    warning = read.stats.warning()
    assert warning is not None and warning.startswith("3 of 5 table rows skipped")
    assert np.isnan(read.positions.lat[1])


def test_a_table_without_a_required_column_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("MMSI,BaseDateTime,SOG\n247000001,2024-01-01T00:00:00,3.0\n")
    with pytest.raises(TableError, match="needs columns for lat, lon; its header has: MMSI"):
        is_table(path)


def test_nmea_and_other_text_are_not_tables(tmp_path: Path) -> None:
    nmea = tmp_path / "a.nmea"
    nmea.write_text("!AIVDM,1,1,,B,13aEOK?P00PD2wVMdLDRhgvL289?,0*26\n")
    tagged = tmp_path / "b.nmea"
    tagged.write_text("\\s:rx,c:1700000000*00\\!AIVDM,1,1,,B,13aEOK?P00PD2wVMdLDRhgvL289?,0*26\n")
    logged = tmp_path / "c.log"
    logged.write_text("1700000000.5 !AIVDM,1,1,,B,13aEOK?P00PD2wVMdLDRhgvL289?,0*26\n")
    prose = tmp_path / "d.txt"
    prose.write_text("hello, world\n")
    assert not any(is_table(p) for p in (nmea, tagged, logged, prose))


def test_a_geopackage_point_layer_in_another_crs_is_read_in_wgs84(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    fixes = gpd.GeoDataFrame(
        {
            "MMSI": [219000001, 219000001],
            "Timestamp": ["2017-07-01 00:01:00", "2017-07-01 00:00:00"],
            "SOG": [9.5, 9.4],
            "Name": ["NORDSO", "NORDSO"],
        },
        geometry=[Point(11.001, 55.001), Point(11.0, 55.0)],
        crs="EPSG:4326",
    ).to_crs("EPSG:3857")
    path = tmp_path / "ais.gpkg"
    fixes.to_file(path, driver="GPKG")
    assert is_table(path)
    read = read_tables([path])
    assert [iso_utc(int(t)) for t in read.positions.time_ms] == [
        "2017-07-01T00:00:00Z",
        "2017-07-01T00:01:00Z",
    ]
    assert read.positions.lat.round(6).tolist() == [55.0, 55.001]
    assert read.positions.lon.round(6).tolist() == [11.0, 11.001]
    assert [s.name for s in read.batch_statics] == ["NORDSO"]
    tracks = gpd.GeoDataFrame(
        {"MMSI": [219000001], "Timestamp": ["2017-07-01"]},
        geometry=[LineString([(11, 55), (11.1, 55.1)])],
        crs="EPSG:4326",
    )
    lines = tmp_path / "tracks.geojson"
    tracks.to_file(lines, driver="GeoJSON")
    assert is_table(lines)
    with pytest.raises(TableError, match="a layer of LineString features; Mare needs one point"):
        read_tables([lines])


def test_a_european_spreadsheet_export_bom_semicolons_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        b"\xef\xbb\xbfMMSI;BaseDateTime;LAT;LON;SOG\r\n"
        b"247000001;2024-01-01T00:00:00;40,5;12,25;3,2\r\n"
        b"247000001;2024-01-01T00:01:00;40,501;12,25;3,2\r\n"
    )
    assert is_table(path)
    pos = read_tables([path]).positions
    assert pos.lat.tolist() == [40.5, 40.501] and pos.lon.tolist() == [12.25, 12.25]
    assert [pos.report(i).speed for i in range(2)] == [3.2, 3.2]


def test_navigational_status_in_the_words_providers_write() -> None:
    from ais_ingest.table_columns import NAV_STATUS_WORDS, coded

    written = pd.Series(["At anchor", "Moored", "Engaged in fishing", "5", "Unknown value",
                         "Restricted manoeuverability", "no such status", None])  # fmt: skip
    got = coded(written, NAV_STATUS_WORDS).tolist()
    assert got[:6] == [1, 5, 7, 5, 15, 3]
    assert all(v != v for v in got[6:])  # NaN: not a status


def test_numbers_are_parsed_as_numbers_and_text_stays_text(tmp_path: Path) -> None:
    """The parser reads the number columns; a call sign of digits keeps its leading zero, and
    a number column with text in it is still read value by value."""
    path = tmp_path / "t.csv"
    path.write_text(
        "MMSI,BaseDateTime,LAT,LON,SOG,VesselName,CallSign,IMO\n"
        "247000001,2024-01-01T00:00:00,36.5,12.25,3.5,007,0123,IMO9000001\n"
        "247000001,2024-01-01T00:01:00,N/A,12.26,3.5,007,0123,IMO9000001\n"
        "247000001,2024-01-01T00:02:00,36.5,12.27,n/a,007,0123,IMO9000001\n"
    )
    read = read_tables([path])
    assert read.positions.lat.tolist()[::2] == [36.5, 36.5]
    assert np.isnan(read.positions.lat[1]) and np.isnan(read.positions.speed[2])
    assert read.positions.lon.tolist()[::2] == [12.25, 12.27]  # no fix where lat is missing
    (s,) = read.batch_statics
    assert (s.name, s.callsign, s.imo) == ("007", "0123", 9000001)
