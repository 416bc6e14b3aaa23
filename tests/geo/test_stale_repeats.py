"""A feed's stale repeats: a vessel's old positions handed on again with a new time are set
aside and counted, not made a second transmitter (`geo.recent_places`, issue 12 item 5)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ais_ingest.records import PositionReport, Record
from geo.detectors.base import haversine_m
from geo.engine import Engine
from geo.events import Event, EventKind
from geo.plain_groups import repeats_to_judge
from geo.recent_places import RecentPlaces
from tests.geo.engine_scenarios import batches, final, make_engine, of_kind, pos, track
from tests.geo.test_peer_fixtures import detect_table

PEERS = Path(__file__).parents[1] / "data" / "peers"
V = 273000001
BG = 247900002
HOUR = 3600


def moving(mmsi: int, every_s: float) -> list[PositionReport]:
    """A trawler at 8 kn heard every ``every_s`` for six hours."""
    out = track(mmsi, 0, 6 * HOUR, every_s, 56.0, 3.0, 8.0, 80.0)
    return [r for r in out if isinstance(r, PositionReport)]


def stale_feed(
    every_s: float = 120.0, lag_s: float = 900.0, repeat_every_s: float = 1200.0
) -> list[Record]:
    """A trawler at 8 kn heard every ``every_s``; every ``repeat_every_s`` the feed hands on
    its position of ``lag_s`` before, with a new time and a slightly different speed."""
    own = moving(V, every_s)
    out: list[Record] = list(own)
    t = repeat_every_s + 37.0
    while t < 6 * HOUR:
        old = max((r for r in own if r.time_ms <= own[0].time_ms + (t - lag_s) * 1000),
                  key=lambda r: r.time_ms)  # fmt: skip
        assert old.lat is not None and old.lon is not None
        out.append(pos(t, V, old.lat, old.lon, 7.9, 80.0))
        t += repeat_every_s
    out += track(BG, 0, 6 * HOUR, 240, 40.0, 5.0, 11.0, 45.0)
    return sorted(out, key=lambda r: r.time_ms)


def run_engine(records: list[Record], eng: Engine | None = None) -> tuple[list[Event], Engine]:
    eng = eng or make_engine()
    out: list[Event] = []
    for b in batches(records, [500] * 40):
        out += eng.process(b)
    out += eng.flush()
    return final(out), eng


def test_gfw_367382540_stale_repeats_are_no_second_transmitter() -> None:
    """gpsdio-segment's 367382540: a trawler's feed repeats its positions 10-25 min late. Each
    repeat was a jump back along its wake, and the repeats, consistent with one another, were
    "2 transmitters share this MMSI, up to 57 nm apart": a high alert on one vessel."""
    eng = make_engine()
    events = detect_table(PEERS / "gfw_segment_367382540.jsonl", eng)
    assert of_kind(events, EventKind.POSITION_JUMP) == []
    assert eng.record_counts()["unused"]["stale_repeat"] >= 10


def test_repeats_of_old_positions_are_set_aside_and_counted() -> None:
    events, eng = run_engine(stale_feed())
    assert of_kind(events, EventKind.POSITION_JUMP) == []
    assert eng.record_counts()["unused"]["stale_repeat"] == 17


def test_repeats_on_a_dense_feed_are_set_aside() -> None:
    """Heard every 10 s, a repeat 15 min late is 3.7 km back: no craft's move."""
    events, eng = run_engine(stale_feed(every_s=10.0))
    assert of_kind(events, EventKind.POSITION_JUMP) == []
    assert eng.record_counts()["unused"]["stale_repeat"] == 17


def test_a_stopped_second_transmitter_at_an_old_place_is_still_one() -> None:
    """A moored clone reporting 0 kn where the vessel passed is a transmitter, not a repeat."""
    recs: list[Record] = list(moving(V, 120))
    first = moving(V, 120)[5]
    assert first.lat is not None and first.lon is not None
    recs += [pos(1800 + k * 600.0 + 7, V, first.lat, first.lon, 0.0, None) for k in range(25)]
    events, eng = run_engine(sorted(recs, key=lambda r: r.time_ms))
    (ep,) = of_kind(events, EventKind.POSITION_JUMP)
    assert ep.details["cause"] == "shared_mmsi"
    assert eng.record_counts()["unused"]["stale_repeat"] == 0


