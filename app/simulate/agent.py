"""An agent is one transmitter: a vessel identity, a track, and what it does to its AIS.

Behaviours are expressed as changes to what the transmitter sends, never to the truth track:
dark intervals (transmitter off), identity changes from a time on, spoofed positions in an
interval, or a second agent broadcasting someone else's MMSI. Labels are planned here in
simulator terms and refined against what was actually received (see `app.simulate.truth`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from app.simulate.fleet import Registry, Vessel
from app.simulate.motion import Track
from app.simulate.world import Point, World


@dataclass(slots=True)
class Spoof:
    """Positions replaced by a fixed false point from ``start`` to ``end`` (ms)."""

    start: int
    end: int
    point: Point


@dataclass(slots=True)
class PlannedLabel:
    """A label in simulator time, to be refined against received messages.

    ``rule`` says how: ``span`` (first to last received fix inside the window), ``gap`` (last
    fix before the window to first fix after it), ``static_change`` (last received static before
    ``start`` to first received static from it), ``seen`` (first to last received message),
    ``seen_static`` (first received static to last received message), ``spoof`` (last genuine fix
    before the first received spoofed fix to the first genuine fix after the last one).
    """

    kind: str
    scenario: str
    agent: int
    start: int
    end: int
    rule: str
    other: int | None = None  # agent index of the other vessel (encounters)
    zone: str | None = None
    point: Point | None = None
    details: dict[str, object] = field(default_factory=dict)


@dataclass(slots=True)
class Agent:
    """One AIS transmitter in the simulation."""

    vessel: Vessel
    track: Track
    on: int  # first moment it may transmit, ms
    off: int  # last moment, ms
    dark: list[tuple[int, int]] = field(default_factory=list)
    identities: list[tuple[int, Vessel]] = field(default_factory=list)  # (from ms, identity)
    spoofs: list[Spoof] = field(default_factory=list)
    send_statics: bool = True
    altitude: int = 0  # metres, SAR aircraft only
    scenario: str = "traffic"
    log_as: int | None = None  # a second transmitter: its fixes count as spoofs of this agent

    @property
    def mmsi(self) -> int:
        return self.vessel.mmsi

    def identity_at(self, t_ms: int) -> Vessel:
        """Return the identity broadcast at a time (the last change at or before it)."""
        current = self.vessel
        for start, v in self.identities:
            if start <= t_ms:
                current = v
        return current

    def is_dark(self, t_ms: int) -> bool:
        """Return True while the transmitter is off."""
        return any(a <= t_ms < b for a, b in self.dark)


@dataclass(slots=True)
class Plan:
    """Everything a run will do, decided up front: agents and their planned labels."""

    world: World
    rng: random.Random
    registry: Registry
    start: int
    end: int
    agents: list[Agent] = field(default_factory=list)
    labels: list[PlannedLabel] = field(default_factory=list)
    busy: set[int] = field(default_factory=set)  # agents already carrying a scripted behaviour

    def add(self, agent: Agent) -> int:
        """Add an agent and return its index."""
        self.agents.append(agent)
        return len(self.agents) - 1

    def label(self, label: PlannedLabel) -> None:
        """Plan a label."""
        self.labels.append(label)
