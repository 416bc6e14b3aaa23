"""``/api/v1/replay`` and ``/api/v1/geofence/retro``: history for analysts.

Replay is columnar and TripsLayer-ready: per vessel a path and timestamps in seconds since
``start`` (deck.gl animates on ``currentTime`` in the same unit). A window is capped at 24 h:
a day of the central Med is already a few million points.
"""

from __future__ import annotations

from typing import Any

import shapely
from fastapi import APIRouter
from pydantic import BaseModel, Field
from shapely.geometry import shape

from app.api.deps import LiveDep, RepoDep, allow
from app.api.errors import bad_request
from app.api.routes.common import parse_bbox, parse_time
from app.identity import READERS
from app.live.picture import LivePicture
from app.store.repo import AlertFilter, Repo
from geo.bbox import contains
from geo.events import format_time

router = APIRouter(prefix="/api/v1", tags=["replay"], dependencies=[allow(*READERS)])

MAX_WINDOW_MS = 24 * 3_600_000
MAX_ALERTS = 5_000


def window(start: str | None, end: str | None, *, cap_ms: int | None) -> tuple[int, int]:
    """Return ``(start_ms, end_ms)``, both required, ordered, at most ``cap_ms`` apart."""
    s, e = parse_time(start, "start"), parse_time(end, "end")
    if s is None or e is None:
        raise bad_request("start and end are required")
    if s > e:
        raise bad_request("start is after end")
    if cap_ms is not None and e - s > cap_ms:
        raise bad_request(f"the window is longer than {cap_ms // 3_600_000} h")
    return s, e


@router.get("/replay")
def replay(
    repo: RepoDep, live: LiveDep, start: str, end: str, bbox: str | None = None
) -> dict[str, Any]:
    """Return positions in a window and box as paths with timestamps, plus the alerts in it."""
    s, e = window(start, end, cap_ms=MAX_WINDOW_MS)
    box = parse_bbox(bbox)
    tracks = repo.replay(s, e, box)
    vessels = []
    for t in tracks:
        v = live.get(t["mmsi"]) or {}
        vessels.append(
            {
                "mmsi": t["mmsi"],
                "name": v.get("name"),
                "ship_type": v.get("ship_type"),
                "risk": v.get("risk", 0),
                "path": [
                    [round(lo, 5), round(la, 5)] for lo, la in zip(t["lon"], t["lat"], strict=True)
                ],
                "timestamps": [round((ms - s) / 1000.0, 3) for ms in t["time_ms"]],
            }
        )
    alerts = repo.list_alerts(AlertFilter(start_ms=s, end_ms=e), limit=MAX_ALERTS)
    if box is not None:
        alerts = [a for a in alerts if a["lat"] is None or contains(box, a["lon"], a["lat"])]
    return {"start": format_time(s), "end": format_time(e), "vessels": vessels, "alerts": alerts}


class RetroIn(BaseModel):
    """A polygon drawn today and the past window to search."""

    polygon: dict[str, Any]
    start: str
    end: str
    limit: int = Field(default=10_000, ge=1, le=100_000)


def retro_search(
    body: RetroIn, repo: Repo, live: LivePicture
) -> tuple[int, int, list[dict[str, Any]]]:
    """Return the window and the vessels inside the polygon in it (shared with the export)."""
    s, e = window(body.start, body.end, cap_ms=None)
    if body.polygon.get("type") not in ("Polygon", "MultiPolygon"):
        raise bad_request("polygon must be a GeoJSON Polygon or MultiPolygon")
    try:
        geom = shape(body.polygon)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise bad_request(f"polygon is not valid GeoJSON: {exc}") from None
    if geom.is_empty or not geom.is_valid:
        reason = shapely.is_valid_reason(geom) if not geom.is_empty else "empty"
        raise bad_request(f"polygon is not valid: {reason}")
    rows = repo.retro(geom, s, e)[: body.limit]
    out = []
    for r in rows:
        v = live.get(r["mmsi"]) or {}
        out.append(
            {
                "mmsi": r["mmsi"],
                "name": v.get("name"),
                "first_inside": format_time(r["first_ms"]),
                "last_inside": format_time(r["last_ms"]),
                "positions": r["positions"],
            }
        )
    return s, e, out


@router.post("/geofence/retro")
def retro_geofence(body: RetroIn, repo: RepoDep, live: LiveDep) -> list[dict[str, Any]]:
    """Return the vessels inside the polygon between start and end, first and last time inside."""
    return retro_search(body, repo, live)[2]
