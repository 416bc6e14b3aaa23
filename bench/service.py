"""Service latency: a sentence on UDP to the vessel update and to the alert on WebSocket clients.

The service runs as its own process (uvicorn serving ``app.wiring:create_app`` on a fresh
SQLite, ingest on a real UDP socket), fed 2,000 position reports a second (2,000 vessels
reporting once a second, each datagram one sentence) while 50 WebSocket clients watch the
whole area at the highest diff rate (10 Hz). Probes ride on that load:

- vessel probes: ten probe vessels report in turn every 20 ms (each every 200 ms, so no
  state is coalesced away by the 10 Hz throttle); latency = UDP send -> the position appears
  in a diff, measured on every client;
- alert probes: every 100 ms a new vessel crosses into a zone: two earlier fixes (one outside,
  one inside, sent a second before) and then the probe sentence, the second fix inside at
  least 20 s (tag-block time) after the first, which commits the ``zone_entry`` at once (the
  engine's hysteresis); latency = UDP send of that sentence -> the alert on every client,
  through the engine, the store and the hub. (Alerts that the engine emits when a one-minute
  slice closes, such as ``invalid_mmsi``, wait for the slice by design and are not probed.)
- baseline, same run: a bare UDP -> WebSocket echo (uvicorn + websockets, ~30 lines, its own
  process) with one client: the floor any UDP-to-browser path pays on this machine.

Clients find the probes with a regex rather than parsing every diff, so the bench process
does not steal the CPU that the service needs (the machine has two cores).

Latency on a shared machine swings with what else runs (a starved service falls behind and
its p99 grows by seconds), so the result also gives CPU per 1,000 sentences of the service and
of the bench process over the probed window (``/proc``), and the service's own mean
publish-to-send latency (``/metrics``). The service runs with ``--ws
app.api.push.deflate:SharedDeflateProtocol``, as it is meant to be served.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from websockets.asyncio.client import ClientConnection, connect

from simulate.nmea import encode_type1, payload_checksums, tag_block

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "mare_t_bench_" + "b" * 32
RATE = 2000
CLIENTS = 50
PROBE_VESSELS = [247999001 + i for i in range(10)]
ALERT_MMSI0 = 247_980_000
#: The probe zone, east of the traffic box (lon 11-16): vessels enter it across lon 17.
ZONE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"id": "bench_box", "name": "Bench box", "kind": "patrol_area"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[17, 35], [17.5, 35], [17.5, 35.5], [17, 35.5], [17, 35]]],
            },
        }
    ],
}
TARGET_P99_MS = 250.0
VESSEL_RE = re.compile(r'\{"mmsi":(2479990\d\d),[^{}]*?"lon":(-?[\d.]+)')


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lines(
    mmsi: np.ndarray[Any, Any], lon: np.ndarray[Any, Any], lat: np.ndarray[Any, Any]
) -> list[str]:
    """Return one type 1 sentence per row (vectorised encoder of ``mare simulate``)."""
    n = len(mmsi)
    z = np.zeros(n, np.int64)
    payloads = encode_type1(
        mmsi.astype(np.int64), z, z - 128, z + 100, lon, lat, z + 900, z + 90, z, z + 1
    )
    channels = np.full(n, "A")
    cks = payload_checksums(payloads, channels)
    text = payloads.tobytes().decode("ascii")
    w = payloads.shape[1]
    return [
        f"!AIVDM,1,1,,A,{text[i * w : (i + 1) * w]},0*{ck:02X}" for i, ck in enumerate(cks.tolist())
    ]


def echo_main(http_port: int, udp_port: int) -> None:
    """Run the baseline: every UDP datagram pushed as is to every WebSocket client."""
    from contextlib import asynccontextmanager

    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    clients: set[WebSocket] = set()

    class Forward(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: Any) -> None:
            loop = asyncio.get_running_loop()
            for ws in list(clients):
                loop.create_task(ws.send_bytes(data))

    async def endpoint(ws: WebSocket) -> None:
        await ws.accept()
        clients.add(ws)
        try:
            while True:
                await ws.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            clients.discard(ws)

    @asynccontextmanager
    async def lifespan(app: Any) -> Any:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            Forward, local_addr=("127.0.0.1", udp_port)
        )
        yield
        transport.close()

    app = Starlette(routes=[WebSocketRoute("/echo", endpoint)], lifespan=lifespan)
    uvicorn.run(app, host="127.0.0.1", port=http_port, log_level="warning")


def cpu_seconds(pid: int) -> float | None:
    """Return the CPU time (user + system, all threads) a process has used, None off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_http(url: str, proc: subprocess.Popen[bytes], seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the service exited ({proc.returncode}) before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up") from None
            time.sleep(0.2)


@contextmanager
def processes(tmp: Path, batch_seconds: float) -> Iterator[dict[str, int]]:
    """Start the service and the echo; yield their ports; stop both."""
    ports = {
        "http": free_port(),
        "udp": free_port(socket.SOCK_DGRAM),
        "echo_http": free_port(),
        "echo_udp": free_port(socket.SOCK_DGRAM),
    }
    env = {
        **os.environ,
        "MARE_MODE": "test",
        "MARE_DATABASE_URL": f"sqlite:///{tmp / 'mare.sqlite'}",
        "MARE_VAR_DIR": str(tmp / "var"),
        "MARE_SOURCES": f"udp://127.0.0.1:{ports['udp']}",
        "MARE_BOOTSTRAP_ADMIN_TOKEN": TOKEN,
        "MARE_BATCH_SECONDS": str(batch_seconds),
        "MARE_SNAPSHOT_SECONDS": "3600",
        "MARE_ZONE_FILE": str(tmp / "zones.geojson"),
    }
    (tmp / "zones.geojson").write_text(json.dumps(ZONE))
    service = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.wiring:create_app", "--factory", "--host",
         "127.0.0.1", "--port", str(ports["http"]), "--log-level", "warning",
         "--ws", "app.api.push.deflate:SharedDeflateProtocol"],  # as `mare serve` runs it
        cwd=ROOT, env=env,
    )  # fmt: skip
    code = (
        f"from bench.service import echo_main; echo_main({ports['echo_http']}, {ports['echo_udp']})"
    )
    echo = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    try:
        wait_http(f"http://127.0.0.1:{ports['http']}/healthz", service)
        ports["service_pid"] = service.pid
        time.sleep(0.5)  # the echo has no health route; its port opens within a second
        yield ports
    finally:
        for p in (service, echo):
            p.terminate()
        for p in (service, echo):
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


