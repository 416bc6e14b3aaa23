"""The dashboard end to end: real headless Chromium against the real service on SQLite.

The service is the production app (create_app, pipeline, engine, hub) fed AIS over its UDP
source; the browser is Debian's Chromium driven by Playwright. Every request the page makes is
recorded: any host other than the Mare server fails the test (and is aborted, so an air-gapped
room would see the same page).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from tests.app.api.conftest import (
    IN_ALPHA,
    PASSWORD,
    T0,
    Service,
    feed_scenario,
    make_settings,
    start,
)
from tests.app.api.nmea import position
from tests.frontend.pixels import close_to, decode_png

pytestmark = [pytest.mark.browser, pytest.mark.slow]

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
DARK = 247_000_900
OTHER = 247_000_901


def wait(check: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met in {timeout:.0f} s")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp("dash")
    for s in start(make_settings(tmp, f"sqlite:///{tmp / 'mare.sqlite'}")):
        yield _seed(s)


def _seed(s: Service) -> Service:
    """Two zone entries, a vessel gone dark, and one own asset."""
    feed_scenario(s)
    # A vessel falls silent while another keeps reporting: the first goes dark.
    t1 = s.event_time()
    s.send([position(DARK, 12.6 + 0.01 * i, 34.6, t1 + 180 * i) for i in range(5)])
    s.wait_for(lambda: s.app.state.live.get(DARK))
    s.send([position(OTHER, 13.6 + 0.01 * i, 34.2, t1 + 720 + 180 * i) for i in range(16)])
    s.wait_for(lambda: s.get(f"/api/v1/vessels/{DARK}").json()["dark"], timeout=20)
    r = s.post(
        "/api/v1/assets",
        json={
            "name": "Patrol One",
            "kind": "vessel",
            "lat": 35.0,
            "lon": 13.0,
            "max_speed_kn": 30,
        },
    )
    assert r.status_code in (200, 201), r.text
    return s


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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def session(browser: Browser, svc: Service) -> Iterator[tuple[Page, Recorder]]:
    base = str(svc.client.base_url).rstrip("/")
    rec = Recorder(urlparse(base).netloc)
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    page.route("**/*", rec.route)
    page.on("websocket", lambda ws: rec.websocket(ws.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(base + "/")
    yield page, rec
    assert not errors, errors
    assert not rec.foreign, f"requests to other hosts: {rec.foreign}"
    ctx.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def vessel_pixels_drawn(page: Page, mmsi: int) -> bool:
    """True when the canvas shows the vessel's colour around its projected position."""
    info = page.evaluate(
        """(m) => { const s = window.mare.store; const i = s.slot.get(m);
             if (i === undefined) return null;
             const p = window.mare.map.project(s.positions[2*i], s.positions[2*i+1]);
             const r = document.getElementById('map').getBoundingClientRect();
             return {x: p[0] + r.left, y: p[1] + r.top,
                     rgb: Array.from(s.colors.slice(4*i, 4*i+3))}; }""",
        mmsi,
    )
    if info is None:
        return False
    r = 12
    png = page.screenshot(
        clip={"x": info["x"] - r, "y": info["y"] - r, "width": 2 * r + 1, "height": 2 * r + 1}
    )
    img = decode_png(png)
    rgb = tuple(info["rgb"])
    return sum(close_to(px, rgb) for px in img.near(r, r, r)) >= 6


