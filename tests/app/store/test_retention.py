from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from ais_ingest.records import Batch
from app.store import Store, open_store
from app.store.errors import SchemaOutOfDate
from app.store.partitions import list_partitions, unindexed

from .conftest import create_database, drop_database
from .data import T0, traffic

DAY = 86_400_000


def test_retention_removes_old_days_and_keeps_recent_ones(store: Store) -> None:
    cols = traffic(n_vessels=2, n_fixes=3).positions
    parts = []
    for d in range(5):  # one small batch on each of five days
        shifted = cols.take(np.arange(len(cols)))
        shifted.time_ms = shifted.time_ms + d * DAY
        parts.append(shifted)
    for p in parts:
        store.write_batch(Batch(p))
    now = T0 + 5 * DAY
    summary = store.maintain(now, retention_days=2)
    t = store.tables["positions"]
    left = store.read(lambda c: c.execute(select(func.min(t.c.time), func.count())).one())
    assert left[0] >= now - 3 * DAY and left[1] == 2 * len(cols)  # days 3 and 4 remain
    if store.postgis:
        assert summary["partitions_dropped"] == ["2026-06-01", "2026-06-02", "2026-06-03"]
        days = store.read(list_partitions)
        assert [d.isoformat() for d in days][:2] == ["2026-06-04", "2026-06-05"]
        assert "2026-06-09" in [d.isoformat() for d in days]  # created ahead
    else:
        assert summary["positions_deleted"] == 3 * len(cols)


@pytest.mark.postgis
def test_postgis_behind_the_code_is_refused_until_db_upgrade() -> None:
    url = create_database("mare_old")
    try:
        with pytest.raises(SchemaOutOfDate, match="mare db upgrade"):
            open_store(url, attempts=1)
        store = open_store(url, upgrade=True)
        with store.engine.connect() as c:
            assert c.execute(sa.text("SELECT count(*) FROM positions")).scalar() == 0
        store.close()
    finally:
        drop_database(url)


def test_maintenance_builds_the_gist_of_closed_days_only(store: Store) -> None:
    cols = traffic(n_vessels=2, n_fixes=3).positions
    for d in range(3):
        shifted = cols.take(np.arange(len(cols)))
        shifted.time_ms = shifted.time_ms + d * DAY
        store.write_batch(Batch(shifted))
    now = T0 + 2 * DAY + 3_600_000  # during the third day
    summary = store.maintain(now, retention_days=30)
    if store.postgis:
        assert summary["partitions_indexed"] == ["2026-06-01", "2026-06-02"]
        left = [d.isoformat() for d in store.read(unindexed)]
        assert left[0] == "2026-06-03" and "2026-06-02" not in left
    else:
        assert summary["partitions_indexed"] == []
    assert store.maintain(now, retention_days=30)["partitions_indexed"] == []
    late = cols.take(np.arange(len(cols)))  # late rows for a closed day go in beside its GiST
    late.lat = late.lat + 0.5
    assert store.write_batch(Batch(late)).positions_inserted == len(cols)
    assert store.write_batch(Batch(late)).positions_inserted == 0
