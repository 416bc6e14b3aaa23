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


def _load_rate(store: Any, cols: PositionColumns, batch: int) -> dict[str, float]:
    """Load through ``write_batch``: rows offered per second, rows stored, CPU us per row."""
    url = store.engine.url.render_as_string(hide_password=False)
    url = url.replace("postgresql+psycopg://", "postgresql://")
    pg = store.postgis
    store.read(lambda c: c.exec_driver_sql("SELECT 1").scalar())  # the pooled backend exists
    server0 = _backend_cpu_s(url) if pg else 0.0
    client0 = time.process_time()
    t = time.perf_counter()
    stored = 0
    for i in range(0, len(cols), batch):
        part = cols.take(np.arange(i, min(i + batch, len(cols))))
        stored += store.write_batch(Batch(part)).positions_inserted
    wall = time.perf_counter() - t
    out = {
        "per_s": len(cols) / wall,
        "stored": stored,
        "client_cpu_us": (time.process_time() - client0) / len(cols) * 1e6,
    }
    if pg:
        out["server_cpu_us"] = (_backend_cpu_s(url) - server0) / len(cols) * 1e6
    return out


def _cpu(r: dict[str, float]) -> dict[str, float]:
    return {k: round(r[k], 1) for k in ("client_cpu_us", "server_cpu_us") if k in r}


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
        for _ in range(7):
            t = time.perf_counter()
            got = replay(store, mid, mid + 3_600_000, BOX)
            times.append((time.perf_counter() - t) * 1000)
            rows, vessels = int(got["time"].size), int(np.unique(got["mmsi"]).size)
        out["replay_1h_box_ms_median"] = round(statistics.median(times[1:]), 1)
        out["replay_1h_box_ms_range"] = [round(min(times[1:]), 1), round(max(times[1:]), 1)]
        out["replay_rows"] = rows
        out["replay_vessels"] = vessels

        # 4. Bulk path (COPY) into the day being written: partitioned, BRIN-indexed, millions of
        #    rows already in it, then the same rows again (must store nothing).
        cols = _traffic(n_load, load_t0, seed=1)
        days_load = np.unique(cols.time_ms // DAY_MS) * DAY_MS
        create_partitions(store.engine, {day_of(int(x)) for x in days_load})
        bulk = _load_rate(store, cols, 50_000)
        rate = bulk["per_s"]
        out["postgis_copy_positions_per_s"] = round(rate)
        out["postgis_copy_stored"] = int(bulk["stored"])
        out["postgis_copy_cpu_us_per_position"] = _cpu(bulk)
        again = _load_rate(store, cols.take(np.arange(min(100_000, n_load))), 50_000)
        out["postgis_reingest_positions_per_s"] = round(again["per_s"])
        out["postgis_reingest_stored"] = int(again["stored"])  # must be 0: the natural key holds

        # 5. Late rows for a closed day (its GiST built, stored rows in the same minutes): the
        #    anti-join and the GiST inserts both run, e.g. re-ingesting an old capture.
        if built:
            late_t0 = load_t0 // DAY_MS * DAY_MS - DAY_MS + 6 * 3_600_000
            late = _traffic(min(100_000, n_load), late_t0, seed=3)
            late_r = _load_rate(store, late, 50_000)
            out["postgis_copy_late_into_closed_day_positions_per_s"] = round(late_r["per_s"])
            out["postgis_copy_late_cpu_us_per_position"] = _cpu(late_r)
        store.close()

        # 6. Plain executemany INSERTs of the same kind of rows, same server, same run.
        n_many = min(50_000, n_load)
        # Same day (the partition the bulk path wrote), the minutes right after the bulk rows.
        many = _traffic(n_many, load_t0 + (n_load // VESSELS + 1) * STEP_S * 1000, seed=2)
        edge = {day_of(int(many.time_ms[0])), day_of(int(many.time_ms[-1]))}
        create_partitions(make_engine(url), edge)
        rows_many = list(zip(
            [datetime.fromtimestamp(x / 1000, tz=UTC) for x in many.time_ms.tolist()],
            many.mmsi.tolist(), many.lat.tolist(), many.lon.tolist(),
            many.speed.astype(float).tolist(), many.course.astype(float).tolist(),
            [1] * n_many, ["rBENCH"] * n_many, strict=True,
        ))  # fmt: skip
        with psycopg.connect(url) as c:
            server0 = _backend_cpu_s(url)
            client0 = time.process_time()
            t = time.perf_counter()
            with c.cursor() as cur:
                cur.executemany(
                    "INSERT INTO positions (time, mmsi, lat, lon, sog, cog, msg_type, source) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    rows_many,
                )
            c.commit()
            many_rate = n_many / (time.perf_counter() - t)
            many_cpu = {
                "client_cpu_us": (time.process_time() - client0) / n_many * 1e6,
                "server_cpu_us": (_backend_cpu_s(url) - server0) / n_many * 1e6,
            }
        out["postgis_executemany_positions_per_s"] = round(many_rate)
        out["postgis_executemany_cpu_us_per_position"] = _cpu(many_cpu)
        out["copy_over_executemany"] = round(rate / many_rate, 1)
        cpu_bulk = sum(_cpu(bulk).values())
        out["copy_over_executemany_by_cpu"] = round(sum(_cpu(many_cpu).values()) / cpu_bulk, 1)

        # 7. SQLite through the same bulk API.
        with tempfile.TemporaryDirectory() as tmp:
            lite = open_store(f"sqlite:///{tmp}/bench.db")
            lite_rate = _load_rate(lite, cols, 50_000)["per_s"]
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
