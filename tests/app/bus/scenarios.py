"""Simulated captures for the bus tests, made once per session under a temporary directory."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from simulate.scenario import DEFAULT_ZONES, Simulation

_DIR = Path(tempfile.mkdtemp(prefix="mare-bus-feeds-"))


@cache
def feed(scenario: str, hours: float = 2.0, vessels: int = 40, seed: int = 3) -> Path:
    """A capture of ``scenario`` (small: a few tens of thousands of lines)."""
    sim = Simulation(hours=hours, seed=seed, start_ms=None, vessels=vessels, scenario=scenario,
                     zones=DEFAULT_ZONES)  # fmt: skip
    path = _DIR / f"{scenario}-{hours}-{vessels}-{seed}.nmea"
    path.write_text("\n".join(line for _, line in sim) + "\n")
    return path
