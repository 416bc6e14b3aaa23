"""A batch command's quick exit leaves as the interpreter's exit does: same status, same output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import QUICK_EXIT, run

MARE = str(Path(sys.executable).with_name("mare"))
#: A real capture with events (a span given: its lines carry no time of their own).
CAPTURE = ["tests/data/ais/aishub/aishub_2015_3min.nmea", "--assume-time", "3m"]

_EXIT = """
import atexit, sys, threading, time
from pathlib import Path
from app.cli.quick_exit import exit_now
atexit.register(lambda: Path(sys.argv[1]).write_text("handler ran"))
print("buffered in the pipe")
if sys.argv[3] == "thread":
    def late() -> None:
        time.sleep(0.3)
        print("the thread's line")
    threading.Thread(target=late).start()
code = sys.argv[2]
exit_now(int(code) if code.lstrip("-").isdigit() else None if code == "none" else code)
"""


def _exit(tmp_path: Path, code: str, thread: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _EXIT, str(tmp_path / "atexit"), code, thread],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("code", "status"), [("none", 0), ("0", 0), ("3", 3)])
def test_exit_now_runs_the_exit_handlers_flushes_and_keeps_the_status(
    tmp_path: Path, code: str, status: int
) -> None:
    out = _exit(tmp_path, code)
    assert out.returncode == status, out.stderr
    assert out.stdout == "buffered in the pipe\n"
    assert (tmp_path / "atexit").read_text() == "handler ran"


def test_exit_now_with_a_message_prints_it_and_fails(tmp_path: Path) -> None:
    out = _exit(tmp_path, "cannot go on")
    assert out.returncode == 1
    assert out.stderr.strip() == "cannot go on"
    assert out.stdout == "buffered in the pipe\n"


def test_exit_now_waits_for_a_running_thread_as_the_interpreter_does(tmp_path: Path) -> None:
    out = _exit(tmp_path, "0", "thread")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "buffered in the pipe\nthe thread's line\n"
    assert (tmp_path / "atexit").read_text() == "handler ran"


def test_the_console_script_is_run_and_batch_commands_exit_quickly() -> None:
    script = Path(MARE).read_text()
    assert "from app.cli import run" in script, script
    assert {"decode", "detect", "ingest"} <= QUICK_EXIT
    assert not {"serve", "demo", "worker"} & QUICK_EXIT


def test_detect_to_stdout_writes_every_event_and_fails_with_its_message(tmp_path: Path) -> None:
    to_file = tmp_path / "ev.jsonl"
    argv = [MARE, "detect", *CAPTURE]
    done = subprocess.run([*argv, "-o", str(to_file)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    piped = subprocess.run([*argv, "-o", "-"], capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == to_file.read_text() != ""
    # a refusal: the status and message the interpreter's exit gives (`main`)
    refused = ["detect", str(tmp_path / "none.nmea"), "-o", str(to_file)]
    quick = subprocess.run([MARE, *refused], capture_output=True, text=True, timeout=120)
    probe = f"import sys; sys.argv = ['mare', *{refused!r}]; from app.cli import main; main()"
    slow = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert quick.returncode == slow.returncode != 0
    assert quick.stderr == slow.stderr
    assert "no such capture" in quick.stderr


_TEARDOWN = """
import os, sys, types
class Torn:
    def __del__(self) -> None:
        os.write(1, b"torn down\\n")
holder = types.ModuleType("holder")  # a module's objects are freed by the teardown
holder.kept = Torn()
sys.modules["holder"] = holder
del holder
sys.argv = ["mare", *sys.argv[1:]]
import app.cli
getattr(app.cli, os.environ["ENTRY"])()
"""


@pytest.mark.parametrize(("entry", "torn"), [("run", False), ("main", True)])
def test_a_batch_command_run_as_the_console_script_skips_the_teardown(
    tmp_path: Path, entry: str, torn: bool
) -> None:
    argv = ["detect", *CAPTURE, "-o", str(tmp_path / "ev.jsonl")]
    done = subprocess.run(
        [sys.executable, "-c", _TEARDOWN, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ENTRY": entry},
    )
    assert done.returncode == 0, done.stderr
    assert ("torn down" in done.stdout) is torn
    assert (tmp_path / "ev.jsonl").read_text() != ""


def test_run_leaves_a_command_that_is_not_batch_to_the_interpreter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "argv", ["mare", "zones", "--help"])
    with pytest.raises(SystemExit) as exc:
        run()
    assert exc.value.code == 0
