"""``/api/v1/assets``: own patrol vessels and aircraft, the candidates for an intercept.

An asset with an MMSI takes its position from the live feed (it carries AIS like everyone);
one without (an aircraft, a warship running silent) from its last PUT.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from app.api.deps import CurrentUser, LiveDep, RepoDep, allow
from app.api.errors import not_found
from app.api.routes.common import IdPath
from app.identity import EDITORS, READERS
from app.live.assets import AssetIn
from app.live.intercepts import asset_position

router = APIRouter(prefix="/api/v1/assets", tags=["assets"])


def _with_position(row: dict[str, Any], live: Any) -> dict[str, Any]:
    """Return the asset where it is now; ``on_ais``: its AIS moves it, not a PUT."""
    heard = live.get(int(row["mmsi"])) if row.get("mmsi") else None
    out = {**row, "on_ais": heard is not None and heard["lat"] is not None}
    pos = asset_position(row, live)
    if pos is not None:
        out["lat"], out["lon"] = pos
    return out


@router.get("", dependencies=[allow(*READERS)])
def list_assets(repo: RepoDep, live: LiveDep) -> list[dict[str, Any]]:
    """Return every asset, with its live position when it has an MMSI."""
    return [_with_position(a, live) for a in repo.list_assets()]


@router.post("", status_code=201, dependencies=[allow(*EDITORS)])
def add_asset(body: AssetIn, user: CurrentUser, repo: RepoDep, live: LiveDep) -> dict[str, Any]:
    """Add an asset."""
    row = repo.add_asset(body.model_dump())
    repo.audit(user.username, "asset.add", target=f"asset:{row['id']}")
    return _with_position(row, live)


@router.put("/{asset_id:int}", dependencies=[allow(*EDITORS)])
def update_asset(
    asset_id: IdPath, body: AssetIn, user: CurrentUser, repo: RepoDep, live: LiveDep
) -> dict[str, Any]:
    """Replace an asset (its position, say)."""
    row = repo.update_asset(asset_id, body.model_dump())
    if row is None:
        raise not_found(f"asset {asset_id}")
    repo.audit(user.username, "asset.update", target=f"asset:{asset_id}")
    return _with_position(row, live)


@router.delete("/{asset_id:int}", status_code=204, dependencies=[allow(*EDITORS)])
def delete_asset(asset_id: IdPath, user: CurrentUser, repo: RepoDep) -> Response:
    """Delete an asset."""
    if not repo.delete_asset(asset_id):
        raise not_found(f"asset {asset_id}")
    repo.audit(user.username, "asset.delete", target=f"asset:{asset_id}")
    return Response(status_code=204)
