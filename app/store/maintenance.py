"""`maintain_exclusive`: `Store.maintain` by one process at a time on a shared PostGIS.

Several service processes (and ``mare db maintain``) may run maintenance on one database. Two
at once would race in `partitions.index_closed`: one finds a day's GiST invalid because the
other is still building it, drops it when that build is done and builds it again. So the run
holds a session advisory lock on a connection of its own (``CREATE INDEX CONCURRENTLY`` cannot
run inside a transaction, so a transaction lock would not do); a process that finds it taken
skips its run, the holder is doing the same work. SQLite is one process's file and its
deletes are transactions: no lock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from app.store import contact_posts
from app.store.store import Store

#: The session advisory lock key of maintenance ("MAINT"); distinct from the writer's key.
MAINTENANCE_KEY = 0x4D41494E54


def _maintain(store: Store, now_ms: int, retention_days: int) -> dict[str, Any]:
    done = store.maintain(now_ms, retention_days)
    done["contact_posts_expired"] = contact_posts.expire(store, now_ms)
    return done


def maintain_exclusive(store: Store, now_ms: int, retention_days: int) -> dict[str, Any] | None:
    """Run `Store.maintain` and expire old contact POSTs, unless another process is at it.

    None when skipped.
    """
    if not store.postgis:
        return _maintain(store, now_ms, retention_days)
    conn = store.retry(store.engine.connect, "connecting for maintenance")
    try:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": MAINTENANCE_KEY})
        if not got.scalar():
            return None
        conn.commit()  # the lock is the session's: no transaction stays open while we work
        try:
            return _maintain(store, now_ms, retention_days)
        finally:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MAINTENANCE_KEY})
                conn.commit()
            except Exception:
                conn.invalidate()  # closing the session is what releases the lock then
                raise
    finally:
        conn.close()
