"""``mare simulate`` as a user runs it: a capture the decoder and the engine read, its truth.

The same seed gives the same bytes; the capture and the truth labels go through the real
decoder (``mare decode --stats``) and the real engine (``mare detect``).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.app.serve_process import MARE

pytestmark = pytest.mark.slow


def simulate(tmp: Path, name: str) -> tuple[Path, Path]:
    feed, truth = tmp / f"{name}.nmea", tmp / f"{name}.truth.jsonl"
    subprocess.run(
        [str(MARE), "simulate", "--hours", "0.5", "--seed", "7", "--vessels", "15",
         "--out", str(feed), "--truth", str(truth)],
        check=True, capture_output=True,
    )  # fmt: skip
    return feed, truth


def test_simulate_writes_the_same_capture_for_a_seed_and_the_tools_read_it(
    tmp_path: Path,
) -> None:
    feed, truth = simulate(tmp_path, "a")
    again, _ = simulate(tmp_path, "b")
    assert feed.read_bytes() == again.read_bytes()
    lines = feed.read_text().splitlines()
    assert len(lines) > 500
    labels = [json.loads(x) for x in truth.read_text().splitlines()]
    assert labels and all("kind" in x or "label" in x or "mmsi" in x for x in labels)
    stats = tmp_path / "stats.json"
    subprocess.run(
        [str(MARE), "decode", str(feed), "--format", "none", "--stats", str(stats)],
        check=True, capture_output=True,
    )  # fmt: skip
    counts = json.loads(stats.read_text())
    assert counts["lines"] == len(lines)
    # every line in one bucket; most are records (the rest: stations hearing the same
    # message, and the odd corrupt line a real feed has)
    buckets = {k: v for k, v in counts.items() if k != "lines" and isinstance(v, int)}
    assert sum(buckets.values()) == len(lines)  # event_time is a breakdown, not a bucket
    assert counts["records"] > len(lines) / 2
    events = tmp_path / "events.jsonl"
    subprocess.run(
        [str(MARE), "detect", str(feed), "--out", str(events)], check=True, capture_output=True
    )
    assert events.read_text().strip()
