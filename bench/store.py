"""Store benchmark: bulk load into PostGIS (COPY path) and SQLite, executemany baseline, replay.

Run by ``make bench`` (``python -m bench store``). Env: ``MARE_BENCH_STORE_N`` stored positions
for the replay figure (default 10,000,000), ``MARE_BENCH_STORE_LOAD`` positions per load test
(default 500,000), ``MARE_TEST_DATABASE_URL`` the server (default the local one). A dedicated
database is created and dropped.

The stored positions are generated server-side (one ``generate_series`` in time order, indexes
built after the load, as a bulk restore would) so 10M rows take a minute, not an hour. Traffic:
10,000 vessels in the central Med, one fix every 2 minutes each, drifting slowly; the replay box
holds about 2,000 of them. The stored span (1.4 days at 10M) ends in the day being loaded, so
the load goes into a partition already holding millions of rows; the day before is closed and
gets its GiST from maintenance (``partitions.index_closed``), timed here too.

The machine is shared, so wall rates move with its load: beside each rate the bench gives the
CPU time per position of this process and of the database backends (read from ``/proc`` when
the server is local), which the load does not change much.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from ais_ingest.records import Batch, PositionColumns
from app.store import open_store
from app.store.engine import make_engine
from app.store.migrate import upgrade
from app.store.partitions import DAY_MS, create_partitions, day_of, index_closed
from app.store.queries import replay

ADMIN = os.environ.get("MARE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
T0 = 1_780_272_000_000  # 2026-06-01T00:00Z
VESSELS = 10_000
STEP_S = 120
#: Alternations of bulk path and executemany in the comparison.
ROUNDS = 3
#: Replays timed (after one to warm up).
REPLAYS = 9
BOX = (12.0, 33.0, 16.0, 37.0)  # 16 of the 80 square degrees: ~2,000 of 10,000 vessels

GENERATE = """
INSERT INTO positions (time, mmsi, lat, lon, sog, cog, heading, status, msg_type, accuracy,
                       second, source)
SELECT to_timestamp(%(t0)s + k * %(step)s + v %% %(step)s), 200000000 + v,
       31 + 8 * ((v * 7919) %% 10007) / 10007.0 + 0.0005 * k * sin(v),
       10 + 10 * ((v * 104729) %% 10009) / 10009.0 + 0.0005 * k * cos(v),
       10.5, (v %% 360)::real, (v %% 360)::smallint, 0, 1, true, (v %% 60)::smallint, 'rBENCH'
FROM (SELECT n / %(vessels)s AS k, n %% %(vessels)s AS v
      FROM generate_series(0, %(n)s - 1) AS n) AS g
"""


def _traffic(n: int, t0_ms: int, seed: int) -> PositionColumns:
    """Live-like rows in time order: VESSELS vessels, each reporting every STEP_S seconds."""
    rng = np.random.default_rng(seed)
    k = np.arange(n) // VESSELS
    v = np.arange(n) % VESSELS
    base_lat = rng.uniform(31, 39, VESSELS)
    base_lon = rng.uniform(10, 20, VESSELS)
    c = PositionColumns.empty(n)
    c.time_ms = (t0_ms + k * STEP_S * 1000 + (v * 997) % (STEP_S * 1000)).astype(np.int64)
    c.mmsi = (210_000_000 + v).astype(np.int64)
    c.lat = base_lat[v] + 0.0005 * k
    c.lon = base_lon[v] + 0.0005 * k
    c.speed[:] = 11.0
    c.course[:] = 45.0
    c.msg_type[:] = 1
    c.source = ["rBENCH"] * n
    return c


def _backend_cpu_s(url: str) -> float:
    """CPU seconds used so far by the client backends of ``url``'s database (0 if not local).

    Autovacuum workers are left out: they come and go, and they run after either path alike.
    """
    name = url.rsplit("/", 1)[1]
    total = 0.0
    with psycopg.connect(url, autocommit=True) as c:
        pids = c.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'",
            (name,),
        ).fetchall()
    for (pid,) in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@dataclass
class Timed:
    """Rows, wall seconds and CPU seconds (this process, the database backends) of a load."""

    rows: int = 0
    stored: int = 0
    wall_s: float = 0.0
    client_s: float = 0.0
    server_s: float = 0.0

    def add(self, other: Timed) -> None:
        self.rows += other.rows
        self.stored += other.stored
        self.wall_s += other.wall_s
        self.client_s += other.client_s
        self.server_s += other.server_s

    @property
    def per_s(self) -> float:
        return self.rows / self.wall_s

    def cpu_us(self) -> dict[str, float]:
        out = {"client_cpu_us": round(self.client_s / self.rows * 1e6, 1)}
        if self.server_s:
            out["server_cpu_us"] = round(self.server_s / self.rows * 1e6, 1)
        return out


def _timed(url: str | None, n: int, fn: Any) -> Timed:
    """Run ``fn()`` (returning rows stored) and time it: wall, our CPU, the backends' CPU."""
    server0 = _backend_cpu_s(url) if url else 0.0
    client0 = time.process_time()
    t = time.perf_counter()
    stored = int(fn())
    wall = time.perf_counter() - t
    client = time.process_time() - client0
    server = _backend_cpu_s(url) - server0 if url else 0.0
    return Timed(n, stored, wall, client, server)


