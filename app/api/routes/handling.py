"""Who handles what: the people an alert can go to, and what was done about a vessel.

For those who assign and audit (admins and officers), never for liaisons: the names of the
service's users and the trail of their actions are not theirs to read. Both answer only about
what the caller may see (`Scope`), so the rule stays the request's.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from app.api.deps import CurrentUser, RepoDep, ServicesDep, allow
from app.api.errors import not_found
from app.api.routes.common import IdPath, MmsiPath
from app.auth.scope import Scope
from app.identity import EDITORS

router = APIRouter(prefix="/api/v1", tags=["alerts"], dependencies=[allow(*EDITORS)])


@router.get("/alerts/{alert_id:int}/assignees")
def assignees(
    alert_id: IdPath, user: CurrentUser, repo: RepoDep, services: ServicesDep
) -> list[str]:
    """Return the names of the users an alert can be assigned to: those who may see it."""
    alert = repo.get_alert(alert_id)
    if alert is None or not Scope.of(user).sees_alert(alert):
        raise not_found(f"alert {alert_id}")
    return services.auth.who_sees(alert)


@router.get("/vessels/{mmsi:int}/audit", tags=["vessels"])
async def vessel_audit(mmsi: MmsiPath, user: CurrentUser, repo: RepoDep) -> list[dict[str, Any]]:
    """Return who did what about a vessel : itself, its alerts, its watchlist entries."""
    await run_in_threadpool(Scope.of(user).check_vessel, repo, mmsi)
    return await run_in_threadpool(repo.audit_of_vessel, mmsi)
