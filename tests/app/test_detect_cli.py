import json
import math
import re
from pathlib import Path
from typing import Any

import pyais
import pytest
from typer.testing import CliRunner

import app.cli.commands  # noqa: F401  (registers the commands)
from ais_ingest.timestamps import nmea_checksum
from app.cli import cli
from geo.events import Event

T0 = 1_780_000_000  # seconds
runner = CliRunner()

ZONES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"id": "zuwara", "name": "Off Zuwara", "kind": "departure_hotspot"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[11.9, 32.9], [12.4, 32.9], [12.4, 33.3], [11.9, 33.3], [11.9, 32.9]]
                ],
            },
        }
    ],
}


def tagged(t_s: int, sentence: str) -> str:
    tag = f"s:test,c:{t_s}"
    return f"\\{tag}*{nmea_checksum(tag):02X}\\{sentence}"


def position(t_s: int, mmsi: int, lat: float, lon: float, sog: float) -> str:
    msg: dict[str, str | int | float | bytes | bool] = {
        "type": 1,
        "mmsi": mmsi,
        "lat": lat,
        "lon": lon,
        "speed": sog,
        "course": 0.0,
    }
    return tagged(t_s, pyais.encode_dict(msg, talker_id="AI")[0])


def capture(tmp_path: Path) -> Path:
    """A boat leaves the Zuwara departure area northbound, goes dark for 1 h, then reappears."""
    lines: list[str] = []
    for k in range(0, 360):  # one hour at 10 s
        t = T0 + k * 10
        lat = 33.2 + 12.0 * 1852 / 3600 * k * 10 / 111_320
        lines.append(position(t, 642000001, lat, 12.1, 12.0))
    for k in range(0, 180):
        t = T0 + 3600 + 3600 + k * 10
        lines.append(position(t, 642000001, 33.6 + k * 0.0006, 12.1, 12.0))
    # an invalid MMSI somewhere else, to see more than one kind
    for k in range(0, 150):  # reporting every minute for the whole capture
        lines.append(position(T0 + k * 60, 123456789, 34.5, 13.0 + k * 0.0015, 5.0))
    lines.sort(key=lambda s: int(s.split("c:")[1].split("*")[0]))
    path = tmp_path / "capture.nmea"
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def round_trips(obj: dict[str, Any]) -> bool:
    """Whether a line is the contract's event (the rules' verdict beside it, as an alert's body).

    ``severity`` is the rules' (raised by the vessel's risk), so it is left out of the check.
    """
    verdict = ("severity", "alert", "rule", "situation")
    back = Event.from_dict(obj).to_dict()
    return {k: v for k, v in back.items() if k != "severity"} == {
        k: v for k, v in obj.items() if k not in verdict
    } and isinstance(obj["alert"], bool)


def zones_file(tmp_path: Path) -> Path:
    p = tmp_path / "zones.geojson"
    p.write_text(json.dumps(ZONES), encoding="utf-8")
    return p


