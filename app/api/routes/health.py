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

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.api.readiness import Readiness
from app.api.services import services_of
from app.pipeline import Pipeline

router = APIRouter(tags=["health"])


NOT_READY = {
    "type": "object",
    "required": ["status", "reasons"],
    "properties": {
        "status": {"type": "string", "enum": ["not ready"]},
        "reasons": {"type": "array", "items": {"type": "string"}},
    },
}


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Say the process is up (liveness; no auth: for load balancers and probes)."""
    return {"status": "ok"}


def store_behind(pipeline: Pipeline) -> list[str]:
    """Return why writes are not reaching the database, if they are kept in memory.

    The pipeline keeps writes in its backlog while the database refuses them or hangs (a
    locked table fills the store queue): the process still ingests and alerts, but what it
    holds is lost if it dies, and queries miss it, which an orchestrator should know.
    """
    counters = pipeline.counters
    if not counters.store_down:
        return []
    kept = counters.store_backlog
    reason = (
        f"database behind: {kept.get('store', 0)} records and {kept.get('alerts', 0)} events "
        "kept in memory until it takes them"
    )
    lost = counters.dropped_records.get("store", 0) + counters.dropped_records.get("alerts", 0)
    if lost:
        reason += f"; {lost} records dropped since start (mare_pipeline_dropped_records_total)"
    return [reason]


@router.get(
    "/readyz",
    responses={
        503: {
            "description": "Not ready: the reasons (database, stopped pipeline stages)",
            "content": {"application/json": {"schema": NOT_READY}},
        }
    },
)
async def readyz(request: Request) -> JSONResponse:
    """Say whether the database answers and the pipeline runs (readiness; no auth)."""
    services = services_of(request.app)
    if services.readiness is None:
        services.readiness = Readiness(services.store)
    reasons = services.pipeline.stopped_stages() + store_behind(services.pipeline)
    db = await services.readiness.database()
    if db is not None:
        reasons.insert(0, db)
    if reasons:
        return JSONResponse({"status": "not ready", "reasons": reasons}, status_code=503)
    return JSONResponse({"status": "ready"})
