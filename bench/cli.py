"""The one-machine commands as a user runs them: whole processes, each beside its baseline.

``mare decode``, ``mare detect`` and ``mare ingest`` are timed as processes (start-up, imports,
reading the file, writing the output or the database), and so is the baseline: a Python process
that imports pyais and calls `pyais.decode` on every line of the same capture, nothing else.
Each figure is the best of ``repeats`` runs (noise only slows), the baseline and the commands
it is set beside run in turn (`_rounds`): five, as three missed the quiet moments of a shared
two-core machine (`mare detect` on the simulated capture, best of three: 1.02 s in one run of
this module and 1.17 s in the next, six minutes later; its pyais baseline 3.03 and 3.13 s).
CPU is the child's user + system time (for ingest, the database's is on top: see
``bench.store``). One more ``mare detect`` run per capture says where its time went
(``detect_timings``, its ``--timings``): which of its two processes the run waited for, and
what the engine's process spent before the fork and in the engine.

Captures: ``real``, the AISHub feed with tag blocks as `bench.ingest` builds it, four times
three minutes apart (`bench.ingest.build_capture`, 341k lines, 0.5 % corrupt), and ``sim``,
the engine benchmark's simulated capture
(`bench.engine.build_capture`, 310k lines, many receivers, so many duplicates and tag texts).
``mare ingest`` writes into a dedicated PostGIS database (created, upgraded and dropped here;
``MARE_TEST_DATABASE_URL`` names the server), emptied before each run; its figure is stored
positions per second of the whole process. Its baselines: the same with the live batch size
for files (``MARE_FILE_BATCH_SIZE=2048``, what files got before), and ``--no-store``.
"""

from __future__ import annotations

import compileall
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from app.store.engine import make_engine
from app.store.migrate import upgrade
from bench import engine as engine_bench
from bench import ingest as ingest_bench

