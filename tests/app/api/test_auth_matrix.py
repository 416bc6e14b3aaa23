"""Every role against every endpoint, generated from the app's own routes.

A route that declares no `RoleGate` fails the test, so no new endpoint escapes the matrix.
Path parameters get values that exist nowhere, so an admitted role gets a 404 or 422 and
nothing is changed or deleted; a refused role gets 403 before anything is looked up.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIWebSocketRoute, iter_route_contexts

from app.api.deps import gate_of
from app.identity import Role
from tests.app.api.conftest import Service

PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/api/v1/auth/login"),
    # A partner agency's endpoint: partners present their own token (tests/app/exchange).
    ("POST", "/api/v1/cise/push"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}


def _public(method: str, path: str) -> bool:
    """The dashboard's page and static files are public (the token lives in the page)."""
    from app.api.routes.frontend import router as frontend

    static = {
        (m, str(getattr(r, "path", ""))) for r in frontend.routes for m in getattr(r, "methods", ())
    }
    return (method, path) in PUBLIC or (method, path) in static


#: Endpoints that change the token they are called with; checked with throwaway tokens.
SELF_REVOKING = {("POST", "/api/v1/auth/logout")}


def _routes(app: Any) -> list[tuple[str, str, Any]]:
    """Return (method, path, route) of every HTTP endpoint, routers included (not mounts)."""
    out = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIWebSocketRoute) or not route.methods:
            continue
        for method in sorted(set(route.methods) - {"HEAD", "OPTIONS"}):
            out.append((method, str(route.path), route))
    assert len(out) > 40, "the route walk found too few routes"
    return out


def _concrete(path: str) -> str:
    """Fill path parameters with values that match no object (ints: 999999999)."""
    path = re.sub(r"\{[^}:]+:int\}", "999999999", path)
    return re.sub(r"\{[^}]+\}", "no-such-thing", path)


def _status(svc: Service, method: str, path: str, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body: dict[str, Any] | None = None if method in ("GET", "DELETE") else {}
    # Streamed: an admitted stream (SSE) answers headers and is closed at once.
    with svc.client.stream(method, path, headers=headers, json=body, timeout=10) as r:
        return r.status_code


def test_every_api_route_declares_who_may_call_it(shared_service: Service) -> None:
    missing = [
        f"{m} {p}"
        for m, p, route in _routes(shared_service.app)
        if not _public(m, p) and p.startswith("/api/") and gate_of(route) is None
    ]
    assert not missing, f"routes without allow(...): {missing}"


def test_no_token_is_401_on_every_route_but_the_public_ones(shared_service: Service) -> None:
    for method, path, _ in _routes(shared_service.app):
        if _public(method, path):
            continue
        status = _status(shared_service, method, _concrete(path), None)
        assert status == 401, f"{method} {path} without a token gave {status}"
        bad = _status(shared_service, method, _concrete(path), "mare_t_not-a-real-token")
        assert bad == 401, f"{method} {path} with a bad token gave {bad}"


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_is_admitted_exactly_where_its_gate_says(
    shared_service: Service, role: str
) -> None:
    token = shared_service.tokens[role]
    checked = 0
    for method, path, route in _routes(shared_service.app):
        gate = gate_of(route)
        if gate is None or (method, path) in SELF_REVOKING:
            continue
        status = _status(shared_service, method, _concrete(path), token)
        if Role(role) in gate.roles:
            assert status not in (401, 403), f"{role} refused on {method} {path}: {status}"
            assert status < 500, f"{method} {path} as {role}: {status}"
        else:
            assert status == 403, f"{role} on {method} {path}: {status}, expected 403"
        checked += 1
    assert checked > 30


def test_logout_is_open_to_every_role_and_revokes_the_token(shared_service: Service) -> None:
    from tests.app.api.conftest import PASSWORD

    for name in ("officer1", "analyst1", "liaison1"):
        r = shared_service.client.post(
            "/api/v1/auth/login", json={"username": name, "password": PASSWORD}
        )
        token = r.json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert shared_service.client.get("/api/v1/auth/me", headers=headers).status_code == 200
        out = shared_service.client.post("/api/v1/auth/logout", headers=headers)
        assert out.status_code == 204
        assert shared_service.client.get("/api/v1/auth/me", headers=headers).status_code == 401
