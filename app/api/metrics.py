"""``/metrics``: the service's counters in the Prometheus text format.

Everything but the latency histograms is read at scrape time from the objects that already
count (the pipeline's `PipelineCounters` with the decoder's line accounting, the hub, the
webhook dispatcher, the relay, the maintenance thread's status): nothing is counted twice,
and a scrape costs a few dict reads.
Each app has its own registry, so several apps in one process (tests) never collide.

Auth: an admin token, or ``MARE_METRICS_TOKEN`` for a scraper that should not hold an admin
token.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from app.api.collector import ServiceMetrics
from app.api.deps import RoleGate
from app.api.services import NotStarted, services_of
from app.auth.errors import Forbidden, Unauthorized
from app.auth.service import user_from_token
from app.identity import Role, User


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build the registry once the app's lifespan made the hub; hook the latencies in."""
    services = services_of(app)
    metrics = ServiceMetrics(services)
    services.hub.add_latency_observer(metrics.observe)
    services.metrics = metrics
    yield


router = APIRouter(tags=["metrics"], lifespan=lifespan)
_bearer = HTTPBearer(auto_error=False, description="An admin token or MARE_METRICS_TOKEN.")


async def metrics_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """Return who scrapes: the metrics token (as an admin-level scraper) or a token's user."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("a bearer token is required (admin or MARE_METRICS_TOKEN)")
    token = credentials.credentials
    expected = services_of(request.app).settings.metrics_token
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        return User("metrics", Role.ADMIN)
    user = await user_from_token(token, services_of(request.app).auth)
    if user is None:
        raise Unauthorized("the token is unknown, expired or revoked")
    return user


class MetricsGate(RoleGate):
    """`RoleGate` over `metrics_user` (admins, or the metrics token)."""

    def __call__(self, user: Annotated[User, Depends(metrics_user)]) -> User:
        if user.role not in self.roles:
            raise Forbidden("only admins or MARE_METRICS_TOKEN may read /metrics")
        return user


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
    dependencies=[Depends(MetricsGate(Role.ADMIN))],
)
async def metrics(request: Request) -> Response:
    """Prometheus text format: ingest, pipeline, push, latencies."""
    m = services_of(request.app).metrics
    if m is None:
        raise NotStarted("metrics are not ready yet")
    return Response(m.render(), media_type=CONTENT_TYPE_LATEST)
