from __future__ import annotations

import hashlib
import hmac
import json

from tests.app.push.conftest import Service, until


def test_subscription_outside_the_allowlist_is_refused(service: Service) -> None:
    with service.client() as c:
        r = c.post(
            "/api/v1/webhooks",
            json={"name": "x", "url": f"http://127.0.0.1:{service.receiver_port}/other"},
        )
    assert r.status_code == 422 and r.json()["error"] == "webhook_not_allowed"


def test_a_target_climbing_out_of_the_allowed_path_is_refused_and_never_pinged(
    service: Service,
) -> None:
    base = f"http://127.0.0.1:{service.receiver_port}"
    before = len(service.receiver.got)
    with service.client() as c:
        for url in (f"{base}/hooks/../latest/meta-data/iam", f"{base}/hooks/%2e%2e/latest"):
            r = c.post("/api/v1/webhooks", json={"name": "x", "url": url})
            assert r.status_code == 422 and r.json()["error"] == "webhook_not_allowed", url
    assert not [g.path for g in service.receiver.got[before:] if not g.path.startswith("/hooks")]


def test_alert_reaches_a_subscribed_receiver_signed_with_the_secret_shown_once(
    service: Service,
) -> None:
    url = f"http://127.0.0.1:{service.receiver_port}/hooks/officer"
    with service.client("officer") as c:
        r = c.post("/api/v1/webhooks", json={"name": "ops", "url": url, "kinds": ["zone_dwell"]})
        assert r.status_code == 201, r.text
        created = r.json()
        secret = created["secret"]
        assert "secret" not in c.get(f"/api/v1/webhooks/{created['id']}").json()
        service.publish_alert(mmsi=401000001, kind="zone_entry")
        service.publish_alert(mmsi=401000002, kind="zone_dwell")
        got = until(lambda: [g for g in service.receiver.got if g.path == "/hooks/officer"])
        body = json.loads(got[0].body)
        assert body["alert"]["mmsi"] == 401000002
        mac = hmac.new(secret.encode(), got[0].body, hashlib.sha256).hexdigest()
        assert got[0].headers["x-mare-signature"] == f"sha256={mac}"
        log = until(lambda: c.get(f"/api/v1/webhooks/{created['id']}/deliveries").json())
        assert log[0]["ok"] and log[0]["status_code"] == 200
        ping = c.post(f"/api/v1/webhooks/{created['id']}/test").json()
        assert ping["ok"] and ping["status_code"] == 200
        assert c.delete(f"/api/v1/webhooks/{created['id']}").status_code == 204
        assert c.get(f"/api/v1/webhooks/{created['id']}").status_code == 404


def test_liaison_webhooks_are_its_own_and_cover_only_its_zones(service: Service) -> None:
    url = f"http://127.0.0.1:{service.receiver_port}/hooks/liaison"
    with service.client("liaison") as lia, service.client() as adm:
        r = lia.post("/api/v1/webhooks", json={"name": "cg", "url": url, "zones": ["beta"]})
        assert r.status_code == 422 and r.json()["detail"]["outside"] == ["beta"]
        r = lia.post("/api/v1/webhooks", json={"name": "cg", "url": url})
        assert r.status_code == 201 and r.json()["zones"] == ["alpha"]
        mine = r.json()["id"]
        theirs = adm.post(
            "/api/v1/webhooks", json={"name": "all", "url": url.replace("liaison", "admin")}
        ).json()["id"]
        assert [w["id"] for w in lia.get("/api/v1/webhooks").json()] == [mine]
        assert lia.get(f"/api/v1/webhooks/{theirs}").status_code == 404
        assert lia.delete(f"/api/v1/webhooks/{theirs}").status_code == 404
        assert {w["id"] for w in adm.get("/api/v1/webhooks").json()} >= {mine, theirs}
        service.publish_alert(mmsi=402000001, zone="beta")
        service.publish_alert(mmsi=402000002, zone="alpha")
        until(lambda: len([g for g in service.receiver.got if g.path == "/hooks/admin"]) == 2)
        got = until(lambda: [g for g in service.receiver.got if g.path == "/hooks/liaison"])
        assert [json.loads(g.body)["alert"]["mmsi"] for g in got] == [402000002]
        adm.delete(f"/api/v1/webhooks/{theirs}")
        lia.delete(f"/api/v1/webhooks/{mine}")
    with service.client("analyst") as ana:
        assert ana.get("/api/v1/webhooks").status_code == 403
