"""The pipeline over JetStream: lag and throughput with 1, 2 and 4 engine workers, beside one.

Bounded and on loopback: a NATS server of the benchmark's own (free port, store in a temporary
directory), a world-scale feed (`world`: `TILES` copies of a simulated sea of ``VESSELS``
vessels, 60,000 in all, `FEED_MINUTES` of event time), the same decoded batches for every run,
`PARTITIONS` partitions with the slice exchange between them. Figures:

- ``single_process``: what `mare serve` does with a batch (engine, triage, risk of the
  touched vessels) in this process on the same batches -- ``lag_ms`` when the
  batches come at ``RATE`` records/s (from a batch's due time to its events), and ``burst``
  throughput when they come as fast as the engine takes them;
- ``bus.workers_W``: ``W`` ``mare worker engine`` processes over ``PARTITIONS`` partitions:
  ``lag_ms`` from the ingest's publish to the events' publish (the ack) at ``RATE`` for
  ``LAG_SECONDS``, and the burst throughput of the stream published beforehand; CPU seconds
  per 1,000 records of the workers (process CPU, what the code costs on a shared machine);
- ``slope_records_s_per_worker``: least squares over the bursts, what one more worker adds.

A 2-core machine shared with others bounds what 4 workers can show: past 2 busy processes the
slope flattens for want of cores, not for the design (docs/scaling.md reads it so).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ais_ingest.decoder import Decoder
from ais_ingest.records import Batch, PositionColumns
from app.bus.connect import connect, ensure_layout
from app.bus.ingest_worker import BusPublisher
from app.bus.subjects import Layout
from app.settings import ServiceSettings
from bench.timing import best_of
from geo.alert_rules import load_rules_file
from geo.engine import Engine
from geo.places import load_places
from geo.triage import Triage
from geo.zones import SHIPPED_ZONE_FILE, load_zone_file

OUT = Path(__file__).parent / "out"
MARE = Path(sys.executable).parent / "mare"
#: Vessels the simulator plans in a bounded time on 2 cores; the world is `TILES` copies.
VESSELS = 2000
HOURS = 0.25
#: Copies of the simulated sea, each under its own MMSIs and moved by 12 deg of longitude:
#: 30 x 2,000 = 60,000 vessels, the issue's world-scale feed.
TILES = 30
#: Minutes of the feed's event time in the burst runs (the issue's 10; 5 bound the run on 2 cores).
FEED_MINUTES = 5
#: Records per second offered in the lag runs (the issue's world-scale feed is 5,000 msg/s).
RATE = 5000
#: Seconds of feed offered in the lag runs (bounded: the issue's 10 minutes at 5,000/s is 40
#: minutes of wall time over the four configurations on a shared machine).
LAG_SECONDS = 60
PARTITIONS = 4
WORKERS = (1, 2, 4)
#: Records per decoded batch: the live batch size (`Settings.batch_size`).
BATCH_LINES = 2048


def build_feed() -> Path:
    """Write (once) and return the simulated feed."""
    from simulate.scenario import iter_simulation

    path = OUT / f"bus_sim_{VESSELS}v_{HOURS}h.nmea"
    if not path.is_file():
        OUT.mkdir(parents=True, exist_ok=True)
        lines = [line for _, line in iter_simulation(HOURS, 11, vessels=VESSELS)]
        tmp = path.with_suffix(".tmp")
        tmp.write_text("\n".join(lines) + "\n", encoding="ascii")
        tmp.replace(path)
    return path


def decode(path: Path) -> Batch:
    dec = Decoder()
    lines = path.read_text().splitlines()
    out = [dec.decode(lines[i : i + BATCH_LINES], 0) for i in range(0, len(lines), BATCH_LINES)]
    return Batch.concat([*out, dec.flush()])


def world(sea: Batch) -> list[Batch]:
    """`TILES` copies of the simulated sea, in time order, in batches of `BATCH_LINES`.

    Copy ``k`` gives each vessel a new MMSI (MID ``200 + k``, the vessel's rank in the sea:
    distinct in and across copies) and moves it ``12 k`` degrees east; the first `FEED_MINUTES`
    of event time are kept.
    """
    pos = sea.positions
    end = int(pos.time_ms.min()) + FEED_MINUTES * 60_000
    pos = pos.take(pos.time_ms < end)
    statics = [s for s in sea.statics if s.time_ms < end]
    ranks = {m: i for i, m in enumerate(sorted(set(pos.mmsi.tolist()) | {s.mmsi for s in statics}))}
    rank = np.array([ranks[m] for m in pos.mmsi.tolist()], dtype=np.int64)
    copies = []
    all_statics = []
    for k in range(TILES):
        c = pos.take(np.arange(len(pos)))
        c.mmsi = (200 + k) * 1_000_000 + rank
        c.lon = (c.lon + 12.0 * k + 180.0) % 360.0 - 180.0
        copies.append(c)
        all_statics += [replace(s, mmsi=(200 + k) * 1_000_000 + ranks[s.mmsi]) for s in statics]
    merged = PositionColumns.concat(copies)
    merged = merged.take(np.argsort(merged.time_ms, kind="stable"))
    all_statics.sort(key=lambda s: s.time_ms)
    out = []
    st = 0
    for i in range(0, len(merged), BATCH_LINES):
        part = merged.take(np.arange(i, min(i + BATCH_LINES, len(merged))))
        last = int(part.time_ms[-1])
        j = st
        while j < len(all_statics) and all_statics[j].time_ms <= last:
            j += 1
        out.append(Batch(part, all_statics[st:j]))
        st = j
    if st < len(all_statics):
        out.append(Batch(PositionColumns.empty(), all_statics[st:]))
    return out


def pct(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    a = np.asarray(values)
    return {
        "p50": round(float(np.percentile(a, 50)), 1),
        "p99": round(float(np.percentile(a, 99)), 1),
    }


def single_process(batches: list[Batch]) -> dict[str, Any]:
    """The engine in one process: burst throughput, and lag at RATE."""
    zones = load_zone_file(SHIPPED_ZONE_FILE)
    places = (
        load_places(Path("geo/data/places.csv")) if Path("geo/data/places.csv").is_file() else []
    )
    records = sum(len(b) for b in batches)
    rules = load_rules_file(ServiceSettings().alert_rules_file)

    def step(eng: Engine, b: Batch) -> None:
        """What one process does with a batch: the engine, triage, touched vessels' risk."""
        events = eng.process(b)
        Triage(eng, rules).decide(events)
        touched = set(np.unique(b.positions.mmsi).tolist()) | {e.mmsi for e in events}
        for m in touched:
            if m in eng.book:
                eng.vessel_risk(m)

    def burst() -> int:
        eng = Engine(zones, places=places)
        for b in batches:
            step(eng, b)
        return records

    wall, cpu, _ = best_of(burst, 1)  # one run: the world feed is long
    eng = Engine(zones, places=places)
    lags: list[float] = []
    t0 = time.perf_counter()
    due = 0.0
    offered = 0
    for b in batches:
        if offered >= RATE * LAG_SECONDS:
            break
        due += len(b) / RATE
        now = time.perf_counter() - t0
        if now < due:
            time.sleep(due - now)
        step(eng, b)
        lags.append((time.perf_counter() - t0 - due) * 1000)
        offered += len(b)
    return {
        "records": records,
        "burst_records_s": round(records / wall),
        "cpu_s_per_1000_records": round(cpu / records * 1000, 4),
        "lag_ms": pct(lags),
        "lag_records": offered,
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


async def bus_run(url: str, root: Path, batches: list[Batch], workers: int) -> dict[str, Any]:
    """W engine workers: burst (stream published first), then lag at RATE."""
    out: dict[str, Any] = {}
    for mode in ("burst", "lag"):
        prefix = f"bench{workers}{mode}"
        layout = Layout(prefix, PARTITIONS)
        nc = await connect(url, name="bench")
        js = nc.jetstream()
        await ensure_layout(js, layout)
        pub = BusPublisher(js, layout)
        env = workers_env(root, url, prefix)
        if mode == "burst":
            c0 = time.process_time()
            for b in batches:
                await pub.batch(b)
            out["publish_cpu_s_per_1000_records"] = round(
                (time.process_time() - c0) / sum(len(b) for b in batches) * 1000, 4
            )
        stats = [root / f"{prefix}-{k}.json" for k in range(workers)]
        log = (root / f"{prefix}.log").open("ab")
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
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
            for k in range(workers)
        ]
        await _consumers_ready(js, layout, procs, root / f"{prefix}.log")
        t0 = time.perf_counter()
        offered = sum(len(b) for b in batches)
        if mode == "lag":
            offered = 0
            due = 0.0
            for b in batches:
                if offered >= RATE * LAG_SECONDS:
                    break
                due += len(b) / RATE
                now = time.perf_counter() - t0
                if now < due:
                    await asyncio.sleep(due - now)
                await pub.batch(b)
                offered += len(b)
        await _drained(js, layout, procs, root / f"{prefix}.log")
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(60)
        log.close()
        got = [json.loads(s.read_text()) for s in stats]
        cpu = sum(g["cpu_s"] for g in got)
        records = sum(g["records"] for g in got)
        lags = [v for g in got for v in g["lag_ms"]]
        if mode == "burst":  # first record message taken in to the last, over all workers
            span = max(g["last_at"] for g in got) - min(g["first_at"] for g in got if g["first_at"])
            out["burst_records_s"] = round(records / span)
            out["burst_s"] = round(span, 2)
            out["cpu_s_per_1000_records"] = round(cpu / max(records, 1) * 1000, 4)
        else:
            out["lag_ms"] = pct(lags)
            out["lag_records"] = offered
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


def run() -> dict[str, Any]:
    if shutil.which("nats-server") is None:
        return {"skipped": "nats-server not installed (make system-deps)"}
    batches = world(decode(build_feed()))
    report: dict[str, Any] = {
        "feed": {
            "vessels": VESSELS * TILES,
            "minutes": FEED_MINUTES,
            "records": sum(len(b) for b in batches),
            "rate_records_s": RATE,
            "partitions": PARTITIONS,
        },  # fmt: skip
        "single_process": single_process(batches),
    }
    root = Path(tempfile.mkdtemp(prefix="mare-bench-bus-"))
    nats = Nats(root / "nats")
    try:
        bus = {}
        for w in WORKERS:
            bus[f"workers_{w}"] = asyncio.run(bus_run(nats.url, root, batches, w))
        report["bus"] = bus
    finally:
        nats.stop()
        shutil.rmtree(root, ignore_errors=True)
    xs = np.array(WORKERS, dtype=float)
    ys = np.array([report["bus"][f"workers_{w}"]["burst_records_s"] for w in WORKERS], float)
    slope, intercept = np.polyfit(xs, ys, 1)
    report["slope_records_s_per_worker"] = round(float(slope))
    report["intercept_records_s"] = round(float(intercept))
    return report


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
