"""`make bench`: every benchmark's figures as one JSON document (each beside its baseline)."""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

#: Benchmark modules, each with ``run() -> dict``; a module not yet present is reported as such.
MODULES = (
    "bench.ingest",
    "bench.cli",
    "bench.store",
    "bench.engine",
    "bench.alerts",
    "bench.service",
    "bench.dashboard",
    "bench.demo",
    "bench.cise",
    "bench.report",
    "bench.bus",
)


def main(argv: list[str]) -> int:
    wanted = [m for m in MODULES if not argv or m.split(".")[-1] in argv]
    report: dict[str, Any] = {}
    for name in wanted:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            report[name.split(".")[-1]] = {"skipped": "module not present"}
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        report[name.split(".")[-1]] = module.run()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
