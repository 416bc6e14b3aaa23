"""Silences on satellite AIS: the feed's revisit holes are not gaps, a switch-off still is.

A low-orbit receiver hears a vessel for a few seconds every 90-100 min, and misses whole
stretches of passes (the constellation's geometry, collisions over busy seas): eight or nine
hours without a report is how such a feed shows a vessel (GFW's pipe-encounters test data,
`tests/data/peers/`, has two vessels alongside, both unheard for 8 h). Global Fishing Watch
calls a gap in it from 12 h; Mare does the same for a vessel the feed hears once in 45 min or
less often (`geo.detectors.gap.sampling_threshold_s`), and calls it dark only if the feed heard
it 14 times in the 12 h before (`geo.sparse_tracking`).
"""

from __future__ import annotations

import math

from ais_ingest.records import Record
from geo.events import EventKind, Severity
from tests.geo.engine_scenarios import ms, of_kind, pos, run

HOUR = 3600
REVISIT = 95 * 60
SHIP, OTHERS = 563100001, 563100100


def passes(
    mmsi: int,
    hours: float,
    lat: float,
    lon: float,
    *,
    phase_s: float = 0.0,
    missed: tuple[tuple[float, float], ...] = (),
    knots: float = 9.0,
    course: float = 45.0,
) -> list[Record]:
    """A vessel under way heard twice (20 s apart) at each pass, none in the ``missed`` hours."""
    out: list[Record] = []
    k = 0
    while phase_s + k * REVISIT <= hours * HOUR:
        t0 = phase_s + k * REVISIT
        k += 1
        if any(a * HOUR <= t0 < b * HOUR for a, b in missed):
            continue
        for t in (t0, t0 + 20):
            d = knots * 1852.0 / 3600.0 * t / 111_320.0
            la = lat + d * math.cos(math.radians(course))
            lo = lon + d * math.sin(math.radians(course)) / math.cos(math.radians(lat))
            out.append(pos(t, mmsi, la, lo, knots, course))
    return out


def feed(hours: float, *missed: tuple[float, float]) -> list[Record]:
    """The vessel under test among a few others the satellite hears at other phases."""
    recs = passes(SHIP, hours, 34.0, 14.0, missed=missed)
    for k in range(4):
        recs += passes(OTHERS + k, hours, 35.0 + k / 2, 18.0, phase_s=(k + 1) * REVISIT / 5)
    return recs


def test_a_satellite_track_with_an_eight_and_a_half_hour_hole_is_not_a_gap() -> None:
    events = run(feed(30, (12, 20.5)))
    assert of_kind(events, EventKind.AIS_GAP) == []


def test_a_switch_off_in_a_satellite_track_is_one_gap_from_twelve_hours() -> None:
    events = run(feed(40, (12, 27)))
    (gap,) = of_kind(events, EventKind.AIS_GAP)
    assert gap.mmsi == SHIP and gap.end_ms is not None
    assert 15 * HOUR <= (gap.end_ms - gap.start_ms) / 1000 <= 18 * HOUR
    assert gap.details["threshold_s"] == 12 * HOUR


def test_a_gap_where_coverage_is_unknown_is_not_high() -> None:
    """Three fixes 20 min apart, then 7 h of silence: a gap, but nothing shows the receivers
    heard that sea, so it is not called a certain switch-off (severity medium, not high)."""
    recs = [pos(t, SHIP, 34.0, 14.0 + t / 36_000, 9.0, 90.0) for t in (0, 1200, 2400)]
    back = 2400 + 7 * HOUR
    recs += [pos(back + k * 1200, SHIP, 34.0, 15.0 + k / 30, 9.0, 90.0) for k in range(3)]
    (gap,) = of_kind(run(recs), EventKind.AIS_GAP)
    assert gap.details["coverage"]["verdict"] == "unknown"
    assert gap.severity is Severity.MEDIUM


