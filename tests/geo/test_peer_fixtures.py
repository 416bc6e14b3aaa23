"""Mare on a peer system's real test data, against the peer's expected output.

`tests/data/peers/gfw_encounter_real_series.csv` is the ``real_series_data`` of Global Fishing
Watch's encounters pipeline (pipe-encounters, Apache-2.0; see tests/data/SOURCES.md): two
vessels, 441910000 and 563418000, alongside in the Mozambique Channel on 2015-03-19, seen the
way a satellite feed sees them (bursts of reports, holes of an hour or two, and eight hours in
which neither is heard). GFW's test expects one encounter of the pair, 07:40 to 20:10 (its raw
encounters merged, on a 10-minute grid). Positions only: no speed or course, class A.

`tests/data/peers/gfw_segment_416000000.csv` is GFW's segmenter's (gpsdio-segment, Apache-2.0)
real track of MMSI 416000000, a number several Taiwanese vessels transmit, read as `mare detect`
reads a table: the segmenter splits it per vessel; Mare must make it one shared-MMSI episode.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ais_ingest.records import PositionReport, Record
from app.cli.tables import run_tables
from geo.engine import Engine
from geo.events import Event, EventKind, Severity, format_time, parse_time
from tests.geo.engine_scenarios import final, make_engine, of_kind, run

PEERS = Path(__file__).parents[1] / "data" / "peers"
DATA = PEERS / "gfw_encounter_real_series.csv"
PAIR = (441910000, 563418000)
#: GFW's expected merged encounter (``_get_merged_expected``: 1426750800 to 1426795800).
GFW_START = parse_time("2015-03-19T07:40:00Z")
GFW_END = parse_time("2015-03-19T20:10:00Z")
#: GFW resamples to 10 minutes; Mare to one: the same meeting may start or end a grid step apart.
SLACK_MS = 20 * 60_000


def records() -> list[Record]:
    with DATA.open() as f:
        return [
            PositionReport(
                time_ms=int(round(float(r["time_s"]) * 1000)),
                mmsi=int(r["mmsi"]),
                msg_type=1,
                lat=float(r["lat"]),
                lon=float(r["lon"]),
                speed=None,
                course=None,
                heading=None,
                status=None,
                turn=None,
                accuracy=True,
                second=None,
            )
            for r in csv.DictReader(f)
        ]


def test_the_fixture_is_the_peers_two_vessels() -> None:
    recs = records()
    assert {r.mmsi for r in recs} == set(PAIR) and len(recs) == 346


def test_gfw_real_encounter_is_one_episode_through_the_satellite_hole() -> None:
    (enc,) = of_kind(run(records()), EventKind.ENCOUNTER)
    assert (enc.mmsi, enc.other_mmsi) == PAIR
    assert abs(enc.start_ms - GFW_START) <= SLACK_MS
    # GFW ends it at 20:10 (its grid stops at a silence over 70 min); Mare's last time together
    # is at least that, and the eight hours unheard in between are part of the one meeting.
    last = enc.end_ms if enc.end_ms is not None else parse_time(enc.details["ongoing_until"])
    assert last >= GFW_END - SLACK_MS
    assert enc.details["unheard_s"] >= 7 * 3600


def test_gfw_real_series_raises_no_going_dark_alert() -> None:
    """The pair's eight hours unheard together is the satellite feed's hole, not two switch-offs."""
    gaps = of_kind(run(records()), EventKind.AIS_GAP)
    assert [g for g in gaps if g.severity in (Severity.MEDIUM, Severity.HIGH)] == []
    assert all(g.end_ms is None or g.end_ms - g.start_ms < 3 * 3600_000 for g in gaps)


def detect_table(path: Path, engine: Engine | None = None) -> list[Event]:
    """The final events of a table read as `mare detect` reads it (no zones)."""
    eng = engine or make_engine((), None, None)
    out: list[Event] = []
    run_tables([path], eng, out.extend)
    return final(out)


def test_gfw_shared_mmsi_416000000_is_one_episode_listing_its_transmitters() -> None:
    events = detect_table(PEERS / "gfw_segment_416000000.csv")
    (ep,) = of_kind(events, EventKind.POSITION_JUMP)
    d = ep.details
    assert d["cause"] == "shared_mmsi"
    firsts = {(round(t["first"]["lat"]), round(t["first"]["lon"])) for t in d["tracks"]}
    # Kaohsiung, Taichung and the Indian Ocean (heard twice, 93 min apart)
    assert {(23, 120), (24, 120), (-10, 61)} <= firsts
    assert of_kind(events, EventKind.IDENTITY_CHANGE) == []
    # speeds are zeroed in every row: a slow run never spans transmitters or a passage
    for loiter in of_kind(events, EventKind.LOITERING):
        hours = (loiter.end_ms or parse_time(loiter.details["ongoing_until"])) - loiter.start_ms
        assert loiter.details["max_drift_nm"] <= 1.5 * 2.0 * hours / 3_600_000 + 1.0


def test_gfw_vessel_heard_again_in_port_days_later_keeps_its_fixes() -> None:
    """gpsdio-segment's regr_710001751 (REBELO XXII): one fix on 01-23, then a segment in port on
    01-27. The return was dropped as "stamped far ahead" (9 fixes in 19 min, where the guard
    wanted 10, and a boat in port moves too little to vouch for its time)."""
    eng = make_engine((), None, None)
    events = detect_table(PEERS / "gfw_segment_regr_710001751.jsonl", eng)
    counts = eng.record_counts()
    assert counts["unused"]["future_time"] == 0 and counts["unused"]["same_time"] == 0
    (gap,) = of_kind(events, EventKind.AIS_GAP)
    # the return ends the silence: it is a fix of the track, not a record set aside
    assert gap.end_ms is not None and format_time(gap.end_ms) == "2021-01-27T08:43:27Z"


def test_gfw_shared_mmsi_412588888_keeps_the_satellite_pass_after_the_track() -> None:
    """regr_412588888: HONGDA8 in Douala and GUIHEYU33168 off Zhejiang on one MMSI; GFW's
    data ends with a satellite pass over Douala 5 h 18 min after the Chinese track's last fix."""
    eng = make_engine((), None, None)
    events = detect_table(PEERS / "gfw_segment_regr_412588888.jsonl", eng)
    assert eng.record_counts()["unused"]["future_time"] == 0
    (ep,) = of_kind(events, EventKind.POSITION_JUMP)
    assert ep.details["cause"] == "shared_mmsi"
    assert {n["name"] for n in ep.details["names"]} >= {"HONGDA8", "GUIHEYU33168"}
    # the Chinese boat's name, confirmed after the MMSI's position jumped 6,400 nm to it, is
    # the second transmitter's: listed in the episode, not a second alert beside it
    assert of_kind(events, EventKind.IDENTITY_CHANGE) == []
    # HONGDA8's silence from 01-04 18:48 ends when a satellite hears it again off Douala,
    # though the detectors follow the Chinese boat's track by then
    (silence,) = [g for g in of_kind(events, EventKind.AIS_GAP) if g.start_ms == ep.start_ms]
    assert silence.end_ms is not None and format_time(silence.end_ms) == "2021-01-08T05:05:27Z"
    assert silence.details["other_transmitter"] is True


