from __future__ import annotations

import os
import subprocess
from typing import Any

import httpx
import pytest

from app.api.ogc.params import parse_bbox, parse_datetime
from app.api.services import services_of
from tests.app.push.conftest import Service, position, service_fixture, until  # noqa: F401

MMSIS = [310000000 + i for i in range(12)]


@pytest.fixture(scope="module")
def fed(service: Service) -> Service:
    """The service with a dozen vessels in zone alpha, sent over UDP through the pipeline."""
    service.send_udp([position(m, 12.1 + 0.01 * i, 35.1) for i, m in enumerate(MMSIS)])
    live = services_of(service.app).live
    until(lambda: all(live.get(m) is not None for m in MMSIS))
    return service


def ogrinfo(svc: Service, role: str, *args: str) -> str:
    env = {**os.environ, "GDAL_HTTP_HEADERS": f"Authorization: Bearer {svc.tokens[role]}"}
    cmd = ["ogrinfo", "-ro", "--config", "GDAL_HTTP_HEADERS", env["GDAL_HTTP_HEADERS"], *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_parse_bbox_and_datetime() -> None:
    assert parse_bbox("1,2,3,4") == (1.0, 2.0, 3.0, 4.0)
    assert parse_bbox("1,2,0,3,4,9") == (1.0, 2.0, 3.0, 4.0)
    assert parse_datetime("2026-06-01T00:00:00Z/..") == (1_780_272_000_000, None)
    assert parse_datetime("../2026-06-01T00:00:00Z") == (None, 1_780_272_000_000)
    assert parse_datetime("2026-06-01T00:00:00Z") == (1_780_272_000_000, 1_780_272_000_000)


def test_bad_parameters_are_400_and_unknown_collections_404(fed: Service) -> None:
    with fed.client() as c:
        assert c.get("/ogc/collections/vessels/items", params={"bbox": "1,2,3"}).status_code == 400
        r = c.get("/ogc/collections/vessels/items", params={"datetime": "yesterday"})
        assert r.status_code == 400
        assert c.get("/ogc/collections/ships").status_code == 404
        assert c.get("/ogc/collections/vessels/items/1").status_code == 404
    assert httpx.get(f"{fed.base}/ogc/collections", timeout=10).status_code == 401


def test_ogrinfo_lists_the_collections_and_counts_vessels(fed: Service) -> None:
    out = ogrinfo(fed, "admin", "-so", f"OAPIF:{fed.base}/ogc")
    assert "vessels (title: Vessels) (Point)" in out
    assert "zones (title: Zones) (Multi Polygon)" in out
    assert "alerts (title: Alerts)" in out  # geometry type guessed from data: none yet
    layer = ogrinfo(fed, "admin", "-so", f"OAPIF:{fed.base}/ogc", "vessels")
    assert f"Feature Count: {len(MMSIS)}" in layer
    assert "Extent: (12.100000, 35.100000) - (12.210000, 35.100000)" in layer


def test_ogrinfo_reads_vessels_with_point_geometry(fed: Service) -> None:
    out = ogrinfo(fed, "admin", "-al", "-q", f"OAPIF:{fed.base}/ogc", "vessels")
    for m in MMSIS:
        assert f"mmsi (Integer) = {m}" in out or f"mmsi (Integer64) = {m}" in out
    assert "POINT (12.1 35.1)" in out
    assert out.count("POINT (") >= len(MMSIS)


def test_paging_links_walk_every_feature_once(fed: Service) -> None:
    seen: list[int] = []
    with fed.client() as c:
        url: str | None = "/ogc/collections/vessels/items?limit=5&bbox=12,35,12.5,35.5"
        pages = 0
        while url is not None:
            r = c.get(url)
            assert r.headers["content-type"].startswith("application/geo+json")
            body: dict[str, Any] = r.json()
            assert body["numberReturned"] == len(body["features"])
            seen += [f["id"] for f in body["features"]]
            nxt = [lk["href"] for lk in body["links"] if lk["rel"] == "next"]
            url = nxt[0] if nxt else None
            pages += 1
        assert body["numberMatched"] == len(seen)
        assert any(lk["rel"] == "prev" for lk in body["links"])
    assert sorted(seen) == sorted(set(seen)) and set(MMSIS) <= set(seen)
    assert pages >= 3


def test_datetime_filters_vessels_by_last_report(fed: Service) -> None:
    with fed.client() as c:
        future = c.get(
            "/ogc/collections/vessels/items", params={"datetime": "2100-01-01T00:00:00Z/.."}
        )
        assert future.json()["features"] == []
        past = c.get(
            "/ogc/collections/vessels/items",
            params={"datetime": "2000-01-01T00:00:00Z/..", "limit": 1000},
        )
        assert set(MMSIS) <= {f["id"] for f in past.json()["features"]}


def test_liaison_sees_its_zone_and_only_vessels_bearing_its_alerts(fed: Service) -> None:
    from geo.events import Event, EventKind, Severity

    services_of(fed.app).repo.write_events(
        [Event(EventKind.ZONE_ENTRY, MMSIS[0], 1_780_000_000_000, None, 35.1, 12.1,
               Severity.HIGH, zone="alpha")]
    )  # fmt: skip
    with fed.client("liaison") as c:
        zones = c.get("/ogc/collections/zones/items").json()["features"]
        assert [z["id"] for z in zones] == ["alpha"]
        assert c.get("/ogc/collections/zones/items/beta").status_code == 404
        vessels = c.get("/ogc/collections/vessels/items", params={"limit": 1000}).json()
        assert [f["id"] for f in vessels["features"]] == [MMSIS[0]]
        assert c.get(f"/ogc/collections/vessels/items/{MMSIS[1]}").status_code == 404
        one = c.get(f"/ogc/collections/vessels/items/{MMSIS[0]}").json()
        assert one["geometry"]["type"] == "Point"
        alerts = c.get("/ogc/collections/alerts/items").json()["features"]
        assert alerts and all(a["properties"]["zone"] == "alpha" for a in alerts)
    out = ogrinfo(fed, "liaison", "-al", "-q", f"OAPIF:{fed.base}/ogc", "zones")
    assert "alpha" in out and "beta" not in out
