"""The live pipeline's one log line about records set aside (`app.pipeline.set_aside`)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from ais_ingest.decoder import Decoder
from app.pipeline.set_aside import SetAsideLog
from geo.engine import Engine
from tests.app.push.conftest import position
from tests.app.test_detect_cli import tagged


def test_a_forged_clock_is_said_once_a_minute_at_most(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    say = SetAsideLog(period_s=60.0, clock=lambda: now[0])
    dec, eng = Decoder(), Engine([])
    t0 = 1_780_000_000
    lines = [tagged(t0, position(320_000_000 + k, 12.0, 34.0)) for k in range(20)]
    forged = [tagged(t0 + 365 * 86_400, position(320_000_000 + k, 12.0, 34.0)) for k in range(3)]
    with caplog.at_level(logging.WARNING, logger="app.pipeline"):
        rx = t0 * 1000 + 500
        eng.process(dec.decode(lines + forged, rx, "udp", clocked=True))
        first = say.check(eng.record_counts(), dec.stats.times)
        eng.process(dec.decode(forged, rx, "udp", clocked=True))
        assert say.check(eng.record_counts(), dec.stats.times) is None  # within the minute
        now[0] = 61.0
        second = say.check(eng.record_counts(), dec.stats.times)
        now[0] = 200.0
        assert say.check(eng.record_counts(), dec.stats.times) is None  # nothing new
    assert first is not None and first.startswith("records set aside since the last report: 3 ")
    assert second is not None and second.startswith("records set aside since the last report: 3 ")
    assert [r.getMessage() for r in caplog.records] == [first, second]
    assert dec.stats.times == {"own": 20, "receive": 0, "restamped": 6}


def test_nothing_set_aside_says_nothing() -> None:
    say = SetAsideLog(clock=lambda: 0.0)
    unused = {"future_time": 0, "same_time": 0, "out_of_order": 0}
    counts: dict[str, Any] = {"records": 100, "unused": unused}
    assert say.check(counts, {"restamped": 0}) is None
    unused["same_time"] = 2  # 2 % of the records
    assert say.check(counts, {"restamped": 0}) is not None
