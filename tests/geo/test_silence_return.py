"""A clone heard in a satellite silence, then the vessel back on its dead reckoning: one shared
MMSI (`geo.silence_return`); a vessel that really sailed elsewhere stays one vessel.

Satellite AIS hears a vessel for seconds every 90-100 min and then not for 7 h and more. A
second transmitter on the MMSI heard in that hole, far off but within what a class A ship
could have sailed since its last pass (under 50 kn), is taken for the vessel; the vessel's own
next fix is then implausible from it. It lies on the dead reckoning of the track before the
silence, and the clone's place could not have been visited between: a second transmitter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from ais_ingest.records import Record
from geo.config import EngineConfig
from geo.events import EventKind
from geo.silence_return import Anchor, clone_evidence, tolerance_nm
from tests.geo.engine_scenarios import ms, of_kind, pos, run

V = 247100001
OTHERS = 247900100
MIN = 60.0
HOUR = 3600.0
REVISIT = 95 * MIN

Where = Callable[[float], tuple[float, float]]


def sailing(lat: float, lon: float, legs: list[tuple[float, float, float]]) -> Where:
    """Position at a time (s) of a vessel sailing ``legs`` of (until s, knots, course) from t=0."""

    def where(t: float) -> tuple[float, float]:
        la, lo, t0 = lat, lon, 0.0
        for until, knots, course in legs:
            dt = min(t, until) - t0
            if dt <= 0:
                break
            d = knots * dt / HOUR / 60.0  # degrees of latitude
            la2 = la + d * math.cos(math.radians(course))
            lo += d * math.sin(math.radians(course)) / math.cos(math.radians((la + la2) / 2))
            la, t0 = la2, until
        return la, lo

    return where


def heard(
    mmsi: int, times: Iterable[float], where: Where, knots: float, course: float
) -> list[Record]:
    """Reports at the given times (s), each with the speed and course it is sailing."""
    return [pos(t, mmsi, *where(t), knots, course) for t in times]


def passes(first: float, last: float) -> list[float]:
    """Two reports 20 s apart at each satellite pass from ``first`` to ``last`` (s)."""
    out: list[float] = []
    t = first
    while t <= last:
        out += [t, t + 20]
        t += REVISIT
    return out


def others(hours: float) -> list[Record]:
    """Four other ships the satellite hears at other phases: the feed's own sampling."""
    recs: list[Record] = []
    for k in range(4):
        ship = sailing(35.0 + k / 2, 18.0, [(48 * HOUR, 9.0, 45.0)])
        recs += heard(OTHERS + k, passes((k + 1) * REVISIT / 5, hours * HOUR), ship, 9.0, 45.0)
    return recs


# The vessel: 10.2 kn on 333°, heard at four passes (0 to 4 h 45 min), then unheard.
SHIP = sailing(34.0, 17.0, [(48 * HOUR, 10.2, 333.0)])
LAST_PASS = 3 * REVISIT + 20  # its last report before the silence
# A clone of its MMSI, 6 h 43 min later, 240 nm west (36 kn from the vessel's last fix).
CLONE = sailing(34.9, 11.77, [(48 * HOUR, 5.0, 168.0)])
CLONE_AT = [LAST_PASS + 403 * MIN, LAST_PASS + 407 * MIN]
RETURN = LAST_PASS + 466 * MIN  # the vessel again, 7 h 46 min after its last pass


def satellite_day(after_return: list[float]) -> list[Record]:
    recs = heard(V, passes(0, 3 * REVISIT), SHIP, 10.2, 333.0)
    recs += heard(V, CLONE_AT, CLONE, 5.0, 168.0)
    recs += heard(V, [RETURN, *after_return], SHIP, 10.2, 333.0)
    return recs + others(24)


