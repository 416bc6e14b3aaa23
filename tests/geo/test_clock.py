"""The engine's clock guard (`geo.clock`): sparse captures keep every record, corrupt or forged
time stamps far ahead move nothing, whatever the batch sizes."""

from __future__ import annotations

import numpy as np
import pytest

from ais_ingest.records import Batch, Record
from geo.clock import vouched_end
from geo.engine import Engine
from geo.events import Event, EventKind
from tests.geo.engine_scenarios import (
    PLACES,
    canonical,
    final,
    make_engine,
    ms,
    pos,
    static,
    track,
)

YEAR_S = 365 * 86_400
A, B = 247_100_001, 247_100_002


def alongside(every_a: float, every_b: float, hours: float = 4.0) -> list[Record]:
    """Two vessels 100 m apart drifting east at 0.5 kn, each reporting at its own interval."""
    end = hours * 3600
    a = track(A, 0, end, every_a, 34.0, 12.5, 0.5, 90.0)
    b = track(B, 0, end, every_b, 34.0009, 12.5, 0.5, 90.0)
    a += [static(0, A, name="ALPHA"), static(0, B, name="BRAVO")]
    return sorted(a + b, key=lambda r: r.time_ms)


def run_engine(recs: list[Record], size: int | None = None) -> tuple[list[Event], Engine]:
    eng = make_engine()
    out: list[Event] = []
    step = size or len(recs)
    for i in range(0, len(recs), step):
        out += eng.process(Batch.from_records(recs[i : i + step]))
    out += eng.flush()
    return final(out), eng


def assert_clock_at(eng: Engine, last_ms: int) -> None:
    """After `Engine.flush` the clock stands at the end of the last record's one-minute slice."""
    assert last_ms <= eng.now_ms() <= last_ms + 60_000


def kinds(events: list[Event]) -> list[str]:
    return sorted(e.kind.value for e in events)


@pytest.mark.parametrize("every", [(180, 300), (360, 600), (600, 600), (1200, 1200)])
def test_a_sparse_pair_alongside_loses_no_record_and_keeps_its_episodes(
    every: tuple[float, float],
) -> None:
    recs = alongside(*every)
    events, eng = run_engine(recs)
    counts = eng.record_counts()
    assert counts["unused"] == dict.fromkeys(counts["unused"], 0)
    assert counts["held"] == 0
    for m in (A, B):
        st = eng.vessel_state(m)
        last = max(r.time_ms for r in recs if r.mmsi == m)
        assert st is not None and st.last_time_ms == last
    assert_clock_at(eng, max(r.time_ms for r in recs))
    assert kinds(events).count("loitering") == 2
    if every[0] <= 600:  # both fresh (10 min) at some slice end: the encounter's definition
        assert kinds(events).count("encounter") == 1


def test_a_single_vessel_reporting_hourly_keeps_every_fix() -> None:
    recs: list[Record] = list(track(A, 0, 24 * 3600, 3600, 34.0, 12.5, 10.0, 90.0))
    _, eng = run_engine(recs)
    assert eng.record_counts()["unused"]["future_time"] == 0
    st = eng.vessel_state(A)
    assert st is not None and st.last_time_ms == ms(24 * 3600)


def test_a_capture_of_two_fixes_an_hour_apart_keeps_both() -> None:
    recs: list[Record] = [pos(0, A, 34.0, 12.5), pos(3600, A, 34.0, 12.7)]
    _, eng = run_engine(recs)
    st = eng.vessel_state(A)
    assert st is not None and st.last_time_ms == ms(3600)


def busy_hour() -> list[Record]:
    """Twenty vessels at sea for an hour, every 10 s, in time order."""
    ships = [247_200_000 + k for k in range(20)]
    recs = [r for m in ships for r in track(m, 0, 3600, 10, 33.5 + (m % 20) / 20, 12.0, 12.0)]
    return sorted(recs, key=lambda r: r.time_ms)


def forged(t_s: float, n: int = 10) -> list[Record]:
    """``n`` valid positions of real-looking vessels, all stamped at ``t_s``."""
    return [pos(t_s, 247_300_000 + k, 34.0 + k / 100, 12.2, 8.0) for k in range(n)]