def test_detect_writes_one_contract_line_per_episode(tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    res = runner.invoke(
        cli,
        ["detect", str(capture(tmp_path)), "--zones", str(zones_file(tmp_path)), "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    objs = [json.loads(line) for line in out.read_text().splitlines()]
    kinds = [o["kind"] for o in objs]
    assert sorted(kinds) == ["ais_gap", "invalid_mmsi", "zone_exit"]
    gap = next(o for o in objs if o["kind"] == "ais_gap")
    assert gap["end"] is not None and gap["details"]["duration"].startswith("1 h")
    assert gap["start"].endswith("Z")
    assert all(round_trips(o) for o in objs)
    assert "Events by kind" in res.output and "ais_gap" in res.output


def _alerts_by_kind(output: str) -> dict[str, int]:
    """The "alerts" column of the summary's table (kind, events, still open, alerts)."""
    rows = re.findall(r"^\W*([a-z_]+) +│ +[\d,]+ +│ +[\d,]+ +│ +([\d,]+) +│", output, re.M)
    return {kind: int(n.replace(",", "")) for kind, n in rows}


def test_detect_marks_which_episodes_the_alert_rules_make_alerts(tmp_path: Path) -> None:
    """Issue 13: batch = live: each episode says what the rules made of it, as live decides."""
    out = tmp_path / "events.jsonl"
    args = ["detect", str(capture(tmp_path)), "--zones", str(zones_file(tmp_path)), "--out"]
    res = runner.invoke(cli, [*args, str(out)])
    assert res.exit_code == 0, res.output
    objs = {o["kind"]: o for o in map(json.loads, out.read_text().splitlines())}
    # the shipped rules: going dark (medium) and an MMSI no one issued are alerts; a vessel
    # leaving a departure area is one too, since its ship type is not known (not routine)
    assert objs["ais_gap"]["alert"] is True and objs["ais_gap"]["rule"] == "going-dark"
    assert objs["invalid_mmsi"]["alert"] is True and objs["invalid_mmsi"]["rule"] == "identity"
    assert objs["zone_exit"]["rule"] == "departures" and objs["zone_exit"]["severity"] == "high"
    assert all(o["situation"] for o in objs.values())
    assert _alerts_by_kind(res.output) == {k: int(o["alert"]) for k, o in objs.items()}

    quiet = tmp_path / "quiet.json"
    quiet.write_text('{"rules": [{"id": "none", "when": {}, "then": "event"}]}')
    res = runner.invoke(cli, [*args, str(out), "--rules", str(quiet)])
    assert res.exit_code == 0, res.output
    assert [o["alert"] for o in map(json.loads, out.read_text().splitlines())] == [False] * 3
    assert _alerts_by_kind(res.output) == dict.fromkeys(objs, 0)

    bad = tmp_path / "bad.json"
    bad.write_text('{"rules": [{"id": "odd", "when": {"kinds": ["teleport"]}, "then": "alert"}]}')
    res = runner.invoke(cli, [*args, str(out), "--rules", str(bad)])
    assert res.exit_code == 2 and "odd" in res.output and "Traceback" not in res.output


def test_detect_matches_a_watchlist(tmp_path: Path) -> None:
    wl = tmp_path / "w.csv"
    wl.write_text("mmsi,imo,name,callsign,note\n642000001,,,,suspected mothership\n")
    out = tmp_path / "events.jsonl"
    res = runner.invoke(
        cli,
        [
            "detect",
            str(capture(tmp_path)),
            "--zones",
            str(zones_file(tmp_path)),
            "--watchlist",
            str(wl),
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    matches = [json.loads(x) for x in out.read_text().splitlines() if "watchlist_match" in x]
    assert len(matches) == 1 and matches[0]["details"]["note"] == "suspected mothership"
    assert not math.isnan(matches[0]["lat"])


def test_missing_capture_is_one_clear_error(tmp_path: Path) -> None:
    res = runner.invoke(
        cli,
        [
            "detect",
            str(tmp_path / "nope.nmea"),
            "--zones",
            str(zones_file(tmp_path)),
            "--out",
            str(tmp_path / "e.jsonl"),
        ],
    )
    assert res.exit_code == 2
    assert "no such capture" in res.output and "Traceback" not in res.output


def test_bad_zone_file_is_refused_with_the_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature"}]}')
    res = runner.invoke(
        cli, ["detect", str(capture(tmp_path)), "--zones", str(bad), "--out", str(tmp_path / "e")]
    )
    assert res.exit_code == 2
    assert "error" in res.output and "Traceback" not in res.output


def test_bad_watchlist_is_refused_naming_the_line(tmp_path: Path) -> None:
    wl = tmp_path / "w.csv"
    wl.write_text("mmsi,imo,name,callsign,note\nxyz,,,,\n")
    res = runner.invoke(
        cli,
        [
            "detect",
            str(capture(tmp_path)),
            "--zones",
            str(zones_file(tmp_path)),
            "--watchlist",
            str(wl),
            "--out",
            str(tmp_path / "e"),
        ],
    )
    assert res.exit_code == 2
    assert "line 2" in res.output


CONTACT_HEADER = (
    "time,lat,lon,radius_m,kind,source,course,speed_kn,length_m,people,confidence,note\n"
)


def _iso(t_s: int) -> str:
    from geo.events import format_time

    return format_time(t_s * 1000)


def test_detect_fuses_contacts_dark_and_matched(tmp_path: Path) -> None:
    # one sighting on the northbound boat at 30 min (matched), one far from any AIS (dark)
    lat_30 = 33.2 + 12.0 * 1852 / 3600 * 1800 / 111_320
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        CONTACT_HEADER
        + f"{_iso(T0 + 1800)},{lat_30:.5f},12.1,300,aircraft,Eagle 1,,,,,,\n"
        + f"{_iso(T0 + 1800)},34.9,11.5,,sar,S1A,,,,45,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "events.jsonl"
    res = runner.invoke(
        cli,
        ["detect", str(capture(tmp_path)), "--zones", str(zones_file(tmp_path)),
         "--contacts", str(contacts), "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    objs = [json.loads(line) for line in out.read_text().splitlines()]
    dark = [o for o in objs if o["kind"] == "dark_target"]
    assert len(dark) == 1 and dark[0]["lat"] == 34.9 and dark[0]["details"]["people"] == 45
    assert dark[0]["start"] == _iso(T0 + 1800)
    assert all(round_trips(o) for o in objs)


def test_detect_refuses_a_bad_contact_file_naming_row_and_field(tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACT_HEADER + f"{_iso(T0)},34.9,11.5,,balloon,,,,,,,\n", "utf-8")
    res = runner.invoke(
        cli, ["detect", str(capture(tmp_path)), "--contacts", str(contacts), "--out", "-"]
    )
    assert res.exit_code == 2
    assert "row 1, kind: 'balloon' is not one of" in res.output


def test_detect_saves_the_coverage_it_learnt_and_judges_with_a_saved_one(tmp_path: Path) -> None:
    cap, zones = str(capture(tmp_path)), str(zones_file(tmp_path))
    saved = tmp_path / "coverage.json"
    args = ["detect", cap, "--zones", zones, "--out", str(tmp_path / "a.jsonl")]
    res = runner.invoke(cli, [*args, "--coverage-out", str(saved)])
    assert res.exit_code == 0, res.output
    doc = json.loads(saved.read_text())
    assert doc["format"] == "mare-coverage-map" and doc["cell_deg"] == 0.1
    heard = sum(h for _, h, _ in doc["cells"])
    assert heard == 360 + 180 + 150  # every fix the capture's vessels were heard at
    # Judged with it: the same gap, its coverage now resting on the saved evidence too.
    out = tmp_path / "b.jsonl"
    res = runner.invoke(cli, [*args[:-1], str(out), "--coverage", str(saved)])
    assert res.exit_code == 0, res.output
    (gap,) = [json.loads(x) for x in out.read_text().splitlines() if '"ais_gap"' in x]
    (before,) = [
        json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines() if '"ais_gap"' in x
    ]
    assert gap["start"] == before["start"]
    cov, cov0 = gap["details"]["coverage"], before["details"]["coverage"]
    assert cov["evidence_reports"] > cov0["evidence_reports"]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{not json", "is not JSON"),
        ('{"format": "mare-coverage-map", "version": 9}', "version 9 is not 1"),
        ('{"type": "FeatureCollection"}', "not a coverage map"),
    ],
)
def test_a_bad_coverage_map_is_one_clear_error(tmp_path: Path, text: str, why: str) -> None:
    bad = tmp_path / "cov.json"
    bad.write_text(text)
    res = runner.invoke(
        cli,
        ["detect", str(capture(tmp_path)), "--zones", str(zones_file(tmp_path)),
         "--out", str(tmp_path / "e"), "--coverage", str(bad)],
    )  # fmt: skip
    assert res.exit_code == 2
    assert why in res.output and "Traceback" not in res.output


def test_timings_say_which_process_the_run_waited_for(tmp_path: Path) -> None:
    """``--timings``: the engine's process and the decoding child, each with its share."""
    real = Path("tests/data/ais/aishub/aishub_2015_3min.nmea").read_bytes()
    big = tmp_path / "twice.nmea"  # past `AHEAD_MIN_BYTES`: decoded in a forked child
    big.write_bytes(real + real)
    out, spent = tmp_path / "events.jsonl", tmp_path / "timings.json"
    args = ["detect", str(big), "--assume-time", "6m", "--out", str(out)]
    res = runner.invoke(cli, [*args, "--timings", str(spent)])
    assert res.exit_code == 0, res.output
    t = json.loads(spent.read_text())
    child = t["decoding_child"]
    assert child is not None and child["cpu_s"] > 0
    assert 0 < child["done_after_fork_s"] <= t["after_fork_s"]
    assert child["done_before_end_s"] >= 0
    assert 0 < t["engine_s"] <= t["after_fork_s"]
    assert 0 <= t["waiting_for_batches_s"] <= t["after_fork_s"]
    assert t["before_fork_cpu_s"] > 0 and t["engine_process_cpu_s"] > t["before_fork_cpu_s"]
    events = out.read_text()
    assert runner.invoke(cli, args).exit_code == 0
    assert out.read_text() == events  # timing a run changes nothing of what it finds

    small = tmp_path / "small.nmea"  # decoded in this process: no child to time
    small.write_bytes(real[: 1 << 20])
    small_args = ["detect", str(small), "--assume-time", "1m", "--out", str(out)]
    assert runner.invoke(cli, [*small_args, "--timings", str(spent)]).exit_code == 0
    t = json.loads(spent.read_text())
    assert t["decoding_child"] is None and t["engine_s"] > 0
