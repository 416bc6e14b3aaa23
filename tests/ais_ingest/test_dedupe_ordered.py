"""A time-ordered batch is decided in numpy, with exactly the sequential rule's answers."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ais_ingest.dedupe import Deduplicator, payload_key
from tests.ais_ingest.reference_decoder import ReferenceDeduplicator


def _run(new: Deduplicator, events: list[tuple[str, int]], cuts: list[int]) -> list[bool]:
    have: list[bool] = []
    bounds = [0, *sorted(c for c in cuts if c <= len(events)), len(events)]
    for a, b in itertools.pairwise(bounds):
        part = events[a:b]
        times = np.array([t for _, t in part], dtype=np.int64)
        have += new.duplicates([payload_key(p) for p, _ in part], times).tolist()
    return have


@settings(max_examples=600, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(0, 60)), max_size=12),
    st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 6)), max_size=90),
    st.lists(st.integers(0, 100), max_size=5),
    st.sampled_from([1, 5, 10, 25]),
)
def test_time_ordered_batches_equal_the_sequential_rule(
    disorder: list[tuple[str, int]],
    steps: list[tuple[str, int]],
    cuts: list[int],
    window: int,
) -> None:
    """A few events out of order first (entries held out of order), then time only advances.

    Times in steps of 0-6 with windows of 1-25 give runs shorter and longer than the window,
    copies exactly one window apart and payloads with several entries held.
    """
    start = max((t for _, t in disorder), default=0)
    times = itertools.accumulate((s for _, s in steps), initial=start)
    events = disorder + [(p, t) for (p, _), t in zip(steps, list(times)[1:], strict=True)]
    ref = ReferenceDeduplicator(window)
    want = [ref.is_duplicate(p, t) for p, t in events]
    new = Deduplicator(window)
    new.sequential_below = 0
    assert _run(new, events, [len(disorder), *cuts]) == want
    assert len(new) == len(ref)


def test_a_time_ordered_batch_is_decided_without_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stations repeating payloads a second apart, payloads heard again minutes later."""

    def loop(*args: object) -> None:
        raise AssertionError("the per-payload loop ran")

    events = [(f"p{(i // 3) % 700}", 1_000 * (i // 3)) for i in range(6_000)]
    ref = ReferenceDeduplicator(10_000)
    want = [ref.is_duplicate(p, t) for p, t in events]
    new = Deduplicator(10_000)
    monkeypatch.setattr(Deduplicator, "_resolve", loop)
    assert _run(new, events, [1_000, 2_500, 4_000]) == want
    assert sum(want) == 4_000 and len(new) == len(ref)


def test_only_the_payloads_the_rule_cannot_settle_go_through_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A beacon repeating one payload every 2 s for a minute (a chain of kept copies) and one
    heard again exactly a window later: only their rows are left to the loop."""
    looped: list[int] = []
    resolve = Deduplicator._resolve

    def counting(self: Deduplicator, keys: Any, times: Any, interesting: Any, *rest: Any) -> Any:
        looped.append(int(interesting.sum()))
        return resolve(self, keys, times, interesting, *rest)

    events = [(f"p{(i // 3) % 700}", 1_000 * (i // 3)) for i in range(6_000)]
    events += [("beacon", 2_000 * k) for k in range(30)] + [("p5", 15_000)]
    events.sort(key=lambda e: e[1])
    ref = ReferenceDeduplicator(10_000)
    want = [ref.is_duplicate(p, t) for p, t in events]
    new = Deduplicator(10_000)
    monkeypatch.setattr(Deduplicator, "_resolve", counting)
    assert _run(new, events, [3_000]) == want
    assert looped and max(looped) <= 40
    assert len(new) == len(ref)