def _batches(cols: PositionColumns, batch: int = 50_000) -> list[PositionColumns]:
    return [cols.take(np.arange(i, min(i + batch, len(cols)))) for i in range(0, len(cols), batch)]


def _load(store: Any, parts: list[PositionColumns]) -> Timed:
    """Load batches through ``write_batch`` (the bulk path); the batches are cut beforehand."""
    url = None
    if store.postgis:
        url = store.engine.url.render_as_string(hide_password=False)
        url = url.replace("postgresql+psycopg://", "postgresql://")
        store.read(lambda c: c.exec_driver_sql("SELECT 1").scalar())  # the pooled backend exists
    n = sum(len(p) for p in parts)
    return _timed(
        url, n, lambda: sum(store.write_batch(Batch(p)).positions_inserted for p in parts)
    )


def _executemany_rows(cols: PositionColumns) -> list[tuple[Any, ...]]:
    """The same rows as Python values for a plain INSERT (NULL where the bulk path has NULL)."""

    def opt(a: Any, missing: Any) -> list[Any]:
        return [None if m else v for v, m in zip(a.tolist(), missing.tolist(), strict=True)]

    return list(zip(
        [datetime.fromtimestamp(x / 1000, tz=UTC) for x in cols.time_ms.tolist()],
        cols.mmsi.tolist(), cols.lat.tolist(), cols.lon.tolist(),
        opt(cols.speed.astype(float), np.isnan(cols.speed)),
        opt(cols.course.astype(float), np.isnan(cols.course)),
        opt(cols.heading, cols.heading < 0), opt(cols.status, cols.status < 0),
        opt(cols.turn.astype(float), np.isnan(cols.turn)), cols.accuracy.tolist(),
        cols.msg_type.tolist(), opt(cols.second, cols.second < 0), cols.source, strict=True,
    ))  # fmt: skip


def _executemany(url: str, rows: list[tuple[Any, ...]]) -> Timed:
    """Plain ``executemany`` INSERTs of the rows and one commit (psycopg pipelines them)."""
    with psycopg.connect(url) as c:

        def run() -> int:
            with c.cursor() as cur:
                cur.executemany(
                    "INSERT INTO positions (time, mmsi, lat, lon, sog, cog, heading, status, "
                    "turn, accuracy, msg_type, second, source) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    rows,
                )
            c.commit()
            return len(rows)

        return _timed(url, len(rows), run)