@pytest.mark.parametrize("size", [None, 1, 7, 333])
def test_ten_forged_sentences_a_year_ahead_move_nothing(size: int | None) -> None:
    """Issue 15: ten sentences stamped a year ahead made every vessel 'go dark'."""
    recs = busy_hour()
    half = len(recs) // 2
    recs[half:half] = forged(1800 + YEAR_S)
    events, eng = run_engine(recs, size)
    assert_clock_at(eng, ms(3600))
    assert [e for e in events if e.kind is EventKind.AIS_GAP] == []
    assert eng.record_counts()["unused"]["future_time"] == 10
    assert eng.clock_jumps == 0


def test_forged_sentences_in_a_sparse_capture_are_voted_down() -> None:
    recs = alongside(600, 600)
    half = len(recs) // 2
    recs[half:half] = forged(7200 + YEAR_S)
    events, eng = run_engine(recs)
    assert_clock_at(eng, ms(4 * 3600))
    assert eng.record_counts()["unused"] == {
        "future_time": 10,
        "same_time": 0,
        "out_of_order": 0,
        "no_position": 0,
        "stale_repeat": 0,
    }
    assert [e for e in events if e.kind is EventKind.AIS_GAP] == []


def test_a_lone_record_a_day_ahead_at_the_end_of_a_capture_is_dropped() -> None:
    recs = busy_hour() + [pos(3600 + 86_400, 247_200_003, 34.0, 12.5, 12.0)]
    events, eng = run_engine(recs)
    assert_clock_at(eng, ms(3600))
    assert [e for e in events if e.kind is EventKind.AIS_GAP] == []
    assert eng.record_counts()["unused"]["future_time"] == 1


