from geo.detectors.mmsi import mmsi_problem
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
