"""Tokens: expiry, revocation, narrower API-token roles, tickets, bootstrap and weak secrets."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from app.api.services import services_of
from app.auth.errors import WeakSecretError
from app.auth.service import user_from_ticket, user_from_token
from app.auth.tokens import hash_token, new_token
from app.settings import ServiceSettings
from app.wallclock import utcnow
from app.wiring import check_secrets
from tests.app.api.conftest import PASSWORD, Service


def test_expired_token_is_refused(shared_service: Service) -> None:
    repo = services_of(shared_service.app).repo
    token = new_token()
    repo.add_token(
        username="officer1",
        name="old",
        kind="api",
        role=None,
        token_hash=hash_token(token),
        expires_at=utcnow() - timedelta(seconds=1),
    )
    r = shared_service.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert r.json()["error"] == "unauthorized"
    assert r.headers["www-authenticate"] == "Bearer"


def test_api_token_is_shown_once_hashed_at_rest_and_revocable(shared_service: Service) -> None:
    r = shared_service.post(
        "/api/v1/tokens", json={"name": "qgis", "role": "analyst", "expires_in_days": 1}
    )
    assert r.status_code == 201, r.text
    created = r.json()
    token, token_id = created["token"], created["id"]
    listed = shared_service.get("/api/v1/tokens").json()
    assert any(t["id"] == token_id for t in listed)
    assert all("token" not in t and "token_hash" not in t for t in listed)
    row = services_of(shared_service.app).repo.token_by_id(token_id)
    assert row is not None  # stored by its hash only: the plain token finds it through the hash
    found = services_of(shared_service.app).repo.token_by_hash(hash_token(token))
    assert found is not None and found.id == row.id
    h = {"Authorization": f"Bearer {token}"}
    assert shared_service.client.get("/api/v1/auth/me", headers=h).json()["role"] == "analyst"
    # The narrower role holds: an analyst token of an admin cannot manage users.
    assert shared_service.client.get("/api/v1/users", headers=h).status_code == 403
    assert shared_service.client.delete(f"/api/v1/tokens/{token_id}", headers=h).status_code == 403
    assert (
        shared_service.client.delete(
            f"/api/v1/tokens/{token_id}", headers=shared_service.headers("admin")
        ).status_code
        == 204
    )
    assert shared_service.client.get("/api/v1/auth/me", headers=h).status_code == 401
    again = shared_service.client.delete(
        f"/api/v1/tokens/{token_id}", headers=shared_service.headers("admin")
    )
    assert again.status_code == 404


def test_wrong_password_and_unknown_user_look_the_same(shared_service: Service) -> None:
    bad = shared_service.client.post(
        "/api/v1/auth/login", json={"username": "officer1", "password": "nope-nope-nope"}
    )
    unknown = shared_service.client.post(
        "/api/v1/auth/login", json={"username": "nobody", "password": PASSWORD}
    )
    assert bad.status_code == unknown.status_code == 401
    assert (
        bad.json()
        == unknown.json()
        == {
            "error": "unauthorized",
            "message": "wrong username or password",
        }
    )


def test_stream_ticket_is_single_use_and_dies_with_its_token(shared_service: Service) -> None:
    holder = services_of(shared_service.app).auth
    r = shared_service.post("/api/v1/auth/ticket", role="liaison")
    assert r.status_code == 200
    ticket = r.json()["ticket"]
    user = asyncio.run(user_from_ticket(ticket, holder))
    assert user is not None and user.username == "liaison1" and user.zones == ("alpha",)
    assert asyncio.run(user_from_ticket(ticket, holder)) is None  # used up
    # A ticket of a token revoked since is worthless.
    login = shared_service.client.post(
        "/api/v1/auth/login", json={"username": "liaison1", "password": PASSWORD}
    ).json()["token"]
    h = {"Authorization": f"Bearer {login}"}
    ticket2 = shared_service.client.post("/api/v1/auth/ticket", headers=h).json()["ticket"]
    assert asyncio.run(user_from_token(login, holder)) is not None
    assert shared_service.client.post("/api/v1/auth/logout", headers=h).status_code == 204
    assert asyncio.run(user_from_token(login, holder)) is None
    assert asyncio.run(user_from_ticket(ticket2, holder)) is None


@pytest.mark.parametrize("secret", ["", "changeme", "admin", "short-token-123"])
def test_serve_mode_refuses_weak_bootstrap_secrets(secret: str) -> None:
    with pytest.raises(WeakSecretError):
        check_secrets(ServiceSettings(mode="serve", bootstrap_admin_token=secret))
    check_secrets(ServiceSettings(mode="demo", bootstrap_admin_token=secret))


def test_mare_serve_with_a_default_secret_exits_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import app.cli.commands  # noqa: F401
    from app.cli import cli

    monkeypatch.setenv("MARE_BOOTSTRAP_ADMIN_TOKEN", "changeme")
    result = CliRunner().invoke(cli, ["serve", "--port", "0"])
    assert result.exit_code == 2
    assert "MARE_BOOTSTRAP_ADMIN_TOKEN" in result.output
    assert "Traceback" not in result.output


def test_users_can_be_created_listed_and_changed_by_an_admin(shared_service: Service) -> None:
    r = shared_service.post(
        "/api/v1/users",
        json={"username": "liaison2", "password": PASSWORD, "role": "liaison", "zones": ["beta"]},
    )
    assert r.status_code == 201, r.text
    dup = shared_service.post(
        "/api/v1/users",
        json={"username": "liaison2", "password": PASSWORD, "role": "liaison", "zones": ["beta"]},
    )
    assert dup.status_code == 409
    nozone = shared_service.post(
        "/api/v1/users", json={"username": "l3", "password": PASSWORD, "role": "liaison"}
    )
    assert nozone.status_code == 422 and nozone.json()["error"] == "invalid_request"
    p = shared_service.client.patch(
        "/api/v1/users/liaison2",
        json={"role": "analyst"},
        headers=shared_service.headers("admin"),
    )
    assert p.json() == {"username": "liaison2", "role": "analyst", "zones": None, "disabled": False}
    names = [u["username"] for u in shared_service.get("/api/v1/users").json()]
    assert "liaison2" in names and "admin" in names


def test_a_disabled_user_has_no_working_token_or_password_until_enabled(
    shared_service: Service,
) -> None:
    r = shared_service.post(
        "/api/v1/users", json={"username": "leaver", "password": PASSWORD, "role": "officer"}
    )
    assert r.status_code == 201, r.text
    login = {"username": "leaver", "password": PASSWORD}
    token = shared_service.client.post("/api/v1/auth/login", json=login).json()["token"]
    mine = {"Authorization": f"Bearer {token}"}
    assert shared_service.client.get("/api/v1/auth/me", headers=mine).status_code == 200

    def set_disabled(flag: bool) -> dict[str, object]:
        p = shared_service.client.patch(
            "/api/v1/users/leaver", json={"disabled": flag}, headers=shared_service.headers("admin")
        )
        assert p.status_code == 200, p.text
        return dict(p.json())

    assert set_disabled(True)["disabled"] is True
    assert shared_service.client.get("/api/v1/auth/me", headers=mine).status_code == 401
    refused = shared_service.client.post("/api/v1/auth/login", json=login)
    assert refused.status_code == 401  # answered like a wrong password: nothing to probe
    assert refused.json()["error"] == "unauthorized"
    assert set_disabled(False)["disabled"] is False
    assert shared_service.client.get("/api/v1/auth/me", headers=mine).status_code == 200
    assert shared_service.client.post("/api/v1/auth/login", json=login).status_code == 200
