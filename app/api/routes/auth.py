"""``/api/v1/auth``: password login, logout, who am I, stream tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from app.api.deps import CurrentUser, allow
from app.api.services import services_of
from app.auth.service import AuthService
from app.auth.throttle import client_key
from app.identity import ALL_ROLES

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginIn(BaseModel):
    """Credentials of a person (machines use API tokens)."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    """The API's ``User``."""

    username: str
    role: str
    zones: list[str] | None
    disabled: bool = False


class LoginOut(BaseModel):
    """A login token, when it expires, and who it is for."""

    token: str
    expires_at: datetime
    user: UserOut


class TicketOut(BaseModel):
    """A single-use stream ticket (60 s) for ``EventSource`` and WebSocket from a browser."""

    ticket: str
    expires_at: datetime


def _auth(request: Request) -> AuthService:
    return services_of(request.app).auth


AuthDep = Annotated[AuthService, Depends(_auth)]


@router.post(
    "/login",
    response_model=LoginOut,
    responses={
        401: {"description": "Wrong username or password (or the user is disabled)"},
        429: {"description": "Too many failed logins for the user or from the client"},
    },
)
async def login(body: LoginIn, auth: AuthDep, request: Request) -> dict[str, Any]:
    """Exchange a username and password for a bearer token (argon2-checked, throttled).

    The client is the peer address as uvicorn reports it: behind a reverse proxy that is the
    proxy, unless uvicorn trusts the proxy's ``X-Forwarded-For`` (``--forwarded-allow-ips``,
    ``FORWARDED_ALLOW_IPS``; loopback is trusted by default).
    """
    client = client_key(request.client.host if request.client else None)
    token, expires, user = await run_in_threadpool(auth.login, body.username, body.password, client)
    return {"token": token, "expires_at": expires, "user": user.to_json()}


@router.post("/logout", status_code=204, dependencies=[allow(*ALL_ROLES)])
def logout(user: CurrentUser, auth: AuthDep) -> Response:
    """Revoke the token this request came with."""
    if user.token_id is not None:
        auth.revoke(user.token_id)
    return Response(status_code=204)


@router.get("/me", response_model=UserOut, dependencies=[allow(*ALL_ROLES)])
def me(user: CurrentUser) -> dict[str, Any]:
    """Return who the token belongs to."""
    return user.to_json()


@router.post("/ticket", response_model=TicketOut, dependencies=[allow(*ALL_ROLES)])
def ticket(user: CurrentUser, auth: AuthDep) -> dict[str, Any]:
    """Issue a stream ticket: tokens never travel in URLs, a ticket may (once, for 60 s)."""
    value, expires = auth.issue_ticket(user)
    return {"ticket": value, "expires_at": expires}
