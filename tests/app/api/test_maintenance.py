"""The service maintains its own database from its start, on both backends.

Retention, partitions ahead and the GiST of closed days run in a worker thread of the service
(`app.store.maintainer`); processes sharing one PostGIS take turns; a failed run is logged
in one line and tried again at the next period.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import select

from app.api.services import services_of
from app.store import open_store
from app.store.maintainer import Maintainer
from app.store.maintenance import MAINTENANCE_KEY, maintain_exclusive
from app.store.partitions import day_of, list_partitions, unindexed
from app.wallclock import now_ms
from tests.app.api.conftest import make_settings
from tests.app.api.dbstate import (
    DAY,
    N_FIXES,
    RETENTION,
    maintained,
    refuse_connections,
    running,
    seed,
)
from tests.app.push.conftest import until
from tests.app.store.conftest import create_database, drop_database


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend (PostGIS: one of its own, dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mare.sqlite'}"
        return
    url = create_database("mare_maint")
    try:
        yield url
    finally:
        drop_database(url)


def test_the_service_maintains_its_database_from_its_start(db_url: str, tmp_path: Path) -> None:
    today = seed(db_url)
    with running(make_settings(tmp_path, db_url, retention_days=RETENTION)) as svc:
        m = until(lambda: maintained(svc), 30)
        assert m["mare_maintenance_runs_total"][(("outcome", "ok"),)] == 1
        assert m["mare_maintenance_last_outcome"][(("outcome", "ok"),)] == 1
        assert m["mare_maintenance_last_outcome"][(("outcome", "failed"),)] == 0
        assert m["mare_maintenance_last_run_timestamp_seconds"][()] >= today / 1000
        assert m["mare_maintenance_last_duration_seconds"][()] >= 0
        done = {k[0][1]: v for k, v in m["mare_maintenance_done_total"].items()}
        store = services_of(svc.app).store
        pos = store.tables["positions"]
        times = store.read(lambda c: c.execute(select(pos.c.time)).scalars().all())
        assert len(times) == 2 * N_FIXES and min(times) >= today - DAY  # day -10 went
        if store.postgis:
            days = store.read(list_partitions)
            assert day_of(today - 10 * DAY) not in days
            assert {day_of(today + k * DAY) for k in range(4)} <= set(days)  # created ahead
            left = store.read(unindexed)
            assert day_of(today - DAY) not in left  # the closed day has its GiST
            assert day_of(today) in left  # the day being written has none
            assert done["partitions_dropped"] == 1 and done["partitions_indexed"] == 1
            assert done["partitions_created"] == 3
        else:
            assert done["positions_deleted"] == N_FIXES


@pytest.mark.postgis
def test_processes_on_one_postgis_take_turns_at_maintenance() -> None:
    url = create_database("mare_maint")
    today = seed(url)
    a, b = open_store(url), open_store(url)
    try:
        with psycopg.connect(url, autocommit=True) as other:  # another process maintaining
            other.execute("SELECT pg_advisory_lock(%s)", (MAINTENANCE_KEY,))
            assert maintain_exclusive(a, now_ms(), RETENTION) is None
            assert Maintainer(a, RETENTION, 3600).run_once() == "skipped"
            other.execute("SELECT pg_advisory_unlock(%s)", (MAINTENANCE_KEY,))
        barrier = threading.Barrier(2)
        results: dict[str, dict[str, Any] | None] = {}

        def run(name: str, store: Any) -> None:
            barrier.wait()
            results[name] = maintain_exclusive(store, now_ms(), RETENTION)

        threads = [threading.Thread(target=run, args=(n, s)) for n, s in (("a", a), ("b", b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert set(results) == {"a", "b"}
        ran = [r for r in results.values() if r is not None]
        assert ran
        # the closed day's GiST was built once: not found half-built, dropped and built again
        assert [d for r in ran for d in r["partitions_indexed"]] == [
            day_of(today - DAY).isoformat()
        ]
        assert day_of(today - DAY) not in a.read(unindexed)
    finally:
        a.close()
        b.close()
        drop_database(url)


@pytest.mark.postgis
def test_a_failed_maintenance_is_logged_in_one_line_and_tried_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = create_database("mare_maint")
    seed(url)
    store = open_store(url, attempts=1, backoff_s=0.01)
    maintainer = Maintainer(store, RETENTION, period_s=0.1)
    try:
        refuse_connections(url, True)
        with caplog.at_level(logging.ERROR, logger="app.maintenance"):
            maintainer.start()
            until(lambda: maintainer.status.runs["failed"] >= 1, 30)
        errors = [r.getMessage() for r in caplog.records if r.name == "app.maintenance"]
        assert errors and "\n" not in errors[0]
        assert "not currently accepting connections" in errors[0]
        assert maintainer.status.last_error is not None
        refuse_connections(url, False)
        until(lambda: maintainer.status.runs["ok"] >= 1, 30)
        assert maintainer.status.last_outcome == "ok" and maintainer.status.last_error is None
    finally:
        maintainer.stop()
        refuse_connections(url, False)
        store.close()
        drop_database(url)
