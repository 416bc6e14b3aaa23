"""The HTTP routes, one module per resource; `ROUTERS` is what `create_app` includes.

Other modules (push, OGC, metrics) append their routers to `ROUTERS`; order matters only where
paths overlap, and typed path converters (``{id:int}``) keep those apart.
"""

from fastapi import APIRouter

from app import metrics
from app.ogc import routes as ogc
from app.push import sse, webhooks, websocket
from app.routes import (
    alerts,
    assets,
    auth,
    export,
    frontend,
    health,
    replay,
    stats,
    tokens,
    users,
    vessels,
    watchlist,
    zones,
)

ROUTERS: list[APIRouter] = [
    health.router,
    stats.router,
    auth.router,
    users.router,
    tokens.router,
    vessels.router,
    zones.router,
    alerts.router,
    watchlist.router,
    assets.router,
    replay.router,
    export.router,
    sse.router,
    websocket.router,
    webhooks.router,
    ogc.router,
    metrics.router,
    frontend.router,
]