def test_gfw_helicopter_987357559_flying_as_it_reports_is_no_jump() -> None:
    """gpsdio-segment's 987357559: a craft of a parent ship (98x; a tuna seiner's helicopter,
    60-102 kn reported and flown) in four flights GFW segments one after another. It made
    three shared-MMSI episodes and a critical jump when only class A's 50 kn was believed."""
    events = detect_table(PEERS / "gfw_segment_987357559.jsonl")
    assert of_kind(events, EventKind.POSITION_JUMP) == []


def test_gfw_376091000_two_transmitters_heard_in_turns_are_listed_as_two() -> None:
    """gpsdio-segment's 376091000: one MMSI off Colombia and off Mozambique all day (GFW: two
    segments). Each switch between them listed the tracks afresh: "6 transmitters"."""
    events = detect_table(PEERS / "gfw_segment_376091000.jsonl")
    (ep,) = of_kind(events, EventKind.POSITION_JUMP)
    assert ep.details["cause"] == "shared_mmsi"
    assert ep.details["summary"].startswith("2 transmitters")
    lats = sorted(round(tr["first"]["lat"]) for tr in ep.details["tracks"])
    assert lats == [-14, 11]


def test_gfw_regr_417000694_the_boat_is_not_followed_to_fixes_780_nm_off() -> None:
    """gpsdio-segment's regr_417000694: a satellite-heard class B boat near 2.7°S 78.7°E, and
    two fixes near 3°N 66°E (GFW: one-message segments). The first, 14 h 40 min after the
    boat's last fix, needed 53 kn (under class B's 60): the boat was followed there, a silence
    "reappeared 784 nm away", then a jump back and a false ongoing silence."""
    events = detect_table(PEERS / "gfw_segment_regr_417000694.jsonl")
    for gap in of_kind(events, EventKind.AIS_GAP):
        assert gap.lon is not None and gap.lon > 75
        assert gap.end_ms is None or gap.details["reappeared"]["lon"] > 75
    assert len(of_kind(events, EventKind.POSITION_JUMP)) <= 1


def test_gfw_loitering_two_positions_an_hour_apart_without_speed(tmp_path: Path) -> None:
    """GFW's pipe-loitering test (`test_calculate_loitering_stats.py`, Apache-2.0): MMSI
    503040990 off Queensland, two reports an hour apart and a metre apart, no speed; GFW's
    daily loitering record is that hour, 00:14:54 to 01:14:54. Judged by the speed implied
    between the two, the run opened at the second: an hour short, no event at all."""
    table = tmp_path / "loiter.jsonl"
    table.write_text(
        '{"ssvid": "503040990", "timestamp": "2023-10-28T00:14:54+00:00",'
        ' "lat": -20.174032, "lon": 148.89871}\n'
        '{"ssvid": "503040990", "timestamp": "2023-10-28T01:14:54+00:00",'
        ' "lat": -20.174042, "lon": 148.89871}\n'
    )
    (loiter,) = of_kind(detect_table(table), EventKind.LOITERING)
    assert format_time(loiter.start_ms) == "2023-10-28T00:14:54Z"
    assert loiter.details["duration_s"] == 3600.0


def test_gfw_helicopter_987357559_each_landing_is_a_low_silence_not_went_dark() -> None:
    """The helicopter is silent on its ship between flights: 11 silences of 3 h to 3 d 16 h.
    Three (5 to 17 h) were medium "went dark" alerts, the longer ones low: every one is low."""
    gaps = of_kind(detect_table(PEERS / "gfw_segment_987357559.jsonl"), EventKind.AIS_GAP)
    assert len(gaps) == 11
    assert {g.severity for g in gaps} == {Severity.LOW}
    assert all(g.details["routine_silence"] for g in gaps)
