"""Hostile input on both backends: NUL bytes, ids past 32 bits, Unicode digits, huge bodies.

Each of these answered 500 on PostGIS (the driver refused the value) or was read whole into
memory before authentication; now each is a 4xx in the error shape, the same on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.app.api.conftest import PASSWORD, Service

BIG_ID = 2**31


HOOK = {"name": "h", "url": "http://127.0.0.1:9/hooks"}
CASES: list[tuple[str, str, dict[str, Any], int]] = [
    ("GET", "/api/v1/alerts?zone=%00", {}, 422),
    ("GET", "/api/v1/zones/%00", {}, 422),
    ("GET", "/api/v1/vessels?q=a%00b", {}, 422),
    ("POST", "/api/v1/assets", {"json": {"name": "a\x00", "lat": 35, "lon": 12}}, 422),
    ("POST", "/api/v1/tokens", {"json": {"name": "t\x00"}}, 422),
    ("POST", "/api/v1/watchlist", {"json": {"name": "SEA\x00STAR"}}, 422),
    ("POST", "/api/v1/webhooks", {"json": {**HOOK, "name": "h\x00"}}, 422),
    ("POST", "/api/v1/alerts/1/comments", {"json": {"text": "hi\x00"}}, 422),
    ("POST", "/api/v1/users", {"json": {"\x00": 1}}, 422),
    ("GET", f"/api/v1/webhooks/{BIG_ID}", {}, 422),
    ("GET", f"/api/v1/webhooks/{BIG_ID}/deliveries", {}, 422),
    ("DELETE", f"/api/v1/webhooks/{BIG_ID}", {}, 422),
    ("GET", f"/ogc/collections/alerts/items/{BIG_ID}", {}, 404),
    ("GET", "/ogc/collections/alerts/items/%C2%B2", {}, 404),
    ("GET", "/ogc/collections/vessels/items/%C2%B2", {}, 404),
    ("DELETE", "/api/v1/tokens/%C2%B2", {}, 404),
    ("DELETE", f"/api/v1/tokens/{BIG_ID}", {}, 404),
    ("GET", "/api/v1/vessels?ship_type=%C2%B2", {}, 422),
    ("GET", "/api/v1/vessels/search?q=%C2%B2", {}, 200),
]


def test_hostile_values_get_a_4xx_in_the_error_shape(svc: Service) -> None:
    wrong = []
    for method, path, kw, status in CASES:
        r = svc.client.request(method, path, headers=svc.headers("admin"), **kw)
        shaped = status == 200 or {"error", "message"} <= set(r.json())
        if r.status_code != status or not shaped:
            wrong.append(f"{method} {path}: {r.status_code} {r.text[:120]}")
    assert not wrong, "\n".join(wrong)
    assert svc.get("/healthz").status_code == 200


def test_a_liaison_asking_for_a_zone_outside_its_scope_gets_nothing(svc: Service) -> None:
    r = svc.get("/api/v1/alerts?zone=beta", "liaison")
    assert r.status_code == 200, r.text
    assert r.json()["items"] == []


def test_a_body_over_the_limit_is_refused_before_authentication(svc: Service) -> None:
    big = b'{"username": "admin", "password": "' + b"x" * 200_000 + b'"}'
    r = svc.client.post(
        "/api/v1/auth/login", content=big, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413, r.text
    assert r.json()["error"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(100):
            yield b"x" * 10_000

    r = svc.client.post("/api/v1/auth/login", content=chunks())
    assert r.status_code == 413, r.text
    # an anonymous client with a big body gets the same answer on an authenticated route
    r = svc.client.post("/api/v1/zones/import", content=b" " * (17 * 1024 * 1024))
    assert r.status_code == 413
    assert svc.get("/healthz").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/tokens"])
def test_token_answers_are_not_cached(service: Service, path: str) -> None:
    if path.endswith("login"):
        r = service.client.post(path, json={"username": "officer1", "password": PASSWORD})
    else:
        r = service.post(path, json={"name": "robot"})
    assert r.status_code in (200, 201), r.text
    assert "token" in r.json()
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_every_api_answer_carries_the_security_headers(service: Service) -> None:
    for path, role in (
        ("/api/v1/vessels", "admin"),
        ("/api/v1/alerts/999", "admin"),  # an error too
        ("/ogc/collections", "analyst"),
        ("/readyz", "admin"),
    ):
        r = service.get(path, role)
        assert r.headers["cache-control"] == "no-store", path
        assert r.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
    r = service.client.get("/api/v1/vessels")  # refused before any route: headers all the same
    assert r.status_code == 401
    assert r.headers["x-content-type-options"] == "nosniff"
    page = service.client.get("/")  # the dashboard keeps its own policy
    assert "script-src" in page.headers["content-security-policy"]


def test_basemap_keeps_its_own_cache_rule(service: Service) -> None:
    r = service.get("/api/v1/basemap")
    assert r.status_code == 200
    assert "max-age" in r.headers["cache-control"]