def test_the_vessel_back_on_its_dead_reckoning_shows_the_clone_of_its_silence() -> None:
    """The satellite day's shape: before the rule, the vessel's own fix was a lone outlier and
    nothing was reported."""
    events = run(satellite_day([]))
    (ep,) = of_kind(events, EventKind.POSITION_JUMP)
    assert len(events) == 1
    d = ep.details
    assert d["cause"] == "shared_mmsi"
    assert ep.start_ms == ms(LAST_PASS)  # from the vessel's last fix before the clone
    assert ep.end_ms is None and d["ongoing_until"].startswith("2026-05-29T")
    assert sorted(tr["fixes"] for tr in d["tracks"]) == [2, 9]  # the clone's 2, the vessel's 8+1
    dr = d["dead_reckoning"]
    assert dr["off_reckoning_nm"] < 3.0 < dr["tolerance_nm"]
    assert dr["detour_kn"] > dr["top_speed_kn"] == 50.0
    assert (ep.lat, ep.lon) == SHIP(RETURN)


def test_the_vessel_heard_on_after_its_return_stays_one_episode() -> None:
    """Its next passes: the detectors go over to its track, no jump, no second event."""
    events = run(satellite_day(passes(RETURN + REVISIT, RETURN + 3 * REVISIT)))
    (ep,) = events
    assert ep.kind is EventKind.POSITION_JUMP and ep.details["cause"] == "shared_mmsi"
    assert len(ep.details["tracks"]) == 2
    assert ep.details["switches"] == 1


def test_a_fast_vessel_that_turned_in_its_silence_is_one_vessel() -> None:
    """A 30-kn ship turns west while unheard and is heard far off its dead reckoning, where it
    really is; a corrupt fix then, off that reckoning too, is a lone bad fix: no event."""
    ship = sailing(34.0, 17.0, [(6 * HOUR, 30.0, 0.0), (48 * HOUR, 30.0, 270.0)])
    recs = heard(V, passes(0, 3 * REVISIT), ship, 30.0, 0.0)
    back = LAST_PASS + 430 * MIN
    recs += heard(V, [back, back + 240, back + REVISIT, back + 2 * REVISIT], ship, 30.0, 270.0)
    recs.append(pos(back + 30 * MIN, V, 31.5, 19.0, 30.0, 270.0))  # corrupt: 200 nm south-east
    assert run(recs + others(24)) == []


def test_a_fix_on_the_old_reckoning_that_the_vessel_could_have_reached_is_no_clone() -> None:
    """A 20-kn ship sails west in its silence, 140 nm; a corrupt fix on its old reckoning
    (150 nm north) is implausible from where it is (205 nm in 30 min), but a vessel could have
    been at both places in 7 h 30 min at 46 kn, under class A's 50: no evidence of a second
    transmitter, a lone bad fix."""
    ship = sailing(34.0, 17.0, [(LAST_PASS, 20.0, 0.0), (48 * HOUR, 20.0, 270.0)])
    recs = heard(V, passes(0, 3 * REVISIT), ship, 20.0, 0.0)
    recs += heard(V, [LAST_PASS + 7 * HOUR, LAST_PASS + 7 * HOUR + 240], ship, 20.0, 270.0)
    old = sailing(34.0, 17.0, [(48 * HOUR, 20.0, 0.0)])
    t = LAST_PASS + 7.5 * HOUR
    recs.append(pos(t, V, *old(t), 20.0, 0.0))
    assert run(recs + others(24)) == []


def test_the_tolerance_grows_with_the_silence_and_the_run() -> None:
    cfg = EngineConfig()
    assert tolerance_nm(0.0, 0.0, cfg) == 1.0
    assert tolerance_nm(8.0, 80.0, cfg) == 1.0 + 16.0 + 8.0
    assert tolerance_nm(24.0, 240.0, cfg) < 0.1 * 50.0 * 24.0  # a tenth of the reachable radius


def test_a_return_after_the_horizon_or_off_the_reckoning_shows_nothing() -> None:
    cfg = EngineConfig()
    a = Anchor(0, 34.0, 17.0, 1, 10.0, 0.0, 6 * 3_600_000, 34.0, 11.0, 5)
    far = (34.0, 11.0)
    on = sailing(34.0, 17.0, [(48 * HOUR, 10.0, 0.0)])
    assert clone_evidence(a, 2, far, 8 * 3_600_000, *on(8 * HOUR), cfg) is not None
    assert clone_evidence(a, 2, far, 25 * 3_600_000, *on(25 * HOUR), cfg) is None
    lat, lon = on(8 * HOUR)
    assert clone_evidence(a, 2, far, 8 * 3_600_000, lat, lon + 1.0, cfg) is None  # 50 nm east
