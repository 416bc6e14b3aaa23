from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ais_ingest.records import StaticReport
from geo.config import EngineConfig
from geo.detectors.identity import IdentityDetector
from geo.events import EventKind
from tests.geo.engine_scenarios import of_kind, run, static, track

V = 642000001


def base() -> list:  # type: ignore[type-arg]
    return track(V, 0, 3600, 10, 33.5, 12.5, 10.0)


def test_first_static_report_is_not_a_change() -> None:
    recs = base() + [static(5, V, name="SEA STAR", callsign="5AAA1", imo=9123456, ship_type=70)]
    assert run(recs) == []


def test_confirmed_name_change_gives_one_event_ignoring_spaces_and_padding() -> None:
    recs = base() + [
        static(5, V, name="SEA STAR", callsign="5AAA1"),
        static(365, V, name="SEA  STAR@@@", callsign="5AAA1"),  # same name, padded
        static(725, V, name="NOUR", callsign="5BBB2"),
        static(1085, V, name="NOUR", callsign="5BBB2"),
        static(1445, V, name="NOUR", callsign="5BBB2"),
    ]
    (ev,) = of_kind(run(recs), EventKind.IDENTITY_CHANGE)
    assert ev.details["changes"] == {
        "name": {"from": "SEA STAR", "to": "NOUR"},
        "callsign": {"from": "5AAA1", "to": "5BBB2"},
    }
    assert ev.lat is not None  # placed at the vessel's position
    # from the first report carrying the new identity to the one confirming it
    assert (ev.start_ms, ev.end_ms) == (recs[-3].time_ms, recs[-2].time_ms)


def test_single_corrupt_static_does_not_flip_flop() -> None:
    recs = base() + [
        static(5, V, name="SEA STAR"),
        static(365, V, name="SEA STAQ"),
        static(725, V, name="SEA STAR"),
        static(1085, V, name="SEA STAR"),
    ]
    assert of_kind(run(recs), EventKind.IDENTITY_CHANGE) == []


def test_imo_change_is_high_severity() -> None:
    recs = base() + [
        static(5, V, imo=9123456),
        static(365, V, imo=9999999),
        static(725, V, imo=9999999),
    ]
    (ev,) = of_kind(run(recs), EventKind.IDENTITY_CHANGE)
    assert ev.severity.value == "high"


def test_a_name_or_callsign_typed_another_way_is_not_a_change() -> None:
    """Crews retype names: the 2015 AISHub feed has MINGYANGZHOU 9 -> MING YANG ZHOU 9."""
    recs = base() + [
        static(5, V, name="MINGYANGZHOU 9", callsign="BZ-123"),
        *(static(t, V, name="MING YANG ZHOU 9", callsign="BZ 123") for t in (365, 725, 1085)),
        *(static(t, V, name="F/V SEA STAR II") for t in (1445, 1805)),
        *(static(t, V, name="SEA STAR 2") for t in (2165, 2525, 2885)),
    ]
    (ev,) = of_kind(run(recs), EventKind.IDENTITY_CHANGE)  # the one real change
    assert ev.details["changes"] == {"name": {"from": "MING YANG ZHOU 9", "to": "F/V SEA STAR II"}}
    assert ev.details["identity"]["callsign"] == "BZ 123"  # the spelling on the air now


def _moved_with_a_new_name(jump: bool) -> list:  # type: ignore[type-arg]
    """A vessel named SEA STAR, then (after 20 min unheard) fixes and statics of NOUR: 600 nm
    off if ``jump`` (no track reaches it), else on the vessel's own way."""
    lat, lon = (40.0, 20.0) if jump else (33.5, 12.63)
    recs = track(V, 0, 1800, 10, 33.5, 12.5, 10.0)
    recs += track(V, 3000, 7200, 10, lat, lon, 10.0)
    recs += [static(t, V, name="SEA STAR", callsign="5AAA1") for t in (5, 365, 725)]
    recs += [static(t, V, name="NOUR", callsign="5BBB2") for t in (3365, 3725, 4085)]
    return sorted(recs, key=lambda r: r.time_ms)


def test_a_name_that_came_with_an_impossible_jump_is_the_jump_s_not_a_change() -> None:
    """GFW's 412588888: the other transmitter's name, confirmed after the MMSI's position
    jumped to it, is reported by the jump (or shared-MMSI) episode, not a second alert."""
    events = run(_moved_with_a_new_name(jump=True))
    assert of_kind(events, EventKind.POSITION_JUMP)
    assert of_kind(events, EventKind.IDENTITY_CHANGE) == []
    # the same renaming where the vessel could have sailed is a change
    events = run(_moved_with_a_new_name(jump=False))
    assert of_kind(events, EventKind.POSITION_JUMP) == []
    assert len(of_kind(events, EventKind.IDENTITY_CHANGE)) == 1


_NAMES = st.sampled_from(
    ["SEA STAR", "sea  star@@", "NOUR", "MING YANG ZHOU 9", None, *"ABCDEFGHIJKLMNOPQRS"]
)
_REPORTS = st.lists(
    st.tuples(
        st.integers(0, 2),  # vessel
        _NAMES,
        st.sampled_from(["5AAA1", "5BBB2", None]),
        st.sampled_from([9123456, 0, None]),
        st.sampled_from([70, 30, None]),
        st.booleans(),  # shared
        st.sampled_from([None, 0, 10**9]),  # jumped
        st.integers(1, 4),  # said this many times in a row
    ),
    max_size=40,
)


def _both_ways(said: list[tuple[Any, ...]]) -> None:
    """Each report's events and the state after it, with and without the short way."""
    fast, slow = IdentityDetector(EngineConfig()), IdentityDetector(EngineConfig())
    for i, (v, name, callsign, imo, ship_type, shared, jumped) in enumerate(said):
        rep = StaticReport(60_000 * i, 642000001 + v, 5, name, callsign, imo, ship_type)
        got = fast.process(rep, 1.0, 2.0, shared=shared, jumped_ms=jumped)
        for other in slow.vessels.values():
            other.same = None  # never the short way
        assert got == slow.process(rep, 1.0, 2.0, shared=shared, jumped_ms=jumped)
        assert fast.to_state() == slow.to_state()


@given(_REPORTS)
@settings(max_examples=150, deadline=None)
def test_a_report_repeating_the_last_one_word_for_word_is_handled_as_any_other(
    reports: list[tuple[Any, ...]],
) -> None:
    """The short way for a vessel's identity said again (`Identity.same`) changes nothing."""
    _both_ways([r[:-1] for r in reports for _ in range(r[-1])] * 2)


def test_a_name_said_again_after_many_keeps_the_memory_bounded() -> None:
    """Silent changes (shared MMSI) fill the names' memory past its bound of 16 values."""
    names = [n for n in "ABCDEFGHIJKLMNOPQRS" for _ in range(2)] + ["S"] * 3
    _both_ways([(0, n, None, None, None, True, None) for n in names])


def test_a_vessel_s_identity_said_again_is_only_stamped() -> None:
    det = IdentityDetector(EngineConfig())
    for t in range(4):
        det.process(StaticReport(60_000 * t, V, 5, "SEA STAR", "5AAA1", 9123456), None, None)
    ident = det.vessels[V]
    assert ident.same is not None  # the third and fourth took the short way
    assert ident.names == {"SEA STAR": [0, 180_000, 4]}
    assert ident.past["imo"] == {"9123456": 180_000}
