from geo.config import EngineConfig
from geo.detectors.gap_return import OffTrackReturns
from geo.speed_test import Fix

H = 3_600_000


def test_a_return_heard_twice_by_two_stations_is_not_confirmed_by_its_repeat() -> None:
    """One message stamped a second apart by two stations is one fix: a lone far fix is as often
    a corrupt position, and its repeat does not bear it out."""
    returns = OffTrackReturns(EngineConfig())
    silent = Fix(0, 12.0, 34.0, 1, 10.0)
    first = Fix(3 * H, 12.5, 34.1, 1, 10.0)
    assert returns.hear(7, silent, first) is None
    assert returns.hear(7, silent, Fix(3 * H + 1000, 12.5, 34.1, 1, 10.0)) is None
    assert returns.hear(7, silent, Fix(3 * H + 60_000, 12.503, 34.1, 1, 10.0)) == first
