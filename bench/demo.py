"""``mare demo`` cold start: how soon the map fills after the process starts.

The demo runs as the real process on a free port with a fresh SQLite directory, and is watched
from outside through ``/metrics`` (with the token it prints), polled every ``POLL_S``:

- ``url_s``: process start to the map URL on stdout;
- ``first_line_s``: process start to the first NMEA line read by the service's UDP source
  (the first datagram, to within one poll);
- ``first_line_after_url_s``: the same, counted from the URL;
- ``vessels_10s``: vessels in the live picture 10 s after the URL was printed (the distinct
  MMSIs the service heard in those seconds), and ``lines_10s`` the lines read by then.

Each figure is the median of ``repeats`` runs, with the spread beside it; the machine is shared,
so one run says little.
"""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

MARE = Path(sys.executable).with_name("mare")
POLL_S = 0.1
WINDOW_S = 10.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _metric(text: str, name: str) -> float:
    m = re.search(rf"^{name} (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def once(timeout_s: float = 120.0) -> dict[str, float]:
    """Run ``mare demo`` once and return its cold-start figures (seconds, counts)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARE_")}
    with tempfile.TemporaryDirectory() as var:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [str(MARE), "demo", "--port", str(port), "--var", var],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        assert proc.stdout is not None
        try:
            out = ""
            token = None
            t_url = None
            while token is None:
                if time.monotonic() - t0 > timeout_s or proc.poll() is not None:
                    raise RuntimeError(f"mare demo printed no token:\n{out}")
                ready, _, _ = select.select([proc.stdout], [], [], 0.05)
                if ready:
                    out += os.read(proc.stdout.fileno(), 65536).decode(errors="replace")
                    if t_url is None and "Mare demo: http" in out:
                        t_url = time.monotonic()
                    m = re.search(r"token: (\S+)", out)
                    token = m.group(1) if m else None
            assert t_url is not None
            headers = {"Authorization": f"Bearer {token}"}
            first: float | None = None
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
                while True:
                    now = time.monotonic()
                    text = client.get("/metrics").text
                    if first is None and _metric(text, "mare_ingest_lines_total") > 0:
                        first = now
                    if now - t_url >= WINDOW_S:
                        break
                    time.sleep(POLL_S)
                while first is None and time.monotonic() - t0 < timeout_s:
                    text = client.get("/metrics").text
                    if _metric(text, "mare_ingest_lines_total") > 0:
                        first = time.monotonic()
                    time.sleep(POLL_S)
            if first is None:
                raise RuntimeError("the demo sent nothing")
            return {
                "url_s": t_url - t0,
                "first_line_s": first - t0,
                "first_line_after_url_s": max(0.0, first - t_url),
                "vessels_10s": _metric(text, "mare_vessels_live") if first <= now else 0.0,
                "lines_10s": _metric(text, "mare_ingest_lines_total") if first <= now else 0.0,
            }
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()


def run(repeats: int = 3) -> dict[str, Any]:
    """Measure and return the figures: median and (min, max) of ``repeats`` cold starts."""
    runs = [once() for _ in range(repeats)]
    report: dict[str, Any] = {"runs": repeats, "window_s": WINDOW_S, "poll_s": POLL_S}
    for key in runs[0]:
        values = [r[key] for r in runs]
        report[key] = round(statistics.median(values), 2)
        report[f"{key}_spread"] = [round(min(values), 2), round(max(values), 2)]
    return report


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
