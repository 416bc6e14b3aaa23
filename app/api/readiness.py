"""Readiness: does the database answer (one ping in flight at most, whatever the probes)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import text

from app.store.engine import one_line
from app.store.store import Store

#: Longest a readiness probe waits for the database (probes time out at 1 s by default in
#: Kubernetes; set its ``timeoutSeconds`` above this).
PING_TIMEOUT_S = 2.0


class Readiness:
    """Answers the readiness checks; one database ping in flight at most, whatever the probes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._ping: asyncio.Task[None] | None = None

    def _ping_now(self) -> None:
        if self.store.postgis:
            with self.store.engine.connect() as conn:  # pre-ping: a dead pooled one is replaced
                conn.execute(text("SELECT 1"))
            return
        # SQLite: the pool's open files keep working on a file that was moved or lost; a new
        # connection would not, so open one (never creating the file) and read the schema row
        path = Path(self.store.engine.url.database or "").resolve()
        lite = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=PING_TIMEOUT_S)
        try:
            lite.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            lite.close()

    async def database(self) -> str | None:
        """Return why the database is not ready, or None when it answered the ping."""
        if self._ping is None or self._ping.done():
            self._ping = asyncio.create_task(asyncio.to_thread(self._ping_now))
            self._ping.add_done_callback(lambda t: t.cancelled() or t.exception())
        try:
            async with asyncio.timeout(PING_TIMEOUT_S):
                await asyncio.shield(self._ping)
        except TimeoutError:
            return f"database did not answer within {PING_TIMEOUT_S:g} s"
        except Exception as exc:  # noqa: BLE001 - any failure of the ping is the reason
            return f"database unreachable: {one_line(exc)}"
        return None
