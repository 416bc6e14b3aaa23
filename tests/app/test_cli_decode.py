from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

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
    assert sum(v for k, v in stats.items() if k not in ("lines", "event_time")) == stats["lines"]
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


def _udp_unread(port: int) -> int | None:
    """Return the bytes waiting in the kernel for the UDP socket on ``port`` (Linux)."""
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].upper().endswith(f":{port:04X}"):
            return int(fields[4].split(":")[1], 16)
    return None


def _udp_port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def test_ingest_over_real_udp_counts_every_line(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stats_file = tmp_path / "stats.json"
    env = {**os.environ, "MARE_BATCH_SECONDS": "0.05"}
    proc = subprocess.Popen(
        [MARE, "ingest", f"udp://127.0.0.1:{port}", "--no-store", "--stats", str(stats_file)],
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
            time.sleep(0.005)
        sender.close()
        # until the command has read every datagram (not a fixed sleep: a loaded machine
        # reads later), then a moment for the decoder, which runs as the source yields
        while _udp_unread(port):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr.decode()
    stats = json.loads(stats_file.read_text())
    assert stats["lines"] == 200
    assert sum(v for k, v in stats.items() if k not in ("lines", "event_time")) == 200
    assert stats["records"] > 150
