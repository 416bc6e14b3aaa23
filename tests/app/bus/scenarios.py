"""Simulated captures for the bus tests, made once per session under a temporary directory."""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path

from geo.contacts import Contact
from simulate.scenario import DEFAULT_ZONES, Simulation

_DIR = Path(tempfile.mkdtemp(prefix="mare-bus-feeds-"))


@cache
def feed(scenario: str, hours: float = 2.0, vessels: int = 40, seed: int = 3) -> Path:
    """A capture of ``scenario`` (small: a few tens of thousands of lines)."""
    sim = Simulation(hours=hours, seed=seed, start_ms=None, vessels=vessels, scenario=scenario,
                     zones=DEFAULT_ZONES)  # fmt: skip
    path = _DIR / f"{scenario}-{hours}-{vessels}-{seed}.nmea"
    path.write_text("\n".join(line for _, line in sim) + "\n")
    contacts_of(path).write_text(json.dumps([c.to_state() for c in sim.contacts]))
    return path


def contacts_of(capture: Path) -> Path:
    """Where the contacts of a capture's boats without AIS are (sightings, calls, SAR)."""
    return capture.with_suffix(".contacts.json")


def contacts(capture: Path) -> list[Contact]:
    """The contacts the simulation made beside a capture (`feed`), in its order."""
    return [Contact.from_state(o) for o in json.loads(contacts_of(capture).read_text())]
