"""Detectors defined on time and distance hold on any sampling: the same episodes at one report
every few seconds and at one every hour, and no new false ones (issue 12, item 2)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ais_ingest.records import PositionReport, Record
from geo.events import Event, EventKind
from tests.geo.engine_scenarios import of_kind, pos, run, track

MOTHER, BOAT, FAR, BG = 642100001, 642100002, 247900001, 247900002
HOUR = 3600


def decimate(records: list[Record], every_s: float, phase_s: float = 0.0) -> list[Record]:
    """Keep one report per ``every_s`` per vessel, the first ``phase_s`` after its first."""
    out: list[Record] = []
    due: dict[int, float] = {}
    for r in sorted(records, key=lambda r: r.time_ms):
        t = r.time_ms / 1000.0
        if r.mmsi not in due:
            due[r.mmsi] = t + phase_s
        if t >= due[r.mmsi]:
            out.append(r)
            due[r.mmsi] = t + every_s
    return out


def background(hours: float, every_s: float = 60.0) -> list[Record]:
    """The rest of a feed sampled like the vessels under test: ships cruising 100-200 nm away,
    enough of them, at phases spread over the interval, that a report comes every two minutes
    or so (the engine's clock moves as on a real extract)."""
    n = max(1, math.ceil(every_s / 120.0))
    out: list[Record] = []
    for k in range(n):
        ship = track(BG + k, 0, hours * HOUR, 30, 36.0 + k / 20, 15.5, 11.0, 45.0)
        out += decimate(ship, every_s, phase_s=k * every_s / n) if every_s > 30 else ship
    return out


def alongside(hours: float, apart_deg: float = 0.0009) -> list[Record]:
    """Two vessels drifting together at 0.5 kn, 100 m apart, class A and class B, dense."""
    recs = track(MOTHER, 0, hours * HOUR, 10, 33.40, 12.30, 0.5, 90.0)
    recs += track(BOAT, 3, hours * HOUR, 30, 33.40 + apart_deg, 12.30, 0.5, 90.0, msg_type=18)
    return recs


def only(events: list[Event]) -> dict[EventKind, int]:
    kinds: dict[EventKind, int] = {}
    for e in events:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    return kinds


@pytest.mark.parametrize("every_min", [3, 5, 6, 10, 30, 60])
def test_four_hours_alongside_is_one_encounter_and_two_loiters_at_any_sampling(
    every_min: int,
) -> None:
    s = every_min * 60
    mother = decimate(track(MOTHER, 0, 4 * HOUR, 10, 33.40, 12.30, 0.5, 90.0), s)
    boat = decimate(track(BOAT, 3, 4 * HOUR, 30, 33.4009, 12.30, 0.5, 90.0, msg_type=18), s, s / 2)
    events = run(mother + boat + background(4, s))
    assert only(events) == {EventKind.ENCOUNTER: 1, EventKind.LOITERING: 2}
    (enc,) = of_kind(events, EventKind.ENCOUNTER)
    assert {enc.mmsi, enc.other_mmsi} == {MOTHER, BOAT}
    # Open at the end of the capture; it has lasted from both vessels' first fixes.
    assert enc.start_ms <= boat[0].time_ms + 60_000
    assert 80 <= enc.details["min_distance_m"] <= 120


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.integers(60, 3600), min_size=400, max_size=400),
    st.lists(st.integers(60, 3600), min_size=400, max_size=400),
    st.booleans(),
)
def test_irregular_sparse_sampling_finds_the_encounter_and_never_a_false_one(
    steps_a: list[int], steps_b: list[int], together: bool
) -> None:
    """Satellite-like revisits (1 to 60 min, drawn per pass): together for 5 h is one encounter;
    1.5 km apart for 5 h is none. (Gaps are not asserted: in this feed every other vessel is
    dense, so a newly met one is taken as dense until it has shown its own sampling.)"""
    apart = 0.0009 if together else 0.0135
    dense = alongside(5, apart)

    def sample(mmsi: int, steps: list[int]) -> list[Record]:
        mine = [r for r in dense if r.mmsi == mmsi]
        out, t, k = [], 0.0, 0
        for r in mine:
            if r.time_ms / 1000.0 - 1_780_000_000 >= t:
                out.append(r)
                t += steps[k % len(steps)]
                k += 1
        return out

    events = run(sample(MOTHER, steps_a) + sample(BOAT, steps_b) + background(5))
    assert len(of_kind(events, EventKind.ENCOUNTER)) == (1 if together else 0)
    assert of_kind(events, EventKind.POSITION_JUMP) == []


def test_fast_vessels_passing_at_sparse_sampling_are_not_an_encounter() -> None:
    a = decimate(track(MOTHER, 0, 3 * HOUR, 10, 33.40, 12.0, 12.0, 90.0), 1800)
    b = decimate(track(BOAT, 0, 3 * HOUR, 10, 33.40, 12.0, 12.0, 90.0), 1800, 900)
    assert of_kind(run(a + b + background(3, 1800)), EventKind.ENCOUNTER) == []


