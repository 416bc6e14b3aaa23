"""Silences on satellite AIS: the feed's revisit holes are not gaps, a switch-off still is.

A low-orbit receiver hears a vessel for a few seconds every 90-100 min, and misses whole
stretches of passes (the constellation's geometry, collisions over busy seas): eight or nine
hours without a report is how such a feed shows a vessel (GFW's pipe-encounters test data,
`tests/data/peers/`, has two vessels alongside, both unheard for 8 h). Global Fishing Watch
calls a gap in it from 12 h; Mare does the same for a vessel the feed hears once in 45 min or
less often (`geo.detectors.gap.sampling_threshold_s`).
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
