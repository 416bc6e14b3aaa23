"""``/healthz`` (liveness) and ``/readyz`` (readiness): the probes, without auth.

Liveness says the process serves HTTP, nothing more: an orchestrator restarts a process whose
liveness fails, and restarting would not bring back a database that is down. Readiness says
whether this process can do its job now: the database answers a ping within `PING_TIMEOUT_S`
and every pipeline stage is still running. It fails (503, with the reasons) while the
database is unreachable and recovers by itself when it is back; a pipeline stage that ended
does not come back (ingest logs "ingest stopped" and stays down), so a readiness failure that
lasts while the database answers means the process needs a restart.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.store.engine import one_line
from app.store.store import Store

router = APIRouter(tags=["health"])

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


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Say the process is up (liveness; no auth: for load balancers and probes)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={503: {"description": 'Not ready: `{"status": "not ready", "reasons": [...]}`'}},
)
async def readyz(request: Request) -> JSONResponse:
    """Say whether the database answers and the pipeline runs (readiness; no auth)."""
    state = request.app.state
    probe: Readiness | None = getattr(state, "readiness", None)
    if probe is None:
        probe = state.readiness = Readiness(state.store)
    reasons = state.pipeline.stopped_stages()
    db = await probe.database()
    if db is not None:
        reasons.insert(0, db)
    if reasons:
        return JSONResponse({"status": "not ready", "reasons": reasons}, status_code=503)
    return JSONResponse({"status": "ready"})
