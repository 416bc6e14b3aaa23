"""``/api/v1/users``: people and their roles (admin only).

Every change is in the audit log (who, when, which fields; never a password), and the last
enabled admin can be neither demoted nor disabled: a 409, not a service nobody can manage.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.api.deps import CurrentUser, RepoDep, allow
from app.api.errors import ApiError, bad_request, not_found
from app.api.routes.auth import UserOut
from app.api.services import services_of
from app.auth.passwords import MIN_PASSWORD, hash_password
from app.auth.service import AuthService
from app.identity import Role

router = APIRouter(prefix="/api/v1/users", tags=["users"], dependencies=[allow(Role.ADMIN)])

USERNAME = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"


class UserIn(BaseModel):
    """A new user; ``zones`` only for liaisons (the zones whose alerts they see)."""

    username: str = Field(pattern=USERNAME)
    password: str = Field(min_length=MIN_PASSWORD, max_length=1024)
    role: Role
    zones: list[str] | None = None


class UserPatch(BaseModel):
    """Fields to change; absent ones stay."""

    password: str | None = Field(default=None, min_length=MIN_PASSWORD, max_length=1024)
    role: Role | None = None
    zones: list[str] | None = None
    #: True stops every token and the password of the user at once (streams close); False
    #: lets them work again. The row, its tokens and its audit history stay.
    disabled: bool | None = None


def _check_zones(repo: Any, role: Role, zones: list[str] | None) -> None:
    if role is Role.LIAISON:
        if not zones:
            raise bad_request("a liaison needs at least one zone")
        known = {z.id for z in repo.list_zones()}
        unknown = sorted(set(zones) - known)
        if unknown:
            raise bad_request(f"unknown zones: {', '.join(unknown)}")
    elif zones:
        raise bad_request("only a liaison is scoped to zones")


@router.get("", response_model=list[UserOut])
def list_users(repo: RepoDep) -> list[dict[str, Any]]:
    """Return every user."""
    return [u.to_json() for u in repo.list_users()]


@router.post("", response_model=UserOut, status_code=201)
def create_user(
    body: UserIn, actor: CurrentUser, repo: RepoDep, request: Request
) -> dict[str, Any]:
    """Create a user (409 if the name is taken)."""
    _check_zones(repo, body.role, body.zones)
    if repo.get_user(body.username) is not None:
        raise ApiError(409, "conflict", f"user {body.username} already exists")
    auth: AuthService = services_of(request.app).auth
    created = auth.create_user(body.username, body.password, body.role, body.zones)
    detail = {"role": body.role.value, "zones": body.zones}
    repo.audit(actor.username, "user.create", target=f"user:{body.username}", detail=detail)
    return created.to_json()


@router.get("/{username}", response_model=UserOut)
def get_user(username: str, repo: RepoDep) -> dict[str, Any]:
    """Return one user."""
    user = repo.get_user(username)
    if user is None:
        raise not_found(f"user {username}")
    return user.to_json()


@router.patch("/{username}", response_model=UserOut)
def update_user(
    username: str, body: UserPatch, actor: CurrentUser, repo: RepoDep, request: Request
) -> dict[str, Any]:
    """Change a user's password, role, zones or disabled flag (open streams follow at once)."""
    user = repo.get_user(username)
    if user is None:
        raise not_found(f"user {username}")
    role = body.role or user.role
    zones = body.zones if body.zones is not None else (list(user.zones or []) or None)
    if role is not Role.LIAISON:
        zones = None
    _check_zones(repo, role, zones)
    updated = repo.update_user(
        username,
        password_hash=None if body.password is None else hash_password(body.password),
        role=role,
        zones=zones,
        disabled=body.disabled,
        actor=actor.username,
    )
    if updated is None:
        raise not_found(f"user {username}")
    services_of(request.app).identities_changed()
    return updated.to_json()
