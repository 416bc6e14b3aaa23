"""``/api/v1/targets``: dark targets (boats without AIS), their reachable area and intercepts.

The engine's fusion state, read on the event loop where the engine runs. A liaison sees the
targets of its zones only (the zone a target was first seen in, as its alerts carry).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from app.api.deps import CurrentUser, ServicesDep, allow
from app.api.errors import not_found
from app.api.routes.common import parse_time
from app.api.services import Services
from app.auth.scope import Scope
from app.identity import ALL_ROLES
from app.live.targets import list_targets, target_area, target_intercepts, target_view
from geo.detectors.dark_tracks import TARGET_BASE
from geo.engine import Engine

router = APIRouter(prefix="/api/v1/targets", tags=["targets"], dependencies=[allow(*ALL_ROLES)])

TargetPath = Annotated[int, Path(ge=TARGET_BASE, le=2**31 - 1)]


def _now_ms(services: Services) -> int:
    now: int | None = services.pipeline.clock.now_ms()
    return now if now is not None else services.engine.now_ms()


def _target(engine: Engine, user: Any, number: int, now_ms: int) -> dict[str, Any]:
    """Return a target the user may see (its alerts' zone, as the scope rule has it), or 404."""
    tr = engine.contacts.tracks.get(number)
    if tr is None or not Scope.of(user).sees_zone(tr.zone):
        raise not_found(f"dark target {number}")
    return target_view(engine.contacts, tr, now_ms)


@router.get("")
async def get_targets(
    user: CurrentUser,
    services: ServicesDep,
    closed: Annotated[bool, Query(description="Include closed targets still kept.")] = False,
) -> list[dict[str, Any]]:
    """Return the dark targets, open ones unless ``closed``, each with its age and sources."""
    scope = Scope.of(user)
    now = _now_ms(services)
    return [
        t
        for t in list_targets(services.engine.contacts, now, closed=closed)
        if scope.sees_zone(t["zone"])
    ]


@router.get("/{number:int}")
async def get_target(
    number: TargetPath, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    """Return one dark target (404 when unknown or outside the caller's zones)."""
    return _target(services.engine, user, number, _now_ms(services))


@router.get("/{number:int}/reach")
async def get_target_reach(
    number: TargetPath,
    user: CurrentUser,
    services: ServicesDep,
    at: str | None = None,
) -> dict[str, Any]:
    """Return where the boat could be now: from its last contact at the speed of its kind."""
    now = parse_time(at, "at") or _now_ms(services)
    t = _target(services.engine, user, number, now)
    area = await run_in_threadpool(target_area, t, now, services.land)
    fc = area.to_geojson()
    fc["target"] = t
    return fc


@router.get("/{number:int}/intercepts")
async def get_target_intercepts(
    number: TargetPath,
    user: CurrentUser,
    services: ServicesDep,
) -> dict[str, Any]:
    """Return which own asset reaches the boat's reachable area first, and when."""
    now = _now_ms(services)
    t = _target(services.engine, user, number, now)
    assets = await run_in_threadpool(services.repo.list_assets)
    return await run_in_threadpool(target_intercepts, t, assets, services.live, services.land, now)
