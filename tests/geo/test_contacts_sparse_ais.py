"""Contact fusion on sparse AIS: vessels heard once an hour are placed between their fixes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ais_ingest.records import Record
from geo.ais_history import AisHistory, Chunk, prism_allowance_m
from geo.contacts import Contact, ContactKind
from geo.events import Event, EventKind
from geo.geodesy import destination_point
from tests.geo.engine_scenarios import batches, final, make_engine, ms, of_kind, pos, static

SHIP = 247000001
ESCORT = 642000002
LAT, LON = 34.0, 12.5
NM = 1852.0


def run_with(records: Sequence[Record], contacts: Sequence[Contact]) -> list[Event]:
    eng = make_engine()
    eng.add_contacts(contacts)
    out: list[Event] = []
    for b in batches(records):
        out += eng.process(b)
    return final(out + eng.flush())


def legs(mmsi: int, every_s: float, *turns: tuple[float, float, float]) -> list[Record]:
    """Fixes every ``every_s`` of a vessel sailing (until_s, sog, course) legs from (LAT, LON)."""
    out: list[Record] = []
    t = -every_s  # heard before too: its sampling is known
    while t <= turns[-1][0]:
        sog, course = next((s, c) for until_s, s, c in turns if t <= until_s)
        out.append(pos(t, mmsi, *where(turns, t), sog, course))
        t += every_s
    return out


def where(turns: Sequence[tuple[float, float, float]], t_s: float) -> tuple[float, float]:
    """Return (lat, lon) of the vessel of ``legs`` at ``t_s``."""
    lat, lon, t0 = LAT, LON, 0.0
    for until_s, sog, course in turns:
        dt = min(t_s, until_s) - t0
        lat, lon = destination_point(lat, lon, course, sog * dt / 3600.0)
        if t_s <= until_s:
            break
        t0 = until_s
    return lat, lon


def sar(t_s: float, at: tuple[float, float], length_m: float) -> Contact:
    return Contact(ms(t_s), at[0], at[1], ContactKind.SAR, radius_m=500.0, length_m=length_m)


def ship_static() -> Record:
    return static(1, SHIP, to_bow=100, to_stern=40, ship_type=70)


def test_a_ship_heard_once_an_hour_explains_its_detection_between_its_fixes() -> None:
    # a 140 m ship at 12 kn due east, heard at 0, 60 and 120 min; a SAR pass at 35 min
    turns = [(7200.0, 12.0, 90.0)]
    recs = [*legs(SHIP, 3600, *turns), ship_static()]
    on_it = sar(2100, where(turns, 2100), 150)
    assert of_kind(run_with(recs, [on_it]), EventKind.DARK_TARGET) == []


def test_a_boat_abeam_of_a_ship_heard_once_an_hour_stays_dark() -> None:
    # the same ship; a 120 m vessel without AIS 4 km north of its track is no fix's doing
    turns = [(7200.0, 12.0, 90.0)]
    recs = [*legs(SHIP, 3600, *turns), ship_static()]
    lat, lon = where(turns, 2100)
    abeam = sar(2100, destination_point(lat, lon, 0.0, 4000 / NM), 120)
    on_it = sar(2100, (lat, lon), 150)
    (dark,) = of_kind(run_with(recs, [on_it, abeam]), EventKind.DARK_TARGET)
    assert dark.details["contacts"][0]["lat"] == abeam.lat


def test_a_ship_that_turned_between_two_fixes_explains_its_detection_at_the_turn() -> None:
    # east for 30 min, then 60 deg to port for 10 min; heard at 0 and 40 min, seen at the turn:
    # the chord's point is 2.7 km off it, inside what the ship could have sailed
    turns = [(1800.0, 12.0, 90.0), (7200.0, 12.0, 30.0)]
    recs = [*legs(SHIP, 2400, *turns), ship_static()]
    assert [r.time_ms for r in recs[:3]] == [ms(-2400), ms(0), ms(2400)]
    at_turn = sar(1800, where(turns, 1800), 150)
    assert of_kind(run_with(recs, [at_turn]), EventKind.DARK_TARGET) == []


def test_an_escort_heard_once_an_hour_is_associated_from_sightings_between_its_fixes() -> None:
    # a 30 m boat at 6 kn due north heard at 0, 60 and 120 min; a crowded inflatable 1.5 km
    # abeam seen by an aircraft at 20, 30 and 40 min, on the same course and speed
    turns = [(7200.0, 6.0, 0.0)]
    recs = [*legs(ESCORT, 3600, *turns), static(1, ESCORT, to_bow=20, to_stern=10, ship_type=37)]
    seen = []
    for t in (1200, 1800, 2400):
        lat, lon = where(turns, t)
        lat, lon = destination_point(lat, lon, 90.0, 1500 / NM)
        seen.append(Contact(ms(t), lat, lon, ContactKind.AIRCRAFT, radius_m=500.0, length_m=9,
                            people=60, speed_kn=6.0, course=0.0))  # fmt: skip
    out = run_with(recs, seen)
    (dark,) = of_kind(out, EventKind.DARK_TARGET)
    (assoc,) = of_kind(out, EventKind.CONTACT_ASSOCIATION)
    assert assoc.mmsi == ESCORT and assoc.other_mmsi == dark.mmsi
    assert assoc.details["how"] == "escorted" and len(assoc.details["evidence"]) == 3


def test_the_prism_is_thin_on_a_straight_run_and_wide_where_the_fixes_are_close() -> None:
    assert prism_allowance_m(20_000.0, 20_000.0, 0.5) == 0.0
    assert prism_allowance_m(0.0, 20_000.0, 0.25) == 5_000.0  # it may have gone and come back
    assert 4_000.0 < prism_allowance_m(16_000.0, 20_000.0, 0.5) < 7_000.0


def test_a_contact_waits_for_the_next_fix_of_a_vessel_that_may_be_at_it() -> None:
    h = heard_at(-1800, 0)
    t = ms(1800)
    # heard every 30 min, last 30 min before 5 km off: it may be there; 80 km off it may not
    assert h.awaiting(t, LON + 5000 / 92_000, LAT, 5000.0, 3600.0, t + 600_000)
    assert not h.awaiting(t, LON + 0.9, LAT, 5000.0, 3600.0, t + 600_000)
    assert not h.awaiting(t, LON, LAT, 5000.0, 3600.0, t + 3_600_000)  # the window passed
    h.chunks.append(_chunk(ms(2400), [SHIP], [ms(2400)], [LAT], [LON + 0.01]))
    assert not h.awaiting(t, LON, LAT, 5000.0, 3600.0, ms(2400))  # heard after it
    once = heard_at(0)
    assert not once.awaiting(t, LON, LAT, 5000.0, 3600.0, t + 600_000)  # sampling unknown


def test_a_vessel_heard_every_two_minutes_and_silent_since_is_not_waited_for() -> None:
    h = heard_at(-120, 0)
    t = ms(60)
    assert h.awaiting(t, LON, LAT, 5000.0, 3600.0, ms(180))  # its next fix is due
    assert not h.awaiting(t, LON, LAT, 5000.0, 3600.0, t + 600_000)  # silent: its own doing


def heard_at(*times_s: float) -> AisHistory:
    """Return a history of SHIP heard at (LAT, LON) at these times, a slice each."""
    h = AisHistory(3 * 3600)
    for t in times_s:
        h.chunks.append(_chunk(ms(t + 60), [SHIP], [ms(t)], [LAT], [LON]))
    h.last_ms = ms(times_s[-1] + 60)
    return h


def _chunk(end_ms: int, mmsi: list[int], t: list[int], lat: list[float], lon: list[float]) -> Chunk:
    n = len(mmsi)
    return Chunk(end_ms, np.array(mmsi, dtype=np.int64), np.array(t, dtype=np.int64),
                 np.array(lat), np.array(lon), np.full(n, 12.0), np.full(n, 90.0))  # fmt: skip
