"""``/api/v1/stats`` and ``/api/v1/basemap``: the small read-only answers (probes: `health`)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response

from app.api.deps import CurrentUser, LiveDep, RepoDep, allow
from app.api.services import services_of
from app.auth.scope import Scope
from app.identity import ALL_ROLES
from geo.events import format_time

router = APIRouter(tags=["stats"])

#: A vessel not heard for this long is not "live" (a class B at anchor reports every 3 min).
LIVE_WINDOW_MS = 10 * 60_000


@router.get("/api/v1/stats", dependencies=[allow(*ALL_ROLES)])
def stats(user: CurrentUser, repo: RepoDep, live: LiveDep, request: Request) -> dict[str, Any]:
    """Return vessels live and dark, message rate, alerts by kind and open alerts."""
    pipeline = services_of(request.app).pipeline
    now = pipeline.clock.now_ms()
    scope = Scope.of(user).mmsis(repo)
    vessels = [v for v in live.all() if scope is None or v["mmsi"] in scope]
    live_n = sum(
        1
        for v in vessels
        if v["last_seen_ms"] is not None
        and (now is None or now - v["last_seen_ms"] <= LIVE_WINDOW_MS)
    )
    mine = Scope.of(user)
    by_kind, open_n = repo.alert_counts(mine.zones, mine.narrow)
    return {
        "vessels_live": live_n,
        "vessels_dark": sum(1 for v in vessels if v["dark"]),
        "vessels_known": len(vessels),
        "messages_per_s": round(pipeline.counters.messages_per_s(), 2),
        "alerts_by_kind": by_kind,
        "alerts_open": open_n,
        # The engine's clock (event time): ages on the map count from it, not from the
        # browser's clock, which is wrong by days when the service replays an old capture.
        "event_time": None if now is None else format_time(now),
    }


@lru_cache(maxsize=4)
def _basemap_bytes(path: str) -> bytes:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return json.dumps(data, separators=(",", ":")).encode()


@router.get(
    "/api/v1/basemap",
    dependencies=[allow(*ALL_ROLES)],
    responses={200: {"content": {"application/geo+json": {}}, "description": "Land"}},
)
def basemap(request: Request) -> Response:
    """Return land polygons (GSHHG) for the map: the basemap needs no tile server."""
    body = _basemap_bytes(str(services_of(request.app).settings.basemap_file))
    return Response(
        body,
        media_type="application/geo+json",
        headers={"Cache-Control": "private, max-age=86400"},
    )
