"""The dashboard's own routes: page, static files, the pydeck bundle and the map description."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from app.api.routes.frontend import CONTENT_SECURITY_POLICY, deck_bundle_path, router
from tests.frontend.server import serve


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    app = FastAPI()
    app.include_router(router)
    with serve(app) as base, httpx.Client(base_url=base) as c:
        yield c


def test_page_is_served_with_a_policy_that_allows_only_this_server(client: httpx.Client) -> None:
    res = client.get("/")
    assert res.status_code == 200
    assert "text/html" in res.headers["content-type"]
    assert res.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "connect-src 'self'" in CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY
    body = res.text
    assert "/static/vendor/deck.gl.js" in body
    # Nothing in the page points at another host.
    assert "http://" not in body and "https://" not in body and "//cdn" not in body


def test_deck_bundle_comes_from_the_installed_pydeck_package_and_revalidates(
    client: httpx.Client,
) -> None:
    res = client.get("/static/vendor/deck.gl.js")
    assert res.status_code == 200
    assert res.content == deck_bundle_path().read_bytes()
    assert b"TripsLayer" in res.content
    etag = res.headers["etag"]
    again = client.get("/static/vendor/deck.gl.js", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_map_description_is_pydeck_json_with_land_zones_and_names(client: httpx.Client) -> None:
    res = client.get("/static/map.json")
    assert res.status_code == 200
    desc = res.json()
    layers = {layer["id"]: layer for layer in desc["layers"]}
    assert layers["land"]["@@type"] == "GeoJsonLayer"
    assert layers["zones"]["@@type"] == "GeoJsonLayer"
    assert layers["zone-names"]["@@type"] == "TextLayer"
    # String constants must stay constants, not become pydeck "@@=" expressions.
    assert layers["land"]["lineWidthUnits"] == "pixels"
    assert desc["views"][0]["@@type"] == "MapView"
    assert {"latitude", "longitude", "zoom"} <= desc["initialViewState"].keys()


def test_static_files_are_served_and_paths_outside_the_folder_are_refused(
    client: httpx.Client,
) -> None:
    js = client.get("/static/js/main.js")
    assert js.status_code == 200
    assert js.headers["content-type"].startswith("text/javascript")
    assert client.get("/static/css/mare.css").headers["content-type"].startswith("text/css")
    assert client.get("/static/../app/settings.py").status_code == 404
    assert client.get("/static/%2e%2e/pyproject.toml").status_code == 404
    assert client.get("/static/js/nope.js").status_code == 404


def test_favicon_is_local(client: httpx.Client) -> None:
    res = client.get("/favicon.ico")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("image/svg+xml")
