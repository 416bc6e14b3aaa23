"""What every dashboard test needs of the browser: Debian's Chromium, a recorder that fails
on any request to another host (an air-gapped room), screenshots, and polling."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import Browser, Page, Route

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def wait(check: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy (or fail naming `what`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met in {timeout:.0f} s")
        time.sleep(0.2)


class Recorder:
    """Every URL the page asked for; requests to other hosts are aborted and remembered."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.urls: list[str] = []
        self.foreign: list[str] = []

    def route(self, route: Route) -> None:
        url = route.request.url
        self.urls.append(url)
        parsed = urlparse(url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.netloc != self.host:
            self.foreign.append(url)
            route.abort()
        else:
            route.continue_()

    def websocket(self, url: str) -> None:
        self.urls.append(url)
        if urlparse(url).netloc != self.host:
            self.foreign.append(url)


def watched_page(browser: Browser, base: str, **context: Any) -> tuple[Page, Recorder, list[str]]:
    """A page in a context of its own (1440x900 unless `context` says otherwise) whose every
    request and WebSocket goes through a `Recorder` and whose uncaught script errors are kept."""
    rec = Recorder(urlparse(base).netloc)
    ctx = browser.new_context(**{"viewport": {"width": 1440, "height": 900}, **context})
    page = ctx.new_page()
    page.route("**/*", rec.route)
    page.on("websocket", lambda ws: rec.websocket(ws.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, rec, errors


@contextmanager
def signed_in(browser: Browser, base: str, token: str, **context: Any) -> Iterator[Page]:
    """A page of a context of its own (1440x900 unless `context` says otherwise), opened with
    the wall-display link (`#token=`) as another role's user would; the context closes after."""
    ctx = browser.new_context(**{"viewport": {"width": 1440, "height": 900}, **context})
    try:
        page = ctx.new_page()
        page.goto(f"{base}/#token={token}")
        yield page
    finally:
        ctx.close()


def shot(page: Page, name: str) -> None:
    """Keep a screenshot of the page under var/screenshots (looked at when a test fails)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def answer(page: Page, **values: str) -> None:
    """Fill the open dialog's fields (a select by value, an input by text) and submit it."""
    for name, value in values.items():
        field = page.wait_for_selector(f".dialog [name={name}]")
        assert field is not None
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.click(".dialog button[type=submit]")
