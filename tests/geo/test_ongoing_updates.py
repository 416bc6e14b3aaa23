"""Open episodes are published again in their present state as event time passes (issue 12)."""

from __future__ import annotations

from ais_ingest.records import Record
from geo.config import EngineConfig
from geo.events import Event, EventKind, parse_time
from tests.geo.engine_scenarios import batches, canonical, make_engine, ms, run_raw, track

PERIOD_MS = int(EngineConfig().ongoing_update_s * 1000)
HOUR = 3600.0


def _versions(events: list[Event], kind: EventKind, mmsi: int) -> list[Event]:
    return [e for e in events if e.kind is kind and e.mmsi == mmsi]


def _live(records: list[Record], size: int) -> list[Event]:
    """Every event of a live run: batches of ``size``, the clock ticking a minute past each.

    No flush: a live service has no end of capture (its clock, not its last record, says
    where the feed is).
    """
    eng = make_engine()
    out: list[Event] = []
    for b in batches(records, [size] * (len(records) // size + 1)):
        out += eng.process(b)
        out += eng.advance(int(b.positions.time_ms.max()) + 60_000)
    return out


def test_a_long_loiter_is_republished_every_half_hour_with_its_duration_so_far() -> None:
    recs = track(642000001, 0, 3 * HOUR, 60, 33.5, 12.5, 0.8, 45.0)
    raw = run_raw(recs)
    loiter = _versions(raw, EventKind.LOITERING, 642000001)
    assert all(e.end_ms is None for e in loiter)
    assert len({e.key() for e in loiter}) == 1
    # opened at one hour, then once at each half-hour boundary of event time, then at the end
    updates = loiter[1:-1]
    assert len(updates) == 4
    seen = [parse_time(e.details["ongoing_until"]) for e in loiter]
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    # boundaries are of event time (T0 is 20:26:40: 21:30, 22:00, ...), durations up to the
    # last slow fix before each
    for e in updates:
        until = parse_time(e.details["ongoing_until"])
        assert 0 <= -until % PERIOD_MS < 120_000
        assert e.details["summary"].endswith("(ongoing)")
    assert [e.details["duration"] for e in updates] == [
        "1 h 3 min",
        "1 h 33 min",
        "2 h 3 min",
        "2 h 33 min",
    ]


def test_live_ticks_publish_the_same_versions_as_a_replay() -> None:
    recs = sorted(
        track(642000001, 0, 4 * HOUR, 60, 33.5, 12.5, 0.8, 45.0)
        + track(642000002, 0, 1 * HOUR, 60, 33.0, 12.0, 10.0, 90.0)  # then dark for 3 h
        + track(642000003, 0, 4 * HOUR, 60, 34.0, 12.0, 10.0, 90.0),  # keeps the feed going
        key=lambda r: r.time_ms,
    )
    replay = run_raw(recs)
    gap = _versions(replay, EventKind.AIS_GAP, 642000002)
    assert len(gap) > 3  # opened, then its silence republished as it grew
    durations = [float(e.details["duration_s"]) for e in gap[1:]]
    assert durations == sorted(durations)
    assert canonical(_live(recs, 50)) == canonical(_live(recs, len(recs)))


def test_a_vessel_dark_for_days_is_republished_at_each_doubling_only() -> None:
    recs = sorted(
        track(642000002, 0, HOUR, 60, 33.0, 12.0, 10.0, 90.0)
        + track(642000003, 0, 40 * HOUR, 600, 34.0, 12.0, 1.0, 90.0),
        key=lambda r: r.time_ms,
    )
    gap = _versions(run_raw(recs), EventKind.AIS_GAP, 642000002)
    silent_h = [(parse_time(e.details["ongoing_until"]) - e.start_ms) / 3.6e6 for e in gap[1:-1]]
    long_ = [h for h in silent_h if h > 6.5]
    # every half hour up to 6 h, then about 12 h and 24 h (39 h at the end is the flush)
    assert len(silent_h) - len(long_) == 10
    assert [round(h) for h in long_] == [12, 24]


def test_an_episode_with_nothing_new_is_not_republished() -> None:
    # slow for 90 min, then silent (the loiter stays open), the feed goes on for 3 h more
    recs = sorted(
        track(642000001, 0, 1.5 * HOUR, 60, 33.5, 12.5, 0.8, 45.0)
        + track(642000003, 0, 4.5 * HOUR, 60, 34.0, 12.0, 10.0, 90.0),
        key=lambda r: r.time_ms,
    )
    raw = run_raw(recs)
    loiter = _versions(raw, EventKind.LOITERING, 642000001)
    last_fix = ms(1.5 * HOUR)
    after = [e for e in loiter[:-1] if parse_time(e.details["ongoing_until"]) == last_fix]
    assert len(after) == 1  # at the boundary after the last slow fix, not at every one since


def test_a_dark_vessel_whose_mmsi_turns_up_far_away_keeps_its_episode() -> None:
    # silent from 30 min, "went dark" at an hour; at 90 min a transmitter with its MMSI reports
    # 200 nm away (a new track, followed from its third fix); the silence goes on meanwhile
    recs = sorted(
        track(642000002, 0, 1800, 60, 33.0, 12.0, 10.0, 90.0)
        + track(642000002, 5400, 4 * HOUR, 60, 36.0, 15.0, 10.0, 90.0)
        + track(642000003, 0, 4 * HOUR, 60, 34.0, 12.0, 10.0, 90.0),
        key=lambda r: r.time_ms,
    )
    gap = _versions(run_raw(recs), EventKind.AIS_GAP, 642000002)
    assert len(gap) > 2 and {e.key() for e in gap} == {gap[0].key()}
    assert len({str(e.details["last_position"]) for e in gap}) == 1