class Sender(threading.Thread):
    """Background traffic at ``RATE`` datagrams/s plus the probes, each stamped when sent."""

    def __init__(self, ports: dict[str, int], seconds: float, probe_from: float) -> None:
        super().__init__(daemon=True)
        self.ports = ports
        self.seconds = seconds
        self.probe_from = probe_from
        self.vessel_sent: dict[tuple[int, float], float] = {}
        self.alert_sent: dict[int, float] = {}
        self.alert_begun: set[int] = set()
        self.echo_sent: dict[int, float] = {}
        self.sent = 0
        self.late_ticks = 0
        #: CPU seconds of (the service, this bench process) when probing starts and at the end.
        self.cpu: list[tuple[float | None, float]] = []
        self.measured_sent = 0

    def _cpu_mark(self) -> None:
        self.cpu.append((cpu_seconds(self.ports["service_pid"]), time.process_time()))

    def run(self) -> None:
        rng = np.random.default_rng(7)
        fleet = 247_000_000 + rng.choice(900_000, RATE, replace=False)
        lon0 = rng.uniform(11.0, 16.0, RATE)
        lat0 = rng.uniform(33.0, 37.0, RATE)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        target = ("127.0.0.1", self.ports["udp"])
        echo = ("127.0.0.1", self.ports["echo_udp"])
        tick = 0.01
        per_tick = int(RATE * tick)
        start = time.perf_counter()
        k = 0
        batch: list[str] = []
        while True:
            now = time.perf_counter()
            elapsed = now - start
            if elapsed >= self.seconds:
                break
            if not batch:
                second = int(elapsed)
                batch = lines(fleet, lon0 + 1e-4 * second, lat0)
            for line in batch[:per_tick]:
                sock.sendto(line.encode() + b"\r\n", target)
            del batch[:per_tick]
            self.sent += per_tick
            if elapsed >= self.probe_from:
                if not self.cpu:
                    self._cpu_mark()
                self.measured_sent += per_tick
                self._probes(sock, target, echo, k)
            k += 1
            next_at = start + k * tick
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            else:
                self.late_ticks += 1
        self._cpu_mark()
        sock.close()

    def _probes(self, sock: socket.socket, target: Any, echo: Any, k: int) -> None:
        if k % 2 == 0:  # every 20 ms, probe vessels in turn
            n = k // 2
            mmsi = PROBE_VESSELS[n % len(PROBE_VESSELS)]
            lon = round(12.0 + 1e-4 * (n // len(PROBE_VESSELS) % 5000), 4)
            (line,) = lines(np.array([mmsi]), np.array([lon]), np.array([35.0]))
            self.vessel_sent[(mmsi, lon)] = time.perf_counter()
            sock.sendto(line.encode() + b"\r\n", target)
            self.echo_sent[n] = time.perf_counter()
            sock.sendto(b"%d" % n, echo)
        if k % 10 == 5:  # every 100 ms: the crossing of vessel n + 10 begins, n's completes
            n = k // 10
            m = ALERT_MMSI0 + n - 10
            if m in self.alert_begun:  # only crossings whose first fixes went out (not the
                # first second of probing): the others cannot raise an alert
                (line,) = lines(np.array([m]), np.array([17.004]), np.array([35.2]))
                c = int(time.time()) - 10
                self.alert_sent[m] = time.perf_counter()
                sock.sendto((tag_block("bench", c) + line).encode() + b"\r\n", target)
            m = ALERT_MMSI0 + n
            self.alert_begun.add(m)
            c = int(time.time()) + 1 - 10  # the crossing completes a second from now
            for lon, dt in ((16.998, -110), (17.002, -50)):
                (line,) = lines(np.array([m]), np.array([lon]), np.array([35.2]))
                sock.sendto((tag_block("bench", c + dt) + line).encode() + b"\r\n", target)


async def watch(
    ws: ClientConnection, sender: Sender, vessel_got: dict[Any, float], alert_got: dict[int, float]
) -> None:
    """Record when this client first sees each probe (vessel position or alert)."""
    async for msg in ws:
        now = time.perf_counter()
        text = msg if isinstance(msg, str) else msg.decode()
        if text.startswith('{"type":"alert"'):
            alert = json.loads(text)["alert"]
            if alert["kind"] == "zone_entry" and alert["mmsi"] in sender.alert_sent:
                alert_got.setdefault(alert["mmsi"], now)
            continue
        for mm, lon in VESSEL_RE.findall(text):
            key = (int(mm), round(float(lon), 4))
            if key in sender.vessel_sent:
                vessel_got.setdefault(key, now)


async def watch_echo(ws: ClientConnection, got: dict[int, float]) -> None:
    async for msg in ws:
        got.setdefault(int(msg), time.perf_counter())


def stats(latencies: list[float], expected: int) -> dict[str, Any]:
    ms = np.array(latencies) * 1000
    if not len(ms):
        return {"samples": 0, "expected": expected}
    return {
        "p50": round(float(np.percentile(ms, 50)), 1),
        "p99": round(float(np.percentile(ms, 99)), 1),
        "max": round(float(ms.max()), 1),
        "samples": int(len(ms)),
        "expected": expected,
    }


async def measure(
    ports: dict[str, int], seconds: float, warmup: float, n_clients: int
) -> dict[str, Any]:
    uri = f"ws://127.0.0.1:{ports['http']}/api/v1/live"
    clients = []
    for _ in range(n_clients):
        ws = await connect(uri, max_size=None)
        await ws.send(json.dumps({"type": "auth", "token": TOKEN}))
        await ws.send(json.dumps({"type": "subscribe", "bbox": None, "max_rate_hz": 10}))
        clients.append(ws)
    echo_ws = await connect(f"ws://127.0.0.1:{ports['echo_http']}/echo")
    sender = Sender(ports, warmup + seconds, warmup)
    vessel_got: list[dict[Any, float]] = [{} for _ in clients]
    alert_got: list[dict[int, float]] = [{} for _ in clients]
    echo_got: dict[int, float] = {}
    tasks = [
        asyncio.ensure_future(watch(ws, sender, vessel_got[i], alert_got[i]))
        for i, ws in enumerate(clients)
    ]
    tasks.append(asyncio.ensure_future(watch_echo(echo_ws, echo_got)))
    sender.start()
    while sender.is_alive():
        await asyncio.sleep(0.2)
    await asyncio.sleep(2.0)  # stragglers
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for ws in [*clients, echo_ws]:
        await ws.close()
    vessel = [
        got[key] - sent for got in vessel_got for key, sent in sender.vessel_sent.items()
        if key in got
    ]  # fmt: skip
    alert = [
        got[m] - sent for got in alert_got for m, sent in sender.alert_sent.items() if m in got
    ]
    echo = [echo_got[n] - t for n, t in sender.echo_sent.items() if n in echo_got]
    return {
        "vessel_update_ms": stats(vessel, len(sender.vessel_sent) * n_clients),
        "alert_ms": stats(alert, len(sender.alert_sent) * n_clients),
        "udp_to_websocket_echo_ms": stats(echo, len(sender.echo_sent)),
        "sentences_sent": sender.sent,
        "sender_late_ticks": sender.late_ticks,
        **cpu_use(sender, seconds),
    }


def cpu_use(sender: Sender, seconds: float) -> dict[str, Any]:
    """CPU used while probing, per 1,000 sentences and as a share of one core.

    Less noisy than latency on a shared machine: a service starved of CPU by other processes
    shows long latencies but the same CPU per sentence. The bench process (50 clients and the
    sender) must stay well below one core, or the bench, not the service, sets the latency.
    """
    if len(sender.cpu) < 2 or not sender.measured_sent:
        return {}
    (svc0, own0), (svc1, own1) = sender.cpu[0], sender.cpu[-1]
    out: dict[str, Any] = {}
    for name, a, b in (("service", svc0, svc1), ("bench", own0, own1)):
        if a is not None and b is not None:
            out[f"{name}_cpu_ms_per_1000_msgs"] = round((b - a) * 1e6 / sender.measured_sent, 1)
            out[f"{name}_cpu_share_of_core"] = round((b - a) / seconds, 2)
    return out


def server_counters(port: int) -> dict[str, Any]:
    """Return the service's drops, ingest outcome and mean publish-to-send latency (/metrics).

    The latency is the service's own view of the hub-to-socket part (whole run, warm-up
    included), free of the bench's scheduling: what it adds to the pipeline's part.
    """
    from prometheus_client.parser import text_string_to_metric_families

    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        text = resp.read().decode()
    out: dict[str, Any] = {}
    for fam in text_string_to_metric_families(text):
        if fam.name in (
            "mare_push_dropped",
            "mare_pipeline_dropped_records",
            "mare_ingest_outcome",
        ):
            for s in fam.samples:
                label = next(iter(s.labels.values()), "")
                out[f"{fam.name}:{label}"] = int(s.value)
        elif fam.name == "mare_delivery_latency_seconds":
            sums = {x.labels["stage"]: x.value for x in fam.samples if x.name.endswith("_sum")}
            for x in fam.samples:
                stage = x.labels["stage"]
                if x.name.endswith("_count") and x.value and stage in sums:
                    out[f"publish_to_send_mean_ms:{stage}"] = round(sums[stage] / x.value * 1000, 1)
    return out


def run(
    seconds: float = 15.0, warmup: float = 4.0, clients: int = CLIENTS, batch_seconds: float = 0.1
) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory(prefix="mare-bench-") as tmp,
        processes(Path(tmp), batch_seconds) as ports,
    ):
        result = asyncio.run(measure(ports, seconds, warmup, clients))
        result["server"] = server_counters(ports["http"])
    worst = max(result["vessel_update_ms"].get("p99", 1e9), result["alert_ms"].get("p99", 1e9))
    result.update(
        {
            "config": {
                "rate_msg_per_s": RATE,
                "clients": clients,
                "client_max_rate_hz": 10,
                "batch_seconds": batch_seconds,
                "seconds": seconds,
                "cpus": os.cpu_count(),
                "load_average_1min_before": round(load_before, 2),
            },
            "target_p99_ms": TARGET_P99_MS,
            "meets_target": worst < TARGET_P99_MS,
        }
    )
    return result


if __name__ == "__main__":
    print(json.dumps(run(clients=int(sys.argv[1]) if len(sys.argv) > 1 else CLIENTS), indent=2))
