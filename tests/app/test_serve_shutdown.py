"""SIGTERM stops ``mare serve`` with an SSE client connected, and the snapshot is written.

uvicorn waits for open responses before the app's shutdown, and an SSE response never ends:
the service kept running (30 s and more), and the supervisor's SIGKILL that follows skips the
shutdown snapshot. The test is the operator's: a real process, a real stream, a real signal.
"""

from __future__ import annotations

import signal
import subprocess
import threading
from pathlib import Path

import pytest

from tests.app.api.conftest import ZONES
from tests.app.serve_process import serve

pytestmark = pytest.mark.slow


def test_sigterm_with_an_open_sse_stream_ends_the_stream_and_the_process(tmp_path: Path) -> None:
    served = serve(tmp_path, f"sqlite:///{tmp_path / 'mare.sqlite'}", ZONES)
    snapshot = tmp_path / "var" / "engine.snapshot"
    assert not snapshot.exists()  # the period is 60 s: only the shutdown writes one here
    connected = threading.Event()
    ended = threading.Event()

    def read_stream() -> None:
        with served.client(timeout=120) as c, c.stream("GET", "/api/v1/alerts/stream") as r:
            assert r.status_code == 200
            for chunk in r.iter_bytes():
                if chunk:
                    connected.set()
        ended.set()

    reader = threading.Thread(target=read_stream, daemon=True)
    reader.start()
    assert connected.wait(30)
    served.proc.send_signal(signal.SIGTERM)
    try:
        code = served.proc.wait(60)  # a guard against the hang, not a measurement
    except subprocess.TimeoutExpired:
        served.proc.kill()
        served.proc.wait()
        pytest.fail(f"mare serve still running 60 s after SIGTERM:\n{served.output()}")
    assert code in (0, -signal.SIGTERM), served.output()  # uvicorn re-raises the signal
    assert ended.wait(30), "the client's stream did not end"
    assert snapshot.is_file(), served.output()
    assert "Traceback" not in served.output()
