from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from app.cli import cli
from app.cli import commands as _commands  # noqa: F401  (registers the commands)

CAPTURE = "tests/data/ais/pyais/nmea_data_sample.txt"
MARE = str(Path(sys.executable).with_name("mare"))


def test_decode_jsonl_prints_records_by_name_and_stats_add_up(tmp_path: Path) -> None:
    stats_file = tmp_path / "stats.json"
    result = CliRunner().invoke(cli, ["decode", CAPTURE, "--stats", str(stats_file)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    stats = json.loads(stats_file.read_text())
    assert stats["lines"] == 898
    assert sum(v for k, v in stats.items() if isinstance(v, int) and k != "lines") == stats["lines"]
    assert len(records) >= stats["records"] > 700
    first = records[0]
    assert {"msg_type", "mmsi", "time"} <= first.keys() and first["time"].endswith("Z")


def test_decode_csv_and_none_formats(tmp_path: Path) -> None:
    out = tmp_path / "records.csv"
    result = CliRunner().invoke(cli, ["decode", CAPTURE, "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0
    header, *rows = out.read_text().splitlines()
    assert header.startswith("record,time,msg_type,mmsi") and len(rows) > 700
    result = CliRunner().invoke(cli, ["decode", CAPTURE, "--format", "none"])
    assert result.exit_code == 0 and "{" not in result.stdout


def test_decode_missing_capture_is_one_clear_error() -> None:
    result = CliRunner().invoke(cli, ["decode", "no/such/file.nmea"])
    assert result.exit_code == 2 and "no such capture" in result.output
    assert "Traceback" not in result.output


def _udp_port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _ingest_then_signal(
    tmp_path: Path, sig: signal.Signals, *args: str, database: str | None = None
) -> tuple[dict[str, Any], str]:
    """Send 200 lines to ``mare ingest`` over real UDP, signal it at once; return stats, stderr.

    The batch waits 60 s for more lines, so at the signal every line is still in the socket's
    buffer or the decoder's batch: only a graceful stop counts (and stores) them.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stats_file = tmp_path / "stats.json"
    env = {**os.environ, "MARE_BATCH_SECONDS": "60", "MARE_VAR_DIR": str(tmp_path / "var")}
    if database is not None:
        env["MARE_DATABASE_URL"] = database
    proc = subprocess.Popen(
        [MARE, "ingest", f"udp://127.0.0.1:{port}", "--stats", str(stats_file), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        lines = Path(CAPTURE).read_text().splitlines()[:200]
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        deadline = time.monotonic() + 30
        while not _udp_port_taken(port):  # the command is still starting up
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        for i in range(0, len(lines), 10):
            sender.sendto(("\r\n".join(lines[i : i + 10]) + "\r\n").encode(), ("127.0.0.1", port))
        sender.close()  # loopback: every datagram is in the socket's buffer or read already
    finally:
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr.decode()
    return json.loads(stats_file.read_text()), stderr.decode()


def test_ctrl_c_on_ingest_counts_every_line_it_was_sent(tmp_path: Path) -> None:
    stats, stderr = _ingest_then_signal(tmp_path, signal.SIGINT, "--no-store")
    assert stats["lines"] == 200, stderr
    assert sum(v for k, v in stats.items() if isinstance(v, int) and k != "lines") == 200
    assert stats["records"] > 150
    assert "stopping: storing what was read" in stderr


def test_sigterm_on_ingest_stores_what_it_read(tmp_path: Path) -> None:
    """``systemctl stop`` sends SIGTERM: the positions read so far are stored, not dropped."""
    db = tmp_path / "mare.sqlite"
    stats, stderr = _ingest_then_signal(tmp_path, signal.SIGTERM, database=f"sqlite:///{db}")
    assert stats["lines"] == 200, stderr
    with sqlite3.connect(db) as conn:
        (stored,) = conn.execute("SELECT count(*) FROM positions").fetchone()
    assert stored > 100 and f"stored {stored:,} positions" in stderr, stderr


def test_decode_out_dash_is_stdout(tmp_path: Path) -> None:
    """``-o -`` writes to stdout, as ``mare detect -o -`` does; it made a file named ``-``."""
    result = CliRunner().invoke(cli, ["decode", CAPTURE, "-o", "-"])
    assert result.exit_code == 0, result.output
    assert sum(line.startswith("{") for line in result.stdout.splitlines()) > 700
    assert not Path("-").exists()
