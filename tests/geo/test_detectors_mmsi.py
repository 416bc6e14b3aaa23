from hypothesis import given, settings
from hypothesis import strategies as st

from geo.detectors.mmsi import mmsi_problem, with_problems
from geo.events import EventKind
from tests.geo.engine_scenarios import of_kind, run, static, track


def test_invalid_mmsi_is_reported_once_per_mmsi() -> None:
    recs = track(123456789, 0, 3600, 10, 33.5, 12.5, 10.0)
    recs += [static(5, 123456789, name="X"), static(400, 123456789, name="X")]
    recs += track(247000001, 0, 3600, 10, 34.5, 12.5, 10.0)
    (ev,) = of_kind(run(recs), EventKind.INVALID_MMSI)
    assert ev.mmsi == 123456789 and ev.lat is not None
    assert "not a valid MMSI" in ev.details["reason"]


def test_coast_station_number_on_a_vessel_is_flagged_but_sart_is_not() -> None:
    assert mmsi_problem(2470003) is not None
    assert mmsi_problem(972011234) is None
    assert mmsi_problem(642123456) is None


def test_mmsi_zero_gets_one_invalid_mmsi_event_at_its_first_fix_but_no_track() -> None:
    recs = track(0, 0, 1800, 10, 33.5, 12.5, 10.0)
    recs += track(0, 900, 1800, 10, 35.5, 14.5, 10.0)  # a second unconfigured unit
    recs += [static(5, 0, name="ALPHA"), static(400, 0, name="BRAVO"), static(800, 0, name="BRAVO")]
    events = run(sorted(recs, key=lambda r: r.time_ms))
    (ev,) = of_kind(events, EventKind.INVALID_MMSI)
    assert ev.mmsi == 0 and ev.lat == 33.5 and ev.lon == 12.5
    assert of_kind(events, EventKind.POSITION_JUMP) == []
    assert of_kind(events, EventKind.IDENTITY_CHANGE) == []


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.integers(0, 1_099_999_999)
        | st.sampled_from([0, 2470003, 24700003, 972011234, 970001234, 111247101, 992471234])
        | st.integers(800_000_000, 999_999_999),
        max_size=40,
    )
)
def test_the_mmsis_with_a_problem_are_those_mmsi_problem_names(mmsis: list[int]) -> None:
    """The engine asks `mmsi_problem` only of the MMSIs `with_problems` picks."""
    assert with_problems(mmsis).tolist() == [mmsi_problem(m) is not None for m in mmsis]
