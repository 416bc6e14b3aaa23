"""``/api/v1/contacts``: boats seen without AIS, in bulk (JSON, GeoJSON or CSV) and out by area.

A POST is all or nothing: one bad row refuses the request with a 422 that names every bad row
and field (``detail.problems``), and nothing is stored. Stored contacts go to the running engine
at once (on the bus: to the engine workers in the background, `app.bus.contact_outbox`), which
fuses them with the AIS picture on event time (`geo.detectors.contacts`). A client that retries
sends the same ``Idempotency-Key`` and is answered the first POST's contacts
(`app.store.contact_posts`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.api.deps import CurrentUser, RepoDep, allow
from app.api.errors import ApiError
from app.api.routes.common import parse_bbox, parse_time
from app.api.services import services_of
from app.auth.scope import Scope, zone_ids_at
from app.identity import ALL_ROLES, EDITORS
from app.store.contact_posts import Posted, store_post
from app.store.contacts import list_contacts
from app.wallclock import now_ms
from geo.contact_files import ContactFileError, parse_csv, parse_geojson, parse_rows, to_geojson
from geo.contacts import Contact

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])

#: Longest ``Idempotency-Key`` (a UUID is 36 characters).
MAX_KEY = 200
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
    responses={
        202: {"description": "On an API node of the bus: stored, sent to the engines after"},
    },
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
async def post_contacts(user: CurrentUser, repo: RepoDep, request: Request) -> JSONResponse:
    """Add contacts (one, a list, GeoJSON Points or the CSV), all or nothing; audited.

    201 in one process (the engine has them); 202 on an API node of the bus (stored, sent to
    the engine workers in the background). A retry with the same ``Idempotency-Key`` answers
    the first request's contacts (header ``Idempotent-Replayed: true``), not stored again.
    """
    raw = await request.body()
    key = request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key) <= MAX_KEY:
        raise ApiError(422, "invalid_idempotency_key", f"an Idempotency-Key is 1 to {MAX_KEY} "
                       "characters")  # fmt: skip
    contacts = parse_body(raw, request.headers.get("content-type", "").lower())
    if not contacts:
        raise ApiError(422, "invalid_contacts", "no contacts in the body")
    if len(contacts) > MAX_CONTACTS:
        raise ApiError(
            413, "too_large", f"{len(contacts)} contacts; at most {MAX_CONTACTS} a request"
        )
    via = request.query_params.get("via", "api")[:40]
    services = services_of(request.app)
    on_bus = services.bus_feed is not None
    digest = hashlib.sha256(raw).hexdigest()

    def store() -> Posted:
        return store_post(repo.store, contacts, actor=user.username, via=via, now_ms=now_ms(),
                          digest=digest, key=key, sent=not on_bus)  # fmt: skip

    posted = await run_in_threadpool(store)
    headers = {}
    if posted.replayed:
        if posted.digest != digest:
            raise ApiError(422, "idempotency_key_reused",
                           "this Idempotency-Key came with another body before")  # fmt: skip
        headers["Idempotent-Replayed"] = "true"
    else:
        services.hand_contacts(posted.contacts, posted.id)
    body = {"imported": len(posted.contacts), "contacts": [c.to_dict() for c in posted.contacts]}
    return JSONResponse(body, status_code=202 if on_bus else 201, headers=headers)


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
