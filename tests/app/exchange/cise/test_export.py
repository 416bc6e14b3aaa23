"""``mare cise export`` over the simulator's scenarios: one valid document per entity.

The pipeline is the one an operator runs: ``mare simulate`` then ``mare detect`` (real
processes), then the export, from the events file and from the store; every file written is
parsed and validated against the shipped schemas, and a broken copy of one is refused.
"""

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import app.cli.commands  # noqa: F401  (registers the commands)
from app.cli import cli
from app.exchange.cise.entities import involved_mmsis
from app.exchange.cise.errors import CiseSchemaError
from app.exchange.cise.validate import check_entity, entity_errors, parse_xml, tag_of
from app.store import open_store
from app.store.repo import Repo
from geo.events import Event
from simulate.scenario import FULL_FEED_SCENARIOS
from tests.app.store.conftest import create_database, drop_database

MARE = str(Path(sys.executable).with_name("mare"))
runner = CliRunner()


def mare(*args: str, env: dict[str, str] | None = None) -> None:
    res = subprocess.run(
        [MARE, *args], capture_output=True, text=True, timeout=300, env=env or dict(os.environ)
    )
    assert res.returncode == 0, res.stderr


#: Sightings of boats without AIS during the simulated hours (the simulator has no contacts):
#: a rubber boat off Zuwara seen by a patrol aircraft then a satellite, and a hotline call.
CONTACTS = """time,lat,lon,radius_m,kind,source,course,speed_kn,length_m,people,confidence,note
2026-06-01T01:00:00Z,33.05,12.30,500,aircraft,Seabird 1,10,6,12,60,0.9,rubber boat
2026-06-01T01:40:00Z,33.12,12.32,800,sar,Sentinel-1,,,,,0.7,
2026-06-01T02:10:00Z,34.40,15.90,300,hotline,Alarm Phone,,,,40,0.6,boat in distress
"""


def simulated_events(tmp: Path, scenario: str) -> tuple[Path, Path]:
    feed, events = tmp / f"{scenario}.nmea", tmp / f"{scenario}.jsonl"
    contacts = tmp / "contacts.csv"
    contacts.write_text(CONTACTS)
    mare("simulate", "--hours", "3", "--seed", "5", "--vessels", "40", "--scenario", scenario,
         "--out", str(feed), "--watchlist-out", str(tmp / "watchlist.csv"),
         "--truth", str(tmp / "truth.jsonl"))  # fmt: skip
    mare("detect", str(feed), "--watchlist", str(tmp / "watchlist.csv"),
         "--contacts", str(contacts), "--out", str(events))  # fmt: skip
    return feed, events


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def validate_folder(out: Path) -> Counter[str]:
    """Validate every file in ``out``; return documents by root."""
    roots: Counter[str] = Counter()
    for path in sorted(out.iterdir()):
        doc = parse_xml(path.read_bytes())
        assert entity_errors(doc) == [], path.name
        assert path.name.startswith(f"{tag_of(doc)}-")
        roots[tag_of(doc)] += 1
    return roots


@pytest.mark.slow
@pytest.mark.parametrize("scenario", sorted(FULL_FEED_SCENARIOS))
def test_every_document_from_a_scenario_is_valid(tmp_path: Path, scenario: str) -> None:
    _, events_path = simulated_events(tmp_path, scenario)
    events = read_jsonl(events_path)
    out = tmp_path / "cise"
    res = runner.invoke(cli, ["cise", "export", "--events", str(events_path), "--out", str(out),
                              "--authority", "MRCC Roma", "--service-id", "it.mrcc"])  # fmt: skip
    assert res.exit_code == 0, res.output
    roots = validate_folder(out)
    vessels = set(involved_mmsis(events))
    incidents = [ev for ev in events if ev["kind"] == "dark_target" and ev["details"]["people"]]
    assert incidents  # the contacts' boats no AIS vessel explains (60 and 40 people)
    assert roots == {
        "Anomaly": len(events) - len(incidents),
        "IrregularMigrationIncident": len(incidents),
        "Vessel": len(vessels),
    }
    kinds = {doc_kind(p) for p in out.iterdir() if not p.name.startswith("Vessel-")}
    assert kinds == {ev["kind"] for ev in events}
    # every behaviour the run shows (a scenario with little coverage hears less of them)
    shown = {lab["kind"] for lab in read_jsonl(tmp_path / "truth.jsonl")}
    assert {"encounter", "ais_gap", "identity_change", "position_jump"} & shown <= kinds
    assert {"ais_gap", "position_jump"} <= kinds


def doc_kind(path: Path) -> str:
    return str(parse_xml(path.read_bytes()).findtext("Metadata/Designation")).removeprefix("mare:")


