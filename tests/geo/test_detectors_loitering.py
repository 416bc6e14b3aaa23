import numpy as np
import pytest

from ais_ingest.records import PositionReport, Record
from geo.detectors.base import distance_one_m, nm
from geo.detectors.loitering import Episode
from geo.engine import Engine
from geo.events import EventKind
from geo.geodesy import unit_vectors
from geo.zones import ZoneKind
from tests.geo.engine_scenarios import (
    PLACES,
    batches,
    canonical,
    final,
    make_engine,
    ms,
    of_kind,
    run,
    run_raw,
    track,
    zone,
)

LOITER = EventKind.LOITERING
PORT = zone("port", ZoneKind.PORT, (12.50, 35.00, 12.60, 35.10))


def test_slow_vessel_at_sea_for_more_than_an_hour_loiters_once() -> None:
    recs = track(642000001, 0, 2 * 3600, 30, 33.5, 12.5, 0.8, 45.0, msg_type=18)
    raw = run_raw(recs)
    loiter = of_kind(final(raw), EventKind.LOITERING)
    assert len(loiter) == 1 and loiter[0].open  # ongoing at the end of the capture
    assert loiter[0].start_ms == ms(0)
    assert loiter[0].details["near"]["name"] == "Zuwara"
    # the version written at the end is the state there, not the one at the threshold
    assert loiter[0].details["duration"] == "2 h"
    assert loiter[0].details["ongoing_until"] == "2026-05-28T22:26:40Z"
    # outside every zone nothing says where it is: not "open sea" (it may be a port abroad)
    assert loiter[0].details["summary"] == "slow (< 2 kn) for 2 h (ongoing)"


def test_loitering_closes_when_the_vessel_gets_under_way() -> None:
    recs = track(642000001, 0, 5400, 30, 33.5, 12.5, 0.8, 45.0)
    recs += track(642000001, 5410, 7200, 10, 33.52, 12.52, 14.0, 45.0)
    events = run(recs)
    (loiter,) = of_kind(events, EventKind.LOITERING)
    assert loiter.end_ms == ms(5400)
    assert loiter.details["duration"] == "1 h 30 min"


def test_ship_at_anchor_in_a_port_zone_is_not_loitering() -> None:
    recs = track(247000001, 0, 4 * 3600, 180, 35.05, 12.55, 0.1, 0.0, status=1)
    assert of_kind(run(recs, [PORT]), EventKind.LOITERING) == []


def test_slow_spell_shorter_than_an_hour_is_not_loitering() -> None:
    recs = track(247000002, 0, 3000, 30, 33.5, 12.5, 1.0)
    recs += track(247000002, 3010, 6000, 10, 33.6, 12.6, 12.0)
    assert of_kind(run(recs), EventKind.LOITERING) == []


def test_unavailable_speed_falls_back_to_implied_speed() -> None:
    recs = track(247000003, 0, 2 * 3600, 60, 33.5, 12.5, 0.5)
    recs = [r.__class__(**{**{f: getattr(r, f) for f in r.__slots__}, "speed": None}) for r in recs]
    assert len(of_kind(run(recs), EventKind.LOITERING)) == 1


def _without_sog(recs: list[Record], dt_ms: int = 0, dlat: float = 0.0) -> list[Record]:
    fields = PositionReport.__slots__
    return [
        PositionReport(
            **{
                **{f: getattr(r, f) for f in fields},
                "speed": None,
                "time_ms": r.time_ms + dt_ms,
                "lat": (r.lat or 0.0) + dlat,
            }
        )
        for r in recs
        if isinstance(r, PositionReport)
    ]


