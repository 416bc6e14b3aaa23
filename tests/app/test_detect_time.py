"""`mare detect` and `mare decode` on event time: sparse captures, captures without time stamps,
records set aside said in the summary and in ``--stats``, episodes written in their final state."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

import app.cli.commands  # noqa: F401  (registers the commands)
from app.cli import cli
from app.cli.timing import parse_span
from geo.events import parse_time
from tests.app.test_detect_cli import T0, position, zones_file

runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "data" / "ais"
AISHUB = DATA / "aishub" / "aishub_2015_3min.nmea"
PYAIS = DATA / "pyais" / "nmea_data_sample.txt"
A, B = 247_100_001, 247_100_002
M_PER_DEG = 111_320.0


def drift(mmsi: int, t_s: int, lat0: float, lon0: float) -> str:
    """A position on a course east at 0.5 kn from (lat0, lon0) at T0."""
    east = 0.5 * 1852 / 3600 * (t_s - T0)
    return position(t_s, mmsi, lat0, lon0 + east / (M_PER_DEG * math.cos(math.radians(lat0))), 0.5)


def alongside(tmp: Path, every_a: int, every_b: int, hours: float, name: str) -> Path:
    """Two vessels 100 m apart at 0.5 kn for ``hours``; the capture ends with them together."""
    end = T0 + int(hours * 3600)
    lines = [(t, drift(A, t, 34.0, 12.5)) for t in range(T0, end + 1, every_a)]
    lines += [(t, drift(B, t, 34.0009, 12.5)) for t in range(T0, end + 1, every_b)]
    lines.sort(key=lambda x: x[0])
    path = tmp / name
    path.write_text("\n".join(line for _, line in lines) + "\n", encoding="ascii")
    return path


def detect(
    tmp: Path, capture: Path, *extra: str
) -> tuple[int, str, list[dict[str, Any]], dict[str, Any]]:
    out, stats = tmp / f"{capture.stem}.jsonl", tmp / f"{capture.stem}.stats.json"
    res = runner.invoke(
        cli,
        ["detect", str(capture), "--zones", str(zones_file(tmp)), "--out", str(out)]
        + ["--stats", str(stats), *extra],
    )
    events = [json.loads(x) for x in out.read_text().splitlines()] if out.exists() else []
    report = json.loads(stats.read_text()) if stats.exists() else {}
    return res.exit_code, res.output, events, report


def test_a_sparse_pair_alongside_for_four_hours_gives_its_episodes(tmp_path: Path) -> None:
    """Issue 12: every 6 or 10 minutes gave 'no event at all'."""
    code, output, events, report = detect(tmp_path, alongside(tmp_path, 360, 600, 4, "s.nmea"))
    assert code == 0, output
    kinds = sorted(e["kind"] for e in events)
    assert kinds == ["encounter", "loitering", "loitering"]
    assert report["engine"]["unused"] == {
        "future_time": 0,
        "same_time": 0,
        "out_of_order": 0,
        "no_position": 0,
        "stale_repeat": 0,
    }
    assert report["engine"]["held"] == 0
    assert "records not used: 0 of" in output and "warning" not in output


def test_an_encounter_open_at_the_end_is_written_in_its_final_state(tmp_path: Path) -> None:
    """Issue 12: a 2.5 h encounter was written as 'for 20 min (ongoing)'."""
    code, output, events, _ = detect(tmp_path, alongside(tmp_path, 60, 180, 2.5, "e.nmea"))
    assert code == 0, output
    (enc,) = [e for e in events if e["kind"] == "encounter"]
    assert enc["end"] is None
    until = parse_time(enc["details"]["ongoing_until"])
    assert T0 * 1000 + 2.4 * 3600_000 <= until <= T0 * 1000 + 2.5 * 3600_000
    assert enc["details"]["duration_s"] == (until - parse_time(enc["start"])) / 1000
    assert enc["details"]["duration_s"] >= 2.3 * 3600
    assert "(ongoing)" in enc["details"]["summary"] and "20 min" not in enc["details"]["summary"]
    for loiter in (e for e in events if e["kind"] == "loitering"):
        assert loiter["end"] is None and loiter["details"]["duration"] == "2 h 30 min"


def test_records_set_aside_are_said_in_one_line_and_counted_by_reason(tmp_path: Path) -> None:
    """Each fix sent twice at the same time with another speed: half the positions unused."""
    capture = alongside(tmp_path, 60, 60, 1.5, "d.nmea")
    lines = capture.read_text().splitlines()
    twins = []
    for line in lines:
        t = int(line.split("c:")[1].split("*")[0])
        mmsi = A if line == drift(A, t, 34.0, 12.5) else B
        twins += [line, position(t, mmsi, 34.0 if mmsi == A else 34.0009, 12.5, 0.7)]
    capture.write_text("\n".join(twins) + "\n")
    code, output, _, report = detect(tmp_path, capture)
    assert code == 0, output
    assert report["engine"]["unused"]["same_time"] == len(lines)
    assert report["records"] == report["engine"]["records"] == 2 * len(lines)
    warnings = [x for x in output.splitlines() if x.startswith("warning:")]
    assert len(warnings) == 1
    assert "(50.0 %) were set aside" in warnings[0] and "same time" in warnings[0]


def test_a_capture_without_time_stamps_is_refused_unless_told_how_to_spread_it(
    tmp_path: Path,
) -> None:
    """AISHub's raw 3-minute sample: every line took the file's mtime, one instant, silently."""
    capture = tmp_path / AISHUB.name
    shutil.copy(AISHUB, capture)
    code, output, events, _ = detect(tmp_path, capture)
    assert code == 2 and events == []
    assert "carry no time of their own" in output and "--assume-time" in output
    assert "Traceback" not in output

    code, output, events, report = detect(tmp_path, capture, "--assume-time", "3m")
    assert code == 0, output
    assert "spread in file order over 180 s" in " ".join(output.split())
    assert report["event_time"] == {"own": 0, "receive": report["event_time"]["receive"],
                                    "restamped": 0}  # fmt: skip
    assert report["engine"]["unused"]["same_time"] == 0
    times = [parse_time(e["start"]) for e in events]
    end = int(capture.stat().st_mtime * 1000)
    assert times and end - 181_000 <= min(times) and max(times) <= end  # starts: whole s


def test_decode_says_which_captures_had_no_time_of_their_own(tmp_path: Path) -> None:
    stats = tmp_path / "s.json"
    res = runner.invoke(cli, ["decode", str(PYAIS), "--format", "none", "--stats", str(stats)])
    assert res.exit_code == 0, res.output
    report = json.loads(stats.read_text())
    assert report["event_time"]["own"] == 0 and report["event_time"]["receive"] > 800
    line = next(x for x in res.output.splitlines() if x.startswith("warning:"))
    assert PYAIS.name in line and "modification time" in line


def test_assume_time_takes_spans_a_person_writes() -> None:
    assert parse_span("3m") == 180.0 and parse_span("1h30m") == 5400.0
    assert parse_span("2.5h") == 9000.0 and parse_span("45s") == 45.0
    for bad in ("", "3", "m", "-3m", "0s", "3 min"):
        try:
            parse_span(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


def test_a_vessel_still_dark_at_the_end_is_written_with_its_silence_so_far(
    tmp_path: Path,
) -> None:
    """Issue 12: a "went dark" episode open at the end kept the state of its first alert."""
    end = T0 + 4 * 3600
    lines = [(t, drift(A, t, 34.0, 12.5)) for t in range(T0, T0 + 3600 + 1, 60)]
    lines += [(t, drift(B, t, 34.5, 12.5)) for t in range(T0, end + 1, 60)]
    capture = tmp_path / "dark.nmea"
    capture.write_text("\n".join(x for _, x in sorted(lines)) + "\n", encoding="ascii")
    code, output, events, _ = detect(tmp_path, capture)
    assert code == 0, output
    (gap,) = [e for e in events if e["kind"] == "ais_gap"]
    assert gap["mmsi"] == A and gap["end"] is None
    assert parse_time(gap["start"]) == (T0 + 3600) * 1000
    assert parse_time(gap["details"]["ongoing_until"]) == end * 1000
    assert gap["details"]["duration_s"] == 3 * 3600.0
    assert gap["details"]["summary"].endswith("silent for 3 h (ongoing)")
    assert gap["details"]["threshold_s"] < 3 * 3600


def test_a_dwell_still_open_at_the_end_is_written_with_the_stay_so_far(tmp_path: Path) -> None:
    """A dwell alert raised at its deadline is written with the whole stay, end null."""
    zones = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "id": "box",
                    "name": "The box",
                    "kind": "patrol_area",
                    "alerts": ["entry", "exit", "dwell"],
                    "dwell_minutes": 30,
                },
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[12.0, 33.5], [13.0, 33.5], [13.0, 34.5], [12.0, 34.5], [12.0, 33.5]]
                    ],
                },
            }  # fmt: skip
        ],
    }
    zpath = tmp_path / "box.geojson"
    zpath.write_text(json.dumps(zones), encoding="utf-8")
    inside = [drift(A, t, 34.0, 12.5) for t in range(T0, T0 + 2 * 3600 + 1, 60)]
    capture = tmp_path / "dwell.nmea"
    capture.write_text("\n".join(inside) + "\n", encoding="ascii")
    out = tmp_path / "dwell.jsonl"
    res = runner.invoke(cli, ["detect", str(capture), "--zones", str(zpath), "--out", str(out)])
    assert res.exit_code == 0, res.output
    events = [json.loads(x) for x in out.read_text().splitlines()]
    (dwell,) = [e for e in events if e["kind"] == "zone_dwell"]
    assert dwell["end"] is None and parse_time(dwell["start"]) == T0 * 1000  # first seen inside
    until = parse_time(dwell["details"]["ongoing_until"])
    assert until == (T0 + 2 * 3600) * 1000
    assert dwell["details"]["duration_s"] == (until - parse_time(dwell["start"])) / 1000
    assert dwell["details"]["summary"] == (
        f"in The box for {dwell['details']['duration']} (ongoing)"
    )
    assert dwell["details"]["duration_s"] == 2 * 3600.0
