"""Engine throughput and `mare detect` end-to-end, beside bare `pyais.decode` of the same lines.

The capture is a simulated central-Mediterranean run (`simulate.iter_simulation`, fixed seed,
>= 300k lines, written once to ``bench/out/`` and reused while the simulator's code is the same:
its file name carries a digest of ``simulate/``). Three figures, each the best of
``repeats`` runs (noise only slows):

- ``engine``: records/s through `Engine.process` alone, batches decoded beforehand (batch in,
  events out), against the shipped zone set (or none if it is absent) and geo/data/places.csv;
- ``detect_end_to_end``: file to events (decoder + engine + episode log + JSON lines), the work
  `mare detect` does without the progress bar;
- ``pyais_decode``: one `pyais.decode(line)` per line of the same capture, nothing else.

CPU time is reported beside wall time: the benchmark machine is shared, and CPU time is what the
code costs.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pyais

from ais_ingest.decoder import Decoder, chunked, read_lines
from ais_ingest.records import Batch
from app.cli.detect_run import run_detect, write_events
from bench.timing import best_of
from geo.engine import Engine
from geo.places import shipped_places
from geo.zones import SHIPPED_ZONE_FILE, Zone, load_zone_file

OUT = Path(__file__).parent / "out"
MIN_LINES = 300_000
SIMULATOR = Path(__file__).parents[1] / "simulate"


def simulator_digest() -> str:
    """Return a short digest of the simulator's code, so a changed simulator writes anew."""
    h = hashlib.sha256()
    for path in sorted(SIMULATOR.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:10]


def build_capture(seed: int = 1, min_lines: int = MIN_LINES) -> Path:
    """Write (once) and return a simulated capture of at least ``min_lines`` lines."""
    from simulate.scenario import iter_simulation

    path = OUT / f"engine_sim_seed{seed}_{min_lines}_{simulator_digest()}.nmea"
    if path.is_file():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    hours = 4.0
    while True:
        lines = [line for _, line in iter_simulation(hours, seed)]
        if len(lines) >= min_lines:
            break
        hours *= 1.5
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="ascii")
    tmp.replace(path)
    return path


def _zones() -> list[Zone]:
    return load_zone_file(SHIPPED_ZONE_FILE) if SHIPPED_ZONE_FILE.is_file() else []


def run(repeats: int = 3) -> dict[str, Any]:
    """Measure and return the figures."""
    path = build_capture()
    lines = list(read_lines(path))
    n_lines = len(lines)
    zones = _zones()
    places = shipped_places()
    dec = Decoder()
    batches: list[Batch] = [dec.decode(c, 0, "bench") for c in chunked(lines, 8192)]
    batches.append(dec.flush())
    n_records = sum(len(b) for b in batches)

    def engine() -> int:
        eng = Engine(zones, places=places)
        n = 0
        for b in batches:
            n += len(eng.process(b))
        return n + len(eng.flush())

    def detect() -> int:
        eng = Engine(zones, places=places)
        events, _ = run_detect([path], eng, Decoder())
        write_events(io.StringIO(), events)
        return len(events)

    def bare_pyais() -> int:
        n = 0
        for line in lines:
            try:
                pyais.decode(line)
                n += 1
            except Exception:  # noqa: BLE001 - fragments, corrupt lines: pyais raises, we count
                pass
        return n

    results: dict[str, Any] = {
        "capture_lines": n_lines,
        "records": n_records,
        "zones": len(zones),
    }
    wall, cpu, n_events = best_of(engine, repeats)
    results["engine"] = {
        "records_per_s_wall": round(n_records / wall),
        "records_per_s_cpu": round(n_records / cpu),
        "seconds": round(wall, 3),
        "events": n_events,
    }
    for name, fn in (("detect_end_to_end", detect), ("pyais_decode", bare_pyais)):
        wall, cpu, count = best_of(fn, repeats)
        results[name] = {
            "lines_per_s_wall": round(n_lines / wall),
            "lines_per_s_cpu": round(n_lines / cpu),
            "seconds": round(wall, 3),
            "outputs": count,
        }
    results["detect_vs_pyais_decode_cpu"] = round(
        results["detect_end_to_end"]["lines_per_s_cpu"]
        / results["pyais_decode"]["lines_per_s_cpu"],
        2,
    )
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