def test_an_implied_speed_over_seconds_does_not_break_a_drift_without_sog() -> None:
    """Fixes in pairs 15 s apart whose positions differ by 200 m (two receivers), no SOG: each
    pair implies 26 kn, yet the vessel drifts at 0.3 kn for 3 h: one episode, not several."""
    recs = track(247000004, 0, 3 * 3600, 600, 33.5, 12.5, 0.3)
    both = sorted(
        _without_sog(recs) + _without_sog(recs, 15_000, 200 / 111_320), key=lambda r: r.time_ms
    )
    (loiter,) = of_kind(final(run_raw(both)), EventKind.LOITERING)
    assert loiter.open and loiter.start_ms <= ms(900)


def test_a_vessel_without_sog_that_gets_under_way_ends_its_loitering() -> None:
    """Every 10 s without SOG: drifting 2 h, then 10 kn; the episode ends within minutes."""
    recs = _without_sog(track(247000005, 0, 7200, 10, 33.5, 12.5, 0.3))
    recs += _without_sog(track(247000005, 7210, 9000, 10, 33.5, 12.5, 10.0))
    (loiter,) = of_kind(run(recs), EventKind.LOITERING)
    assert loiter.end_ms is not None and ms(7200) <= loiter.end_ms <= ms(7200 + 600)


def test_a_sog_stuck_at_zero_on_a_vessel_under_way_is_not_loitering() -> None:
    # a transponder (or a table whose speeds were zeroed) says 0 kn while the positions move
    # at 8 kn: the positions are what the vessel did
    fields = PositionReport.__slots__
    recs: list[Record] = [
        PositionReport(**{**{f: getattr(r, f) for f in fields}, "speed": 0.0})
        for r in track(247000003, 0, 4 * 3600, 120, 33.5, 12.5, 8.0, 45.0)
        if isinstance(r, PositionReport)
    ]
    assert of_kind(run(recs), EventKind.LOITERING) == []
    # and when it then stops for good, that is loitering, drifting no further than it may
    recs += track(247000003, 4 * 3600 + 120, 7 * 3600, 120, 33.9, 12.9, 0.3, 45.0)
    (loiter,) = of_kind(run(recs), EventKind.LOITERING)
    assert loiter.start_ms >= ms(4 * 3600)
    assert loiter.details["max_drift_nm"] < 1.5


def _moored_fleet(n: int, hours: float = 2.0, every_s: float = 60.0) -> list[Record]:
    """``n`` vessels drifting slowly at sea: quiet fixes, part after part."""
    recs: list[Record] = []
    for k in range(n):
        lat = 33.5 + 0.05 * k
        recs += track(642300000 + k, 0, hours * 3600, every_s, lat, 12.5, 0.3, 10.0 * k)
    return sorted(recs, key=lambda r: r.time_ms)


def test_a_run_extended_a_part_at_a_time_counts_every_fix() -> None:
    # Most fixes of a loitering vessel are quiet ones (no change of state), summed by vessel.
    loiter = of_kind(final(run_raw(_moored_fleet(3))), EventKind.LOITERING)
    assert len(loiter) == 3
    assert {e.details["fixes"] for e in loiter} == {121}
    assert all(e.details["duration"] == "2 h" for e in loiter)


@pytest.mark.parametrize("cut", [0.3, 0.55, 0.8])
def test_quiet_fixes_not_yet_added_to_their_run_survive_a_snapshot(cut: float) -> None:
    recs = _moored_fleet(3)
    whole = canonical(run_raw(recs))
    k = int(len(recs) * cut)
    eng = make_engine([])
    out = eng.process(batches(recs[:k])[0])
    eng2 = Engine.restore(eng.snapshot(), [], places=PLACES)
    out += eng2.process(batches(recs[k:])[0]) + eng2.flush()
    assert canonical(out) == whole


def test_a_quiet_vessel_that_drifts_too_far_in_a_part_ends_its_run() -> None:
    # Slow by its SOG, but its positions run away at 25 kn: judged fix by fix from its start.
    recs = track(642400001, 0, 4200, 60, 33.5, 12.5, 0.5, 0.0)
    recs += [
        PositionReport(**{**{f: getattr(r, f) for f in PositionReport.__slots__}, "speed": 0.5})
        for r in track(642400001, 4260, 3 * 3600, 60, 33.501, 12.5, 25.0, 0.0)
    ]
    loiter = of_kind(final(run_raw(recs)), EventKind.LOITERING)
    (ended,) = loiter  # it broke where it drifted beyond what 2 kn allows, and stayed broken
    assert ended.end_ms is not None and ms(4260) < ended.end_ms < ms(5400)


