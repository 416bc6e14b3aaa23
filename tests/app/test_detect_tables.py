"""`mare detect` on decoded tables gives the events of the NMEA they were decoded from.

Analysts' extracts arrive as tables (MarineCadastre, the Danish Maritime Authority, GFW, and
`mare decode`'s own output), often ordered by vessel rather than time. The simulator's capture
is decoded by `mare decode` and rewritten in each provider's layout; every run must give the
NMEA run's events, byte for byte where the table carries all the NMEA says.
"""

from __future__ import annotations

import csv
import io
import json
import lzma
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from backports.zstd import compress as zstd_compress

MARE = str(Path(sys.executable).with_name("mare"))


def _mare(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MARE, *map(str, args)], capture_output=True, text=True, timeout=240, check=False
    )


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Six simulated hours of 40 vessels, their events, and `mare decode`'s CSV of them."""
    d = tmp_path_factory.mktemp("tables")
    nmea = d / "sim.nmea"
    assert (
        _mare(
            "simulate", "--out", nmea, "--hours", "6", "--seed", "3", "--vessels", "40"
        ).returncode
        == 0
    )
    decoded = d / "sim.csv"
    assert _mare("decode", nmea, "--format", "csv", "--out", decoded).returncode == 0
    events = d / "nmea.events"
    assert _mare("detect", nmea, "--out", events).returncode == 0
    return {"nmea": nmea, "csv": decoded, "events": events, "dir": d}


def _episodes(path: Path) -> list[tuple[Any, ...]]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [
        (r["kind"], r["mmsi"], r["other_mmsi"], r["zone"], r["start"], r["severity"], r["alert"])
        for r in rows
    ]


def test_mare_decode_output_as_csv_and_json_lines_gives_the_same_events(
    sim: dict[str, Path],
) -> None:
    d = sim["dir"]
    jsonl = d / "sim.jsonl"
    assert _mare("decode", sim["nmea"], "--format", "jsonl", "--out", jsonl).returncode == 0
    expected = sim["events"].read_text()
    assert expected.count("\n") > 100
    for table in (sim["csv"], jsonl):
        out = d / f"{table.suffix}.events"
        stats = d / f"{table.suffix}.stats"
        run = _mare("detect", table, "--out", out, "--stats", stats)
        assert run.returncode == 0, run.stderr
        # The whole table is one step of the engine's batches: each event is still decided
        # on what was known at its own step, so severity and alert match the NMEA run's.
        assert out.read_text() == expected
        report = json.loads(stats.read_text())
        assert report["tables"]["skipped"]["bad_row"] == 0
        assert (
            report["tables"]["rows"]
            == report["tables"]["positions"] + (report["tables"]["statics_only"])
        )


def test_a_marinecadastre_extract_ordered_by_vessel_gives_the_same_episodes(
    sim: dict[str, Path],
) -> None:
    """Statics on every row (the latest heard), class A/B, ISO times without a zone."""
    with sim["csv"].open() as f:
        rows = list(csv.DictReader(f))
    known: dict[str, dict[str, str]] = {}
    out_rows = []
    for r in rows:  # in time order: each row carries what was heard of the vessel so far
        if r["record"] == "static":
            known.setdefault(r["mmsi"], {}).update({k: v for k, v in r.items() if v})
            continue
        s = known.get(r["mmsi"], {})
        length = int(s["to_bow"]) + int(s["to_stern"]) if s.get("to_stern") else ""
        out_rows.append(
            {
                "MMSI": r["mmsi"],
                "BaseDateTime": r["time"].rstrip("Z"),
                "LAT": r["lat"],
                "LON": r["lon"],
                "SOG": r["speed"] or "102.3",
                "COG": r["course"] or "360.0",
                "Heading": r["heading"] or "511",
                "VesselName": s.get("name", ""),
                "IMO": f"IMO{s['imo']}" if s.get("imo") else "",
                "CallSign": s.get("callsign", ""),
                "VesselType": s.get("ship_type", ""),
                "Status": r["status"],
                "Length": length,
                "Width": "",
                "Draft": s.get("draught", ""),
                "Cargo": "",
                "TransceiverClass": "B" if r["msg_type"] in ("18", "19") else "A",
            }
        )
    out_rows.sort(key=lambda r: (r["MMSI"], r["BaseDateTime"]))  # by vessel, as extracts are
    table = sim["dir"] / "AIS_2026_06_01.csv"
    with table.open("w", newline="") as f:
        w = csv.DictWriter(f, list(out_rows[0]))
        w.writeheader()
        w.writerows(out_rows)
    out = sim["dir"] / "mc.events"
    run = _mare("detect", table, "--out", out)
    assert run.returncode == 0, run.stderr
    # An extract ties static data to the position rows after it was heard: events the static
    # data starts (an identity change, an invalid MMSI heard first in a static) start at that
    # row, seconds after the static message did; every other field and event is the same.
    assert _by_static_rows(_episodes(out)) == _by_static_rows(_episodes(sim["events"]))


