"""Framing a step ahead in a forked process gives `mare decode` exactly what decoding in
process gives: the same records in the same order, the same counters and warnings."""

from __future__ import annotations

import gzip
import io
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ais_ingest.decoder import Decoder
from app.cli import child_pipe, cli
from app.cli import commands as _commands  # noqa: F401  (registers the commands)
from app.cli.frame_ahead import framed_chunks
from app.cli.output import RecordWriter
from bench.ingest import build_capture
from tests.app.processes import children_end_with_parent, kill_child_mid_message

UNTIMED = Path("tests/data/ais/aishub/aishub_2015_3min.nmea")
MARE = str(Path(sys.executable).with_name("mare"))


def _captures(tmp_path: Path) -> list[Path]:
    """Tag-blocked (framed whole, with multipart fragments), empty, gzipped and untimed."""
    tagged = tmp_path / "tagged.nmea"
    tagged.write_bytes(build_capture(copies=1))
    empty = tmp_path / "empty.nmea"
    empty.write_text("")
    packed = tmp_path / "untimed.nmea.gz"
    packed.write_bytes(gzip.compress(UNTIMED.read_bytes()))
    return [tagged, empty, packed, tagged]


def _decode(captures: list[Path], *, ahead: bool) -> tuple[str, dict[str, object], int]:
    decoder = Decoder()
    out = io.StringIO()
    writer = RecordWriter(out, "jsonl")
    framed = 0
    received = [1_700_000_000_000 + i for i in range(len(captures))]
    for i, lines, fr in framed_chunks(captures, received, decoder, ahead=ahead):
        if lines is not None:
            framed += fr is not None
            writer.write_batch(decoder.decode_framed(lines, fr, received[i], captures[i].name))
    decoder.flush()
    return out.getvalue(), decoder.stats.report(), framed


def test_framed_ahead_gives_the_records_and_counters_of_in_process(tmp_path: Path) -> None:
    captures = _captures(tmp_path)
    here = _decode(captures, ahead=False)
    there = _decode(captures, ahead=True)
    assert there == here
    assert here[2] > 20  # chunks framed whole, not line by line


def test_decode_cli_ahead_writes_what_it_writes_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command as run: records, ``--stats`` and the untimed-capture warning."""
    captures = [str(p) for p in _captures(tmp_path)]
    runs = []
    for min_bytes in (1 << 62, 0):  # in process, then ahead
        monkeypatch.setattr(child_pipe, "AHEAD_MIN_BYTES", min_bytes)
        out, stats = tmp_path / f"out{min_bytes}.jsonl", tmp_path / f"stats{min_bytes}.json"
        argv = ["decode", *captures, "-o", str(out), "--stats", str(stats)]
        result = CliRunner().invoke(cli, argv)
        assert result.exit_code == 0, result.output
        warnings = [line for line in result.output.splitlines() if "warning" in line]
        runs.append((out.read_text(), stats.read_text(), warnings))
    assert runs[1] == runs[0]
    assert runs[0][2] and "untimed.nmea.gz" in runs[0][2][0]


def test_a_truncated_capture_is_the_same_error_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.nmea.gz"
    data = gzip.compress(build_capture(copies=1))
    broken.write_bytes(data[: len(data) // 2])
    for ahead in (False, True):
        with pytest.raises(OSError, match="broken.nmea.gz: damaged packed data"):
            _decode([broken], ahead=ahead)
    monkeypatch.setattr(child_pipe, "AHEAD_MIN_BYTES", 0)
    result = CliRunner().invoke(cli, ["decode", "--format", "none", str(broken)])
    assert result.exit_code == 2 and "cannot read capture" in result.output


@pytest.mark.timeout(120)
def test_the_framing_child_stops_when_the_parent_is_killed(tmp_path: Path) -> None:
    capture = tmp_path / "big.nmea"
    capture.write_bytes(build_capture(copies=3))
    assert capture.stat().st_size >= child_pipe.AHEAD_MIN_BYTES
    children_end_with_parent([MARE, "decode", "-o", os.devnull, str(capture)], stop_first=True)


def test_a_framing_child_killed_mid_message_is_one_clear_error(tmp_path: Path) -> None:
    """The parent held the queue's write end too: no end of file came, it waited for ever."""
    capture = tmp_path / "big.nmea"
    capture.write_bytes(build_capture(copies=3))
    ended = kill_child_mid_message([MARE, "decode", "-o", os.devnull, str(capture)])
    assert ended.returncode == 2, ended.stderr
    said = " ".join(ended.stderr.split())
    assert "error: the framing process was killed by SIGKILL" in said
    assert "Traceback" not in said