#: Copies of the AISHub feed in the real capture: enough lines that start-up is not all.
REAL_COPIES = 4
MARE = str(Path(sys.executable).with_name("mare"))
ADMIN = os.environ.get("MARE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PYAIS = """
import sys
import pyais

n = 0
with open(sys.argv[1], encoding="ascii", errors="replace") as f:
    for line in f:
        try:
            pyais.decode(line.rstrip("\\r\\n"))
            n += 1
        except Exception:
            pass
print(n)
"""


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed(argv: list[str], repeats: int, env: dict[str, str] | None = None) -> dict[str, float]:
    """Best wall and best CPU seconds of running ``argv`` ``repeats`` times."""
    return _rounds({"run": argv}, repeats, env)["run"]


def _rounds(
    argvs: dict[str, list[str]], repeats: int, env: dict[str, str] | None = None
) -> dict[str, dict[str, float]]:
    """Best wall and CPU seconds of each command, the commands run in turn ``repeats`` times.

    In turn, not each ``repeats`` times in a row: a ratio of two best times is then taken
    over the same stretch of the machine's time, where a baseline timed a minute apart met
    another load (pyais' process took 5.6-8.9 s on the same lines in one session).
    """
    best = {name: {"wall_s": float("inf"), "cpu_s": float("inf")} for name in argvs}
    for _ in range(repeats):
        for name, argv in argvs.items():
            c0, w0 = _children_cpu(), time.perf_counter()
            subprocess.run(
                argv,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
                timeout=900,
            )
            wall, cpu = time.perf_counter() - w0, _children_cpu() - c0
            best[name] = {
                "wall_s": min(best[name]["wall_s"], wall),
                "cpu_s": min(best[name]["cpu_s"], cpu),
            }
    return {name: {k: round(v, 3) for k, v in b.items()} for name, b in best.items()}


#: Mare's packages, compiled before timing as an install compiles them (pip writes the bytecode
#: of what it installs). A checkout run with PYTHONDONTWRITEBYTECODE=1 (as under this machine's
#: shells) otherwise compiles every module of Mare's it imports at each start, 0.05-0.06 s of
#: CPU (`mare decode` of an empty capture 0.52 s against 0.47), while pyais, in site-packages,
#: has its bytecode: the baseline would not pay what Mare pays.
PACKAGES = ("ais_ingest", "app", "geo", "simulate")


def _compile() -> None:
    root = Path(__file__).resolve().parent.parent
    for name in PACKAGES:
        compileall.compile_dir(root / name, quiet=1)


def _capture_files() -> dict[str, Path]:
    real = ingest_bench.OUT / f"aishub_tagged_x{REAL_COPIES}.nmea"
    if not real.is_file():
        real.parent.mkdir(parents=True, exist_ok=True)
        tmp = real.with_suffix(".tmp")
        tmp.write_bytes(ingest_bench.build_capture(copies=REAL_COPIES))
        tmp.replace(real)
    return {"real": real, "sim": engine_bench.build_capture()}


def _lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


def _ratio(a: dict[str, float], b: dict[str, float], key: str) -> float:
    return round(b[key] / a[key], 2)


class _Database:
    """A dedicated PostGIS database for the ingest runs, emptied before each."""

    def __init__(self) -> None:
        self.name = f"mare_bench_cli_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(ADMIN, autocommit=True) as c:
            c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self.url = ADMIN.rsplit("/", 1)[0] + "/" + self.name
        with psycopg.connect(self.url, autocommit=True) as c:
            c.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        engine = make_engine(self.url)
        upgrade(engine)
        engine.dispose()

    def empty(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as c:
            c.execute("TRUNCATE positions, vessels, vessel_identities RESTART IDENTITY CASCADE")
            parts = c.execute(
                "SELECT inhrelid::regclass::text FROM pg_inherits "
                "WHERE inhparent = 'positions'::regclass"
            ).fetchall()
            for (part,) in parts:
                c.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(part)))

    def positions(self) -> int:
        with psycopg.connect(self.url) as c:
            row = c.execute("SELECT count(*) FROM positions").fetchone()
        return int(row[0]) if row else 0

    def drop(self) -> None:
        with psycopg.connect(ADMIN, autocommit=True) as c:
            c.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )


def _ingest(db: _Database, capture: Path, repeats: int, **env: str) -> dict[str, Any]:
    best = {"wall_s": float("inf"), "cpu_s": float("inf")}
    stored = 0
    for _ in range(repeats):
        db.empty()
        run = _timed([MARE, "ingest", str(capture)], 1, {"MARE_DATABASE_URL": db.url, **env})
        best = {k: min(best[k], run[k]) for k in best}
        stored = db.positions()
    return {**best, "positions": stored, "positions_per_s": round(stored / best["wall_s"])}


def _detect_timings(capture: Path) -> dict[str, Any]:
    """One more ``mare detect`` run's `--timings`: which of its processes the run waited for."""
    with tempfile.TemporaryDirectory() as d:
        spent = Path(d) / "timings.json"
        argv = [MARE, "detect", "-o", os.devnull, "--timings", str(spent), str(capture)]
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        timings: dict[str, Any] = json.loads(spent.read_text())
    return timings


def run(repeats: int = 5) -> dict[str, Any]:
    """Measure and return the figures."""
    _compile()
    captures = _capture_files()
    out: dict[str, Any] = {}
    for name, path in captures.items():
        n = _lines(path)
        argvs = {"pyais": [sys.executable, "-c", PYAIS, str(path)]}
        for fmt in ("none", "jsonl"):
            argvs[f"decode_{fmt}"] = [MARE, "decode", "--format", fmt, "-o", os.devnull, str(path)]
        # The real capture has no positions in the shipped zones; its ports are full of slow
        # vessels side by side (thousands of open encounter pairs and loitering runs).
        argvs["detect"] = [MARE, "detect", "-o", os.devnull, str(path)]
        runs = _rounds(argvs, repeats)
        pyais = runs.pop("pyais")
        fig: dict[str, Any] = {"lines": n, "pyais_decode_process": pyais}
        for cmd, run_ in runs.items():
            fig[cmd] = {**run_, "lines_per_s": round(n / run_["wall_s"])}
            fig[f"{cmd}_vs_pyais_wall"] = _ratio(run_, pyais, "wall_s")
            fig[f"{cmd}_vs_pyais_cpu"] = _ratio(run_, pyais, "cpu_s")
        fig["detect_timings"] = _detect_timings(path)
        out[name] = fig
    db = _Database()
    try:
        for name, path in captures.items():
            fig = out[name]
            fig["ingest_postgis"] = _ingest(db, path, repeats)
            fig["ingest_postgis_live_batches"] = _ingest(
                db, path, repeats, MARE_FILE_BATCH_SIZE="2048"
            )
            no_store = _timed([MARE, "ingest", "--no-store", str(path)], repeats)
            rate = round(fig["lines"] / no_store["wall_s"])
            fig["ingest_no_store"] = {**no_store, "lines_per_s": rate}
    finally:
        db.drop()
    out["load_average"] = [round(x, 1) for x in os.getloadavg()]
    out["when"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
