"""The pipeline over JetStream: lag and throughput with 1, 2 and 4 engine workers, beside one.

On loopback, with a NATS server of the benchmark's own (free port, store in a temporary
directory). The feed is `bench.world_feed`: 60,000 distinct vessels on the world's shipping
lanes offering 5,000 messages/s, decoded batches of the live size, the same batches for every
run, `PARTITIONS` partitions with the slice exchange between them. Two lengths:

- ``python -m bench.bus --full`` (``make bench-bus``): the issue's run, **10 minutes** of feed
  (3M records), every lag run offered the whole of it at 5,000 messages/s (10 minutes of wall
  time each, 45 to 50 minutes in all);
- `run` with no argument (``make bench``): the same feed cut to `BOUNDED_MINUTES` of event
  time and `BOUNDED_LAG_S` seconds of lag, and says so in its ``feed``.

Figures:

- ``single_process``: what `mare serve` does with a batch (engine, triage, risk of the
  touched vessels) in this process on the same batches -- ``lag_ms`` when the batches come at
  the feed's rate (from a batch's due time to its events), and ``burst`` throughput when they
  come as fast as the engine takes them;
- ``bus.workers_W``: ``W`` ``mare worker engine`` processes over ``PARTITIONS`` partitions:
  ``lag_ms`` from the ingest's publish to the events' publish (the ack) at the feed's rate,
  and the burst throughput of the stream published beforehand; CPU seconds per 1,000 records
  of the workers (from each one's first record message to its last, the forks that make its
  periodic snapshots included: ``span_cpu_s`` of its ``--stats``) and of the NATS server, and
  how many cores the workers kept busy over that span;
- ``slope_records_s_per_worker``: least squares over the bursts, what one more worker adds.

A 2-core machine shared with others bounds what 4 workers can show: past 2 busy processes the
slope flattens for want of cores, not for the design (docs/scaling.md reads it so).
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ais_ingest.records import Batch
from app.bus import engine_start
from app.bus.connect import connect, drop_layout, ensure_layout
from app.bus.ingest_worker import BusPublisher
from app.bus.subjects import Layout
from app.pipeline.snapshot_fork import make_in_child
from app.settings import ServiceSettings
from bench import world_feed
from bench.timing import best_of
from bench.world_feed import RATE
from geo.alert_rules import AlertRules, load_rules_file
from geo.engine import Engine
from geo.places import shipped_places
from geo.triage import Triage
from geo.zones import SHIPPED_ZONE_FILE, load_zone_file

MARE = Path(sys.executable).parent / "mare"
#: The issue's run: minutes of feed, every lag run offered all of it.
FULL_MINUTES = 10
#: `make bench`'s bounded run: minutes of feed for the bursts, seconds of it in the lag runs.
BOUNDED_MINUTES = 2
BOUNDED_LAG_S = 60
PARTITIONS = 4
WORKERS = (1, 2, 4)
#: Records per decoded batch: the live batch size (`Settings.batch_size`).
BATCH_LINES = 2048


def paced(batches: list[Batch], seconds: float) -> Iterator[tuple[Batch, float]]:
    """Yield the batches of the first ``seconds`` of offer at `RATE`, each with its due time.

    The due time (seconds from the start of the offer) is when the batch's last record has
    come; the caller waits for it (``time.sleep`` or ``asyncio.sleep``) and hands it on.
    """
    offered = 0
    due = 0.0
    for b in batches:
        if offered >= RATE * seconds:
            return
        due += len(b) / RATE
        yield b, due
        offered += len(b)


def pct(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    a = np.asarray(values)
    return {
        "p50": round(float(np.percentile(a, 50)), 1),
        "p99": round(float(np.percentile(a, 99)), 1),
    }


def single_process(batches: list[Batch], lag_s: float) -> dict[str, Any]:
    """The engine in one process: burst throughput, and lag at `RATE` for ``lag_s``."""
    zones = load_zone_file(SHIPPED_ZONE_FILE)
    places = shipped_places()
    records = sum(len(b) for b in batches)
    rules = load_rules_file(ServiceSettings().alert_rules_file)

    def step(eng: Engine, triage: Triage, b: Batch) -> None:
        """What one process does with a batch: the engine, triage (at each of the engine's
        steps, as `mare serve`), touched vessels' risk."""
        events = eng.process(b)
        triage.decide(events)
        touched = set(np.unique(b.positions.mmsi).tolist()) | {e.mmsi for e in events}
        for m in touched:
            if m in eng.book:
                eng.vessel_risk(m)

    engines: list[Engine] = []

    def burst() -> int:
        eng = Engine(zones, places=places)
        triage = Triage(eng, rules).follow()
        for b in batches:
            step(eng, triage, b)
        engines.append(eng)
        return records

    wall, cpu, _ = best_of(burst, 1)  # one run: the world feed is long
    held = snapshot_hold(engines[-1], rules)
    eng = Engine(zones, places=places)
    triage = Triage(eng, rules).follow()
    lags: list[float] = []
    offered = 0
    t0 = time.perf_counter()
    for b, due in paced(batches, lag_s):
        wait = due - (time.perf_counter() - t0)
        if wait > 0:
            time.sleep(wait)
        step(eng, triage, b)
        lags.append((time.perf_counter() - t0 - due) * 1000)
        offered += len(b)
    took = time.perf_counter() - t0
    return {
        "records": records,
        "burst_records_s": round(records / wall),
        "cpu_s_per_1000_records": round(cpu / records * 1000, 4),
        "lag_ms": pct(lags),
        "lag_records": offered,
        "lag_records_s": round(offered / took),
        "snapshot": held,
    }


