"""``/ogc``: OGC API - Features Part 1 (core, GeoJSON) over vessels, zones and alerts.

Landing page, conformance, collections, items (``bbox``, ``datetime``, ``limit``, ``offset``,
with ``next``/``prev`` links and ``numberMatched``) and single items; the same bearer auth and
liaison scoping as ``/api/v1``. Parameters the standard does not define are ignored rather
than refused (GDAL adds its own, e.g. ``f``). Built to the standard's requirement classes
(OGC 17-069r4), and checked with GDAL's ``OAPIF`` driver, the client QGIS uses.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from app.api.deps import CurrentUser, allow
from app.api.errors import not_found
from app.api.ogc import collections as col
from app.api.ogc.params import (
    CRS84,
    GEOJSON,
    JSON,
    base_url,
    link,
    page_url,
    parse_bbox,
    parse_datetime,
)
from app.api.services import services_of
from app.identity import ALL_ROLES
from app.wallclock import now_iso

router = APIRouter(prefix="/ogc", tags=["ogc"], dependencies=[allow(*ALL_ROLES)])

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000


def _describe(request: Request, c: col.Collection) -> dict[str, Any]:
    base = base_url(request)
    out: dict[str, Any] = {
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {
            "spatial": {"bbox": [col.spatial_extent(services_of(request.app), c.id)], "crs": CRS84}
        },
        "links": [
            link(f"{base}/collections/{c.id}", "self", JSON, c.title),
            link(f"{base}/collections/{c.id}/items", "items", GEOJSON, f"{c.title} (GeoJSON)"),
        ],
    }
    if c.temporal:
        out["extent"]["temporal"] = {
            "interval": [[None, None]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return out


def _collection(cid: str) -> col.Collection:
    found = col.COLLECTIONS.get(cid)
    if found is None:
        raise not_found(f"collection {cid}")
    return found


@router.get("", summary="OGC API landing page")
def landing(request: Request, user: CurrentUser) -> dict[str, Any]:
    """Return the landing page: links to the API definition, conformance and collections."""
    base = base_url(request)
    root = str(request.base_url).rstrip("/")
    return {
        "title": "Mare",
        "description": "Live AIS vessels, zones and alerts of the central Mediterranean.",
        "links": [
            link(base, "self", JSON, "This document"),
            link(
                f"{root}/openapi.json",
                "service-desc",
                "application/vnd.oai.openapi+json;version=3.0",
                "The API definition",
            ),
            link(f"{base}/conformance", "conformance", JSON, "Conformance classes"),
            link(f"{base}/collections", "data", JSON, "Collections"),
        ],
    }


@router.get("/conformance")
def conformance(user: CurrentUser) -> dict[str, Any]:
    """Return the conformance classes implemented."""
    return {"conformsTo": CONFORMANCE}


@router.get("/collections")
def collections(request: Request, user: CurrentUser) -> dict[str, Any]:
    """Return the three collections with their extents and links."""
    base = base_url(request)
    return {
        "links": [link(f"{base}/collections", "self", JSON, "Collections")],
        "collections": [_describe(request, c) for c in col.COLLECTIONS.values()],
    }


@router.get("/collections/{collection_id}")
def collection(request: Request, user: CurrentUser, collection_id: str) -> dict[str, Any]:
    """Return one collection's description."""
    return _describe(request, _collection(collection_id))


@router.get(
    "/collections/{collection_id}/items",
    response_class=JSONResponse,
    responses={200: {"content": {GEOJSON: {}}, "description": "A page of features"}},
)
def items(
    request: Request,
    user: CurrentUser,
    collection_id: str,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat (CRS84)")] = None,
    datetime_: Annotated[
        str | None, Query(alias="datetime", description="RFC 3339 instant or interval (a/b, ..)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JSONResponse:
    """Return a page of features as a GeoJSON FeatureCollection with paging links."""
    c = _collection(collection_id)
    feats = col.ITEMS[c.id](
        services_of(request.app), user, parse_bbox(bbox), parse_datetime(datetime_)
    )
    page = feats[offset : offset + limit]
    links = [link(str(request.url), "self", GEOJSON, "This page")]
    if offset + limit < len(feats):
        links.append(link(page_url(request, offset + limit, limit), "next", GEOJSON, "Next page"))
    if offset > 0:
        prev = max(0, offset - limit)
        links.append(link(page_url(request, prev, limit), "prev", GEOJSON, "Previous page"))
    body = {
        "type": "FeatureCollection",
        "features": page,
        "links": links,
        "timeStamp": now_iso(),
        "numberMatched": len(feats),
        "numberReturned": len(page),
    }
    return JSONResponse(body, media_type=GEOJSON)


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    response_class=JSONResponse,
    responses={200: {"content": {GEOJSON: {}}, "description": "One feature"}},
)
def item(request: Request, user: CurrentUser, collection_id: str, feature_id: str) -> JSONResponse:
    """Return one feature (404 if absent or outside a liaison's scope)."""
    c = _collection(collection_id)
    feat = col.ITEM[c.id](services_of(request.app), user, feature_id)
    if feat is None:
        raise not_found(f"{c.id} feature {feature_id}")
    base = base_url(request)
    feat["links"] = [
        link(str(request.url), "self", GEOJSON, "This feature"),
        link(f"{base}/collections/{c.id}", "collection", JSON, c.title),
    ]
    return JSONResponse(feat, media_type=GEOJSON)
