import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ais_ingest.records import Batch, PositionReport, Record
from geo.engine import Engine, SnapshotError
from geo.events import Event, EventKind
from geo.watchlist import parse_watchlist
from geo.zones import ZoneKind
from tests.geo.engine_scenarios import (
    PLACES,
    batches,
    canonical,
    final,
    make_engine,
    ms,
    of_kind,
    pos,
    run_raw,
    static,
    track,
    zone,
)

ZONES = [
    zone(
        "dep",
        ZoneKind.DEPARTURE_HOTSPOT,
        (12.0, 33.0, 12.4, 33.3),
        alerts=("entry", "exit", "dwell"),
        dwell_minutes=20,
        name="Zuwara departure",
    ),
    zone("port", ZoneKind.PORT, (12.9, 34.9, 13.1, 35.1)),
]
WATCH = parse_watchlist("mmsi,imo,name,callsign,note\n,,NOUR,,\n")


def scenario() -> list[Record]:
    """Every detector at least once, over three hours, a few vessels at a time."""
    recs: list[Record] = []
    # mothership loitering, a boat comes alongside for 30 min then runs north
    recs += track(642100001, 0, 3 * 3600, 20, 33.40, 12.30, 0.6, 90.0)
    recs += track(642100002, 1200, 3000, 30, 33.401, 12.30, 1.0, 90.0, msg_type=18)
    recs += track(642100002, 3030, 6000, 30, 33.41, 12.31, 18.0, 0.0, msg_type=18)
    # a trawler leaving the departure area, going dark, reappearing; renamed on the way
    recs += track(642200001, 0, 2400, 10, 33.15, 12.2, 10.0, 90.0)
    recs += track(642200001, 6000, 9000, 10, 33.2, 12.9, 10.0, 90.0)
    recs += [
        static(t, 642200001, name=n) for t, n in ((60, "SALEM"), (6500, "NOUR"), (6900, "NOUR"))
    ]
    # a cargo ship with one bad fix and, later, a real jump
    cargo = track(247300001, 0, 3 * 3600, 10, 34.0, 11.5, 14.0, 90.0)
    recs += cargo[:500] + [pos(5005, 247300001, 36.0, 15.0, 14.0)] + cargo[500:800]
    recs += track(247300001, 8010, 3 * 3600, 10, 34.5, 13.5, 14.0, 90.0)
    # an invalid MMSI in port (anchored: no loitering, no gap)
    recs += track(123456789, 0, 3 * 3600, 180, 35.0, 13.0, 0.1, 0.0, status=1)
    return sorted(recs, key=lambda r: r.time_ms)


SCENARIO = scenario()
WHOLE_RAW = run_raw(SCENARIO, ZONES, watchlist=WATCH)
WHOLE = final(WHOLE_RAW)


def test_scenario_exercises_every_detector() -> None:
    kinds = {e.kind for e in WHOLE}
    assert kinds == {
        EventKind.ZONE_DWELL,
        EventKind.ZONE_EXIT,
        EventKind.LOITERING,
        EventKind.ENCOUNTER,
        EventKind.AIS_GAP,
        EventKind.POSITION_JUMP,
        EventKind.IDENTITY_CHANGE,
        EventKind.INVALID_MMSI,
        EventKind.WATCHLIST_MATCH,
    }
    # one event per episode, never one per message
    # (the boat and the trawler stop transmitting before the capture ends: "went dark")
    assert len(WHOLE) == 11


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=1, max_value=4000), min_size=1, max_size=12))
def test_events_do_not_depend_on_batch_sizes(sizes: list[int]) -> None:
    raw = run_raw(SCENARIO, ZONES, sizes=sizes, watchlist=WATCH)
    assert canonical(raw) == canonical(WHOLE_RAW)


