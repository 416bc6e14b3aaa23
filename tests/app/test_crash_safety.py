"""``kill -9`` of ``mare serve`` on PostGIS mid-stream, then a restart: what a crash costs.

A real process with the default snapshot period reads UDP at a steady rate; it is killed
without warning while vessels cross zones, restarted on the same database and var directory
while the sender goes on, and the test compares what was stored with the truth:

- positions: what the store held at the kill is a prefix of the lines sent, and what it
  gained after the restart a contiguous run of them, each position once: the decoder's
  output for every line that reached the store; the lines in flight at the kill, and those
  sent while the service was down, are the loss, reported;
- alerts: every stored episode is one ``mare detect`` finds in the same lines (none raised
  again under a new key after the restart), and the zone entries and exits are exactly
  ``mare detect``'s;
- pushes: an SSE client of the restarted service gets no zone crossing it had before the kill
  as a new alert.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.app.api.conftest import ZONES
from tests.app.api.nmea import position
from tests.app.serve_process import MARE, Served, free_port, serve
from tests.app.store.conftest import create_database, drop_database

pytestmark = [pytest.mark.postgis, pytest.mark.slow, pytest.mark.timeout(600)]

T0 = 1_790_000_000
VESSELS = 40
ROUNDS = 60
RATE = 60.0  # lines a second, steady
ZONE_KINDS = ("zone_entry", "zone_exit")


def scenario() -> list[tuple[str, int, int]]:
    """Lines (and their mmsi, event time in ms) of vessels crossing alpha or beta, in time order.

    Each vessel goes east at 10 kn, a fix every 3 minutes, from a start spread along the way
    so that crossings happen all through the run.
    """
    out = []
    for r in range(ROUNDS):
        t = T0 + 180 * r
        for v in range(VESSELS):
            mmsi = 247_100_000 + v
            lon0 = (11.75 if v % 2 else 12.75) + 0.005 * (v % 20)
            lat = 35.05 + 0.01 * v
            out.append((position(mmsi, lon0 + 0.01 * r, lat, t), mmsi, t * 1000))
    return out


class Sender(threading.Thread):
    """Sends the lines at a steady rate to whichever UDP port is current.

    ``gate`` cleared holds the feed (the rate carries on from where it stood when it opens
    again): the test holds it while the restarted service starts, so that how long a start
    takes on a loaded machine does not decide how much of the run is left after it.
    """

    def __init__(self, lines: list[str], port: int) -> None:
        super().__init__(daemon=True)
        self.lines = lines
        self.port = port
        self.sent = 0
        self.gate = threading.Event()
        self.gate.set()

    def run(self) -> None:
        import socket

        start = time.monotonic()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for i, line in enumerate(self.lines):
                if not self.gate.is_set():
                    held = time.monotonic()
                    self.gate.wait()
                    start += time.monotonic() - held
                delay = start + i / RATE - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                try:
                    s.sendto((line + "\r\n").encode(), ("127.0.0.1", self.port))
                except OSError:
                    pass  # nobody listening (the service is down): the line is lost
                self.sent = i + 1


def stored_positions(url: str) -> list[tuple[int, int]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT mmsi, time FROM positions").fetchall()
    return [
        (int(m), int(t) if isinstance(t, int) else round(t.timestamp() * 1000)) for m, t in rows
    ]


def stored_events(url: str) -> dict[tuple[Any, ...], int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT id, key FROM events").fetchall()
    out = {}
    for event_id, key in rows:
        kind, mmsi, other, zone, start = key.split("|")
        out[(kind, int(mmsi), int(other) if other else None, zone or None, int(start))] = event_id
    return out


def stored_related(url: str) -> dict[int, Any]:
    """Return each stored alert's folded events (``related``), by id."""
    with psycopg.connect(url) as conn:
        return dict(conn.execute("SELECT id, related FROM events WHERE alert").fetchall())


