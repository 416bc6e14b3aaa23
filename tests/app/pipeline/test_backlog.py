"""The backlog: the order of writes kept, each stage bounded, its oldest dropped first."""

from __future__ import annotations

from typing import Any

from app.pipeline.backlog import Backlog, Pending


def write(*args: Any) -> None:
    raise AssertionError("never called here")


def pending(seq: int, stage: str, records: int) -> Pending:
    return Pending(seq, stage, records, write, ())


def test_a_stage_over_its_bound_drops_its_own_oldest_and_never_the_other_stage() -> None:
    backlog = Backlog(limits={"store": 10, "alerts": 2})
    assert backlog.add(pending(0, "alerts", 1)) == []
    assert backlog.add(pending(1, "store", 4)) == []
    assert backlog.add(pending(2, "store", 4)) == []
    dropped = backlog.add(pending(3, "store", 4))  # 12 > 10: the oldest positions go
    assert [(p.seq, p.stage) for p in dropped] == [(1, "store")]
    assert backlog.records == {"store": 8, "alerts": 1}
    assert [p.seq for p in backlog.entries] == [0, 2, 3]
    dropped = backlog.add(pending(4, "alerts", 2))  # 3 > 2: the oldest event goes, not positions
    assert [(p.seq, p.stage) for p in dropped] == [(0, "alerts")]
    assert backlog.records == {"store": 8, "alerts": 2}


def test_a_write_refused_late_goes_back_to_its_place_in_the_order() -> None:
    backlog = Backlog()
    for seq in (5, 7, 9):
        backlog.add(pending(seq, "store", 1))
    backlog.add(pending(6, "alerts", 1))  # it was in the writer's hands when the outage began
    assert [p.seq for p in backlog.entries] == [5, 6, 7, 9]
    first = backlog.first()
    backlog.remove(first)
    backlog.remove(first)  # written already, or dropped meanwhile: nothing happens
    assert [p.seq for p in backlog.entries] == [6, 7, 9]
    assert backlog.records == {"store": 2, "alerts": 1}


def test_a_single_write_bigger_than_the_bound_is_dropped_itself() -> None:
    backlog = Backlog(limits={"store": 3, "alerts": 1})
    big = pending(0, "store", 5)
    assert backlog.add(big) == [big]
    assert len(backlog) == 0 and backlog.records["store"] == 0
