"""Retention: positions older than ``MARE_RETENTION_DAYS`` go, whole days at a time on PostGIS.

PostGIS drops a day's partition once the whole day is past the cutoff (no vacuum debt, instant);
SQLite deletes rows older than the cutoff. So PostGIS may keep up to one extra day of rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete

from app.store import partitions

if TYPE_CHECKING:
    from app.store.store import Store

DAY_MS = 86_400_000


def apply_retention(store: Store, now_ms: int, days: int) -> dict[str, Any]:
    """Remove positions older than ``days`` before ``now_ms``; say what went."""
    cutoff = now_ms - days * DAY_MS
    if store.postgis:
        dropped = store.retry(
            lambda: partitions.drop_before(store.engine, cutoff), "dropping partitions"
        )
        store._partitions -= set(dropped)
        return {"partitions_dropped": [d.isoformat() for d in dropped]}
    pos = store.tables["positions"]
    n = store.write(lambda c: c.execute(delete(pos).where(pos.c.time < cutoff)).rowcount)
    return {"positions_deleted": int(n)}