def test_a_receiver_an_hour_ahead_is_voted_down_by_the_others() -> None:
    """One of five vessels heard only through a receiver whose clock is an hour fast."""
    recs = busy_hour()[: 5 * 360 // 4]  # five vessels' worth of the hour, thinned
    fast = 247_200_001
    good = [r for r in recs if r.mmsi != fast]
    # In arrival order (true time), the fast receiver's lines carry a time an hour ahead.
    arrivals = [(r.time_ms, r) for r in good] + [
        (r.time_ms, pos((r.time_ms - ms(0)) / 1000 + 3600, fast, 34.0, 12.0))
        for r in recs
        if r.mmsi == fast
    ]
    mixed = [r for _, r in sorted(arrivals, key=lambda a: a[0])]
    shifted = [r for r in mixed if r.mmsi == fast]
    events, eng = run_engine(mixed)
    assert_clock_at(eng, max(r.time_ms for r in good))
    assert [e for e in events if e.kind is EventKind.AIS_GAP] == []
    assert eng.record_counts()["unused"]["future_time"] == len(shifted)


def test_a_capture_resuming_after_a_hole_of_hours_is_followed() -> None:
    ships = [247_000_021, 247_000_022]
    before = [r for m in ships for r in track(m, 0, 600, 60, 34.0 + (m % 10) / 10, 12.0, 12.0)]
    after = [r for m in ships for r in track(m, 7800, 9000, 60, 34.0 + (m % 10) / 10, 12.5, 12.0)]
    recs = sorted(before, key=lambda r: r.time_ms) + sorted(after, key=lambda r: r.time_ms)
    events, eng = run_engine(recs)
    assert_clock_at(eng, ms(9000))
    assert eng.clock_jumps == 1
    assert eng.record_counts()["unused"]["future_time"] == 0
    for m in ships:
        st = eng.vessel_state(m)
        assert st is not None and st.last_time_ms == ms(9000)


@pytest.mark.parametrize("size", [1, 5, 13])
def test_sparse_decisions_do_not_depend_on_batch_sizes(size: int) -> None:
    recs = alongside(360, 600)
    recs[40:40] = forged(9000 + YEAR_S, 3)
    ref, whole = run_engine(recs)
    out, eng = run_engine(recs, size)
    assert canonical(out) == canonical(ref)
    assert eng.record_counts() == whole.record_counts()


def test_a_held_run_and_its_static_reports_survive_a_snapshot() -> None:
    recs = alongside(600, 600)
    ref, whole = run_engine(recs)
    eng = make_engine()
    out = eng.process(Batch.from_records(recs[:4]))  # both vessels at 0
    # The first ten-minute step is held until the capture's own steps explain it.
    held: list[Record] = [pos(600, A, 34.0, 12.5015, 0.5), static(600, B, name="BRAVO II")]
    out += eng.process(Batch.from_records(held))
    assert eng.clock.holding == 2
    eng2 = Engine.restore(eng.snapshot(), [], places=PLACES)
    assert eng2.clock.holding == 2
    rest = [r for r in recs[4:] if not (r.time_ms == ms(600) and r.mmsi == A)]
    out += eng2.process(Batch.from_records(rest)) + eng2.flush()
    assert eng2.record_counts()["unused"]["future_time"] == 0
    assert eng2.record_counts()["held"] == 0
    assert kinds(final(out)) == kinds(ref)


@pytest.mark.parametrize("size", [None, 1, 50])
def test_a_record_without_a_position_days_ahead_is_counted_as_no_position(
    size: int | None,
) -> None:
    """libais's sample: a SAR aircraft's report six days ahead, latitude and longitude
    unavailable, was counted a corrupt time ("12.5 % set aside"); it is a record without a
    position, and moves nothing."""
    recs = busy_hour()
    ahead = pos(1800 + 6 * 86_400, 111_232_500, float("nan"), float("nan"), None, None, 9)
    recs.insert(len(recs) // 2, ahead)
    events, eng = run_engine(recs, size)
    assert_clock_at(eng, ms(3600))
    unused = eng.record_counts()["unused"]
    assert unused["future_time"] == 0 and unused["no_position"] == 1
    assert [e for e in events if e.kind is EventKind.AIS_GAP] == []


HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


def _times(*spans: tuple[int, int, int]) -> np.ndarray:
    """Times (ms) of records ``(start ms, count, step ms)`` per span."""
    return np.concatenate([start + step * np.arange(n) for start, n, step in spans])


@pytest.mark.parametrize(
    ("times", "end"),
    [
        # a day's extract, then ten records stamped ten years on: a corrupt clock
        (_times((0, 2000, 43_000), (3650 * DAY_MS, 10, 1000)), 1999 * 43_000),
        # a lone record nine days after a day of 1,000: not vouched for either
        (_times((0, 1000, 86_000), (10 * DAY_MS, 1, 1)), 999 * 86_000),
        # GFW 710001751: 5 fixes one day, 11 on the fourth day after (in port): the capture
        (_times((0, 5, 60_000), (4 * DAY_MS, 11, 110_000)), 4 * DAY_MS + 10 * 110_000),
        # GFW 412588888: five days of a track, then a satellite pass 5 h 18 min after
        (
            _times((0, 160, 45 * 60_000), (160 * 45 * 60_000 + 5 * HOUR_MS, 7, 5000)),
            160 * 45 * 60_000 + 5 * HOUR_MS + 6 * 5000,
        ),  # fmt: skip
        # two fixes an hour apart; one record
        (_times((0, 1, 1), (HOUR_MS, 1, 1)), HOUR_MS),
        (_times((5, 1, 1)), 5),
    ],
)
def test_a_whole_capture_vouches_for_its_times_but_a_corrupt_tail(
    times: np.ndarray, end: int
) -> None:
    assert vouched_end(times) == end
    assert vouched_end(times[::-1].copy()) == end  # any order
    assert vouched_end(np.zeros(0, dtype=np.int64)) is None


def test_a_vessel_heard_again_after_days_in_a_table_keeps_its_fixes() -> None:
    """Batch mode over a capture read whole: nothing of a sparse vessel's return is dropped,
    and a corrupt tail still is."""
    back = [*track(247000001, 0, 600, 60, 36.0, 12.0, 0.0),  # in port, then heard days later
            *track(247000001, 4 * 86_400, 4 * 86_400 + 960, 120, 36.0, 12.0, 0.0)]  # fmt: skip
    for trusted in (False, True):
        eng = make_engine((), None, None)
        if trusted:
            eng.clock.trust_until(vouched_end(np.array([r.time_ms for r in back])))
        eng.process(Batch.from_records(back))
        eng.flush()
        used = eng.record_counts()["unused"]["future_time"]
        assert used == (0 if trusted else 9), trusted  # GFW 710001751's return: 9 fixes
    corrupt = [*busy_hour(), *forged(3650 * 86_400.0, 3)]
    eng = make_engine((), None, None)
    eng.clock.trust_until(vouched_end(np.array([r.time_ms for r in corrupt])))
    eng.process(Batch.from_records(corrupt))
    eng.flush()
    assert eng.record_counts()["unused"]["future_time"] == 3
