"""One identity conflict, not a storm: several transmitters on one MMSI are one episode, and a
real identity change still fires once (issue 12, item 5)."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from ais_ingest.records import Record
from geo.events import Event, EventKind, format_time
from tests.geo.engine_scenarios import ms, of_kind, pos, run, static, track

V = 273000001
BG = 247900002
HOUR = 3600


def background(hours: float) -> list[Record]:
    """Another ship far away, every 4 min: the rest of a feed, keeping the clock moving."""
    return track(BG, 0, hours * HOUR, 240, 40.0, 5.0, 11.0, 45.0)


def heard(recs: list[Record], windows: Sequence[tuple[float, float]]) -> list[Record]:
    """Only the reports inside the given windows (hours), as a feed hears a far vessel."""
    return [
        r
        for r in recs
        if any(a * HOUR <= r.time_ms / 1000 - 1_780_000_000 < b * HOUR for a, b in windows)
    ]


def names(static_every_s: float, hours: float, name: str, offset: float) -> list[Record]:
    out: list[Record] = []
    t = offset
    while t < hours * HOUR:
        out.append(static(t, V, name=name))
        t += static_every_s
    return out


def kinds(events: list[Event]) -> dict[EventKind, int]:
    out: dict[EventKind, int] = {}
    for e in events:
        out[e.kind] = out.get(e.kind, 0) + 1
    return out


def test_three_vessels_sharing_an_mmsi_for_three_days_are_one_episode() -> None:
    """Far apart, heard in turns and interleaved, names alternating: one shared_mmsi episode."""
    days = 72
    a = track(V, 0, days * HOUR, 600, 36.0, 14.0, 9.0, 90.0)  # Med
    b = track(V, 200, days * HOUR, 900, 51.0, 2.0, 7.0, 0.0)  # North Sea
    c = track(V, 400, days * HOUR, 1200, 1.2, 104.0, 10.0, 45.0)  # Singapore Strait
    recs = heard(a, [(0, 20), (30, 50), (60, 72)])
    recs += heard(b, [(5, 35), (45, 72)])
    recs += heard(c, [(10, 15), (40, 43), (66, 70)])
    recs += heard(names(1800, days, "AURORA", 30), [(0, 20), (30, 50), (60, 72)])
    recs += heard(names(2100, days, "NORDIC STAR", 250), [(5, 35), (45, 72)])
    recs += heard(names(2400, days, "SEA LION", 450), [(10, 15), (40, 43), (66, 70)])
    events = run(recs + background(days))
    assert kinds(events) == {EventKind.POSITION_JUMP: 1}
    (ep,) = events
    d = ep.details
    assert d["cause"] == "shared_mmsi"
    assert len(d["tracks"]) == 3
    assert {n["name"] for n in d["names"]} >= {"AURORA", "NORDIC STAR", "SEA LION"}


def test_two_vessels_heard_in_turns_a_day_each_are_one_episode_not_a_jump_per_turn() -> None:
    days = 8
    a = track(V, 0, days * 24 * HOUR, 1800, 36.0, 14.0, 6.0, 90.0)
    b = track(V, 900, days * 24 * HOUR, 1800, 43.0, 7.5, 6.0, 200.0)
    turns_a = [(d * 24, d * 24 + 12) for d in range(days)]
    turns_b = [(d * 24 + 12, d * 24 + 24) for d in range(days)]
    events = run(heard(a, turns_a) + heard(b, turns_b) + background(days * 24))
    assert kinds(events) == {EventKind.POSITION_JUMP: 1}
    assert events[0].details["cause"] == "shared_mmsi"


def test_a_renamed_vessel_is_one_identity_change() -> None:
    recs = track(V, 0, 10 * HOUR, 30, 35.0, 13.0, 10.0, 90.0)
    recs += names(360, 4, "SALEM", 10) + names(360, 10, "NOUR", 4 * HOUR + 10)
    (ev,) = of_kind(run(recs), EventKind.IDENTITY_CHANGE)
    assert ev.details["changes"] == {"name": {"from": "SALEM", "to": "NOUR"}}


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=2, max_size=20))
def test_names_flipping_between_two_values_fire_at_most_once(runs: list[int]) -> None:
    """Two transmitters in one place (no position evidence): runs of statics of either name."""
    recs: list[Record] = []
    t = 10.0
    for k, n in enumerate(runs):
        for _ in range(n):
            recs.append(static(t, V, name="ALPHA" if k % 2 == 0 else "BRAVO"))
            t += 360
    recs += track(V, 0, t, 120, 35.0, 13.0, 10.0, 90.0)
    changes = of_kind(run(recs), EventKind.IDENTITY_CHANGE)
    assert len(changes) <= 1


def test_a_clone_first_heard_while_the_vessel_was_not_is_one_episode_not_a_jump_and_one() -> None:
    """The clone's fixes while the vessel is out of reception read as a jump; once the two
    interleave that is the same conflict: the episode takes the jump's start and replaces it."""
    a = heard(track(V, 0, 3 * HOUR, 60, 36.0, 14.0, 10.0, 90.0), [(0, 0.5), (40 / 60, 3)])
    b = track(V, 31 * 60 + 20, 3 * HOUR, 60, 38.5, 18.0, 9.0, 0.0)  # ~200 nm away
    events = run(a + b + background(3))
    assert kinds(events) == {EventKind.POSITION_JUMP: 1}
    (ep,) = events
    assert ep.details["cause"] == "shared_mmsi"
    assert ep.start_ms <= ms(31 * 60)  # from the first sign of the clone, the jump