def test_live_pipeline_with_clock_ticks_gives_the_same_events() -> None:
    eng = make_engine(ZONES, WATCH)
    out = []
    rng = random.Random(7)
    for b in batches(SCENARIO, [rng.randint(1, 300) for _ in range(200)]):
        out += eng.process(b)
        out += eng.advance(int(b.positions.time_ms.max()) + 45_000 if len(b.positions) else 0)
    out += eng.flush()
    assert canonical(final(out)) == canonical(WHOLE)


@pytest.mark.parametrize("cut", [0.2, 0.45, 0.7])
def test_snapshot_and_restore_mid_episode_gives_the_same_events(cut: float) -> None:
    k = int(len(SCENARIO) * cut)
    eng = make_engine(ZONES, WATCH)
    out = eng.process(batches(SCENARIO[:k])[0])
    blob = eng.snapshot()
    json.loads(blob)  # plain versioned JSON
    eng2 = Engine.restore(blob, ZONES, watchlist=WATCH, places=PLACES)
    out += eng2.process(batches(SCENARIO[k:])[0]) + eng2.flush()
    assert canonical(out) == canonical(WHOLE_RAW)


def test_restore_refuses_a_foreign_blob() -> None:
    with pytest.raises(SnapshotError):
        Engine.restore(b'{"format": "other"}', ZONES)
    with pytest.raises(SnapshotError):
        Engine.restore(b"not json", ZONES)


def test_hot_reload_of_zones_keeps_vessel_state() -> None:
    recs = track(247000001, 0, 3600, 10, 33.15, 11.9, 12.0, 90.0)
    eng = make_engine([])
    k = len(recs) // 4
    first = eng.process(batches(recs[:k])[0])
    eng.set_zones(ZONES)
    later = eng.process(batches(recs[k:])[0]) + eng.flush()
    assert first == []
    # entered the departure area after the reload, still inside 20 min later at the end
    assert [e.kind for e in final(later)] == [EventKind.ZONE_ENTRY, EventKind.ZONE_DWELL]


def test_vessel_state_and_risk_reflect_the_episodes() -> None:
    eng = make_engine(ZONES, WATCH)
    eng.process(batches(SCENARIO)[0])
    eng.flush()
    st_ = eng.vessel_state(642100001)
    assert st_ is not None and st_.loitering_since_ms == ms(0)
    risk = eng.vessel_risk(642100002)
    assert risk.score >= 30
    assert any(t.startswith("encounter with 642100001 for") for t in risk.explain())
    assert eng.vessel_state(999999999) is None


def test_records_out_of_time_order_for_a_vessel_are_dropped_not_travelled_back() -> None:
    recs = track(247000001, 0, 600, 10, 34.0, 12.0, 12.0, 90.0)
    late = pos(100, 247000001, 34.0, 12.0, 12.0)
    eng = make_engine()
    eng.process(batches(recs)[0])
    assert eng.process(batches([late])[0]) == []
    st_ = eng.vessel_state(247000001)
    assert st_ is not None and st_.last_time_ms == ms(600)


def test_every_record_older_than_a_vessels_latest_is_dropped_not_only_its_first() -> None:
    """A feed's delayed records come several at a time (a satellite pass, a relayed receiver):
    the second was compared with the first alone, taken, and the track went back in time."""
    recs = track(247000001, 0, 600, 10, 34.0, 12.0, 12.0, 90.0)
    late = [pos(100, 247000001, 34.0, 12.0, 12.0), pos(150, 247000001, 34.0, 12.01, 12.0)]
    eng = make_engine()
    eng.process(batches(recs)[0])
    before = eng.record_counts()["unused"]["out_of_order"]
    assert eng.process(batches([*late, pos(610, 247000001, 34.0, 12.0408, 12.0)])[0]) == []
    st_ = eng.vessel_state(247000001)
    assert st_ is not None and st_.last_time_ms == ms(610)
    assert eng.record_counts()["unused"]["out_of_order"] - before == 2