def test_the_memory_of_places_survives_a_snapshot() -> None:
    """A worker restored from a snapshot knows the vessel's recent places as the one it replaces."""
    recs = stale_feed()
    half = len(recs) // 2
    eng = make_engine()
    out: list[Event] = []
    for b in batches(recs[:half], [500] * 20):
        out += eng.process(b)
    restored = Engine.restore(eng.snapshot(), ())
    for b in batches(recs[half:], [500] * 20):
        out += restored.process(b)
    out += restored.flush()
    assert of_kind(final(out), EventKind.POSITION_JUMP) == []
    assert restored.record_counts()["unused"]["stale_repeat"] == 17


def test_a_clone_sending_one_place_with_a_speed_is_still_a_second_transmitter() -> None:
    """A spoofer's fixed position with a speed, interleaved with the vessel's own fixes: it
    repeats its own place, not one the vessel held, and is a shared-MMSI episode."""
    recs: list[Record] = list(moving(V, 120))
    recs += [pos(1800 + k * 600.0 + 7, V, 55.0, 1.0, 5.0, 200.0) for k in range(25)]
    events, eng = run_engine(sorted(recs, key=lambda r: r.time_ms))
    (ep,) = of_kind(events, EventKind.POSITION_JUMP)
    assert ep.details["cause"] == "shared_mmsi"
    assert eng.record_counts()["unused"]["stale_repeat"] == 0


def test_repeats_near_the_fix_before_are_decided_for_whole_vessels() -> None:
    # Three vessels' groups: [0, 3) repeats near the fix before (no stale one can be there);
    # [3, 5) a repeat 1 km behind the fix before, two minutes later (to judge); [5, 7) a near
    # repeat in a vessel with another reason to go fix by fix. Only the first group's clear.
    starts = np.array([0, 3, 5, 7])
    t = np.array([0, 30, 60, 0, 120, 0, 30], dtype=np.int64) * 1000
    p_t = np.array([-1, 0, 30, -1, 0, -1, 0], dtype=np.int64) * 1000
    lat = np.array([36.0, 36.0001, 36.0002, 36.0, 36.0, 36.0, 36.0001])
    p_lat = np.array([36.0, 36.0, 36.0001, 36.0, 36.009, 36.0, 36.0])
    lon = np.full(7, 15.0)
    repeat = np.array([False, True, True, True, True, False, True])
    bad = np.array([False, False, False, False, False, True, False])
    step = haversine_m(lon, p_lat, lon, lat)
    kept = repeats_to_judge(repeat, bad, p_t >= 0, p_t, step, t, starts)
    assert kept.tolist() == [False, False, False, True, True, False, True]


def test_a_full_memory_of_places_is_packed_in_the_snapshot_and_read_back() -> None:
    # A busy feed fills the table: 2**18 entries were ~7 MB of JSON numbers in every snapshot.
    rng = np.random.default_rng(5)
    n = 300_000
    places = RecentPlaces()
    places.repeats(
        rng.integers(200_000_000, 800_000_000, n),
        np.sort(rng.integers(0, 3_000_000, n)),
        rng.uniform(-180, 180, n),
        rng.uniform(-80, 80, n),
        np.full(n, 10.0),
        np.ones(n, dtype=np.bool_),
    )
    state = places.to_state()
    assert len(json.dumps(state)) < 3_600_000
    again = RecentPlaces.from_state(json.loads(json.dumps(state)), 3600.0, 1.0)
    assert np.array_equal(again.table, places.table)
    # a snapshot written before, with JSON lists, still reads
    live = np.flatnonzero(places.table)
    old = {"bits": 18, "idx": live.tolist(), "entry": places.table[live].tolist()}
    assert np.array_equal(RecentPlaces.from_state(old, 3600.0, 1.0).table, places.table)
