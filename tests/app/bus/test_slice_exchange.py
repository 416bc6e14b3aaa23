"""The replicated encounter detector's own bookkeeping, without a bus."""

from __future__ import annotations

from app.bus.slice_exchange import SharedEncounters
from geo.config import EngineConfig
from geo.detectors.base import Describer
from geo.tracker import Fleet


def test_a_close_with_more_vessels_than_the_mirror_holds_grows_it() -> None:
    say = Describer(lambda lon, lat: None, lambda m: {}, lambda lon, lat: [])
    shared = SharedEncounters(EngineConfig(), Fleet(), lambda m: m % 2 == 0, say)
    heard = [[247_000_000 + i, 60_000 + i] for i in range(1000)]  # past the first 256 slots
    part = {"gt": [], "mmsi": [], "lat": [], "lon": [], "heard": heard, "words": {}}
    shared.take([part])
    slots = [shared.mirror.slot_of[m] for m, _ in heard]
    assert shared.mirror.t[slots].tolist() == [t for _, t in heard]
