"""Helpers of the maintenance and readiness tests: seeded days, a database that refuses.

Positions are seeded on days counted back from today (UTC, wall clock), because the service's
maintenance works against the wall clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg
from prometheus_client.parser import text_string_to_metric_families
from psycopg import sql

from ais_ingest.records import Batch
from app.store import open_store
from app.wallclock import now_ms
from tests.app.api.conftest import Service, start
from tests.app.store.conftest import ADMIN_URL
from tests.app.store.data import T0 as DATA_T0
from tests.app.store.data import traffic

DAY = 86_400_000
RETENTION = 5
#: Days back from today (UTC) that get positions: one past retention, yesterday, today.
DAYS_BACK = (10, 1, 0)
N_FIXES = 6  # positions a seeded day holds: 2 vessels x 3 fixes

Metrics = dict[str, dict[tuple[tuple[str, str], ...], float]]


def seed(url: str) -> int:
    """Upgrade the database and store positions on each of DAYS_BACK; return today (epoch ms)."""
    today = now_ms() // DAY * DAY
    store = open_store(url, upgrade=True)
    try:
        cols = traffic(n_vessels=2, n_fixes=3).positions
        for back in DAYS_BACK:
            day = cols.take(np.arange(len(cols)))
            day.time_ms = day.time_ms - DATA_T0 + today - back * DAY
            store.write_batch(Batch(day))
    finally:
        store.close()
    return today


def refuse_connections(url: str, refuse: bool) -> None:
    """Make the database refuse new connections and end its sessions (or accept them again)."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                sql.Identifier(name), sql.SQL("false" if refuse else "true")
            )
        )
        if refuse:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )


def scrape(svc: Service) -> Metrics:
    r = svc.get("/metrics")
    assert r.status_code == 200, r.text
    out: Metrics = {}
    for fam in text_string_to_metric_families(r.text):
        for s in fam.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def maintained(svc: Service) -> Metrics | None:
    """Return the metrics once the service finished a maintenance run, else None."""
    m = scrape(svc)
    runs = m.get("mare_maintenance_runs_total", {})
    return m if sum(runs.values()) >= 1 else None


@contextmanager
def running(settings: Any) -> Iterator[Service]:
    """Run the service of ``settings`` for a ``with`` block."""
    yield from start(settings)