def test_sign_in_form_then_live_vessels_are_drawn_on_the_canvas(
    session: tuple[Page, Recorder], svc: Service
) -> None:
    page, rec = session
    page.fill("#login-user", "officer1")
    page.fill("#login-pass", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_function("() => window.mare.store.length >= 3", timeout=60_000)
    page.wait_for_function("() => window.mare.map.firstDrawn !== null", timeout=120_000)
    assert page.is_hidden("#login")
    # The canvas, not only the DOM: the vessel's risk colour at its projected position.
    wait(lambda: vessel_pixels_drawn(page, IN_ALPHA), timeout=120, what="vessel pixels")
    # ... and nowhere near an empty stretch of sea far from every vessel.
    token = page.evaluate("sessionStorage.getItem('mare.token')")
    assert token and all(token not in u for u in rec.urls)
    assert page.text_content("#link-state") == "live"
    shot(page, "live")


def test_search_by_name_opens_the_vessel_panel_with_track_and_risk(
    session: tuple[Page, Recorder],
) -> None:
    page, _ = session
    page.fill("#search", "alfa")
    page.wait_for_selector("#search-results li[role=option] >> text=ALFA STAR")
    page.keyboard.press("Enter")
    page.wait_for_selector("#panel-title >> text=ALFA STAR")
    assert str(IN_ALPHA) in (page.text_content("#panel-body") or "")
    assert "Risk" in (page.text_content("#panel-body") or "")
    page.wait_for_function(
        "() => /positions since/.test(document.getElementById('track-info').textContent)",
        timeout=30_000,
    )
    assert page.evaluate("window.mare.map.state.track.path.length") >= 2
    shot(page, "panel")
    page.click("#panel-close")


def test_acknowledge_an_alert_from_the_feed(session: tuple[Page, Recorder], svc: Service) -> None:
    page, _ = session
    item = page.wait_for_selector(".alert[data-state=new]")
    assert item is not None
    alert_id = item.get_attribute("data-id")
    item.query_selector("button:has-text('Acknowledge')").click()  # type: ignore[union-attr]
    page.wait_for_selector(f".alert[data-id='{alert_id}'][data-state=acknowledged]")
    server = svc.get(f"/api/v1/alerts/{alert_id}").json()
    assert server["state"] == "acknowledged" and server["acknowledged_by"] == "officer1"


def test_dark_vessel_shows_its_reachable_area_and_intercepts(
    session: tuple[Page, Recorder],
) -> None:
    page, _ = session
    page.fill("#search", str(DARK))
    page.wait_for_selector(f"#search-results li[role=option] >> text={DARK}")
    page.keyboard.press("Enter")
    page.wait_for_selector("#dark-note")
    page.wait_for_function(
        "() => /nm of its last fix/.test(document.getElementById('reach-info').textContent)",
        timeout=60_000,
    )
    kinds = page.evaluate("window.mare.map.state.reach.features.map(f => f.properties.kind)")
    assert kinds[0] == "reachable" and kinds[-1] == "last_fix"
    page.wait_for_function(
        "() => window.mare.map.deck.props.layers.some(l => l.id === 'reach')", timeout=30_000
    )
    page.wait_for_selector("#area-reach >> text=Patrol One", timeout=60_000)
    shot(page, "dark")
    page.click("#panel-close")


def test_replay_plays_the_window_on_the_time_slider(session: tuple[Page, Recorder]) -> None:
    page, _ = session
    page.click("[data-mode=replay]")
    start = datetime.fromtimestamp(T0 - 600, tz=UTC).strftime("%Y-%m-%dT%H:%M")
    end = datetime.fromtimestamp(T0 + 3 * 3600, tz=UTC).strftime("%Y-%m-%dT%H:%M")
    page.fill("#replay-start", start)
    page.fill("#replay-end", end)
    page.uncheck("#replay-view")
    page.click("#replay-form button[type=submit]")
    page.wait_for_function(
        "() => /\\d+ vessels/.test(document.getElementById('replay-status').textContent)",
        timeout=60_000,
    )
    assert page.evaluate("window.mare.map.state.replay.vessels.length") >= 2
    marks = page.eval_on_selector_all("#replay-marks i", "els => els.length")
    assert marks >= 1  # the zone entries on the timeline
    page.select_option("#replay-speed", "3600")
    page.click("#replay-play")
    page.wait_for_function("() => Number(document.getElementById('replay-time').value) > 60")
    page.click("#replay-play")
    assert page.evaluate("window.mare.map.deck.props.layers.some(l => l.id === 'replay-trips')")
    shot(page, "replay")
    page.click("[data-mode=live]")


def test_draw_a_polygon_and_save_it_as_a_zone(session: tuple[Page, Recorder], svc: Service) -> None:
    page, _ = session
    page.click("[data-mode=draw]")
    box = page.locator("#map").bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-60, -40), (60, -40), (60, 40), (-60, 40)):
        page.mouse.click(cx + dx, cy + dy)
        time.sleep(0.3)
    wait(lambda: page.evaluate("window.mare.map.state.draw.points.length") == 4, 30, "corners")
    page.locator("#map").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".dialog select[name=use]")
    page.select_option(".dialog select[name=use]", "zone")
    page.click(".dialog button[type=submit]")
    page.wait_for_selector(".dialog input[name=name]")
    page.fill(".dialog input[name=name]", "Drawn box")
    page.select_option(".dialog select[name=kind]", "patrol_area")
    page.click(".dialog button[type=submit]")

    def saved() -> Any:
        feats = svc.get("/api/v1/zones").json()["features"]
        return [f for f in feats if f["properties"]["name"] == "Drawn box"]

    (zone,) = wait(saved, 30, "zone saved")
    assert zone["properties"]["kind"] == "patrol_area"
    assert len(zone["geometry"]["coordinates"][0]) == 5 or zone["geometry"]["type"] != "Polygon"
    page.wait_for_function(
        "() => window.mare.map.state.zones.features.some(f => f.properties.name === 'Drawn box')",
        timeout=30_000,
    )
    shot(page, "zone")


def test_wall_display_link_takes_the_token_from_the_fragment_and_clears_it(
    browser: Browser, svc: Service
) -> None:
    base = str(svc.client.base_url).rstrip("/")
    rec = Recorder(urlparse(base).netloc)
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    page.route("**/*", rec.route)
    page.on("websocket", lambda ws: rec.websocket(ws.url))
    token = svc.tokens["analyst"]
    page.goto(f"{base}/#token={token}")
    page.wait_for_function("() => window.mare.store.length >= 3", timeout=60_000)
    assert page.evaluate("location.hash") == ""
    assert page.evaluate("sessionStorage.getItem('mare.token')") == token
    assert page.is_hidden("#login")
    assert all(token not in u for u in rec.urls)  # never sent in a URL
    assert not rec.foreign
    ctx.close()