def test_an_excursion_then_a_third_transmitter_are_one_episode() -> None:
    """As AISHub heard MMSI 244711426 (2015): an odd first fix, then three transmitters 14 to
    110 nm apart interleaving every few seconds: one shared_mmsi episode, no excursion beside it."""
    odd = [pos(0, V, 52.0433, 5.1012, 0.0, 100.7)]
    moored = track(V, 6, 180, 9, 51.7781, 5.3381, 0.0, 0.0)
    under_way = track(V, 6.5, 180, 12, 52.0019, 5.2018, 8.5, 295.0)
    far = track(V, 30, 180, 15, 53.3176, 6.9380, 0.0, 0.0)
    events = run(odd + moored + under_way + far)
    assert kinds(events) == {EventKind.POSITION_JUMP: 1}
    assert events[0].details["cause"] == "shared_mmsi"
    assert len(events[0].details["tracks"]) == 3


def test_an_episode_open_at_the_end_of_a_capture_is_written_in_its_final_state() -> None:
    """Item 4: the batch output's version lists every fix of its tracks and says until when
    they were heard, not what it knew when the second transmitter was confirmed."""
    a = track(V, 0, 6 * HOUR, 600, 36.0, 14.0, 9.0, 90.0)
    b = track(V, 300, 6 * HOUR, 600, 43.0, 7.5, 6.0, 200.0)
    (ep,) = run(a + b + background(6))
    d = ep.details
    assert ep.end_ms is None and d["cause"] == "shared_mmsi"
    assert sum(tr["fixes"] for tr in d["tracks"]) == len(a) + len(b)
    assert d["ongoing_until"] == format_time(max(r.time_ms for r in a + b))
    assert d["duration_s"] == (max(r.time_ms for r in a + b) - ep.start_ms) / 1000


def test_a_jump_an_excursion_then_interleaving_are_one_episode() -> None:
    """A clone heard in bursts: three fixes while the vessel is silent (a jump), two between
    its fixes (an excursion), then interleaved: one event, the episode, from the jump on."""
    a = heard(track(V, 0, 2 * HOUR, 10, 36.0, 14.0, 10.0, 90.0), [(0, 0.25), (0.3, 2)])
    b = track(V, 0.25 * HOUR + 15, 2 * HOUR, 30, 38.5, 18.0, 9.0, 0.0)
    b = heard(b, [(0.25, 0.3), (0.4, 0.41), (0.6, 2)])
    events = run(a + b + background(2))
    assert kinds(events) == {EventKind.POSITION_JUMP: 1}
    assert events[0].details["cause"] == "shared_mmsi"
    assert events[0].start_ms <= ms(0.25 * HOUR + 15)


