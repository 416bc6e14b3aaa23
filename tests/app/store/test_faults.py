"""Faults against a real server: connections killed mid-transaction, a database refusing them."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import numpy as np
import psycopg
import pytest

from ais_ingest.records import Batch
from app.store import StoreUnavailable, open_store
from app.store.engine import make_engine
from app.store.errors import StoreURLError
from app.store.group_write import GroupWrite
from app.store.migrate import upgrade

from .conftest import ADMIN_URL, create_database, drop_database
from .data import traffic

pytestmark = pytest.mark.postgis


@pytest.fixture
def own_db() -> Iterator[str]:
    """A dedicated database, so killing its connections harms no other test."""
    url = create_database("mare_fault")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    drop_database(url)


def count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT count(*) FROM positions").fetchone()[0])  # type: ignore[index]


def test_closed_port_at_start_is_one_clear_line() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StoreUnavailable) as err:
        open_store(f"postgresql://postgres@127.0.0.1:{port}/mare", attempts=2, backoff_s=0.01)
    msg = str(err.value)
    assert "\n" not in msg and f"127.0.0.1:{port}" in msg and "2 attempts" in msg


def test_unknown_url_scheme_is_refused() -> None:
    with pytest.raises(StoreURLError, match="mysql"):
        open_store("mysql://x@y/z")


def test_connection_killed_mid_write_is_retried_without_loss_or_duplicates(own_db: str) -> None:
    store = open_store(own_db, attempts=5, backoff_s=0.05)
    batch = traffic()
    # Hold the vessels table so the write blocks after its COPY, then kill the writer's backend.
    locker = psycopg.connect(own_db)
    locker.execute("LOCK TABLE vessels IN ACCESS EXCLUSIVE MODE")
    result: list[object] = []
    writer = threading.Thread(target=lambda: result.append(store.write_batch(batch)))
    writer.start()
    killed = 0
    with psycopg.connect(own_db, autocommit=True) as admin:
        for _ in range(200):
            row = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'mare' "
                "AND wait_event_type = 'Lock' AND datname = current_database()"
            ).fetchone()
            if row:
                admin.execute("SELECT pg_terminate_backend(%s)", (row[0],))
                killed += 1
                break
            time.sleep(0.02)
    locker.rollback()
    locker.close()
    writer.join(timeout=30)
    assert killed == 1
    assert result and result[0].positions_inserted == len(batch.positions)  # type: ignore[attr-defined]
    assert count(own_db) == len(batch.positions)
    store.close()


def _kill_idle_writer(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'mare' AND state = 'idle in transaction' "
            "AND datname = current_database()"
        ).fetchone()
    assert killed == (1,)


def test_connections_killed_inside_a_group_are_retried_with_every_batch(own_db: str) -> None:
    """Each kill loses the transaction: the batches sent before it are sent again, once."""
    store = open_store(own_db, attempts=5, backoff_s=0.05)
    cols = traffic().positions
    thirds = np.array_split(np.argsort(cols.time_ms, kind="stable"), 3)
    group = GroupWrite(store)
    for part in thirds:
        group.add(store.stage(Batch(cols.take(part))))
        _kill_idle_writer(own_db)  # after the batch's COPY, in the open transaction
    result = group.commit()
    assert result.positions_inserted == len(cols) == count(own_db)
    assert result.vessels_upserted == 12
    store.close()


def test_database_gone_raises_after_retries_and_nothing_is_acknowledged(own_db: str) -> None:
    store = open_store(own_db, attempts=3, backoff_s=0.05)
    first = traffic(n_vessels=2)
    store.write_batch(first)
    name = own_db.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
    second = traffic(n_vessels=5, seed=8)
    with pytest.raises(StoreUnavailable) as err:
        store.write_batch(second)
    assert "writing a batch" in str(err.value) and "\n" not in str(err.value)
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    assert count(own_db) == len(first.positions)  # the failed batch is not half-stored
    res = store.write_batch(second)  # the caller retries the same batch once the server is back
    assert count(own_db) == len(first.positions) + res.positions_inserted
    store.close()
