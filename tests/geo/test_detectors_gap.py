import numpy as np

from geo.config import EngineConfig
from geo.detectors.gap import gap_threshold_s
from geo.events import EventKind
from geo.zones import ZoneKind
from tests.geo.engine_scenarios import batches, make_engine, ms, of_kind, run, run_raw, track, zone


def test_threshold_is_class_and_speed_aware() -> None:
    cfg = EngineConfig()
    thr = gap_threshold_s(
        np.array([1, 1, 18, 18, 27], dtype=np.uint8),
        np.array([12.0, 0.1, 8.0, 0.5, 10.0]),
        np.array([0, 1, -1, -1, 0], dtype=np.int8),
        cfg,
    )
    # class A underway: the 30-min floor; at anchor: 20 x 3 min; class B slow: 20 x 3 min;
    # type 27 (long range): Skylight's 6 h.
    assert thr.tolist() == [1800.0, 3600.0, 1800.0, 3600.0, 6 * 3600.0]


def test_class_a_underway_silent_for_an_hour_at_sea_is_one_gap() -> None:
    recs = track(247000001, 0, 1800, 10, 34.0, 12.0, 12.0, 90.0)
    recs += track(247000001, 5400, 7200, 10, 34.0, 12.5, 12.0, 90.0)
    events = run(recs)
    (gap,) = of_kind(events, EventKind.AIS_GAP)
    assert gap.start_ms == ms(1800) and gap.end_ms == ms(5400)
    assert gap.details["duration"] == "1 h"
    assert 15 < gap.details["distance_nm"] < 25
    assert 15 < gap.details["implied_speed_kn"] < 25
    assert gap.details["threshold_s"] == 1800.0


def test_anchored_vessel_silent_for_forty_minutes_is_not_a_gap() -> None:
    recs = track(247000002, 0, 1800, 180, 34.0, 12.0, 0.1, 0.0, status=1)
    recs += track(247000002, 1800 + 2400, 7200, 180, 34.0, 12.0, 0.1, 0.0, status=1)
    assert of_kind(run(recs), EventKind.AIS_GAP) == []


def test_silence_in_port_is_not_a_gap() -> None:
    port = zone("port", ZoneKind.PORT, (11.9, 33.9, 12.1, 34.1))
    recs = track(247000003, 0, 1800, 10, 34.0, 12.0, 0.0, 0.0, status=5)
    recs += track(247000003, 20_000, 22_000, 10, 34.0, 12.0, 0.0, 0.0, status=5)
    assert of_kind(run(recs, [port]), EventKind.AIS_GAP) == []


def test_live_mode_raises_an_open_went_dark_alert_that_the_reappearance_closes() -> None:
    eng = make_engine()
    first = track(247000004, 0, 1800, 10, 34.0, 12.0, 12.0, 90.0)
    events = eng.process(batches(first)[0])
    assert events == []
    assert eng.advance(ms(1800 + 1700)) == []
    dark = eng.advance(ms(1800 + 1900))
    assert [e.kind for e in dark] == [EventKind.AIS_GAP] and dark[0].open
    later = [e for m in range(1, 20) for e in eng.advance(ms(1800 + 1900 + 60 * m))]
    # still one alert, not one per minute: its present state again at the half hour (21:30)
    assert len(later) == 1 and later[0].key() == dark[0].key() and later[0].open
    back = eng.process(batches(track(247000004, 7200, 7300, 10, 34.0, 12.6, 12.0, 90.0))[0])
    gap = of_kind(back, EventKind.AIS_GAP)  # (its state at 22:00 first, then closed)
    assert {e.key() for e in gap} == {dark[0].key()} and [e.open for e in gap] == [True, False]


def test_batch_run_reports_the_same_episode_as_live() -> None:
    recs = track(247000004, 0, 1800, 10, 34.0, 12.0, 12.0, 90.0)
    recs += track(247000005, 0, 7200, 10, 34.5, 12.0, 12.0, 90.0)  # keeps time moving
    recs += track(247000004, 7200, 7300, 10, 34.0, 12.6, 12.0, 90.0)
    raw = of_kind(run_raw(recs), EventKind.AIS_GAP)
    # opened, its present state at 21:30 and 22:00 of event time, closed: one episode
    assert [e.open for e in raw] == [True, True, True, False]
    assert len({e.key() for e in raw}) == 1


def test_a_vessel_heard_once_is_never_dark_open_or_closed() -> None:
    """As libais's sample capture (USCG, 2012): vessels heard once among a station's reports
    of others for days. One report shows no transmitter that stopped: no alert."""
    once = track(247000031, 0, 0, 10, 34.0, 12.0, 12.0, 90.0)
    once_back = track(247000032, 0, 0, 10, 34.5, 12.0, 12.0, 90.0)
    once_back += track(247000032, 9 * 3600, 9 * 3600, 10, 34.5, 13.5, 12.0, 90.0)
    others = track(247000033, 0, 9 * 3600 + 60, 60, 35.0, 13.0, 8.0, 45.0)
    eng = make_engine()
    events = []
    for b in batches(once + once_back + others, [200] * 40):
        events += eng.process(b)
        events += eng.advance(max(r.time_ms for r in b.records()))
    events += eng.flush()
    assert of_kind(events, EventKind.AIS_GAP) == []


def test_a_vessel_heard_twice_before_its_silence_is_dark() -> None:
    recs = track(247000034, 0, 10, 10, 34.0, 12.0, 12.0, 90.0)
    recs += track(247000035, 0, 4 * 3600, 60, 35.0, 13.0, 8.0, 45.0)
    (gap,) = of_kind(run(recs), EventKind.AIS_GAP)
    assert gap.mmsi == 247000034 and gap.end_ms is None


def test_a_vessel_whose_first_interval_was_a_gap_leaves_the_feeds_sampling_sound() -> None:
    """Its next intervals have no sampling of its own behind them (the gap is not sampling):
    they must not enter the feed's mean as NaN (a cast to integers made it -2**63, and every
    vessel new to the feed was then held to a sampling of zero)."""
    eng = make_engine()
    others = track(247000036, 0, 12 * 3600, 60, 35.0, 13.0, 8.0, 45.0)
    back = track(247000037, 0, 0, 10, 34.5, 12.0, 12.0, 90.0)
    back += track(247000037, 9 * 3600, 9 * 3600 + 600, 10, 34.5, 13.5, 12.0, 90.0)
    for b in batches(others + back, [100] * 20):
        eng.process(b)
    feed = eng.gaps.feed_sampling_s()
    assert feed is not None and 30.0 < feed < 120.0


def test_a_ship_craft_silent_at_sea_is_reported_low_not_dark() -> None:
    """A craft of a parent ship (98MIDXXXX, ITU-R M.585-9: boats, tenders, a helicopter) falls
    silent when it is taken back on board: low, worded so, every version of the episode; a
    ship's silence on the same track is the "went dark" alert it was."""
    severities = {}
    for mmsi in (247000006, 982470006):
        recs = track(mmsi, 0, 1800, 10, 34.0, 12.0, 12.0, 90.0)
        recs += track(247000005, 0, 7200, 10, 34.5, 12.0, 12.0, 90.0)  # keeps time moving
        recs += track(mmsi, 7200, 7300, 10, 34.0, 12.6, 12.0, 90.0)
        raw = of_kind(run_raw(recs), EventKind.AIS_GAP)
        severities[mmsi] = {e.severity.value for e in raw}
        if mmsi == 982470006:
            assert all("on board" in e.details["summary"] for e in raw)
    assert severities == {247000006: {"medium"}, 982470006: {"low"}}
