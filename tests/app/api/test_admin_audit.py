"""Admin acts are audited; the last enabled admin cannot be demoted or disabled."""

from __future__ import annotations

from app.api.services import services_of
from tests.app.api.conftest import PASSWORD, Service


def actions(svc: Service, target: str) -> list[tuple[str, str]]:
    return [(e["user"], e["action"]) for e in services_of(svc.app).repo.audit_of(target)]


def test_user_token_and_webhook_changes_are_in_the_audit_log(svc: Service) -> None:
    r = svc.post("/api/v1/users", json={"username": "cg2", "password": PASSWORD, "role": "officer"})
    assert r.status_code == 201, r.text
    r = svc.client.patch(
        "/api/v1/users/cg2",
        json={"role": "analyst", "password": "another long password"},
        headers=svc.headers("admin"),
    )
    assert r.status_code == 200, r.text
    r = svc.client.patch("/api/v1/users/cg2", json={"disabled": True}, headers=svc.headers("admin"))
    assert r.status_code == 200, r.text
    log = services_of(svc.app).repo.audit_of("user:cg2")
    assert [e["action"] for e in log] == ["user.create", "user.update", "user.update"]
    assert {e["user"] for e in log} == {"admin"}
    assert log[1]["detail"]["role"] == "analyst" and log[1]["detail"]["password"] == "changed"
    assert PASSWORD not in str(log) and "another long" not in str(log)
    assert log[2]["detail"] == {"disabled": True}

    token = svc.post("/api/v1/tokens", json={"name": "robot"}).json()
    assert (
        svc.client.delete(f"/api/v1/tokens/{token['id']}", headers=svc.headers("admin")).status_code
        == 204
    )
    assert actions(svc, f"token:{token['id']}") == [
        ("admin", "token.create"),
        ("admin", "token.revoke"),
    ]
    assert token["token"] not in str(services_of(svc.app).repo.audit_of(f"token:{token['id']}"))


def test_webhook_creation_and_deletion_are_audited_without_the_secret(svc: Service) -> None:
    from app.api.push.signing import Allowlist

    webhooks = services_of(svc.app).webhooks
    assert webhooks is not None
    webhooks.allowlist = Allowlist("http://127.0.0.1:9/hooks")
    secret = "a-webhook-secret-" + "q" * 20
    r = svc.post(
        "/api/v1/webhooks",
        json={"name": "cg", "url": "http://127.0.0.1:9/hooks/a", "secret": secret},
        role="officer",
    )
    assert r.status_code == 201, r.text
    sub_id = r.json()["id"]
    assert (
        svc.client.delete(f"/api/v1/webhooks/{sub_id}", headers=svc.headers("officer")).status_code
        == 204
    )
    log = services_of(svc.app).repo.audit_of(f"webhook:{sub_id}")
    assert [(e["user"], e["action"]) for e in log] == [
        ("officer1", "webhook.create"),
        ("officer1", "webhook.delete"),
    ]
    assert secret not in str(log)


def test_the_last_admin_can_be_neither_demoted_nor_disabled(svc: Service) -> None:
    for change in ({"role": "officer"}, {"disabled": True}):
        r = svc.client.patch("/api/v1/users/admin", json=change, headers=svc.headers("admin"))
        assert r.status_code == 409, r.text
        assert "last enabled admin" in r.json()["message"]
    assert svc.get("/api/v1/users/admin").json()["role"] == "admin"
    # with a second admin the first may step down, and then the second is the last
    r = svc.post(
        "/api/v1/users", json={"username": "admin2", "password": PASSWORD, "role": "admin"}
    )
    assert r.status_code == 201
    r = svc.client.patch(
        "/api/v1/users/admin2", json={"disabled": True}, headers=svc.headers("admin")
    )
    assert r.status_code == 200, r.text
    r = svc.client.patch(
        "/api/v1/users/admin", json={"role": "officer"}, headers=svc.headers("admin")
    )
    assert r.status_code == 409
    assert (
        svc.client.patch(
            "/api/v1/users/admin2", json={"disabled": False}, headers=svc.headers("admin")
        ).status_code
        == 200
    )
    r = svc.client.patch(
        "/api/v1/users/admin", json={"role": "officer"}, headers=svc.headers("admin")
    )
    assert r.status_code == 200, r.text
