# ruff: noqa: E501  (a table of cases reads best one case per line)
"""Bad input is a 4xx with ``{"error", "message"}``, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests.app.api.conftest import Service

POLY = {"type": "Polygon", "coordinates": [[[12, 35], [13, 35], [13, 36], [12, 35]]]}
BOWTIE = {"type": "Polygon", "coordinates": [[[12, 35], [13, 36], [13, 35], [12, 36], [12, 35]]]}

CASES: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("GET", "/api/v1/vessels?bbox=1,2,3", {}, 422, "invalid_request"),
    ("GET", "/api/v1/vessels?bbox=a,b,c,d", {}, 422, "invalid_request"),
    ("GET", "/api/v1/vessels?bbox=0,50,10,40", {}, 422, "invalid_request"),
    ("GET", "/api/v1/vessels?limit=0", {}, 422, "invalid_request"),
    ("GET", "/api/v1/vessels?limit=100001", {}, 422, "invalid_request"),
    ("GET", "/api/v1/vessels?cursor=garbage", {}, 422, "invalid_request"),
    ("GET", "/api/v1/vessels?ship_type=submarine", {}, 422, "invalid_request"),
    ("GET", "/api/v1/vessels?updated_since=yesterday", {}, 422, "invalid_request"),
    ("GET", "/api/v1/vessels?min_risk=101", {}, 422, "invalid_request"),
    ("GET", "/api/v1/vessels?zone=nowhere", {}, 404, "not_found"),
    ("GET", "/api/v1/vessels/search", {}, 422, "invalid_request"),
    ("GET", "/api/v1/vessels/123456789", {}, 404, "not_found"),
    ("GET", "/api/v1/vessels/notanumber", {}, 404, "not_found"),
    ("GET", "/api/v1/vessels/1/track?format=svg", {}, 422, "invalid_request"),
    ("GET", "/api/v1/vessels/1/track?start=2026-02-01&end=2026-01-01", {}, 422, "invalid_request"),
    ("GET", "/api/v1/alerts?kind=party", {}, 422, "invalid_request"),
    ("GET", "/api/v1/alerts?severity=extreme", {}, 422, "invalid_request"),
    ("GET", "/api/v1/alerts?state=lost", {}, 422, "invalid_request"),
    ("GET", "/api/v1/alerts/999999", {}, 404, "not_found"),
    ("POST", "/api/v1/alerts/999999/comments", {"json": {"text": ""}}, 422, "invalid_request"),
    ("POST", "/api/v1/zones", {"json": {"type": "Feature"}}, 422, "invalid_zone"),
    ("POST", "/api/v1/zones", {"json": [1, 2]}, 422, "invalid_request"),
    (
        "POST",
        "/api/v1/zones",
        {"json": {"type": "Feature", "properties": {"id": "x", "name": "X", "kind": "moon"},
                  "geometry": POLY}},
        422,
        "invalid_zone",
    ),
    (
        "POST",
        "/api/v1/zones",
        {"json": {"type": "Feature", "properties": {"id": "bow", "name": "Bow", "kind": "custom"},
                  "geometry": BOWTIE}},
        422,
        "invalid_zone",
    ),
    ("POST", "/api/v1/zones/import", {"json": {"type": "FeatureCollection"}}, 422, "invalid_zone"),
    ("POST", "/api/v1/zones", {"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 422, "invalid_request"),
    ("POST", "/api/v1/watchlist", {"json": {"note": "nothing to match"}}, 422, "invalid_request"),
    ("POST", "/api/v1/watchlist", {"json": {"mmsi": 12345678901}}, 422, "invalid_request"),
    ("POST", "/api/v1/assets", {"json": {"name": "A", "max_speed_kn": -3}}, 422, "invalid_request"),
    ("GET", "/api/v1/replay?start=2026-01-01T00:00:00Z", {}, 422, "invalid_request"),
    ("GET", "/api/v1/replay?start=x&end=y", {}, 422, "invalid_request"),
    ("POST", "/api/v1/geofence/retro", {"json": {"polygon": {"type": "Point", "coordinates": [1, 2]}, "start": "0", "end": "1"}}, 422, "invalid_request"),
    ("POST", "/api/v1/geofence/retro", {"json": {"polygon": BOWTIE, "start": "0", "end": "1"}}, 422, "invalid_request"),
    ("POST", "/api/v1/geofence/retro", {"json": {"polygon": {"type": "Polygon", "coordinates": "x"}, "start": "0", "end": "1"}}, 422, "invalid_request"),
    ("GET", "/api/v1/export/alerts?format=xlsx", {}, 422, "invalid_request"),
    ("POST", "/api/v1/users", {"json": {"username": "a b", "password": "x", "role": "admin"}}, 422, "invalid_request"),
    ("POST", "/api/v1/users", {"json": {"username": "ab", "password": "long enough", "role": "pirate"}}, 422, "invalid_request"),
    ("POST", "/api/v1/tokens", {"json": {"name": "t", "expires_in_days": 0}}, 422, "invalid_request"),
    ("POST", "/api/v1/auth/login", {"json": {"username": "x"}}, 422, "invalid_request"),
    ("DELETE", "/api/v1/tokens/abc", {}, 404, "not_found"),
    ("GET", "/api/v1/nothing-here", {}, 404, "not_found"),
    ("PUT", "/api/v1/vessels", {}, 405, "method_not_allowed"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "kw", "status", "code"),
    CASES,
    ids=[f"{c[0]} {c[1][:60]}" for c in CASES],
)
def test_bad_input_is_a_4xx_with_a_message(
    shared_service: Service, method: str, path: str, kw: dict[str, Any], status: int, code: str
) -> None:
    headers = {**shared_service.headers("admin"), **kw.pop("headers", {})}
    r = shared_service.client.request(method, path, headers=headers, **kw)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == code
    assert isinstance(body["message"], str) and body["message"]


def test_an_invalid_zone_names_its_reason(shared_service: Service) -> None:
    feature = {
        "type": "Feature",
        "properties": {"id": "bow", "name": "Bow", "kind": "custom"},
        "geometry": BOWTIE,
    }
    r = shared_service.post("/api/v1/zones", json=feature)
    assert "'bow'" in r.json()["message"]
    # All or nothing: a collection with one bad feature imports none.
    good = {**feature, "properties": {"id": "ok", "name": "OK", "kind": "custom"}, "geometry": POLY}
    r = shared_service.post(
        "/api/v1/zones/import", json={"type": "FeatureCollection", "features": [good, feature]}
    )
    assert r.status_code == 422
    assert shared_service.get("/api/v1/zones/ok").status_code == 404