def test_a_vessel_that_stopped_alongside_between_sparse_fixes_is_not_claimed_there_before() -> None:
    """One fix fast and far, the next alongside: the hour between is not an encounter."""
    mother = decimate(track(MOTHER, 0, 3 * HOUR, 10, 33.40, 12.30, 0.3, 90.0), 600)
    boat: list[Record] = [pos(0, BOAT, 33.40, 11.80, 14.0, 90.0, 18)]
    boat += decimate(
        track(BOAT, HOUR, HOUR + 900, 30, 33.4009, 12.30, 0.4, 90.0, msg_type=18), 600, 300
    )
    events = run(mother + boat + background(3, 600))
    assert of_kind(events, EventKind.ENCOUNTER) == []  # together 15 min, seen twice


def test_a_vessel_just_met_is_judged_by_the_feeds_sampling() -> None:
    """Seen four times in 12 min, then silent 45 min: dark on a dense feed, sampling on a sparse."""
    vessel = track(FAR, 2 * HOUR, 2 * HOUR + 720, 180, 35.0, 14.0, 9.0, 45.0)
    vessel += track(FAR, 2 * HOUR + 720 + 2700, 3 * HOUR, 180, 35.0, 14.1, 9.0, 45.0)
    on_dense = of_kind(run(vessel + background(3, 60)), EventKind.AIS_GAP)
    assert [e.mmsi for e in on_dense] == [FAR]
    on_sparse = of_kind(run(vessel + background(3, 3000)), EventKind.AIS_GAP)
    assert on_sparse == []


@pytest.mark.parametrize("every_min", [10, 30, 60])
def test_a_day_of_sparse_reports_is_not_a_string_of_gaps(every_min: int) -> None:
    recs = decimate(track(FAR, 0, 24 * HOUR, 30, 35.0, 14.0, 9.0, 45.0), every_min * 60)
    assert run(recs + background(24, every_min * 60)) == []


@pytest.mark.parametrize(
    ("every_min", "silent_h", "gaps"),
    [(1, 0.75, 1), (10, 0.75, 0), (10, 1.5, 1), (30, 2.5, 0), (30, 4, 1), (60, 8, 0), (60, 13, 1)],
)
def test_a_silence_is_a_gap_when_it_is_long_for_the_vessels_sampling(
    every_min: int, silent_h: float, gaps: int
) -> None:
    recs = track(FAR, 0, 30 * HOUR, 30, 35.0, 14.0, 9.0, 45.0)
    recs = [
        r
        for r in recs
        if not (10 * HOUR < r.time_ms / 1000 - 1_780_000_000 < (10 + silent_h) * HOUR)
    ]
    events = run(decimate(recs, every_min * 60) + background(30, every_min * 60))
    assert len(of_kind(events, EventKind.AIS_GAP)) == gaps
    assert only(events).keys() <= {EventKind.AIS_GAP}


def test_a_spoofed_excursion_seen_by_two_half_hourly_fixes_is_one_jump() -> None:
    recs = decimate(track(FAR, 0, 8 * HOUR, 30, 35.0, 14.0, 9.0, 45.0), 1800)
    spoof = [pos(3 * HOUR + 900, FAR, 37.5, 16.5, 9.0), pos(3 * HOUR + 2700, FAR, 37.5, 16.52, 9.0)]
    recs = [r for r in recs if not 3 * HOUR < r.time_ms / 1000 - 1_780_000_000 < 4 * HOUR]
    events = run(recs + spoof + background(8, 1800))
    (jump,) = of_kind(events, EventKind.POSITION_JUMP)
    assert jump.details["cause"] == "excursion" and jump.details["far_fixes"] == 2
    assert only(events) == {EventKind.POSITION_JUMP: 1}


def test_a_track_that_moved_at_hourly_sampling_is_one_jump() -> None:
    recs = decimate(track(FAR, 0, 6 * HOUR, 30, 35.0, 14.0, 9.0, 45.0), HOUR)
    recs += decimate(track(FAR, 6 * HOUR + 600, 14 * HOUR, 30, 33.0, 19.0, 9.0, 45.0), HOUR)
    events = run(recs + background(14, HOUR))
    (jump,) = of_kind(events, EventKind.POSITION_JUMP)
    assert jump.details["cause"] == "position_jump"
    assert only(events) == {EventKind.POSITION_JUMP: 1}


def test_sparse_events_do_not_depend_on_how_the_capture_is_cut_into_batches() -> None:
    mother = decimate(track(MOTHER, 0, 4 * HOUR, 10, 33.40, 12.30, 0.5, 90.0), 1200)
    boat = decimate(track(BOAT, 3, 4 * HOUR, 30, 33.4009, 12.30, 0.5, 90.0, msg_type=18), 1800)
    recs: list[Record] = [*mother, *boat, *background(4, 1200)]
    whole = run(recs)
    assert whole
    for size in (1, 3, 17):
        assert run(recs, sizes=[size] * len(recs)) == whole


def test_position_reports_in_helpers_are_real_reports() -> None:
    assert all(isinstance(r, PositionReport) for r in decimate(alongside(1), 600))