def test_the_validator_refuses_a_broken_copy_of_a_written_document(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    ev = Event.from_dict(
        {
            "kind": "ais_gap",
            "mmsi": 642123456,
            "start": "2026-06-01T03:10:00Z",
            "end": None,
            "lat": 33.9,
            "lon": 12.7,
            "severity": "medium",
            "details": {},
        }  # fmt: skip
    )
    events.write_text(json.dumps(ev.to_dict()) + "\n")
    out = tmp_path / "cise"
    res = runner.invoke(cli, ["cise", "export", "--events", str(events), "--out", str(out)])
    assert res.exit_code == 0, res.output
    [anomaly] = out.glob("Anomaly-*.xml")
    good = anomaly.read_text()
    check_entity(parse_xml(good))
    for broken, where in [
        (good.replace("WithoutAISTransmission", "WentDark"), "/Anomaly/AnomalyType"),
        (good.replace("<MMSI>642123456", "<MMSI>MMSI642123456"), "/Anomaly/InvolvedObjectRel"),
        (good.replace("<Latitude>", "<Lat>").replace("</Latitude>", "</Lat>"), "/Anomaly"),
    ]:
        with pytest.raises(CiseSchemaError) as info:
            check_entity(parse_xml(broken))
        assert str(info.value.path).startswith(where)


def test_malformed_lines_are_counted_and_skipped(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    good = {"kind": "loitering", "mmsi": 642123456, "other_mmsi": None, "zone": None,
            "start": "2026-06-01T03:10:00Z", "end": "2026-06-01T05:00:00Z", "lat": 33.9,
            "lon": 12.7, "severity": "medium", "details": {}}  # fmt: skip
    events.write_text(
        json.dumps(good) + "\n{not json\n" + json.dumps(dict(good, start="yesterday")) + "\n"
    )
    out = tmp_path / "cise"
    res = runner.invoke(cli, ["cise", "export", "--events", str(events), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "2 malformed lines skipped" in res.output
    assert validate_folder(out) == {"Anomaly": 1, "Vessel": 1}


def test_bad_options_are_one_line_errors(tmp_path: Path) -> None:
    res = runner.invoke(cli, ["cise", "export", "--events", str(tmp_path / "none.jsonl"),
                              "--out", str(tmp_path / "o")])  # fmt: skip
    assert res.exit_code == 2 and "cannot read events" in res.output
    res = runner.invoke(cli, ["cise", "export", "--from", "monday", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "not an ISO 8601 time" in res.output
    res = runner.invoke(cli, ["cise", "export", "--events", "-", "--risk-type", "Piracy",
                              "--out", str(tmp_path)])  # fmt: skip
    assert res.exit_code == 2 and "--risk-type" in res.output


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of each backend, its schema as `mare db upgrade` leaves it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mare.sqlite'}"
        return
    url = create_database("mare_cise")
    try:
        mare("db", "upgrade", "--url", url)
        yield url
    finally:
        drop_database(url)


@pytest.mark.slow
def test_export_from_the_store_by_window_and_zone_carries_the_stored_vessels(
    tmp_path: Path, database_url: str
) -> None:
    feed, events_path = simulated_events(tmp_path, "default")
    url = database_url
    mare("ingest", str(feed), env={**os.environ, "MARE_DATABASE_URL": url})
    events = read_jsonl(events_path)
    store = open_store(url)
    try:
        Repo(store).write_events([Event.from_dict(e) for e in events])
    finally:
        store.close()
    zone = Counter(e["zone"] for e in events if e["zone"]).most_common(1)[0][0]
    t0, t1 = "2026-06-01T00:30:00Z", "2026-06-01T02:30:00Z"
    expected = [
        e for e in events
        if e["zone"] == zone and e["start"] < t1 and (e["end"] is None or e["end"] >= t0)
    ]  # fmt: skip
    assert expected
    out = tmp_path / "cise"
    res = runner.invoke(cli, ["cise", "export", "--url", url, "--from", t0, "--to", t1,
                              "--zone", zone, "--out", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    roots = validate_folder(out)
    assert roots["Anomaly"] == len(expected)
    assert roots["Vessel"] == len(involved_mmsis(expected))
    # The store knows the vessels' static data, which the events alone do not carry.
    typed = [
        p
        for p in out.glob("Vessel-*.xml")
        if parse_xml(p.read_bytes()).find("ShipType") is not None
    ]
    assert typed
    for path in out.glob("Anomaly-*.xml"):
        doc = parse_xml(path.read_bytes())
        assert doc.findtext("LocationRel/Location/Metadata/Designation") == f"zone:{zone}"
