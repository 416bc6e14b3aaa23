"""The dashboard's side of CISE: a partner's alert names its source; admins see the partners.

Real headless Chromium against the real service on SQLite; the partner's alert arrives as a
CISE Push over real HTTP, as in production.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.app.api.conftest import Service, make_settings, start
from tests.app.exchange.cise.test_service import TUNIS_IN, gap_push, post_push
from tests.frontend.browser import shot, signed_in, watched_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp: Path = tmp_path_factory.mktemp("cise-dash")
    path = tmp / "partners.json"
    path.write_text(json.dumps({"partners": [
        {"id": "tn-gn", "authority": "Garde Nationale Tunis", "service_id": "tn.gn.node1",
         "inbound_token": TUNIS_IN},
        {"id": "mt-afm", "authority": "Armed Forces of Malta", "service_id": "mt.afm.node1",
         "url": "https://cise.afm.example/push", "send": {"zones": ["alpha"]},
         "outbound_token": "to-malta"},
    ]}))  # fmt: skip
    settings = make_settings(tmp, f"sqlite:///{tmp / 'mare.sqlite'}", cise_partners_file=path,
                             cise_authority="Italian Navy ROC")  # fmt: skip
    yield from start(settings)


def test_a_partners_alert_names_its_source_and_admins_see_the_agreements(
    browser: Browser, svc: Service
) -> None:
    assert post_push(svc, gap_push()).status_code == 200
    base = str(svc.client.base_url).rstrip("/")
    page, rec, errors = watched_page(browser, base)
    ctx = page.context
    page.goto(f"{base}/#token={svc.tokens['admin']}")
    item = page.wait_for_selector(".alert .meta .source", timeout=60_000)
    assert item is not None and item.inner_text().startswith("from Garde Nationale Tunis")
    page.click("#partners")
    dialog = page.wait_for_selector(".dialog .partners-table")
    assert dialog is not None
    text = dialog.inner_text()
    assert "Garde Nationale Tunis" in text and "nothing (receive only)" in text
    assert "Armed Forces of Malta" in text and "zones alpha; all kinds; any severity" in text
    assert "not in MARE_CISE_ALLOWLIST" in text  # its endpoint is not allowed: nothing is sent
    assert TUNIS_IN not in page.content() and "to-malta" not in page.content()
    shot(page, "cise-partners")
    page.keyboard.press("Escape")
    ctx.close()
    # only admins get the button
    with signed_in(browser, base, svc.tokens["officer"]) as page:
        page.wait_for_selector(".alert .meta .source", timeout=60_000)
        assert page.is_hidden("#partners")
    assert not errors, errors
    assert not rec.foreign