STATIC_STARTED = ("identity_change", "invalid_mmsi")


def _by_static_rows(episodes: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted((e[:4] + (None,) + e[5:]) if e[0] in STATIC_STARTED else e for e in episodes)


def test_a_table_missing_a_column_or_mixed_with_nmea_is_refused(sim: dict[str, Path]) -> None:
    bad = sim["dir"] / "bad.csv"
    bad.write_text("MMSI,BaseDateTime,SOG\n247000001,2024-01-01T00:00:00,3.0\n")
    run = _mare("detect", bad, "--out", sim["dir"] / "x")
    assert run.returncode == 2
    assert "needs columns for lat, lon" in run.stderr
    run = _mare("detect", sim["nmea"], sim["csv"], "--out", sim["dir"] / "x")
    assert run.returncode == 2
    assert "separate runs" in run.stderr


def test_skipped_rows_are_one_warning_line_naming_the_first(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text(
        "mmsi,time,lat,lon,sog\n"
        "247000001,2024-01-01T00:00:00Z,40.0,12.0,5\n"
        "247000001,2024-01-01T00:01:00Z,40.001,12.0,5\n"
        "247000001,not a time,40.0,12.0,5\n"
    )
    run = _mare("detect", table, "--out", tmp_path / "e")
    assert run.returncode == 0, run.stderr
    assert "1 of 3 table rows skipped: 1 bad_time (first: t.csv row 3: time 'not a time')" in (
        " ".join(run.stderr.split())
    )


def test_gfw_s_encounter_fixture_read_as_it_is_published(tmp_path: Path) -> None:
    """The peer's own CSV (``mmsi,time_s,lat,lon``: epoch seconds), given to `mare detect`
    unconverted: one encounter of the pair (tests/geo/test_peer_fixtures.py judges its span)."""
    fixture = Path(__file__).parents[1] / "data" / "peers" / "gfw_encounter_real_series.csv"
    out = tmp_path / "e.jsonl"
    run = _mare("detect", fixture, "--out", out)
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    meetings = [r for r in rows if r["kind"] == "encounter"]
    assert [(r["mmsi"], r["other_mmsi"]) for r in meetings] == [(441910000, 563418000)]
    assert meetings[0]["start"] == "2015-03-19T07:23:00Z"
    # the track has no SOG and fixes seconds apart 200 m off each other: one loitering each,
    # not one broken wherever two such fixes imply 27 to 146 kn
    loitering = sorted(r["mmsi"] for r in rows if r["kind"] == "loitering")
    assert loitering == [441910000, 563418000]


def test_timings_of_a_table_run_leave_the_engine_untimed(sim: dict[str, Path]) -> None:
    """``--timings`` over a table: no decoding child, and the engine's calls were not timed."""
    spent = sim["dir"] / "timings.json"
    run = _mare("detect", sim["csv"], "--out", sim["dir"] / "t.events", "--timings", spent)
    assert run.returncode == 0, run.stderr
    t = json.loads(spent.read_text())
    assert t["decoding_child"] is None and t["engine_s"] is None and t["after_fork_s"] > 0


def test_packed_tables_and_captures_give_the_plain_files_events(sim: dict[str, Path]) -> None:
    """MarineCadastre ships a zip of one CSV (to 2023) and Zstandard CSV (2024 on), the DMA a
    zip, receivers rotate logs to xz: each gives what the unpacked file gives, by content."""
    d = sim["dir"]
    plain_table = d / "plain.events"
    assert _mare("detect", sim["csv"], "--out", plain_table).returncode == 0
    packed = {
        "AIS_2022_06_01.zip": _zip_of(sim["csv"].read_bytes(), "AIS_2022_06_01.csv"),
        "ais-2024-01-01.csv.zst": zstd_compress(sim["csv"].read_bytes()),
        "capture.zip": _zip_of(sim["nmea"].read_bytes(), "logs/capture.nmea"),
        "capture.log": lzma.compress(sim["nmea"].read_bytes()),  # renamed: no suffix tells
    }
    for name, body in packed.items():
        (d / name).write_bytes(body)
        out = d / f"{name}.events"
        run = _mare("detect", d / name, "--out", out)
        assert run.returncode == 0, run.stderr
        want = plain_table if "AIS" in name or "ais" in name else sim["events"]
        assert _episodes(out) == _episodes(want), name
    run = _mare("decode", d / "capture.log", "--format", "csv", "--out", d / "from_xz.csv")
    assert run.returncode == 0, run.stderr
    assert (d / "from_xz.csv").read_bytes() == sim["csv"].read_bytes()


def test_a_zip_of_several_files_or_a_damaged_one_is_refused_by_name(tmp_path: Path) -> None:
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as z:
        z.writestr("a.nmea", "!AIVDM\n")
        z.writestr("b.nmea", "!AIVDM\n")
    cut = tmp_path / "cut.zst"
    rows = "".join(f"2470{i:05d},2024-01-01T00:00:00Z,36.{i},12.0\n" for i in range(20_000))
    packed = zstd_compress(("mmsi,time,lat,lon\n" + rows).encode())
    cut.write_bytes(packed[: len(packed) // 2])  # a copy interrupted
    for command in (["detect", "--out", tmp_path / "e"], ["decode", "--format", "none"]):
        run = _mare(*command, two)
        assert run.returncode == 2, run.stderr
        assert "two.zip: a zip of 2 files (a.nmea, b.nmea)" in " ".join(run.stderr.split())
        run = _mare(*command, cut)
        assert run.returncode == 2, run.stderr
        assert "cut.zst: damaged packed data" in " ".join(run.stderr.split())
        assert "Traceback" not in run.stderr


def test_a_zipped_shapefile_is_read_as_its_layer(tmp_path: Path) -> None:
    """How GIS layers are handed round: the Shapefile's parts in a zip, in a folder."""
    import geopandas as gpd
    from shapely.geometry import Point

    layer = gpd.GeoDataFrame(
        {
            "mmsi": [247000001] * 4,
            "time": [f"2024-01-01T00:{m:02d}:00Z" for m in (0, 20, 40, 59)],
            "sog": [0.5] * 4,
        },
        geometry=[Point(12.0 + i * 1e-4, 36.0) for i in range(4)],
        crs="EPSG:4326",
    )
    shp = tmp_path / "shp"
    shp.mkdir()
    layer.to_file(shp / "fixes.shp")
    packed = tmp_path / "fixes_shapefile.zip"
    with zipfile.ZipFile(packed, "w") as z:
        for part in shp.iterdir():
            z.write(part, f"fixes/{part.name}")
    out = tmp_path / "e.jsonl"
    run = _mare("detect", packed, "--out", out)
    assert run.returncode == 0, run.stderr
    assert "from 4 lines / 4 records" in " ".join(run.stderr.split()), run.stderr


def _zip_of(body: bytes, name: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, body)
    return buf.getvalue()
