"""Run the `Examples` sections of the reach/intercept geometry modules as doctests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "geo.geodesy",
    "geo.land",
    "geo.reach",
    "geo.intercept",
    "geo.vessel_speeds",
    "geo.contacts",
    "geo.contact_files",
    "geo.bbox",
    "geo.alert_rules",
    "geo.triage",
    "geo.shiptypes",
    "geo.zone_grid",
    "geo.names",
    "geo.silence_rule",
    "geo.silence_return",
    "geo.detectors.gap",
    "geo.detectors.dark_tracks",
    "geo.ais_history",
    "geo.arrays",
    "geo.tracker",
    "geo.speed_test",
    "geo.seen_mmsis",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no runnable examples"
    assert result.failed == 0
