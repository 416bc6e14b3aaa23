"""``/api/v1/targets``: dark targets (boats without AIS), their reachable area and intercepts.

The engine's fusion state, read on the event loop where the engine runs. A liaison sees the
targets of its zones only (the zone a target was first seen in, as its alerts carry).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from app.api.deps import CurrentUser, EngineDep, LiveDep, RepoDep, allow
from app.api.errors import not_found
from app.api.routes.common import parse_time
from app.auth.scope import alert_visible
from app.identity import ALL_ROLES
from app.live.targets import list_targets, target_area, target_intercepts, target_view
from geo.detectors.contacts import TARGET_BASE
from geo.engine import Engine

router = APIRouter(prefix="/api/v1/targets", tags=["targets"], dependencies=[allow(*ALL_ROLES)])

TargetPath = Annotated[int, Path(ge=TARGET_BASE, le=2**31 - 1)]


def _now_ms(request: Request, engine: Engine) -> int:
    now: int | None = request.app.state.pipeline.clock.now_ms()
    return now if now is not None else engine.now_ms()


def _target(engine: Engine, user: Any, number: int, now_ms: int) -> dict[str, Any]:
    tr = engine.contacts.tracks.get(number)
    if tr is None or not alert_visible(user, {"zone": tr.zone}):
        raise not_found(f"dark target {number}")
    return target_view(tr, now_ms)


@router.get("")
async def get_targets(
    user: CurrentUser,
    engine: EngineDep,
    request: Request,
    closed: Annotated[bool, Query(description="Include closed targets still kept.")] = False,
) -> list[dict[str, Any]]:
    """Return the dark targets, open ones unless ``closed``, each with its age and sources."""
    now = _now_ms(request, engine)
    return [
        t
        for t in list_targets(engine.contacts, now, closed=closed)
        if alert_visible(user, {"zone": t["zone"]})
    ]


@router.get("/{number:int}")
async def get_target(
    number: TargetPath, user: CurrentUser, engine: EngineDep, request: Request
) -> dict[str, Any]:
    """Return one dark target (404 when unknown or outside the caller's zones)."""
    return _target(engine, user, number, _now_ms(request, engine))


@router.get("/{number:int}/reach")
async def get_target_reach(
    number: TargetPath,
    user: CurrentUser,
    engine: EngineDep,
    request: Request,
    at: str | None = None,
) -> dict[str, Any]:
    """Return where the boat could be now: from its last contact at the speed of its kind."""
    now = parse_time(at, "at") or _now_ms(request, engine)
    t = _target(engine, user, number, now)
    land = request.app.state.land
    area = await run_in_threadpool(target_area, t, now, land)
    fc = area.to_geojson()
    fc["target"] = t
    return fc


@router.get("/{number:int}/intercepts")
async def get_target_intercepts(
    number: TargetPath,
    user: CurrentUser,
    engine: EngineDep,
    repo: RepoDep,
    live: LiveDep,
    request: Request,
) -> dict[str, Any]:
    """Return which own asset reaches the boat's reachable area first, and when."""
    now = _now_ms(request, engine)
    t = _target(engine, user, number, now)
    assets = await run_in_threadpool(repo.list_assets)
    land = request.app.state.land
    return await run_in_threadpool(target_intercepts, t, assets, live, land, now)
