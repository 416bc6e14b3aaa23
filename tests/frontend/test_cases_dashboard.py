"""The vessel panel's case section in real headless Chromium against the real service.

An analyst opens a case from the panel (on the watchlist too), adds a note, moves the status
and downloads the dossier; a liaison then reads the same case, without the controls to write.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.app.api.conftest import IN_ALPHA, Service, feed_scenario, make_settings, start
from tests.frontend.browser import answer, shot, watched_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp: Path = tmp_path_factory.mktemp("cases-dash")
    for s in start(make_settings(tmp, f"sqlite:///{tmp / 'mare.sqlite'}")):
        feed_scenario(s)
        yield s


def open_panel(page: Page, base: str, token: str) -> None:
    page.goto(f"{base}/#token={token}")
    page.wait_for_function("() => window.mare.store.length >= 1", timeout=60_000)
    page.fill("#search", "alfa")
    page.wait_for_selector("#search-results li[role=option] >> text=ALFA STAR")
    page.keyboard.press("Enter")
    page.wait_for_selector("#panel-title >> text=ALFA STAR")


def test_an_analyst_opens_a_case_adds_a_note_and_a_liaison_reads_it(
    browser: Browser, svc: Service, tmp_path: Path
) -> None:
    base = str(svc.client.base_url).rstrip("/")
    page, rec, errors = watched_page(browser, base, accept_downloads=True)
    ctx = page.context
    open_panel(page, base, svc.tokens["analyst"])
    page.click("#act-case-open")
    answer(page, title="Mother ship near Lampedusa", note="Seen towing two rubber boats")
    page.wait_for_selector("#case-title >> text=Mother ship near Lampedusa")
    page.wait_for_selector("#case-notes >> text=Seen towing two rubber boats")

    page.fill("#case-note-text", "Asked the Italian coastguard for a patrol")
    page.click("#act-case-note")
    page.wait_for_function("() => document.querySelectorAll('#case-notes li').length === 2")
    page.select_option("#case-status", "monitoring")
    (case,) = svc.get(f"/api/v1/cases?mmsi={IN_ALPHA}").json()
    full = svc.get(f"/api/v1/cases/{case['id']}").json()
    assert [(n["author"], n["text"]) for n in full["notes"]] == [
        ("analyst1", "Seen towing two rubber boats"),
        ("analyst1", "Asked the Italian coastguard for a patrol"),
    ]
    watch = svc.get("/api/v1/watchlist").json()
    assert [w["mmsi"] for w in watch] == [IN_ALPHA]  # the dialog's default: watched
    # the page's requests pass through this thread (page.route): wait in the page, not here
    page.wait_for_selector(f"#toast >> text=Case {case['id']}: monitoring")
    assert svc.get(f"/api/v1/cases/{case['id']}").json()["status"] == "monitoring"

    with page.expect_download() as got:
        page.click("#act-case-pdf")
    saved = tmp_path / "dossier.pdf"
    got.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF") and got.value.suggested_filename.endswith(".pdf")
    shot(page, "case-panel")
    ctx.close()
    assert not errors, errors
    assert not rec.foreign, rec.foreign

    # the liaison of zone alpha reads the case: status and notes, nothing to write with
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    open_panel(page, base, svc.tokens["liaison"])
    page.wait_for_selector("#case-notes >> text=Asked the Italian coastguard for a patrol")
    assert (page.text_content("#case-status") or "").strip() == "monitoring"
    assert page.query_selector("#case-note-text") is None
    assert page.query_selector("#act-case-note") is None
    assert page.query_selector("#act-case-pdf") is not None
    ctx.close()
