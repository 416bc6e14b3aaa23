"""``/api/v1/zones``: geofences as GeoJSON, validated by the zone-file contract, live in a second.

Every change is written to the store first and then handed to the running engine
(`Pipeline.set_zones`, applied on the event loop before the next batch), so the engine never
runs a zone the database does not have. Analysts may create and edit zones of kind ``custom``
only; officers and admins any kind; liaisons none (and see only their own zones).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, Response

from app.api.deps import CurrentUser, RepoDep, allow
from app.api.errors import ApiError, bad_request, not_found
from app.api.routes.common import parse_bbox
from app.api.services import services_of
from app.auth.errors import Forbidden
from app.auth.scope import Scope
from app.identity import ALL_ROLES, READERS, Role, User
from app.store.repo import Repo
from geo.bbox import meets
from geo.zones import Zone, ZoneKind, parse_zones, zone_to_feature, zones_to_geojson

router = APIRouter(prefix="/api/v1/zones", tags=["zones"])

FEATURE_EXAMPLE = {
    "type": "Feature",
    "properties": {"id": "box", "name": "Box", "kind": "custom"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[12, 35], [13, 35], [13, 36], [12, 36], [12, 35]]],
    },
}


def _parse_one(feature: Any, path_id: str | None = None) -> Zone:
    if not isinstance(feature, dict):
        raise bad_request("the body must be a GeoJSON Feature")
    if path_id is not None:
        props = feature.get("properties")
        if isinstance(props, dict):
            given = props.get("id")
            if given is not None and given != path_id:
                raise bad_request(f"properties.id {given!r} differs from the path's {path_id!r}")
            feature = {**feature, "properties": {**props, "id": path_id}}
    (zone,) = parse_zones({"type": "FeatureCollection", "features": [feature]})
    return zone


def _may_edit(user: User, kind: ZoneKind) -> None:
    if user.role is Role.ANALYST and kind is not ZoneKind.CUSTOM:
        raise Forbidden("an analyst may only create and edit zones of kind custom")


def reload_engine(request: Request, repo: Repo) -> None:
    """Hand the stored zone set to the running engine."""
    pipeline = services_of(request.app).pipeline
    if pipeline is not None:
        pipeline.set_zones(repo.list_zones())


@router.get("", dependencies=[allow(*ALL_ROLES)])
def list_zones(
    user: CurrentUser, repo: RepoDep, kind: ZoneKind | None = None, bbox: str | None = None
) -> dict[str, Any]:
    """Return zones as a FeatureCollection (a liaison: only its zones)."""
    box = parse_bbox(bbox)
    scope = Scope.of(user)
    zones = [
        z
        for z in repo.list_zones()
        if scope.sees_zone(z.id)
        and (kind is None or z.kind is kind)
        and (box is None or meets(z.bounds, box))
    ]
    return zones_to_geojson(zones)


@router.get("/{zone_id}", dependencies=[allow(*ALL_ROLES)])
def get_zone(zone_id: str, user: CurrentUser, repo: RepoDep) -> dict[str, Any]:
    """Return one zone as a Feature."""
    Scope.of(user).check_zone(zone_id)
    zone = repo.get_zone(zone_id)
    if zone is None:
        raise not_found(f"zone {zone_id}")
    return zone_to_feature(zone)


@router.post("", status_code=201, dependencies=[allow(*READERS)])
def create_zone(
    user: CurrentUser,
    repo: RepoDep,
    request: Request,
    feature: dict[str, Any] = Body(examples=[FEATURE_EXAMPLE]),  # noqa: B008
) -> dict[str, Any]:
    """Create a zone; an invalid one is refused with ``422 invalid_zone`` and the reason."""
    zone = _parse_one(feature)
    _may_edit(user, zone.kind)
    if repo.get_zone(zone.id) is not None:
        raise ApiError(409, "conflict", f"zone {zone.id} already exists")
    repo.put_zone(zone)
    repo.audit(user.username, "zone.create", target=f"zone:{zone.id}")
    reload_engine(request, repo)
    return zone_to_feature(zone)


@router.put("/{zone_id}", dependencies=[allow(*READERS)])
def replace_zone(
    zone_id: str,
    user: CurrentUser,
    repo: RepoDep,
    request: Request,
    feature: dict[str, Any] = Body(examples=[FEATURE_EXAMPLE]),  # noqa: B008
) -> dict[str, Any]:
    """Replace a zone (its id is the path's)."""
    old = repo.get_zone(zone_id)
    if old is None:
        raise not_found(f"zone {zone_id}")
    zone = _parse_one(feature, zone_id)
    _may_edit(user, old.kind)
    _may_edit(user, zone.kind)
    repo.put_zone(zone)
    repo.audit(user.username, "zone.update", target=f"zone:{zone.id}")
    reload_engine(request, repo)
    return zone_to_feature(zone)


@router.delete("/{zone_id}", status_code=204, dependencies=[allow(*READERS)])
def delete_zone(zone_id: str, user: CurrentUser, repo: RepoDep, request: Request) -> Response:
    """Delete a zone; vessels inside leave it silently."""
    old = repo.get_zone(zone_id)
    if old is None:
        raise not_found(f"zone {zone_id}")
    _may_edit(user, old.kind)
    repo.delete_zone(zone_id)
    repo.audit(user.username, "zone.delete", target=f"zone:{zone_id}")
    reload_engine(request, repo)
    return Response(status_code=204)


@router.post("/import", dependencies=[allow(Role.ADMIN, Role.OFFICER)])
def import_zones(
    user: CurrentUser,
    repo: RepoDep,
    request: Request,
    collection: dict[str, Any] = Body(),  # noqa: B008
) -> dict[str, int]:
    """Add or replace every zone of a FeatureCollection, all or nothing."""
    zones = parse_zones(collection)
    repo.put_zones(zones)
    repo.audit(user.username, "zone.import", target="zones", detail={"ids": [z.id for z in zones]})
    reload_engine(request, repo)
    return {"imported": len(zones)}
