"""``/api/v1/contacts``: boats seen without AIS, in bulk (JSON, GeoJSON or CSV) and out by area.

A POST is all or nothing: one bad row refuses the request with a 422 that names every bad row
and field (``detail.problems``), and nothing is stored. Stored contacts go to the running engine
at once (on the bus: to the engine workers, `app.bus.contacts`), which fuses them with the AIS
picture on event time (`geo.detectors.contacts`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from app.api.deps import CurrentUser, RepoDep, allow
from app.api.errors import ApiError
from app.api.routes.common import parse_bbox, parse_time
from app.api.services import services_of
from app.auth.scope import Scope, zone_ids_at
from app.identity import ALL_ROLES, EDITORS
from app.store.contacts import add_contacts, list_contacts
from app.wallclock import now_ms
from geo.contact_files import ContactFileError, parse_csv, parse_geojson, parse_rows, to_geojson
from geo.contacts import Contact

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])

#: Largest POST, in contacts: a day of a busy desk's sightings and a few SAR scenes.
MAX_CONTACTS = 10_000
_CONTACT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["time", "lat", "lon", "kind"],
    "properties": {
        "time": {"type": "string", "format": "date-time"},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "radius_m": {"type": ["number", "null"]},
        "kind": {
            "type": "string",
            "enum": ["aircraft", "vessel", "radar", "sar", "optical", "hotline", "other"],
        },
        "source": {"type": ["string", "null"]},
        "course": {"type": ["number", "null"]},
        "speed_kn": {"type": ["number", "null"]},
        "length_m": {"type": ["number", "null"]},
        "people": {"type": ["integer", "null"]},
        "confidence": {"type": ["number", "null"]},
        "note": {"type": ["string", "null"]},
    },
}


def _refused(exc: ContactFileError) -> ApiError:
    return ApiError(
        422,
        "invalid_contacts",
        str(exc),
        {"problems": exc.detail(), "bad_rows": exc.total},
    )


def parse_body(raw: bytes, content_type: str) -> list[Contact]:
    """Parse a POST body: CSV (``text/csv``), else JSON (object(s) or GeoJSON); all or nothing."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(422, "invalid_contacts", "the body is not UTF-8 text") from None
    try:
        if "csv" in content_type:
            return parse_csv(text, "contacts")
        try:
            obj = json.loads(text)
        except ValueError as exc:
            raise ApiError(422, "invalid_contacts", f"the body is not JSON: {exc}") from None
        if isinstance(obj, list):
            return parse_rows(obj, "contacts")
        if isinstance(obj, dict) and obj.get("type") in ("Feature", "FeatureCollection"):
            return parse_geojson(obj, "contacts")
        if isinstance(obj, dict):
            return parse_rows([obj], "contacts")
        raise ApiError(422, "invalid_contacts", "the body is not a contact, a list or GeoJSON")
    except ContactFileError as exc:
        raise _refused(exc) from None


@router.post(
    "",
    status_code=201,
    dependencies=[allow(*EDITORS)],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            _CONTACT_SCHEMA,
                            {"type": "array", "items": _CONTACT_SCHEMA},
                            {"type": "object", "description": "GeoJSON FeatureCollection"},
                        ]
                    }
                },
                "application/geo+json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
async def post_contacts(user: CurrentUser, repo: RepoDep, request: Request) -> dict[str, Any]:
    """Add contacts (one, a list, GeoJSON Points or the CSV), all or nothing; audited."""
    raw = await request.body()
    contacts = parse_body(raw, request.headers.get("content-type", "").lower())
    if not contacts:
        raise ApiError(422, "invalid_contacts", "no contacts in the body")
    if len(contacts) > MAX_CONTACTS:
        raise ApiError(
            413, "too_large", f"{len(contacts)} contacts; at most {MAX_CONTACTS} a request"
        )
    via = request.query_params.get("via", "api")[:40]

    def store() -> list[Contact]:
        return add_contacts(repo.store, contacts, actor=user.username, via=via, now_ms=now_ms())

    stored = await run_in_threadpool(store)
    await services_of(request.app).fuse_contacts(stored)
    return {"imported": len(stored), "contacts": [c.to_dict() for c in stored]}


@router.get("", dependencies=[allow(*ALL_ROLES)])
def get_contacts(
    user: CurrentUser,
    repo: RepoDep,
    since: Annotated[str | None, Query(description="ISO 8601 or epoch seconds.")] = None,
    until: Annotated[str | None, Query(description="ISO 8601 or epoch seconds.")] = None,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    format: Annotated[str, Query(pattern="^(json|geojson)$")] = "json",
) -> Any:
    """Return stored contacts (the newest ``limit`` in the window, oldest first).

    A liaison gets those lying in its zones only. Each carries the AIS vessel the engine
    attached it to (``mmsi``) or its dark target number (``target``), once fused.
    """
    rows = list_contacts(
        repo.store,
        since_ms=parse_time(since, "since"),
        until_ms=parse_time(until, "until"),
        bbox=parse_bbox(bbox),
        limit=limit,
    )
    zones = repo.list_zones()
    out = []
    for r in rows:
        at = zone_ids_at(zones, r.contact.lon, r.contact.lat)
        if Scope.of(user).sees_any_zone(at):
            d = r.to_dict()
            d["zones"] = at
            out.append((r, d))
    if format == "geojson":
        fc = to_geojson([r.contact for r, _ in out])
        for feat, (_, d) in zip(fc["features"], out, strict=True):
            feat["properties"] = d
        return fc
    return [d for _, d in out]