@pytest.mark.parametrize("sizes", [[1], [7, 3, 50], [997]])
def test_a_runs_mean_position_does_not_depend_on_how_the_feed_was_cut(sizes: list[int]) -> None:
    # A run's sums are added fix by fix in time order whatever the batches: partitioned
    # engine workers got other batches than one process, and a last digit of a mean moved.
    recs = _moored_fleet(3, every_s=7.0)  # several fixes a slice, cut anywhere by batches
    whole = of_kind(final(run_raw(recs)), EventKind.LOITERING)
    cut = of_kind(final(run_raw(recs, sizes=sizes * 2000)), EventKind.LOITERING)
    assert [(e.lat, e.lon, e.details) for e in cut] == [(e.lat, e.lon, e.details) for e in whole]


def _stopping_fleet(n: int) -> list[Record]:
    """``n`` vessels under way for five minutes, then drifting slowly for two hours.

    Each one's first slow fix comes in the middle of a slice part, after its fast ones: the
    part opens its run (`LoiterDetector._open_plain` when nothing else changes in it).
    """
    recs: list[Record] = []
    for k in range(n):
        mmsi, lat, off = 642500000 + k, 33.5 + 0.05 * k, 3.0 * k
        fast = track(mmsi, off, off + 300, 10, lat, 12.5, 12.0, 90.0)
        (_, lat1, lon1) = _fixes(fast)[-1]
        recs += fast + track(mmsi, off + 310, off + 2 * 3600, 10, lat1, lon1, 0.3, 0.0)
    return sorted(recs, key=lambda r: r.time_ms)


def _fixes(recs: list[Record], slow_kn: float | None = None) -> list[tuple[int, float, float]]:
    """Time, latitude and longitude of the position reports (under ``slow_kn``, if given)."""
    out = []
    for r in recs:
        if isinstance(r, PositionReport) and r.lat is not None and r.lon is not None:
            if slow_kn is None or (r.speed is not None and r.speed < slow_kn):
                out.append((r.time_ms, r.lat, r.lon))
    return out


def _folded(slow: list[tuple[int, float, float]]) -> tuple[float, float, int, float]:
    """A run's mean position, fixes and largest drift added up fix by fix, as one step does."""
    t0, lat0, lon0 = slow[0]
    ep = Episode(t0, t0, lon0, lat0, 0.0, 0.0, 0.0, 0)
    for _, lat, lon in slow:
        ep.add(unit_vectors(np.array([lat]), np.array([lon])).tolist()[0])
        ep.max_drift_m = max(ep.max_drift_m, distance_one_m(lon0, lat0, lon, lat))
    lon, lat = ep.where()
    return lat, lon, ep.n, nm(ep.max_drift_m)


@pytest.mark.parametrize("sizes", [None, [1], [13, 250], [4000]])
def test_a_run_opened_mid_part_is_the_one_fix_by_fix_gives(sizes: list[int] | None) -> None:
    recs = _stopping_fleet(4)
    loiter = of_kind(final(run_raw(recs, sizes=None if sizes is None else sizes * 2000)), LOITER)
    assert len(loiter) == 4
    for ev in loiter:
        slow = _fixes([r for r in recs if r.mmsi == ev.mmsi], slow_kn=2.0)
        assert ev.start_ms == slow[0][0]  # the first slow fix, not the part's first
        lat, lon, fixes, drift_nm = _folded(slow)
        assert (ev.lat, ev.lon) == (lat, lon)  # the same floats, not merely close
        assert ev.details["fixes"] == fixes
        assert ev.details["max_drift_nm"] == drift_nm
