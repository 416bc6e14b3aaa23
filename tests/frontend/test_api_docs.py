"""The API documentation pages work in an air-gapped room: nothing loaded from elsewhere.

Swagger UI (``/docs``) and ReDoc (``/redoc``) are rendered in real headless Chromium with every
request to another host aborted; both must list the API's operations, from assets the service
itself serves.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.app.api.conftest import Service, make_settings, start
from tests.frontend.browser import watched_page

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp: Path = tmp_path_factory.mktemp("docs")
    yield from start(make_settings(tmp, f"sqlite:///{tmp / 'mare.sqlite'}"))


@pytest.mark.parametrize(
    ("path", "operation"),
    [
        ("/docs", ".opblock-summary-path[data-path='/api/v1/vessels']"),
        ("/redoc", "text='/api/v1/vessels/{mmsi}/intercepts'"),
    ],
)
def test_api_docs_render_with_every_foreign_request_blocked(
    browser: Browser, svc: Service, path: str, operation: str
) -> None:
    base = str(svc.client.base_url).rstrip("/")
    page, rec, errors = watched_page(browser, base, viewport={"width": 1280, "height": 900})
    ctx = page.context
    page.goto(base + path)
    page.wait_for_selector(operation, state="attached", timeout=60_000)
    ctx.close()
    assert not rec.foreign, f"requests to other hosts: {rec.foreign}"
    assert not errors, errors
    assert any("/static-offline-docs/" in u for u in rec.urls), rec.urls
