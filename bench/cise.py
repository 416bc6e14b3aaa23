"""CISE export: documents written per second, beside writing the same events as JSON lines.

The events come from `mare detect`'s own work over the engine benchmark's simulated capture
(`bench.engine.build_capture`). Three figures, each the best of ``repeats`` runs:

- ``export``: `app.exchange.cise.export.export`, one Anomaly/IrregularMigrationIncident per
  event and one Vessel per involved vessel, each serialised, re-parsed and validated against
  the shipped XSDs, then written (what ``mare cise export --events`` does);
- ``build_only``: the same documents built and serialised, without validation or files, to show
  what validation costs;
- ``json_lines``: the baseline, the same events written as contract JSON lines (what
  ``mare detect --out`` does).

CPU time is reported beside wall time: the benchmark machine is shared.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ais_ingest.decoder import Decoder
from app.cli.detect_run import run_detect, write_events
from app.exchange.cise.entities import Sender, event_element, involved_mmsis, vessel_element
from app.exchange.cise.export import export, facts_from_events
from app.exchange.cise.validate import entity_schema, serialize
from bench.engine import build_capture
from bench.timing import best_of
from geo.engine import Engine
from geo.places import shipped_places
from geo.zones import SHIPPED_ZONE_FILE, load_zone_file

SENDER = Sender(authority="Bench ROC", service_id="bench.mare")


def _figure(wall: float, cpu: float, n: int) -> dict[str, Any]:
    return {
        "documents": n,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "per_s": round(n / wall) if wall > 0 else None,
        "ms_each": round(1000 * wall / n, 3) if n else None,
        "cpu_ms_each": round(1000 * cpu / n, 3) if n else None,
    }


def run(repeats: int = 3) -> dict[str, Any]:
    """Measure and return the figures."""
    zones = load_zone_file(SHIPPED_ZONE_FILE) if SHIPPED_ZONE_FILE.is_file() else []
    engine = Engine(zones, places=shipped_places())
    found, _ = run_detect([build_capture()], engine, Decoder())
    events = [ev.to_dict() for ev in found]
    entity_schema()  # loaded once per process, outside the timing (~0.3 s)
    tmp = Path(tempfile.mkdtemp(prefix="mare-bench-cise-"))

    def exported() -> int:
        shutil.rmtree(tmp / "out", ignore_errors=True)
        summary = export(events, tmp / "out", sender=SENDER)
        return sum(summary.written.values())

    def built() -> int:
        facts = facts_from_events(events)
        n = 0
        for ev in events:
            serialize(event_element(ev, sender=SENDER, vessels=facts))
            n += 1
        for mmsi in involved_mmsis(events):
            serialize(vessel_element(facts[mmsi], sender=SENDER))
            n += 1
        return n

    def json_lines() -> int:
        sink = io.StringIO()
        write_events(sink, found)
        return len(found)

    try:
        out = {
            "events": len(events),
            "export": _figure(*best_of(exported, repeats)),
            "build_only": _figure(*best_of(built, repeats)),
            "json_lines": _figure(*best_of(json_lines, repeats)),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
