"""``/api/v1/webhooks``: signed alert pushes to allow-listed targets (docs/api.md, Webhooks).

Admins and officers manage every subscription; a liaison may create and manage its own,
limited to its zones (by default all of them). A target outside ``MARE_WEBHOOK_ALLOWLIST`` is
refused at creation (and again at each delivery, as the list may have shrunk since). The
secret is the caller's or a generated one, and is shown only in the creation answer.

The router's lifespan starts the `WebhookDispatcher` once the app's own lifespan has set up
the hub and the database, and stops it first at shutdown.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from app.api.deps import CurrentUser, allow
from app.api.errors import ApiError, not_found
from app.api.push.dispatch import SEVERITIES, WebhookDispatcher
from app.api.push.signing import Allowlist
from app.api.routes.common import IdPath
from app.api.services import NotStarted, services_of
from app.auth.scope import Scope
from app.identity import Role, User
from app.store import webhooks as table
from geo.events import EventKind


def sql_engine(app: Any) -> sa.Engine:
    """Return the service's SQLAlchemy engine (the store's)."""
    return services_of(app).repo.engine


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the dispatcher beside the API (after the app's lifespan made hub and store)."""
    services = services_of(app)
    dispatcher = WebhookDispatcher(
        services.hub, services.repo.engine, Allowlist(services.settings.webhook_allowlist)
    )
    dispatcher.narrowings = lambda name, role: services.auth.narrowings(name, role)
    await dispatcher.start()
    services.webhooks = dispatcher
    try:
        yield
    finally:
        await dispatcher.stop()


router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"], lifespan=lifespan)
MANAGERS = (Role.ADMIN, Role.OFFICER, Role.LIAISON)


class WebhookIn(BaseModel):
    """A new subscription: where to POST, what to send."""

    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=2000)
    #: HMAC key; generated (and returned once) when omitted.
    secret: str | None = Field(default=None, min_length=16, max_length=200)
    #: Only alerts of these zones (None: all; a liaison's default: its zones).
    zones: list[str] | None = None
    #: Only these kinds (None: all).
    kinds: list[EventKind] | None = None
    #: Only alerts at least this severe.
    min_severity: str | None = Field(default=None, pattern="^(" + "|".join(SEVERITIES) + ")$")


def dispatcher_of(request: Request) -> WebhookDispatcher:
    """Return the running dispatcher (started by this router's lifespan)."""
    dispatcher = services_of(request.app).webhooks
    if dispatcher is None:
        raise NotStarted("webhooks are not ready yet")
    return dispatcher


async def _owned(request: Request, user: User, sub_id: int) -> dict[str, Any]:
    """Return a subscription the user may manage, else 404 (liaisons: only their own)."""
    found = await run_in_threadpool(table.get_subscription, sql_engine(request.app), sub_id)
    if found is None or (user.is_liaison and found["owner"] != user.username):
        raise not_found(f"webhook {sub_id}")
    return found


@router.get("", dependencies=[allow(*MANAGERS)])
async def list_webhooks(request: Request, user: CurrentUser) -> list[dict[str, Any]]:
    """Return the subscriptions (a liaison sees only its own)."""
    owner = user.username if user.is_liaison else None
    return await run_in_threadpool(table.list_subscriptions, sql_engine(request.app), owner=owner)


@router.post("", status_code=201, dependencies=[allow(*MANAGERS)])
async def create_webhook(request: Request, user: CurrentUser, body: WebhookIn) -> dict[str, Any]:
    """Subscribe a target; the answer carries the secret, shown this once."""
    allowlist = dispatcher_of(request).allowlist
    if not allowlist.allows(body.url):
        raise ApiError(
            422,
            "webhook_not_allowed",
            "the target is not in the allow-list an admin set (MARE_WEBHOOK_ALLOWLIST)",
            {"url": body.url},
        )
    zones = Scope.of(user).claim_zones(body.zones)
    secret = body.secret or secrets.token_urlsafe(32)
    created = await run_in_threadpool(
        lambda: table.create_subscription(
            sql_engine(request.app),
            name=body.name,
            url=body.url,
            secret=secret,
            owner=user.username,
            zones=zones,
            kinds=None if body.kinds is None else [k.value for k in body.kinds],
            min_severity=body.min_severity,
        )
    )
    dispatcher_of(request).invalidate()
    detail = {"name": body.name, "url": body.url, "zones": zones}  # never the secret
    await run_in_threadpool(
        services_of(request.app).repo.audit,
        user.username,
        "webhook.create",
        target=f"webhook:{created['id']}",
        detail=detail,
    )
    return {**created, "secret": secret}


@router.get("/{sub_id}", dependencies=[allow(*MANAGERS)])
async def get_webhook(request: Request, user: CurrentUser, sub_id: IdPath) -> dict[str, Any]:
    """Return one subscription (without its secret)."""
    return await _owned(request, user, sub_id)


@router.delete("/{sub_id}", status_code=204, dependencies=[allow(*MANAGERS)])
async def delete_webhook(request: Request, user: CurrentUser, sub_id: IdPath) -> Response:
    """Unsubscribe (its delivery log goes too)."""
    await _owned(request, user, sub_id)
    await run_in_threadpool(table.delete_subscription, sql_engine(request.app), sub_id)
    dispatcher_of(request).forget(sub_id)  # its queued deliveries and retries stop now
    await run_in_threadpool(
        services_of(request.app).repo.audit,
        user.username,
        "webhook.delete",
        target=f"webhook:{sub_id}",
    )
    return Response(status_code=204)


@router.get("/{sub_id}/deliveries", dependencies=[allow(*MANAGERS)])
async def webhook_deliveries(
    request: Request,
    user: CurrentUser,
    sub_id: IdPath,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Return the delivery log, newest attempt first."""
    await _owned(request, user, sub_id)
    return await run_in_threadpool(table.list_deliveries, sql_engine(request.app), sub_id, limit)


@router.post("/{sub_id}/test", dependencies=[allow(*MANAGERS)])
async def test_webhook(request: Request, user: CurrentUser, sub_id: IdPath) -> dict[str, Any]:
    """Send one signed ``ping`` now (no retries) and say how the target answered."""
    await _owned(request, user, sub_id)
    engine = sql_engine(request.app)
    targets = await run_in_threadpool(table.list_subscriptions, engine, with_secret=True)
    target = next(t for t in targets if t["id"] == sub_id)
    delivery = secrets.token_hex(12)
    dispatcher = dispatcher_of(request)
    status, error, ms = await dispatcher.attempt(target, {"event": "ping"}, delivery)
    await run_in_threadpool(
        lambda: table.log_delivery(
            engine,
            subscription_id=sub_id,
            delivery=delivery,
            alert_id=None,
            attempt=1,
            ok=error is None,
            status_code=status,
            error=error,
            duration_ms=ms,
        )
    )
    return {"ok": error is None, "status_code": status, "error": error, "delivery": delivery}
