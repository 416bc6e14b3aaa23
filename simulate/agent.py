"""An agent is one transmitter: a vessel identity, a track, and what it does to its AIS.

Behaviours are expressed as changes to what the transmitter sends, never to the truth track:
dark intervals (transmitter off), identity changes from a time on, spoofed positions in an
interval, or a second agent broadcasting someone else's MMSI. Labels are planned here in
simulator terms and refined against what was actually received (see `simulate.truth`).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from simulate.fleet import Registry, Vessel
from simulate.motion import Track, TrackBuilder
from simulate.world import Point, World

#: A growing track is extended when it ends less than this past the planned horizon...
GROW_MARGIN_MS = 10 * 60_000
#: ...by this much past the horizon, so a track is rebuilt about once an hour, not per window.
GROW_STEP_MS = 60 * 60_000


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
    growing: bool = False  # the track is extended slice by slice until ``off``

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


#: Extends a growing track until at least the given time (ms), drawing from the plan's rng.
Extend = Callable[[TrackBuilder, int], object]
#: A piece of planning due at a time: it may add agents, labels and further tasks.
Task = Callable[["Plan"], object]


@dataclass(slots=True)
class _Grower:
    agent: int
    builder: TrackBuilder
    extend: Extend


@dataclass(slots=True)
class Plan:
    """Everything a run will do, decided slice by slice as the capture is emitted.

    `advance` plans up to a time: it grows the open tracks (anchor swings, trawls, ferry
    cycles, patrols) past it and runs the tasks due before it (a transit lane's next voyage,
    a behaviour episode choosing its vessel), in a fixed order, so a run is the same whether
    its lines are read at once or one by one, and the first lines need only the first slice.
    """

    world: World
    rng: random.Random
    registry: Registry
    start: int
    end: int
    agents: list[Agent] = field(default_factory=list)
    labels: list[PlannedLabel] = field(default_factory=list)
    busy: set[int] = field(default_factory=set)  # agents already carrying a scripted behaviour
    planned_until: int = 0  # every task due before this has run; open tracks reach past it
    _tasks: list[tuple[int, int, Task]] = field(default_factory=list)
    _seq: int = 0
    _growers: list[_Grower] = field(default_factory=list)

    def add(self, agent: Agent) -> int:
        """Add an agent and return its index."""
        self.agents.append(agent)
        return len(self.agents) - 1

    def add_growing(
        self, builder: TrackBuilder, extend: Extend, make: Callable[[Track], Agent]
    ) -> int:
        """Add the agent ``make`` returns for a track that ``extend`` grows until the run ends."""
        g = _Grower(len(self.agents), builder, extend)
        self._extend(g)
        agent = make(builder.build())
        agent.growing = True
        self._growers.append(g)
        return self.add(agent)

    def label(self, label: PlannedLabel) -> None:
        """Plan a label."""
        self.labels.append(label)

    def schedule(self, due: int, task: Task) -> None:
        """Run ``task`` when the plan reaches ``due`` (ms); same-time tasks in schedule order."""
        heapq.heappush(self._tasks, (due, self._seq, task))
        self._seq += 1

    @property
    def pending_tasks(self) -> int:
        return len(self._tasks)

    def advance(self, until: int) -> None:
        """Plan everything that starts before ``until`` and grow open tracks past it."""
        if until <= self.planned_until:
            return
        self.planned_until = until
        for g in self._growers:
            self._grow(g)
        while self._tasks and self._tasks[0][0] < until:
            _, _, task = heapq.heappop(self._tasks)
            task(self)

    def _grow(self, g: _Grower) -> None:
        if self._extend(g):
            self.agents[g.agent].track = g.builder.build()

    def _extend(self, g: _Grower) -> bool:
        end = self.end + GROW_MARGIN_MS
        if g.builder.now >= min(self.planned_until + GROW_MARGIN_MS, end):
            return False
        g.extend(g.builder, min(self.planned_until + GROW_STEP_MS, end))
        return True
