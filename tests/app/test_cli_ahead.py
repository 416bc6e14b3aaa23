"""Decoding a step ahead in a forked process gives `mare detect` exactly what decoding in
process gives: the same events, lines and counters, the same refusals and read errors."""

from __future__ import annotations

import gzip
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ais_ingest.decoder import Decoder
from app.cli.child_pipe import AHEAD_MIN_BYTES
from app.cli.detect_run import EpisodeLog, UntimedCapture, run_detect, write_events
from app.defaults import DEDUPE_SECONDS
from geo.alert_rules import SHIPPED_RULES_FILE, load_rules_file
from geo.engine import Engine
from geo.triage import Triage
from geo.zones import SHIPPED_ZONE_FILE, load_zone_file
from tests.app.processes import children_end_with_parent, kill_child_mid_message

ZONES = load_zone_file(SHIPPED_ZONE_FILE)
TIMED = Path("tests/data/ais/libais/tagblock.nmea")
UNTIMED = Path("tests/data/ais/aishub/aishub_2015_3min.nmea")
MARE = str(Path(sys.executable).with_name("mare"))


def _detect(
    captures: list[Path], *, ahead: bool, span: float | None = None
) -> tuple[str, int, dict[str, object], list[str]]:
    engine = Engine(ZONES)
    log = EpisodeLog(Triage(engine, load_rules_file(SHIPPED_RULES_FILE, zone_ids=set())))
    decoder = Decoder(dedupe_seconds=DEDUPE_SECONDS)
    warnings: list[str] = []
    events, lines = run_detect(
        captures, engine, decoder, assume_span_s=span, warn=warnings.append, log=log, ahead=ahead
    )
    out = io.StringIO()
    write_events(out, events, log)
    return out.getvalue(), lines, decoder.stats.report(), warnings


def test_ahead_gives_the_events_lines_counters_and_warnings_of_in_process(
    tmp_path: Path,
) -> None:
    """Several captures: timed, empty, and a gzipped untimed one spread over a span."""
    empty = tmp_path / "empty.nmea"
    empty.write_text("")
    packed = tmp_path / "untimed.nmea.gz"
    packed.write_bytes(gzip.compress(UNTIMED.read_bytes()))
    captures = [TIMED, empty, packed, TIMED]
    here = _detect(captures, ahead=False, span=180.0)
    there = _detect(captures, ahead=True, span=180.0)
    assert there == here
    assert here[1] > 5_000 and here[3]  # lines read; untimed captures named in warnings


def test_ahead_refuses_an_untimed_capture_as_in_process() -> None:
    with pytest.raises(UntimedCapture) as here:
        _detect([TIMED, UNTIMED], ahead=False)
    with pytest.raises(UntimedCapture) as there:
        _detect([TIMED, UNTIMED], ahead=True)
    assert str(there.value) == str(here.value)


def test_a_read_error_in_the_child_is_raised_in_the_parent(tmp_path: Path) -> None:
    broken = tmp_path / "broken.nmea.gz"
    data = gzip.compress(TIMED.read_bytes() * 20)
    broken.write_bytes(data[: len(data) // 2])
    shutil.copy(TIMED, tmp_path / "ok.nmea")
    # gzip says a cut stream as an EOFError; every packing's damage is an OSError naming the file
    with pytest.raises(OSError, match="broken.nmea.gz: damaged packed data"):
        _detect([tmp_path / "ok.nmea", broken], ahead=False)
    with pytest.raises(OSError, match="broken.nmea.gz: damaged packed data"):
        _detect([tmp_path / "ok.nmea", broken], ahead=True)


@pytest.mark.timeout(120)
def test_the_child_stops_when_the_parent_is_killed(tmp_path: Path) -> None:
    """SIGKILL leaves no cleanup: the child, its queue full and unread, must not wait for ever."""
    capture = tmp_path / "twice.nmea"
    capture.write_bytes(UNTIMED.read_bytes() * 2)  # over AHEAD_MIN_BYTES
    assert capture.stat().st_size >= AHEAD_MIN_BYTES
    argv = [MARE, "detect", "--assume-time", "6m", "-o", str(tmp_path / "ev.jsonl"), str(capture)]
    children_end_with_parent(argv)


def test_a_decoding_child_killed_mid_message_is_one_clear_error(tmp_path: Path) -> None:
    """The parent held the queue's write end too: no end of file came, it waited for ever."""
    capture = tmp_path / "twice.nmea"
    capture.write_bytes(UNTIMED.read_bytes() * 2)  # over AHEAD_MIN_BYTES
    argv = [MARE, "detect", "--assume-time", "6m", "-o", str(tmp_path / "ev.jsonl"), str(capture)]
    ended = kill_child_mid_message(argv)
    assert ended.returncode == 2, ended.stderr
    said = " ".join(ended.stderr.split())
    assert "error: the decoding process was killed by SIGKILL" in said
    assert "Traceback" not in said


def test_the_command_forks_before_it_imports_the_engine() -> None:
    """The decoding child starts while the engine's side is imported (`app.cli.detect_run`)."""
    code = (
        "import sys, app.cli.detect\n"
        "print(*(m in sys.modules for m in ('geo.engine', 'geo.triage', 'app.cli.detect_run')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False", "False"]


def test_the_summary_the_child_renders_is_the_one_this_process_prints(tmp_path: Path) -> None:
    """Where stderr is no terminal the decoding child renders the run's summary, the engine's
    process writes it (`app.cli.detect_summary`); with ``TTY_COMPATIBLE=0`` rich is asked, and
    this process prints it: the same text, warnings, table and notes."""
    capture = tmp_path / "twice.nmea"
    capture.write_bytes(UNTIMED.read_bytes() * 2)  # over AHEAD_MIN_BYTES
    argv = [MARE, "detect", "--assume-time", "6m", "-o", str(tmp_path / "ev.jsonl"), str(capture)]
    plain = {k: v for k, v in os.environ.items() if k not in ("TTY_COMPATIBLE", "FORCE_COLOR")}

    def said(env: dict[str, str]) -> str:
        run = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        assert run.returncode == 0, run.stderr
        return re.sub(r"[\d.]+ s \([\d,]+ records/s\)", "T", " ".join(run.stderr.split()))

    child = said(plain)
    assert child == said({**plain, "TTY_COMPATIBLE": "0"})
    assert "Events by kind" in child and "records not used" in child and "warning:" in child


def test_the_engines_side_imports_no_rich() -> None:
    """Where stderr is no terminal the engine's process imports rich only if it must print
    (the child gone, a refusal): its console and tables are ~0.03 s of the run's wait."""
    code = (
        "import sys, app.cli.detect, app.cli.detect_run, app.cli.detect_inputs, geo.engine\n"
        "print(sorted(m for m in sys.modules if m == 'rich' or m.startswith('rich.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
