"""The simulator streams: the first lines need one slice of planning, and reading lazily or all
at once gives the same bytes and the same truth."""

from __future__ import annotations

import hashlib

from geo.events import parse_time
from simulate.agent import GROW_STEP_MS
from simulate.scenario import WINDOW_MS, Simulation, iter_simulation

START = parse_time("2026-06-01T00:00:00Z")


def _digest(lines: list[tuple[int, str]]) -> str:
    h = hashlib.sha256()
    for t, line in lines:
        h.update(f"{t} {line}\n".encode())
    return h.hexdigest()


def test_streamed_lines_are_the_batch_lines_with_or_without_truth() -> None:
    batch = Simulation(hours=2, seed=5, start_ms=START, vessels=40, zones=None)
    batch_lines = list(batch)
    streamed = iter_simulation(2, 5, START, vessels=40)
    one_by_one = []
    while (x := next(streamed, None)) is not None:
        one_by_one.append(x)
    assert _digest(one_by_one) == _digest(batch_lines)
    again = Simulation(hours=2, seed=5, start_ms=START, vessels=40, zones=None)
    assert _digest(list(again)) == _digest(batch_lines)
    assert [lab.to_dict() for lab in again.labels] == [lab.to_dict() for lab in batch.labels]
    assert batch.labels, "a two-hour run carries labels"


def test_the_first_line_comes_after_planning_only_the_first_slice() -> None:
    sim = Simulation(hours=6, seed=3, start_ms=START, vessels=60, zones=None)
    lines = sim.lines()
    first = next(lines)
    plan = sim.plan
    assert first[0] < START + WINDOW_MS
    assert plan.planned_until == START + WINDOW_MS
    assert plan.pending_tasks > 0  # later voyages, departures and episodes are not planned yet
    agents_then = len(plan.agents)
    growing = [ag for ag in plan.agents if ag.growing]
    assert growing
    # open tracks (anchor swings, trawls) reach about an hour past the slice, not the run's end
    short = [ag for ag in growing if ag.track.end < START + WINDOW_MS + 2 * GROW_STEP_MS]
    assert len(short) > len(growing) // 2
    rest = list(lines)
    assert rest
    assert plan.pending_tasks == 0
    assert len(plan.agents) > agents_then
    assert all(ag.track.end >= sim.end for ag in plan.agents if ag.growing)
