"""The dashboard's Reports: listed, made for a day, downloaded; a liaison sees only its own.

Real headless Chromium against the real service on SQLite, with the two-zone scenario's day.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.app.api.conftest import Service, feed_scenario, make_settings, start
from tests.frontend.browser import shot, signed_in, watched_page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

DAY = "2026-09-21"  # the scenario's day (tests.app.api.conftest.T0)


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp: Path = tmp_path_factory.mktemp("reports-dash")
    for s in start(make_settings(tmp, f"sqlite:///{tmp / 'mare.sqlite'}")):
        feed_scenario(s)
        yield s


def test_make_list_and_download_a_report(browser: Browser, svc: Service) -> None:
    base = str(svc.client.base_url).rstrip("/")
    page, rec, errors = watched_page(browser, base, accept_downloads=True)
    ctx = page.context
    page.goto(f"{base}/#token={svc.tokens['officer']}")
    page.wait_for_selector("#reports:visible", timeout=60_000)
    page.click("#reports")
    page.wait_for_selector(".dialog #reports-none")
    page.fill(".dialog input[name=day]", DAY)
    page.click(".dialog button[type=submit]")
    row = page.wait_for_selector(".dialog .reports-table tbody tr", timeout=120_000)
    assert row is not None
    assert DAY in row.inner_text() and "whole area" in row.inner_text()
    assert "officer1" in row.inner_text()
    shot(page, "reports")
    with page.expect_download() as got:
        page.click(".dialog .reports-table button[data-format=pdf]")
    download = got.value
    assert download.suggested_filename == f"sitrep-{DAY}-all.pdf"
    data = Path(download.path()).read_bytes()
    listed = svc.get("/api/v1/reports").json()["items"]
    assert data.startswith(b"%PDF-")
    assert data == svc.get(f"/api/v1/reports/{listed[0]['id']}").content
    # a report of chosen zones: ticked by name from the zone list, listed by name
    page.click(".dialog button.ghost:text('Cancel')")
    page.click("#reports")
    page.fill(".dialog input[name=day]", DAY)
    page.check(".dialog .checks label:has-text('Beta box') input")
    page.click(".dialog button[type=submit]")
    page.wait_for_selector(".dialog .reports-table tbody tr:has-text('Beta box')", timeout=120_000)
    made = svc.get("/api/v1/reports").json()["items"]
    assert sorted(str(r["zones"]) for r in made) == ["None", "['beta']"]
    assert not rec.foreign and not errors, (rec.foreign, errors)
    ctx.close()

    # a liaison: its own zone's report only, made from the same form
    with signed_in(browser, base, svc.tokens["liaison"]) as page:
        page.click("#reports")
        page.wait_for_selector(".dialog #reports-none")  # the officer's whole-area report: not its
        offered = page.locator(".dialog .checks label").all_inner_texts()
        assert [t.strip() for t in offered] == ["Alpha box"]  # its own zones only
        page.fill(".dialog input[name=day]", DAY)
        page.click(".dialog button[type=submit]")
        row = page.wait_for_selector(".dialog .reports-table tbody tr", timeout=120_000)
        assert row is not None and "Alpha box" in row.inner_text()
        assert len(page.query_selector_all(".dialog .reports-table tbody tr")) == 1
