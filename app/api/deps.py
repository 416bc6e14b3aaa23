"""Dependencies of the routes: the service's parts, the current user, role gates, scoping.

Every route under ``/api/v1`` (but login) depends on `CurrentUser`, and every one declares
the roles it admits with `allow(...)`: the auth matrix test walks the routes and fails on a
route without a `RoleGate`, so a new endpoint cannot be added without saying who may use it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.services import Services, services_of
from app.auth.errors import Forbidden, Unauthorized
from app.identity import Role, User
from app.live.picture import LivePicture
from app.pipeline import Pipeline
from app.settings import ServiceSettings
from app.store.repo import Repo
from geo.engine import Engine

_bearer = HTTPBearer(auto_error=False, description="A login token or an API token.")


def get_repo(request: Request) -> Repo:
    """Return the data functions over the store."""
    return services_of(request.app).repo


def get_settings(request: Request) -> ServiceSettings:
    """Return the service settings."""
    return services_of(request.app).settings


def get_live(request: Request) -> LivePicture:
    """Return the live picture."""
    return services_of(request.app).live


def get_engine(request: Request) -> Engine:
    """Return the running engine."""
    return services_of(request.app).engine


def get_pipeline(request: Request) -> Pipeline:
    """Return the pipeline."""
    return services_of(request.app).pipeline


def get_services(request: Request) -> Services:
    """Return every part of the running service (for routes that need several)."""
    return services_of(request.app)


ServicesDep = Annotated[Services, Depends(get_services)]
RepoDep = Annotated[Repo, Depends(get_repo)]
SettingsDep = Annotated[ServiceSettings, Depends(get_settings)]
LiveDep = Annotated[LivePicture, Depends(get_live)]
EngineDep = Annotated[Engine, Depends(get_engine)]
PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]


def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """Return the user of the bearer token; 401 without one or with a bad, expired, revoked one.

    A sync dependency on purpose: FastAPI runs it in a worker thread, where the database call
    that checks the token may block.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("a bearer token is required (Authorization: Bearer <token>)")
    user = services_of(request.app).auth.authenticate(credentials.credentials)
    if user is None:
        raise Unauthorized("the token is unknown, expired or revoked")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


class RoleGate:
    """A dependency admitting only ``roles``; kept on the route for the auth matrix test."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def __call__(self, user: CurrentUser) -> User:
        if user.role not in self.roles:
            allowed = ", ".join(sorted(r.value for r in self.roles))
            raise Forbidden(f"role {user.role.value} may not do this (allowed: {allowed})")
        return user

    def __repr__(self) -> str:
        return f"RoleGate({', '.join(sorted(r.value for r in self.roles))})"


def allow(*roles: Role) -> Any:
    """Return ``Depends(RoleGate(*roles))`` for a route's ``dependencies=[...]``."""
    return Depends(RoleGate(*roles))


def gate_of(route: Any) -> RoleGate | None:
    """Return the `RoleGate` a route depends on (searched through its dependency tree)."""
    dependant = getattr(route, "dependant", None)
    stack = list(dependant.dependencies) if dependant is not None else []
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, RoleGate):
            return dep.call
        stack.extend(dep.dependencies)
    return None