def run() -> dict[str, Any]:
    n_stored = int(os.environ.get("MARE_BENCH_STORE_N", 10_000_000))
    n_load = int(os.environ.get("MARE_BENCH_STORE_LOAD", 500_000))
    name = f"mare_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = ADMIN.rsplit("/", 1)[0] + "/" + name
    out: dict[str, Any] = {"load_avg_at_start": os.getloadavg()[0]}
    try:
        with psycopg.connect(url, autocommit=True) as c:
            c.execute("CREATE EXTENSION postgis")
        engine = make_engine(url)
        upgrade(engine)
        span_ms = (n_stored // VESSELS + 1) * STEP_S * 1000
        days = {day_of(T0 + d) for d in range(0, span_ms + 86_400_000, 86_400_000)}
        create_partitions(engine, days)
        engine.dispose()

        # 1. n_stored positions generated server-side, then BRIN-indexed (as a bulk restore is).
        t = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as c:
            c.execute("DROP INDEX ix_positions_time_mmsi")
            c.execute(
                GENERATE, {"t0": T0 // 1000, "step": STEP_S, "vessels": VESSELS, "n": n_stored}
            )
            c.execute("SET maintenance_work_mem = '512MB'")
            c.execute("CREATE INDEX ix_positions_time_mmsi ON positions USING brin (time, mmsi) "
                      "WITH (pages_per_range = 16)")  # fmt: skip
            c.execute("VACUUM ANALYZE positions")
        out["stored_positions"] = n_stored
        out["generate_and_index_s"] = round(time.perf_counter() - t, 1)

        # 2. Maintenance: the GiST of every closed day (all but the one being loaded below).
        load_t0 = T0 + span_ms + 3_600_000
        engine = make_engine(url)
        with psycopg.connect(url, autocommit=True) as c:
            closed = c.execute(
                "SELECT count(*) FROM positions WHERE time < %s",
                (datetime.fromtimestamp(load_t0 // DAY_MS * DAY_MS / 1000, tz=UTC),),
            ).fetchone()
        t = time.perf_counter()
        built = index_closed(engine, load_t0 // DAY_MS * DAY_MS)
        gist_s = time.perf_counter() - t
        engine.dispose()
        n_closed = int(closed[0]) if closed else 0
        out["gist_closed_days"] = [d.isoformat() for d in built]
        out["gist_build_s"] = round(gist_s, 1)
        out["gist_build_positions_per_s"] = round(n_closed / gist_s) if gist_s else None
        with psycopg.connect(url, autocommit=True) as c:
            size = c.execute("SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                             "WHERE inhparent = 'positions'::regclass").fetchone()  # fmt: skip
        out["positions_size_mb"] = round(int(size[0]) / 2**20) if size else None

        # 3. Replay: one hour of the ~2,000-vessel box, in the middle of the stored span.
        store = open_store(url)
        mid = T0 + (span_ms // 2 // 3_600_000) * 3_600_000
        times, rows, vessels = [], 0, 0
        replay(store, mid, mid + 3_600_000, BOX)  # warm the pool and the cache
        cpu = Timed()
        for _ in range(REPLAYS):
            one = _timed(url, 1, lambda: replay(store, mid, mid + 3_600_000, BOX)["time"].size)
            cpu.add(one)
            times.append(one.wall_s * 1000)
            rows = one.stored
        got = replay(store, mid, mid + 3_600_000, BOX)
        vessels = int(np.unique(got["mmsi"]).size)
        out["replay_1h_box_ms_median"] = round(statistics.median(times), 1)
        out["replay_1h_box_ms_range"] = [round(min(times), 1), round(max(times), 1)]
        out["replay_cpu_ms"] = {
            "client": round(cpu.client_s / REPLAYS * 1000, 1),
            "server": round(cpu.server_s / REPLAYS * 1000, 1),
        }
        out["replay_rows"] = rows
        out["replay_vessels"] = vessels

        # 4. Bulk path (COPY) into the day being written: partitioned, BRIN-indexed, millions of
        #    rows already in it. 6. beside plain executemany INSERTs of rows of the same kind into
        #    the same partition (the minutes right after). The two alternate in ROUNDS so both
        #    see the machine's load alike; each round's ratio is kept for the spread.
        cols = _traffic(n_load, load_t0, seed=1)
        n_many = min(50_000, n_load)
        many = _traffic(n_many, load_t0 + (n_load // VESSELS + 1) * STEP_S * 1000, seed=2)
        days_load = np.unique(np.r_[cols.time_ms, many.time_ms] // DAY_MS) * DAY_MS
        create_partitions(store.engine, {day_of(int(x)) for x in days_load})
        parts = _batches(cols)
        rows_many = _executemany_rows(many)
        bulk, plain, ratios = Timed(), Timed(), []
        for r in range(ROUNDS):
            b = _load(store, parts[r::ROUNDS])
            m = _executemany(url, rows_many[r::ROUNDS])
            bulk.add(b)
            plain.add(m)
            ratios.append(round(b.per_s / m.per_s, 1))
        rate = bulk.per_s
        out["postgis_copy_positions_per_s"] = round(rate)
        out["postgis_copy_stored"] = bulk.stored
        out["postgis_copy_cpu_us_per_position"] = bulk.cpu_us()
        out["postgis_executemany_positions_per_s"] = round(plain.per_s)
        out["postgis_executemany_cpu_us_per_position"] = plain.cpu_us()
        out["copy_over_executemany"] = round(rate / plain.per_s, 1)
        out["copy_over_executemany_per_round"] = ratios
        cpu_bulk = sum(bulk.cpu_us().values())
        out["copy_over_executemany_by_cpu"] = round(sum(plain.cpu_us().values()) / cpu_bulk, 1)

        # 5. The same rows again: every key found stored, must store nothing.
        again = _load(store, _batches(cols.take(np.arange(min(100_000, n_load)))))
        out["postgis_reingest_positions_per_s"] = round(again.per_s)
        out["postgis_reingest_stored"] = again.stored  # must be 0: the natural key holds

        # 6. Late rows for a closed day (its GiST built, stored rows in the same minutes): the
        #    duplicate check and the GiST inserts both run, e.g. re-ingesting an old capture.
        if built:
            late_t0 = load_t0 // DAY_MS * DAY_MS - DAY_MS + 6 * 3_600_000
            late = _load(store, _batches(_traffic(min(100_000, n_load), late_t0, seed=3)))
            out["postgis_copy_late_into_closed_day_positions_per_s"] = round(late.per_s)
            out["postgis_copy_late_cpu_us_per_position"] = late.cpu_us()
        store.close()

        # 7. SQLite through the same bulk API.
        with tempfile.TemporaryDirectory() as tmp:
            lite = open_store(f"sqlite:///{tmp}/bench.db")
            lite_rate = _load(lite, parts).per_s
            lite.close()
        out["sqlite_positions_per_s"] = round(lite_rate)
        out["load_avg_at_end"] = os.getloadavg()[0]
        out["targets"] = {
            "postgis_copy_positions_per_s": ">= 100000",
            "copy_over_executemany": ">= 3",
            "replay_1h_box_ms_median": "< 200 at 10M stored",
        }
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as c:
            c.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    return out