def test_a_clone_heard_at_one_pass_between_two_windows_is_a_position_jump() -> None:
    """The original heard until 7 h, a second transmitter on its MMSI twice at 11 h, 270 nm
    away, the original again from 18 h: the far track is remembered across the satellite's
    hole (12 h on so sparse a feed, as a gap), and the conflict reported."""
    recs = passes(SHIP, 7, 34.0, 14.0)
    recs += [pos(11 * HOUR + k * 160, SHIP, 35.8, 9.0, 4.4, 0.0) for k in range(2)]
    recs += [r for r in passes(SHIP, 30, 34.0, 14.0) if r.time_ms >= ms(18 * HOUR)]
    for k in range(4):
        recs += passes(OTHERS + k, 30, 35.0 + k / 2, 18.0, phase_s=(k + 1) * REVISIT / 5)
    jumps = of_kind(run(recs), EventKind.POSITION_JUMP)
    assert [j.mmsi for j in jumps] == [SHIP]


def test_a_vessel_heard_once_a_pass_is_lost_at_the_edge_not_dark_after_twelve_hours() -> None:
    """Heard once a pass (eight times in 12 h), then 15 h silent: fewer than the 14 reports in
    the 12 h before that Global Fishing Watch asks of a disabling, so the silence is the
    constellation losing the vessel (``edge``, low), not a switch-off."""
    recs = passes(SHIP, 40, 34.0, 14.0, missed=((12, 27),))[::2]
    for k in range(4):
        recs += passes(OTHERS + k, 40, 35.0 + k / 2, 18.0, phase_s=(k + 1) * REVISIT / 5)
    (gap,) = of_kind(run(recs), EventKind.AIS_GAP)
    assert gap.mmsi == SHIP and gap.details["threshold_s"] == 12 * HOUR
    assert gap.details["coverage"]["verdict"] == "edge"
    assert gap.details["coverage"]["reports_12h"] == 8
    assert gap.severity is Severity.LOW


def test_a_vessel_heard_twice_a_pass_is_still_dark_after_twelve_hours() -> None:
    """The same switch-off of a vessel heard twice a pass (16 times in 12 h): tracked as
    closely as GFW asks, so the silence is called dark (medium: coverage unknown)."""
    (gap,) = of_kind(run(feed(40, (12, 27))), EventKind.AIS_GAP)
    assert gap.details["coverage"]["verdict"] == "unknown"
    assert gap.details["coverage"]["reports_12h"] == 16
    assert gap.severity is Severity.MEDIUM


def test_a_loiter_after_a_hole_is_not_cut_by_the_first_passes_sampling() -> None:
    """A pass hears the vessel three times in ten minutes, the satellite then loses it for
    13 h; it is heard again drifting (three fixes over 1 h 40 min, one pass missed between).
    The seconds between the first pass's reports are not its sampling: the hole was not
    watching, so after it the vessel is as unknown as at first (the feed's hour), and the
    95-minute wait for the next pass is no gap to cut the loiter with."""
    recs: list[Record] = [pos(t, SHIP, 33.52 - t / 60_000, 15.42 - t / 30_000, 10.0, 250.0)
                          for t in (0, 100, 570)]  # fmt: skip
    back = 13 * HOUR
    recs += [pos(back + t, SHIP, 33.1463 + t / 400_000, 14.7418 + t / 900_000, 0.5, 20.0)
             for t in (0, 180, 5990)]  # fmt: skip
    for k in range(4):
        recs += passes(OTHERS + k, 16, 35.0 + k / 2, 18.0, phase_s=(k + 1) * REVISIT / 5)
    events = [e for e in run(recs) if e.mmsi == SHIP]
    gaps = of_kind(events, EventKind.AIS_GAP)
    assert [g.start_ms for g in gaps] == [ms(570)]  # the hole itself, lost at the edge
    (loiter,) = of_kind(events, EventKind.LOITERING)
    assert loiter.start_ms == ms(back)