def snapshot_hold(eng: Engine, rules: AlertRules) -> dict[str, Any]:
    """How long a periodic snapshot of ``eng`` holds the loop: made on it, and made apart.

    What an engine worker does every ``snapshot_seconds`` (`app.bus.engine_worker`): serialise
    and pack its partition's state. On the loop (as before) no message is taken in for that
    long; made by a forked child (`make_in_child`) the loop is held for the fork. The longest
    turn of a loop that ticks every millisecond meanwhile says it. The state here is the whole
    feed's (one process, `mare serve`, which forks the same way); a partition holds its share.
    """

    def packed() -> bytes:
        return pickle.dumps(engine_start.packed(eng, 0, 1, rules))

    t0 = time.perf_counter()
    size = len(packed())
    on_loop = time.perf_counter() - t0

    async def apart() -> tuple[float, float]:
        longest = 0.0
        start = last = time.perf_counter()
        job = asyncio.ensure_future(make_in_child(packed))
        while not job.done():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            longest, last = max(longest, now - last), now
        await job
        return longest, time.perf_counter() - start

    longest, made = asyncio.run(apart())
    return {
        "vessels": len(eng.fleet),
        "packed_mb": round(size / 1e6, 1),
        "on_loop_held_ms": round(on_loop * 1000, 1),
        "apart_longest_loop_turn_ms": round(longest * 1000, 1),
        "apart_made_in_s": round(made, 2),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Nats:
    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["nats-server", "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(root)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nats-server did not start")

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def cpu_s(self) -> float:
        """CPU seconds the server has used (user and system, from /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def workers_env(root: Path, url: str, prefix: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARE_")}
    env |= {
        "MARE_BUS_URL": url,
        "MARE_BUS_PREFIX": prefix,
        "MARE_BUS_PARTITIONS": str(PARTITIONS),
        "MARE_DATABASE_URL": f"sqlite:///{root / 'bench.sqlite'}",
        "MARE_VAR_DIR": str(root / "var"),
    }
    return env


async def bus_run(
    nats: Nats, root: Path, batches: list[Batch], workers: int, lag_s: float
) -> dict[str, Any]:
    """W engine workers: burst (stream published first), then lag at `RATE` for ``lag_s``."""
    out: dict[str, Any] = {}
    for mode in ("burst", "lag"):
        prefix = f"bench{workers}{mode}"
        layout = Layout(prefix, PARTITIONS)
        nc = await connect(nats.url, name="bench")
        js = nc.jetstream()
        await ensure_layout(js, layout)
        pub = BusPublisher(js, layout)
        nats_cpu = nats.cpu_s()
        if mode == "burst":
            c0 = time.process_time()
            for b in batches:
                await pub.batch(b)
            out["publish_cpu_s_per_1000_records"] = round(
                (time.process_time() - c0) / sum(len(b) for b in batches) * 1000, 4
            )
        stats = [root / f"{prefix}-{k}.json" for k in range(workers)]
        log_path = root / f"{prefix}.log"
        with log_path.open("ab") as log:
            procs = [
                subprocess.Popen(
                    [
                        str(MARE),
                        "worker",
                        "engine",
                        "--partitions",
                        f"{k}/{workers}",
                        "--stats",
                        str(stats[k]),
                    ],
                    env=workers_env(root, nats.url, prefix),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
                for k in range(workers)
            ]
            await _consumers_ready(js, layout, procs, log_path)
            t0 = time.perf_counter()
            offered = sum(len(b) for b in batches)
            if mode == "lag":
                offered = 0
                for b, due in paced(batches, lag_s):
                    wait = due - (time.perf_counter() - t0)
                    if wait > 0:
                        await asyncio.sleep(wait)
                    await pub.batch(b)
                    offered += len(b)
            await _drained(js, layout, procs, log_path)
            took = time.perf_counter() - t0
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                p.wait(60)
        got = [json.loads(s.read_text()) for s in stats]
        # CPU from each worker's first record message taken in to its last (its snapshots'
        # forks included; its start, restore and snapshot at stop not: outside the span)
        cpu = sum(g["span_cpu_s"] for g in got)
        records = sum(g["records"] for g in got)
        span = max(g["last_at"] for g in got) - min(g["first_at"] for g in got if g["first_at"])
        if mode == "burst":  # first record message taken in to the last, over all workers
            out["burst_records_s"] = round(records / span)
            out["burst_s"] = round(span, 2)
            out["cpu_s_per_1000_records"] = round(cpu / max(records, 1) * 1000, 4)
            out["nats_cpu_s_per_1000_records"] = round(
                (nats.cpu_s() - nats_cpu) / max(records, 1) * 1000, 4
            )
            out["burst_busy_cores"] = round(cpu / span, 2)
        else:
            out["lag_ms"] = pct([v for g in got for v in g["lag_ms"]])
            out["lag_records"] = offered
            out["lag_records_s"] = round(offered / took)
            out["lag_busy_cores"] = round(cpu / span, 2)
        await drop_layout(js, layout)
        await nc.close()
    return out


def _alive(procs: list[subprocess.Popen[bytes]], log: Path) -> None:
    """Raise with the workers' output if one of them ended (a benchmark never waits for it)."""
    if any(p.poll() is not None for p in procs):
        raise RuntimeError("an engine worker ended:\n" + log.read_text(errors="replace")[-4000:])


async def _consumers_ready(
    js: Any, layout: Layout, procs: list[subprocess.Popen[bytes]], log: Path
) -> None:
    for _ in range(600):
        _alive(procs, log)
        try:
            for p in range(layout.partitions):
                await js.consumer_info(layout.records_stream, layout.engine_consumer(p))
            return
        except Exception:
            await asyncio.sleep(0.1)
    raise RuntimeError("engine workers did not start")


async def _drained(
    js: Any, layout: Layout, procs: list[subprocess.Popen[bytes]], log: Path
) -> None:
    while True:
        _alive(procs, log)
        busy = False
        for p in range(layout.partitions):
            c = await js.consumer_info(layout.records_stream, layout.engine_consumer(p))
            busy = busy or bool(c.num_pending or c.num_ack_pending)
        if not busy:
            return
        await asyncio.sleep(0.05)


def run(minutes: float = BOUNDED_MINUTES, lag_s: float = BOUNDED_LAG_S) -> dict[str, Any]:
    """Every figure in one run; the defaults are `make bench`'s bounded run (``--full``: 10 min)."""
    if shutil.which("nats-server") is None:
        return {"skipped": "nats-server not installed (make system-deps)"}
    batches = world_feed.batches(minutes * 60, BATCH_LINES)
    full = minutes >= FULL_MINUTES and lag_s >= FULL_MINUTES * 60
    report: dict[str, Any] = {
        "feed": {
            "vessels": len(np.unique(np.concatenate([b.positions.mmsi for b in batches]))),
            "minutes": minutes,
            "records": sum(len(b) for b in batches),
            "rate_records_s": RATE,
            "lag_seconds": lag_s,
            "partitions": PARTITIONS,
            "bounded": None
            if full
            else (
                f"{minutes} min of feed, {lag_s} s of it at {RATE}/s in the lag runs; "
                f"the issue's run (10 min, all of it paced) is `make bench-bus`"
            ),
            "load_average_at_start": round(os.getloadavg()[0], 2),
        },  # fmt: skip
        "single_process": single_process(batches, lag_s),
    }
    root = Path(tempfile.mkdtemp(prefix="mare-bench-bus-"))
    nats = Nats(root / "nats")
    try:
        report["bus"] = {
            f"workers_{w}": asyncio.run(bus_run(nats, root, batches, w, lag_s)) for w in WORKERS
        }
    finally:
        nats.stop()
        shutil.rmtree(root, ignore_errors=True)
    report["feed"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
    xs = np.array(WORKERS, dtype=float)
    ys = np.array([report["bus"][f"workers_{w}"]["burst_records_s"] for w in WORKERS], float)
    slope, intercept = np.polyfit(xs, ys, 1)
    report["slope_records_s_per_worker"] = round(float(slope))
    report["intercept_records_s"] = round(float(intercept))
    return report


def main(argv: list[str]) -> int:
    """``python -m bench.bus [--full]``: the bounded run, or the issue's 10-minute one."""
    if argv not in ([], ["--full"]):
        print("usage: python -m bench.bus [--full]", file=sys.stderr)
        return 2
    full = argv == ["--full"]
    minutes, lag_s = (
        (FULL_MINUTES, FULL_MINUTES * 60.0) if full else (BOUNDED_MINUTES, BOUNDED_LAG_S)
    )
    print(json.dumps(run(minutes, lag_s), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
