"""Every router of the API, in the order `app.wiring.create_app` includes them.

Order matters only where paths overlap, and typed path converters (``{id:int}``) keep those apart.
"""

from fastapi import APIRouter

from app.api import metrics
from app.api.ogc import routes as ogc
from app.api.push import sse, webhooks, websocket
from app.api.routes import (
    alert_rules,
    alerts,
    assets,
    auth,
    cases,
    cise,
    contacts,
    export,
    frontend,
    handling,
    health,
    replay,
    reports,
    stats,
    targets,
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
    handling.router,
    alert_rules.router,
    watchlist.router,
    assets.router,
    contacts.router,
    cases.router,
    targets.router,
    replay.router,
    export.router,
    sse.router,
    websocket.router,
    webhooks.router,
    cise.router,
    reports.router,
    ogc.router,
    metrics.router,
    frontend.router,
]