def test_two_moored_vessels_on_one_mmsi_loiter_apart_never_as_one() -> None:
    """GFW gpsdio-segment's 416000000: boats 100 nm apart, SOG 0, heard in turns. The
    detectors follow one track at a time; a switch to the other is not the vessel drifting
    100 nm at 0 kn, so a slow run ends there and the other track's starts anew."""
    hours = 24
    a = track(V, 0, hours * HOUR, 600, 34.0, 13.0, 0.0, 0.0)
    b = track(V, 300, hours * HOUR, 600, 35.6, 13.4, 0.0, 0.0)
    recs = heard(a, [(0, 6), (12, 18)]) + heard(b, [(6, 12), (18, 24)])
    events = run(recs + background(hours))
    loiters = of_kind(events, EventKind.LOITERING)
    assert loiters, "each track's slow hours are loitering"
    assert all(e.details["max_drift_nm"] < 1.0 for e in loiters), [
        (format_time(e.start_ms), e.details["max_drift_nm"]) for e in loiters
    ]
    (jump,) = of_kind(events, EventKind.POSITION_JUMP)
    assert jump.details["cause"] == "shared_mmsi"


def test_a_third_transmitter_heard_twice_an_hour_and_a_half_apart_joins_the_episode() -> None:
    """GFW gpsdio-segment's 416000000 again: while two boats off Taiwan share the number, it is
    heard twice in the Indian Ocean, 93 min apart. Two consistent fixes far off are a
    transmitter (as they are an excursion); the episode lists it."""
    hours = 8
    a = track(V, 0, hours * HOUR, 300, 22.56, 120.31, 0.0, 0.0)
    b = track(V, 150, hours * HOUR, 420, 24.29, 120.52, 0.0, 0.0)
    c = [
        pos(5 * HOUR + 2697, V, -9.774, 61.374, 0.0, 0.0),
        pos(7 * HOUR + 1112, V, -9.755, 61.339, 0.0, 0.0),
    ]
    events = run(a + b + c + background(hours))
    (ep,) = of_kind(events, EventKind.POSITION_JUMP)
    assert ep.details["cause"] == "shared_mmsi"
    lats = sorted(round(t["first"]["lat"]) for t in ep.details["tracks"])
    assert lats == [-10, 23, 24]


def _dark_then_clone(back: Sequence[Record]) -> list[Event]:
    """V sails 2 h and falls silent; from 3 h another transmitter on its MMSI reports 380 nm
    away, every minute (on the half minute), to 9 h; ``back`` is what is heard of V meanwhile."""
    a = track(V, 0, 2 * HOUR, 60, 35.0, 12.0, 8.0, 90.0)
    clone = track(V, 3 * HOUR + 30, 9 * HOUR, 60, 38.5, 19.0, 10.0, 0.0)
    return run([*a, *clone, *back, *background(9)])


def test_a_dark_vessel_heard_again_while_a_clone_is_followed_ends_its_silence() -> None:
    """The silence ends at the vessel's own return (6 h), not at the clone's first fix, and
    not at the end of the capture: the detectors follow the clone by then."""
    back = track(V, 6 * HOUR, 7 * HOUR, 60, 35.0, 12.6, 8.0, 90.0)
    (gap,) = of_kind(_dark_then_clone(back), EventKind.AIS_GAP)
    assert gap.start_ms == ms(2 * HOUR)
    assert gap.end_ms == ms(6 * HOUR)
    assert gap.details["other_transmitter"] is True
    assert gap.details["reappeared"] == {"lat": 35.0, "lon": 12.6}


def test_a_lone_fix_near_a_dark_vessel_does_not_end_its_silence() -> None:
    """One fix is as often a corrupt position: the silence goes on until a second confirms."""
    back = [pos(6 * HOUR, V, 35.0, 12.6, 8.0)]
    (gap,) = of_kind(_dark_then_clone(back), EventKind.AIS_GAP)
    assert gap.start_ms == ms(2 * HOUR) and gap.end_ms is None