def detect(tmp: Path, lines: list[str]) -> set[tuple[Any, ...]]:
    from geo.events import parse_time

    capture, out = tmp / "received.nmea", tmp / "detected.jsonl"
    capture.write_text("".join(line + "\n" for line in lines))
    subprocess.run(
        [str(MARE), "detect", str(capture), "--zones", str(tmp / "zones.geojson"),
         "--out", str(out)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    found = set()
    for text in out.read_text().splitlines():
        e = json.loads(text)
        start = parse_time(e["start"])
        found.add((e["kind"], e["mmsi"], e["other_mmsi"], e["zone"], start))
    return found


def runs(flags: list[bool]) -> list[tuple[int, int]]:
    """Return the [start, end) runs of True in ``flags``."""
    out, start = [], None
    for i, f in enumerate([*flags, False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            out.append((start, i))
            start = None
    return out


@pytest.fixture
def db_url() -> Iterator[str]:
    from app.store import open_store

    url = create_database("mare_crash")
    open_store(url, upgrade=True).close()  # `mare db upgrade`
    yield url
    drop_database(url)


def read_sse(
    served: Served, got: list[dict[str, Any]], stop: threading.Event, opened: threading.Event
) -> None:
    with served.client(timeout=300) as c, c.stream("GET", "/api/v1/alerts/stream") as r:
        opened.set()
        data = None
        for line in r.iter_lines():
            if line.startswith("data:"):
                data = json.loads(line.removeprefix("data:"))
            elif line == "" and data is not None:
                got.append(data)
                data = None
            if stop.is_set():
                return


def test_kill_9_mid_stream_then_restart_loses_only_the_lines_in_flight_and_raises_nothing_twice(
    tmp_path: Path, db_url: str
) -> None:
    plan = scenario()
    lines = [line for line, _, _ in plan]
    udp = free_port(__import__("socket").SOCK_DGRAM)
    first = serve(tmp_path, db_url, ZONES, "first", MARE_SOURCES=f"udp://127.0.0.1:{udp}")
    sender = Sender(lines, udp)
    sender.start()
    # mid-stream, after the first snapshot (5 s) and a few zone crossings
    while sender.sent < len(lines) * 0.4:
        time.sleep(0.1)
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(30)
    killed_at = sender.sent
    time.sleep(1.0)  # lines sent while nobody listens: lost, as on a real feed
    sender.gate.clear()
    before_kill = stored_positions(db_url)
    events_before = stored_events(db_url)
    related_before = stored_related(db_url)
    assert (tmp_path / "var" / "engine.snapshot").is_file(), first.output()
    assert events_before, "no alert before the kill: the scenario did not cross a zone yet"

    second = serve(tmp_path, db_url, ZONES, "second", MARE_SOURCES=f"udp://127.0.0.1:{udp}")
    pushed: list[dict[str, Any]] = []
    stop, opened = threading.Event(), threading.Event()
    reader = threading.Thread(target=read_sse, args=(second, pushed, stop, opened), daemon=True)
    reader.start()
    assert opened.wait(120), "the alert stream of the restarted service did not open"
    resumed_at = sender.sent
    sender.gate.set()
    sender.join(300)
    assert not sender.is_alive()

    # everything sent after the restart reaches the store (a guard, not a measurement)
    index = {(mmsi, t): i for i, (_, mmsi, t) in enumerate(plan)}
    deadline = time.monotonic() + 120
    while True:
        now = stored_positions(db_url)
        if index.get(max(now, key=lambda k: index.get(k, -1))) == len(plan) - 1:
            break
        assert time.monotonic() < deadline, second.output()
        time.sleep(0.5)
    time.sleep(2)  # the tick after the last batch
    stop.set()
    second.proc.send_signal(signal.SIGINT)
    second.proc.wait(60)
    after = stored_positions(db_url)
    events_after = stored_events(db_url)

    # positions: each once; before the kill a prefix of the lines, after the restart a run
    assert len(after) == len(set(after)), "a position stored twice"
    assert set(after) <= set(index), "a position no line carried"
    pre = runs([(m, t) in set(before_kill) for _, m, t in plan])
    assert len(pre) == 1 and pre[0][0] == 0, pre
    kept = pre[0][1]
    assert kept <= killed_at
    post_flags = [(m, t) in set(after) - set(before_kill) for _, m, t in plan]
    post = runs(post_flags)
    assert len(post) == 1 and post[0][1] == len(plan), post
    assert post[0][0] <= resumed_at
    in_flight = killed_at - kept
    print(f"\nkilled after {killed_at} lines sent; {kept} stored; {in_flight} in flight lost; "
          f"{post[0][0] - killed_at} sent while down; {len(plan) - post[0][0]} after")  # fmt: skip

    # alerts: the episodes mare detect finds in the lines that reached the store, none twice
    received = lines[:kept] + lines[post[0][0] :]
    truth = detect(tmp_path, received)
    stored = set(events_after)
    raised_again = sorted(stored - truth)
    assert not raised_again, f"episodes mare detect does not know: {raised_again[:10]}"
    zone_truth = {k for k in truth if k[0] in ZONE_KINDS}
    zone_stored = {k for k in stored if k[0] in ZONE_KINDS}
    assert zone_stored == zone_truth, (
        sorted(zone_truth - zone_stored),
        sorted(zone_stored - zone_truth),
    )
    for key, event_id in events_before.items():  # kept their ids: updated, never replaced
        assert events_after[key] == event_id

    # pushes: no crossing from before the kill came back as a new alert (an update of its
    # visit, a dwell going on folded into it, is published again as it should be)
    before_ids = set(events_before.values())
    again = [
        a for a in pushed
        if a["kind"] in ZONE_KINDS and a["id"] in before_ids
        and (a["related"] or []) == (related_before.get(a["id"]) or [])
    ]  # fmt: skip
    assert not again, again[:5]
    assert any(a["kind"] in ZONE_KINDS for a in pushed), "no crossing pushed after the restart"
