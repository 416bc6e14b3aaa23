"""``/api/v1/tokens``: API tokens for machines (admin only; the token is shown once)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from app.api.deps import CurrentUser, RepoDep, allow
from app.api.errors import not_found
from app.api.services import services_of
from app.auth.service import AuthService
from app.identity import Role
from app.store.repo import TokenRow

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"], dependencies=[allow(Role.ADMIN)])


class TokenIn(BaseModel):
    """A new API token: a name, optionally a narrower role, and a lifetime."""

    name: str = Field(min_length=1, max_length=100)
    role: Role | None = None
    expires_in_days: float | None = Field(default=90.0, gt=0, le=3650)


def token_json(row: TokenRow) -> dict[str, Any]:
    """Return a token's public fields (never its hash)."""
    return {
        "id": str(row.id),
        "name": row.name,
        "username": row.username,
        "kind": row.kind,
        "role": row.role,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "revoked_at": row.revoked_at,
    }


@router.get("")
def list_tokens(repo: RepoDep) -> list[dict[str, Any]]:
    """Return the API tokens (no secrets)."""
    return [token_json(r) for r in repo.list_tokens(kind="api")]


@router.post("", status_code=201)
def create_token(body: TokenIn, user: CurrentUser, request: Request) -> dict[str, Any]:
    """Create an API token; the ``token`` field is shown this once."""
    auth: AuthService = services_of(request.app).auth
    token, row = auth.create_api_token(user, body.name, body.role, body.expires_in_days)
    out = token_json(row)
    detail = {k: out[k] for k in ("name", "role", "expires_at")}
    detail["expires_at"] = None if row.expires_at is None else row.expires_at.isoformat()
    auth.repo.audit(user.username, "token.create", target=f"token:{row.id}", detail=detail)
    return {**out, "token": token}


@router.delete("/{token_id}", status_code=204)
def revoke_token(token_id: str, user: CurrentUser, request: Request) -> Response:
    """Revoke a token: it stops working at once, open streams on it included."""
    auth: AuthService = services_of(request.app).auth
    if not auth.revoke(token_id):
        raise not_found(f"token {token_id}")
    auth.repo.audit(user.username, "token.revoke", target=f"token:{token_id.strip()}")
    services_of(request.app).identities_changed()
    return Response(status_code=204)