def _with_corrupt_clock() -> list[Record]:
    """Two ships an hour at sea; one record in the middle is stamped a day ahead."""
    a = track(247000011, 0, 3600, 10, 34.0, 12.0, 12.0, 90.0)
    b = track(247000012, 0, 3600, 10, 34.5, 12.0, 12.0, 90.0)
    recs: list[Record] = sorted(a + b, key=lambda r: r.time_ms)
    recs.insert(len(recs) // 2, pos(86_400 + 1800, 247000011, 34.0, 12.5, 12.0))
    return recs


def test_a_record_stamped_a_day_ahead_is_dropped_and_raises_no_went_dark_alert() -> None:
    eng = make_engine()
    recs = _with_corrupt_clock()
    out = eng.process(Batch.from_records(recs))
    assert eng.now_ms() == ms(3600)
    out += eng.flush()
    assert [e for e in out if e.kind is EventKind.AIS_GAP] == []
    assert eng.future_dropped == 1 and eng.clock_jumps == 0


@pytest.mark.parametrize("size", [1, 7, 100, 400])
def test_the_future_guard_does_not_depend_on_batch_sizes(size: int) -> None:
    recs = _with_corrupt_clock()
    whole = make_engine()
    ref = whole.process(Batch.from_records(recs)) + whole.flush()
    eng = make_engine()
    out: list[Event] = []
    for i in range(0, len(recs), size):
        out += eng.process(Batch.from_records(recs[i : i + size]))
    out += eng.flush()
    assert canonical(out) == canonical(ref)
    assert eng.future_dropped == whole.future_dropped == 1


def test_a_clock_jump_several_vessels_agree_on_is_followed() -> None:
    """A capture that resumes after a two-hour hole: the clock moves and no record is lost."""
    ships = [247000021, 247000022, 247000023, 247000024]
    before = [r for m in ships for r in track(m, 0, 600, 10, 34.0 + (m % 10) / 10, 12.0, 12.0)]
    after = [r for m in ships for r in track(m, 7800, 8400, 10, 34.0 + (m % 10) / 10, 12.5, 12.0)]
    recs = sorted(before, key=lambda r: r.time_ms) + sorted(after, key=lambda r: r.time_ms)
    eng = make_engine()
    out = eng.process(Batch.from_records(recs))
    assert eng.now_ms() == ms(8400)
    out = final(out + eng.flush())
    assert eng.clock_jumps == 1 and eng.future_dropped == 0  # held back, then let through
    gaps = [e for e in out if e.kind is EventKind.AIS_GAP]
    assert sorted(e.mmsi for e in gaps) == ships  # silent two hours at sea: real gaps


def test_records_held_back_by_the_clock_guard_survive_a_snapshot() -> None:
    recs = _with_corrupt_clock()
    k = len(recs) // 2 + 1  # just after the record stamped a day ahead
    whole = make_engine()
    ref = whole.process(Batch.from_records(recs)) + whole.flush()
    eng = make_engine()
    out = eng.process(Batch.from_records(recs[:k]))
    assert len(eng.clock.held) == 1
    eng2 = Engine.restore(eng.snapshot(), [], places=PLACES)
    out += eng2.process(Batch.from_records(recs[k:])) + eng2.flush()
    assert canonical(out) == canonical(ref) and eng2.future_dropped == 1


def test_fixes_at_0n_0e_are_no_positions_not_a_jump_and_back() -> None:
    """A transponder that loses its GPS fix may send 0/0 for a while: counted as without a
    position, not a 2,000 nm jump to the Gulf of Guinea and back."""
    v = 247000001
    recs = track(v, 0, 3600, 60, 35.5, 12.6, 8.0)
    recs = [
        pos(r.time_ms / 1000 - 1_780_000_000 + 20, v, 0.0, 0.0) if 1200 <= i * 60 < 1500 else r
        for i, r in enumerate(recs)
        if isinstance(r, PositionReport)
    ]
    eng = make_engine()
    events = final(eng.process(Batch.from_records(recs)) + eng.flush())
    assert of_kind(events, EventKind.POSITION_JUMP) == []
    assert eng.record_counts()["unused"]["no_position"] == 5
