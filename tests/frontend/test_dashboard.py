"""The dashboard end to end: real headless Chromium against the real service on SQLite.

The service is the production app (create_app, pipeline, engine, hub) fed AIS over its UDP
source; the browser is Debian's Chromium driven by Playwright. Every request the page makes is
recorded: any host other than the Mare server fails the test (and is aborted, so an air-gapped
room would see the same page).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page

from app.api.services import services_of
from geo.events import format_time
from tests.app.api.conftest import (
    IN_ALPHA,
    PASSWORD,
    T0,
    Service,
    empty_postgis,
    feed_scenario,
    make_settings,
    postgis_url,  # noqa: F401 - the session's PostGIS database, a fixture
    start,
)
from tests.app.api.nmea import position, static
from tests.frontend.browser import SHOTS, Recorder, answer, shot, signed_in, wait, watched_page
from tests.frontend.pixels import close_to, decode_png

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DARK = 247_000_900
OTHER = 247_000_901


#: The tests that also run against PostGIS (marked ``on_postgis``): those whose answers come
#: from the store's dialect-specific SQL (tracks, replay, the retroactive geofence, alert
#: filters and exports, the audit trail, vessels stored by another process) and the sign-in
#: they start from. The others draw what the live picture holds, the same on both backends;
#: running them twice would double the module's three minutes for nothing a backend changes.
on_postgis = pytest.mark.on_postgis


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("on_postgis") is not None
        backends = ["sqlite", "postgis"] if both else ["sqlite"]
        metafunc.parametrize("backend", backends, scope="module")


@pytest.fixture(scope="module")
def svc(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp(f"dash-{backend}")
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'mare.sqlite'}"
    else:
        url = request.getfixturevalue("postgis_url")
        empty_postgis(url)
    for s in start(make_settings(tmp, url)):
        yield _seed(s)


def _seed(s: Service) -> Service:
    """Two zone entries, a vessel gone dark, and one own asset."""
    feed_scenario(s)
    # A vessel falls silent while another keeps reporting: the first goes dark.
    t1 = s.event_time()
    s.send([position(DARK, 12.6 + 0.01 * i, 34.6, t1 + 180 * i) for i in range(5)])
    s.wait_for(lambda: services_of(s.app).live.get(DARK))
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


@pytest.fixture(scope="module")
def session(browser: Browser, svc: Service) -> Iterator[tuple[Page, Recorder]]:
    base = str(svc.client.base_url).rstrip("/")
    # the watch floor's dark theme, whose colours these tests expect
    page, rec, errors = watched_page(browser, base, color_scheme="dark")
    ctx = page.context
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(base + "/")
    yield page, rec
    assert not errors, errors
    assert not rec.foreign, f"requests to other hosts: {rec.foreign}"
    ctx.close()


def screen_at(page: Page, lon: float, lat: float) -> tuple[float, float]:
    x, y = page.evaluate(
        """([lon, lat]) => { const p = window.mare.map.project(lon, lat);
             const r = document.getElementById('map').getBoundingClientRect();
             return [p[0] + r.left, p[1] + r.top]; }""",
        [lon, lat],
    )
    return float(x), float(y)


#: The legend's risk colours (index.html), independent of what the page says it draws.
RISK_RGB = ((75, (235, 70, 70)), (50, (240, 140, 60)), (25, (230, 200, 80)), (0, (95, 196, 214)))


DARK_RGB = (138, 147, 160)  # the legend's "dark (time since)"


def legend_rgb(v: dict[str, Any]) -> tuple[int, int, int]:
    """The legend's colour for a vessel as the server describes it (dark, else its risk)."""
    if v["dark"]:
        return DARK_RGB
    return next(rgb for floor, rgb in RISK_RGB if v["risk"]["score"] >= floor)


def vessel_pixels_drawn(page: Page, svc: Service, mmsi: int) -> bool:
    """True when the canvas shows the legend's colour for the vessel at its position."""
    v = svc.get(f"/api/v1/vessels/{mmsi}").json()
    x, y = screen_at(page, v["lon"], v["lat"])
    return colour_near(page, x, y, legend_rgb(v), 12) >= 6


def colour_near(page: Page, x: float, y: float, rgb: tuple[int, ...], r: int) -> int:
    """Count the screen pixels within ``r`` of (x, y) close to ``rgb`` (none off the screen)."""
    size = page.viewport_size
    assert size is not None
    if not (r <= x < size["width"] - r and r <= y < size["height"] - r):
        return 0  # e.g. while the view still flies there
    png = page.screenshot(clip={"x": x - r, "y": y - r, "width": 2 * r + 1, "height": 2 * r + 1})
    img = decode_png(png)
    return sum(close_to(px, (rgb[0], rgb[1], rgb[2])) for px in img.near(r, r, r))


@on_postgis
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
    wait(lambda: vessel_pixels_drawn(page, svc, IN_ALPHA), timeout=120, what="vessel pixels")
    # ... and not on an empty stretch of sea far from every vessel (the Ionian, 16 E 34 N)
    x, y = screen_at(page, 16.0, 34.0)
    alfa = legend_rgb(svc.get(f"/api/v1/vessels/{IN_ALPHA}").json())
    assert colour_near(page, x, y, alfa, 12) == 0
    token = page.evaluate("sessionStorage.getItem('mare.token')")
    assert token and all(token not in u for u in rec.urls)
    assert page.text_content("#link-state") == "live"
    shot(page, "live")


@on_postgis
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


@on_postgis
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


@on_postgis
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
    drawn = page.evaluate("window.mare.map.state.draw.points")
    page.locator("#map").focus()
    page.keyboard.press("Enter")
    answer(page, use="zone")
    answer(page, name="Drawn box", kind="patrol_area")

    def saved() -> Any:
        feats = svc.get("/api/v1/zones").json()["features"]
        return [f for f in feats if f["properties"]["name"] == "Drawn box"]

    (zone,) = wait(saved, 30, "zone saved")
    assert zone["properties"]["kind"] == "patrol_area"
    # the four corners clicked, closed: whether stored as a Polygon or a one-part MultiPolygon
    geometry = zone["geometry"]
    rings = {"Polygon": lambda c: c, "MultiPolygon": lambda c: c[0]}[geometry["type"]](
        geometry["coordinates"]
    )
    assert len(rings) == 1 and len(rings[0]) == 5 and rings[0][0] == rings[0][-1]
    stored = sorted(map(tuple, rings[0][:4]))
    for a, b in zip(stored, sorted(map(tuple, drawn)), strict=True):
        assert a == pytest.approx(b, abs=1e-5)
    page.wait_for_function(
        "() => window.mare.map.state.zones.features.some(f => f.properties.name === 'Drawn box')",
        timeout=30_000,
    )
    shot(page, "zone")


def live_view(page: Page, lon: float, lat: float, zoom: float) -> None:
    """Back to Live, centred on (lon, lat) at ``zoom`` or closer (flyTo never zooms out)."""
    page.click("[data-mode=live]")
    page.evaluate(f"window.mare.map.flyTo({lon}, {lat}, {zoom})")
    page.wait_for_function(
        "([lon, lat, zoom]) => { const v = window.mare.map.viewState;"
        " return Math.abs(v.longitude - lon) < 1e-4 && Math.abs(v.latitude - lat) < 1e-4"
        " && v.zoom >= zoom - 0.01; }",
        arg=[lon, lat, zoom],
        timeout=30_000,
    )
    time.sleep(1.0)


RETRO_RGB = (190, 120, 230)  # the violet the results' text promises for their tracks


@on_postgis
def test_retroactive_geofence_lists_opens_exports_and_clears_its_results(
    session: tuple[Page, Recorder], svc: Service
) -> None:
    page, _ = session
    live_view(page, 12.0, 35.2, 9)
    page.click("[data-mode=draw]")
    for dx, dy in ((-100, -60), (100, -60), (100, 60), (-100, 60)):
        x, y = map_point(page, dx, dy)
        page.mouse.click(x, y)
        time.sleep(0.3)
    wait(lambda: page.evaluate("window.mare.map.state.draw.points.length") == 4, 30, "corners")
    page.locator("#map").focus()
    page.keyboard.press("Enter")
    answer(page, use="retro")
    start = datetime.fromtimestamp(T0 - 600, tz=UTC).strftime("%Y-%m-%dT%H:%M")
    end = datetime.fromtimestamp(T0 + 3 * 3600, tz=UTC).strftime("%Y-%m-%dT%H:%M")
    answer(page, start=start, end=end)
    page.wait_for_selector(f"#retro-results tr[data-mmsi='{IN_ALPHA}']", timeout=30_000)
    polygon = page.evaluate(
        "(() => { const p = window.mare.map.state.draw.points;"
        " return {type: 'Polygon', coordinates: [[...p, p[0]]]}; })()"
    )
    body = {"polygon": polygon, "start": start + ":00Z", "end": end + ":00Z"}
    expected = svc.post("/api/v1/geofence/retro", "analyst", json=body).json()
    listed = page.eval_on_selector_all(
        "#retro-results tbody tr", "rs => rs.map(r => +r.dataset.mmsi)"
    )
    assert listed == [r["mmsi"] for r in expected] and IN_ALPHA in listed
    # the tracks are drawn, in violet, where the vessel went inside the window (west of the
    # alpha zone's own outline at 12.0 E)
    x, y = screen_at(page, 11.962, 35.2)
    wait(lambda: colour_near(page, x, y, RETRO_RGB, 4) >= 3, 60, "retro track pixels")
    shot(page, "retro")

    # exported by the server: the same rows in CSV, the area and one track a vessel in GeoJSON
    with page.expect_download() as dl:
        page.click("#retro-csv")
    rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8"))))
    assert [int(r["mmsi"]) for r in rows] == listed
    with page.expect_download() as dl:
        page.click("#retro-geojson")
    fc = json.loads(Path(dl.value.path()).read_text(encoding="utf-8"))
    assert fc["features"][0]["properties"]["role"] == "area"
    assert fc["features"][0]["geometry"] == polygon
    assert [f["properties"]["mmsi"] for f in fc["features"][1:]] == listed

    # a row opens its vessel; the results stay under the panel
    page.click(f"#retro-results tr[data-mmsi='{IN_ALPHA}'] button.link")
    page.wait_for_selector("#panel-title >> text=ALFA STAR")
    assert page.is_visible("#retro-results")
    page.click("#panel-close")

    # leaving the mode clears the list, the area and the tracks, on screen too
    page.click("[data-mode=live]")
    assert page.is_hidden("#retro")
    assert page.evaluate("window.mare.map.state.retroTracks.length") == 0
    page.wait_for_function(
        "() => !window.mare.map.deck.props.layers.some(l => l.id === 'retro-tracks')",
        timeout=30_000,
    )
    wait(lambda: colour_near(page, x, y, RETRO_RGB, 4) == 0, 30, "retro track gone")


ASSET_RGB = (70, 225, 120)  # frontend/js/assets.js ASSET_COLOR


def asset_pixels_drawn(page: Page, name: str) -> bool:
    """True when the canvas shows the own-asset green around the named asset's position."""
    at = page.evaluate(
        """(name) => { const a = window.mare.map.state.assets.find(x => x.name === name);
             if (!a) return null;
             const p = window.mare.map.project(a.lon, a.lat);
             const r = document.getElementById('map').getBoundingClientRect();
             return {x: p[0] + r.left, y: p[1] + r.top}; }""",
        name,
    )
    return at is not None and colour_near(page, at["x"], at["y"], ASSET_RGB, 10) >= 12


def map_point(page: Page, dx: float, dy: float) -> tuple[float, float]:
    box = page.locator("#map").bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy


def server_assets(svc: Service) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in svc.get("/api/v1/assets").json()}


def test_own_assets_are_drawn_on_the_map_with_their_names(session: tuple[Page, Recorder]) -> None:
    page, _ = session
    page.click("[data-mode=live]")
    page.wait_for_function(
        "() => window.mare.map.state.assets.some(a => a.name === 'Patrol One')", timeout=30_000
    )
    page.evaluate("window.mare.map.flyTo(13.0, 35.0, 8)")
    wait(lambda: asset_pixels_drawn(page, "Patrol One"), 60, "asset pixels")
    layers = page.evaluate("window.mare.map.deck.props.layers.map(l => l.id)")
    assert "assets" in layers and "asset-names" in layers
    shot(page, "assets")


def test_add_move_and_delete_an_asset_by_hand_on_the_map(
    session: tuple[Page, Recorder], svc: Service
) -> None:
    page, _ = session
    x, y = map_point(page, 220, -140)
    lon, lat = page.evaluate(
        "([x, y]) => { const r = document.getElementById('map').getBoundingClientRect();"
        " return window.mare.map.unproject(x - r.left, y - r.top); }",
        [x, y],
    )
    page.mouse.click(x, y, button="right")
    answer(page, what="asset")  # not a contact
    # Patrol One is fixed, so the menu first asks: a new asset, or move one here.
    answer(page, action="add")
    answer(page, name="Hand Patrol", kind="aircraft", max_speed_kn="150")
    shot(page, "asset-add-submitted")
    added = wait(lambda: server_assets(svc).get("Hand Patrol"), 30, "asset added")
    assert added["kind"] == "aircraft" and added["max_speed_kn"] == 150
    assert (added["lon"], added["lat"]) == pytest.approx((lon, lat), abs=1e-3)
    wait(lambda: asset_pixels_drawn(page, "Hand Patrol"), 60, "new asset pixels")

    # Moved with the same menu, somewhere else.
    x2, y2 = map_point(page, 120, 160)
    page.mouse.click(x2, y2, button="right")
    answer(page, what="asset")
    answer(page, action=str(added["id"]))
    moved = wait(
        lambda: (a := server_assets(svc)["Hand Patrol"])["lat"] != added["lat"] and a,
        30,
        "asset moved",
    )
    assert moved["lat"] < added["lat"] and moved["id"] == added["id"]
    page.wait_for_function(
        "(lat) => window.mare.map.state.assets.some(a => a.name === 'Hand Patrol' && a.lat == lat)",
        arg=moved["lat"],
        timeout=30_000,
    )
    shot(page, "asset-added")

    # A click on its mark opens it; deleted from there.
    time.sleep(0.5)  # the moved mark is drawn on the next frame

    def deleted() -> bool:  # a click just after a layer change can go unpicked: click again
        if "Hand Patrol" not in server_assets(svc):
            return True
        if page.query_selector(".dialog [name=action]") is None:
            page.mouse.click(x2, y2)
        if page.query_selector(".dialog [name=action]") is not None:
            answer(page, action="delete")
        time.sleep(1.0)
        return "Hand Patrol" not in server_assets(svc)

    wait(deleted, 30, "asset deleted")
    page.wait_for_function(
        "() => !window.mare.map.state.assets.some(a => a.name === 'Hand Patrol')", timeout=30_000
    )


def test_report_a_contact_by_right_click_then_see_the_dark_target_and_who_gets_there(
    session: tuple[Page, Recorder], svc: Service
) -> None:
    page, _ = session
    page.click("[data-mode=live]")
    page.evaluate("window.mare.map.flyTo(13.0, 35.0, 8)")
    time.sleep(1.0)
    x, y = map_point(page, -180, 120)
    lon, lat = page.evaluate(
        "([x, y]) => { const r = document.getElementById('map').getBoundingClientRect();"
        " return window.mare.map.unproject(x - r.left, y - r.top); }",
        [x, y],
    )
    page.mouse.click(x, y, button="right")
    answer(page, what="contact")
    answer(page, kind="sar", source="S1A", people="35", length_m="9")
    contact = wait(lambda: svc.get("/api/v1/contacts").json(), 30, "contact stored")[-1]
    assert (contact["kind"], contact["source"], contact["people"]) == ("sar", "S1A", 35)
    assert (contact["lon"], contact["lat"]) == pytest.approx((lon, lat), abs=1e-3)
    # the engine's clock moves on past the contact's settle time with another vessel's fixes
    t1 = svc.event_time()
    svc.send([position(OTHER, 13.8 + 0.001 * i, 34.2, t1 + 60 * i) for i in range(16)])
    page.wait_for_function(
        "() => window.mare.map.state.targets.some(t => t.source === 'sar S1A')", timeout=60_000
    )
    layers = page.evaluate("window.mare.map.deck.props.layers.map(l => l.id)")
    assert "targets" in layers and "target-labels" in layers
    label = page.evaluate("window.mare.map.state.targets[0].target")
    assert label.startswith("DT-")
    wait(lambda: colour_near(page, x, y, (236, 72, 190), 10) >= 12, 60, "target pixels")
    shot(page, "dark-target")

    def click_opens() -> bool:  # the first click after a layer change can go unpicked
        page.mouse.click(x, y)
        time.sleep(1.0)
        return page.query_selector("#target-title") is not None

    wait(click_opens, 30, "target panel")
    page.wait_for_selector("#area-reach >> text=Patrol One", timeout=30_000)
    assert "sar S1A" in (page.text_content("#panel-body") or "")
    page.wait_for_function("() => window.mare.map.state.reach !== null", timeout=30_000)
    shot(page, "dark-target-reach")
    page.click("#panel-close")


def test_a_dark_targets_alert_is_named_by_its_target_not_its_number(
    session: tuple[Page, Recorder], svc: Service
) -> None:
    """Its number stands in the MMSI field (10 digits): the feed says "DT-… · no AIS" instead."""
    page, _ = session
    t1 = svc.event_time()
    seen = {"time": format_time(t1 * 1000), "lat": 34.9, "lon": 13.4, "kind": "aircraft"}
    assert svc.post("/api/v1/contacts", "officer", json=seen).status_code == 201
    svc.send([position(OTHER, 13.9 + 0.001 * i, 34.2, t1 + 60 * i) for i in range(16)])
    head = ".vessel-group:has(.what:text-matches('dark target', 'i')) .group-head .vessel"
    page.wait_for_selector(head, timeout=60_000)
    title = page.text_content(head) or ""
    number = page.get_attribute(head + " >> xpath=../..", "data-mmsi") or ""
    assert title.startswith("DT-") and title.endswith("· no AIS"), title
    assert number and number not in title, (number, title)


def test_a_reporting_vessels_intercepts_rank_the_assets_with_point_and_time(
    session: tuple[Page, Recorder],
) -> None:
    page, _ = session
    mmsi = page.evaluate("window.mare.store.objects.find(v => v && !v.dark)?.mmsi ?? null")
    assert mmsi is not None
    page.evaluate("(m) => window.mare.panel.open(m)", mmsi)
    page.wait_for_selector("#panel-title")
    # The panel asks on its own only for suspects and dark vessels; ask for this one.
    page.evaluate(
        "window.mare.panel.loadIntercepts(window.mare.panel.vessel, window.mare.panel.seq)"
    )
    page.wait_for_selector("#intercept-list >> text=Patrol One", timeout=30_000)
    first = page.text_content("#intercept-list li:first-child") or ""
    assert "meets in" in first and "steer" in first, first
    kinds = page.evaluate("window.mare.map.state.intercepts.points.map(p => p.kind)")
    assert "intercept" in kinds and "asset" in kinds
    page.wait_for_function(
        "() => window.mare.map.deck.props.layers.some(l => l.id === 'intercept-points')",
        timeout=30_000,
    )
    shot(page, "intercepts")
    page.click("#panel-close")


def export_alerts_csv(page: Page) -> str:
    """Export the feed's alerts as CSV from its Export button; return the file's text."""
    page.click("#export-alerts")
    with page.expect_download() as dl:
        answer(page, format="csv")
    assert dl.value.suggested_filename.endswith(".csv")
    return Path(dl.value.path()).read_text(encoding="utf-8")


def _csv_ids(text: str, severities: set[str] | None = None) -> set[int]:
    rows = list(csv.DictReader(io.StringIO(text)))
    if severities is not None:
        assert {r["severity"] for r in rows} <= severities
    return {int(r["id"]) for r in rows}


@on_postgis
def test_alert_export_in_csv_follows_the_feeds_filters(
    session: tuple[Page, Recorder], svc: Service
) -> None:
    page, _ = session
    page.click("[data-alerts=all]")
    everything: set[int] = set()
    for severity in ("", "high"):
        page.select_option("#alert-severity", severity)
        text = export_alerts_csv(page)
        assert text.startswith("id,kind,mmsi,")
        params = {"format": "csv", **({"severity": severity} if severity else {})}
        expected = svc.get("/api/v1/export/alerts", params=params).text
        assert _csv_ids(text) == _csv_ids(expected)
        if severity:
            assert _csv_ids(text, {"high", "critical"}) <= everything
        else:
            everything = _csv_ids(text)
            assert everything
    # "Open" is the other filter: the resolved and acknowledged states are the API's own.
    page.select_option("#alert-severity", "")
    page.click("[data-alerts=open]")
    text = export_alerts_csv(page)
    opened = svc.get(
        "/api/v1/export/alerts", params={"format": "csv", "state": "new,acknowledged"}
    ).text
    assert _csv_ids(text) == _csv_ids(opened)


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


def test_open_count_is_the_servers_whatever_the_feed_holds(
    session: tuple[Page, Recorder], svc: Service
) -> None:
    page, _ = session

    def server_open() -> int:
        return int(svc.get("/api/v1/stats").json()["alerts_open"])

    wait(lambda: page.text_content("#stat-open") == str(server_open()), what="server count")
    # a feed filtered down to nothing does not change the count: it is not the feed's
    page.select_option("#alert-severity", "critical")
    page.wait_for_function("() => !document.querySelector('#alert-list .alert[data-state=new]')")
    page.wait_for_timeout(1500)
    assert page.text_content("#stat-open") == str(server_open())
    page.select_option("#alert-severity", "")
    # an alert resolved elsewhere (another desk, the API) comes down the live feed and the
    # count follows the server's
    before = server_open()
    first = svc.get("/api/v1/alerts", params={"state": "new"}).json()["items"][0]
    assert svc.post(f"/api/v1/alerts/{first['id']}/resolve", json={}).status_code == 200
    wait(lambda: page.text_content("#stat-open") == str(before - 1), what="count after resolve")


def fmt_duration(s: int) -> str:
    """The dashboard's `fmtDuration` (format.js), to compare its words."""
    if s < 60:
        return f"{max(0, s)} s"
    m = s // 60
    if m < 60:
        return f"{m} min"
    h = m // 60
    return f"{h} h {m % 60:02d} min" if h < 48 else f"{h // 24} d {h % 24} h"


def test_alert_ages_tick_each_second_on_the_engines_clock(
    session: tuple[Page, Recorder], svc: Service
) -> None:
    page, _ = session
    page.click("[data-alerts=all]")
    el = page.wait_for_selector("#alert-list time.when")
    assert el is not None
    start = el.get_attribute("datetime")
    assert start is not None
    # overwritten text comes back within a second or two: the list ticks by itself
    el.evaluate("t => { t.textContent = 'stale'; }")
    wait(lambda: el.text_content() != "stale", timeout=5, what="tick")
    # ... and counts from the engine's clock (the scenario's days-old event time), not the
    # browser's: an age of minutes, not of weeks
    engine = datetime.fromisoformat(
        svc.get("/api/v1/stats").json()["event_time"].replace("Z", "+00:00")
    )
    age = engine - datetime.fromisoformat(start.replace("Z", "+00:00"))
    text = el.text_content() or ""
    seconds = int(age.total_seconds())
    near = {f"{fmt_duration(seconds + d)} ago" for d in range(-90, 91)}
    assert text in near, (text, seconds)
    page.click("[data-alerts=open]")


def test_alerts_are_grouped_per_vessel_in_the_feed(session: tuple[Page, Recorder]) -> None:
    page, _ = session
    page.click("[data-alerts=all]")
    groups = page.evaluate(
        """() => [...document.querySelectorAll('#alert-list > .vessel-group')].map(g => ({
            mmsi: g.dataset.mmsi,
            alerts: g.querySelectorAll('.alert').length,
            head: g.querySelector('.group-head .vessel').textContent,
        }))"""
    )
    assert groups and all(g["alerts"] >= 1 for g in groups)
    mmsis = [g["mmsi"] for g in groups]
    assert len(mmsis) == len(set(mmsis))  # one group a vessel
    # a vessel's head names its MMSI; a dark target's its DT- name (its number is no MMSI)
    assert all((g["mmsi"] in g["head"]) != g["head"].startswith("DT-") for g in groups), groups
    loose = page.evaluate("document.querySelectorAll('#alert-list > .alert').length")
    assert loose == 0
    page.click("[data-alerts=open]")


def test_alerts_and_the_vessel_panel_name_zones_not_their_ids(
    session: tuple[Page, Recorder],
) -> None:
    page, _ = session
    page.click("[data-alerts=all]")
    card = page.wait_for_selector(
        f"#alert-list .vessel-group[data-mmsi='{IN_ALPHA}'] .alert:has-text('Zone entry')"
    )
    assert card is not None
    text = card.text_content() or ""
    assert "Alpha box" in text and "· alpha" not in text, text
    page.click("[data-alerts=open]")
    page.fill("#search", "alfa")
    page.wait_for_selector("#search-results li[role=option] >> text=ALFA STAR")
    page.keyboard.press("Enter")
    page.wait_for_selector("#panel-body td >> text=/Zone entry · Alpha box/")
    page.click("#panel-close")


def test_every_control_of_the_alert_feed_lies_inside_its_card(
    session: tuple[Page, Recorder],
) -> None:
    page, _ = session
    outside = page.evaluate(
        """() => { const card = document.getElementById('alerts').getBoundingClientRect();
             return [...document.querySelectorAll('#alerts > header :is(button, select, a)')]
               .filter(e => { const r = e.getBoundingClientRect();
                 return r.left < card.left || r.right > card.right || r.right > innerWidth; })
               .map(e => e.textContent.trim() || e.id); }"""
    )
    assert outside == []


def test_rings_mean_suspects_only_and_the_legend_says_so(
    session: tuple[Page, Recorder], svc: Service
) -> None:
    page, _ = session
    legend = page.text_content(".legend") or ""
    assert "suspect (risk ≥ 50)" in legend
    layers = page.evaluate("window.mare.map.deck.props.layers.map(l => l.id)")
    assert "alerts" not in layers  # open alerts are no longer drawn as rings
    ringed = page.evaluate("window.mare.store.slotsWith(2).map(Number)")
    vessels = svc.get("/api/v1/vessels", params={"limit": 1000}).json()["items"]
    assert sorted(ringed) == sorted(v["mmsi"] for v in vessels if (v["risk"] or 0) >= 50)


def test_an_admin_edits_the_alert_rules_and_a_bad_rule_is_refused_by_name(
    browser: Browser, svc: Service
) -> None:
    base = str(svc.client.base_url).rstrip("/")
    with signed_in(browser, base, svc.tokens["admin"]) as page:
        page.wait_for_function(
            "() => window.mare.alerts !== null && window.mare.rules", timeout=60_000
        )
        page.click("#alert-rules")
        page.wait_for_selector(".rules-dialog table.rules tr[data-rule=everything]")
        area = page.locator(".rules-dialog textarea")
        bad = {"rules": [{"id": "typo", "when": {"kinds": ["zone_entri"]}, "then": "alert"}]}
        area.fill(json.dumps(bad))
        page.click(".rules-dialog button[type=submit]")
        page.wait_for_selector(
            ".rules-dialog .error >> text=rule 'typo': unknown kinds 'zone_entri'"
        )
        assert svc.get("/api/v1/alert-rules").json()["rules"][0]["id"] == "everything"
        good = {
            "rules": [
                {"id": "everything", "description": "Every event.", "when": {}, "then": "alert"},
            ],
            "narrow": [],
        }
        area.fill(json.dumps(good))
        page.click(".rules-dialog button[type=submit]")
        page.wait_for_selector(".rules-dialog", state="detached")
        assert svc.get("/api/v1/alert-rules").json() == good
        [entry] = services_of(svc.app).repo.audit_of("alert_rules")
        assert entry["user"] == "admin"


def test_an_officer_reads_the_rules_but_cannot_edit_them(session: tuple[Page, Recorder]) -> None:
    page, _ = session
    page.click("#alert-rules")
    page.wait_for_selector(".rules-dialog table.rules tbody tr")
    assert page.locator(".rules-dialog textarea").count() == 0
    page.keyboard.press("Escape")
    page.wait_for_selector(".rules-dialog", state="detached")


@on_postgis
def test_assign_picks_from_the_people_who_may_see_the_alert_and_the_trail_shows_it(
    session: tuple[Page, Recorder], svc: Service
) -> None:
    page, _ = session
    page.click("[data-alerts=all]")
    # the alert the feed acknowledged earlier, as the server has it
    acked = svc.get("/api/v1/alerts", params={"state": "acknowledged"}).json()["items"]
    alert_id, mmsi = acked[0]["id"], acked[0]["mmsi"]
    item = page.wait_for_selector(f".alert[data-id='{alert_id}']:has(button:has-text('Assign'))")
    assert item is not None
    item.query_selector("button:has-text('Assign')").click()  # type: ignore[union-attr]
    field = page.wait_for_selector(".dialog select[name=assignee]")
    assert field is not None
    offered = field.evaluate("s => [...s.options].map(o => o.value)")
    assert offered == svc.get(f"/api/v1/alerts/{alert_id}/assignees", "officer").json()
    assert "analyst1" in offered
    answer(page, assignee="analyst1")
    page.wait_for_selector(".dialog", state="detached")

    def assigned() -> bool:
        toast = page.text_content("#toast") or ""
        assert "Could not" not in toast, toast
        return bool(svc.get(f"/api/v1/alerts/{alert_id}").json()["assignee"] == "analyst1")

    wait(assigned, 60, "assigned on the server")
    page.wait_for_selector(f".alert[data-id='{alert_id}'] .meta >> text=→ analyst1")

    # the alert's trail, from its History button
    page.click(f".alert[data-id='{alert_id}'] button.history")
    page.wait_for_selector("#alert-audit >> text=officer1")
    trail = page.text_content("#alert-audit") or ""
    assert "assign" in trail and "analyst1" in trail and "acknowledge" in trail
    shot(page, "alert-history")
    page.keyboard.press("Escape")
    page.wait_for_selector(".dialog", state="detached")

    # the vessel's trail in its panel gathers its alerts'
    page.evaluate("(m) => window.mare.panel.open(m)", mmsi)
    page.wait_for_selector(f"#vessel-audit-list >> text=alert {alert_id}")
    shot(page, "vessel-audit")
    page.click("#panel-close")
    page.click("[data-alerts=open]")


def test_an_analyst_sees_neither_assign_nor_audit(browser: Browser, svc: Service) -> None:
    base = str(svc.client.base_url).rstrip("/")
    with signed_in(browser, base, svc.tokens["analyst"]) as page:
        page.wait_for_function("() => window.mare.panel !== null", timeout=60_000)
        page.click("[data-alerts=all]")
        page.wait_for_selector(".alert button:has-text('Comment')")
        assert page.locator(".alert button.history").count() == 0
        assert page.locator(".alert button:has-text('Assign')").count() == 0
        page.evaluate("(m) => window.mare.panel.open(m)", IN_ALPHA)
        page.wait_for_selector("#panel-title >> text=ALFA STAR")
        assert page.locator("#vessel-audit").count() == 0


NEWCOMER = 247_000_950


@on_postgis
def test_vessels_stored_by_another_process_appear_without_a_restart(
    session: tuple[Page, Recorder], svc: Service, tmp_path: Path
) -> None:
    """`mare ingest` into the service's database, as a second desk would: on the map at once."""
    page, _ = session
    t1 = svc.event_time()
    lines = static(NEWCOMER, "SECOND DESK", t1)
    lines += [position(NEWCOMER, 13.3 + 0.01 * i, 34.0, t1 + 60 * i) for i in range(3)]
    capture = tmp_path / "second-desk.nmea"
    capture.write_text("\n".join(lines) + "\n", encoding="ascii")
    assert svc.get(f"/api/v1/vessels/{NEWCOMER}").status_code == 404
    url = services_of(svc.app).settings.resolved_database_url
    mare = str(Path(sys.executable).with_name("mare"))
    env = {**os.environ, "MARE_DATABASE_URL": url}
    run = subprocess.run(
        [mare, "ingest", f"file:{capture}"], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    v = wait(lambda: (r := svc.get(f"/api/v1/vessels/{NEWCOMER}")).status_code == 200 and r.json(),
             60, "vessel in the service")  # fmt: skip
    assert v["name"] == "SECOND DESK" and v["lon"] == pytest.approx(13.32)
    # ... and pushed to the open page, drawn where it is in the legend's colour
    page.wait_for_function("(m) => window.mare.store.slot.has(m)", arg=NEWCOMER, timeout=60_000)
    page.evaluate("window.mare.map.flyTo(13.32, 34.0, 8)")
    wait(lambda: vessel_pixels_drawn(page, svc, NEWCOMER), 60, "newcomer pixels")
    shot(page, "second-desk")


#: The picture's layout (frontend/js/picture.js): 12 px margins, the time top left, a 34 x 46
#: north arrow top right, the legend bottom left.
MARGIN = 12
CARD_RGB = (20, 28, 38)
WHITE = (255, 255, 255)
LEGEND_RGB = [rgb for _, rgb in RISK_RGB] + [DARK_RGB, ASSET_RGB]


def count(img: Any, box: tuple[int, int, int, int], rgb: tuple[int, int, int], tol: int) -> int:
    x0, y0, x1, y1 = box
    return sum(
        close_to(img.pixel(x, y), rgb, tol)
        for y in range(max(0, y0), min(img.height, y1))
        for x in range(max(0, x0), min(img.width, x1))
    )


def legend_drawn(img: Any) -> list[tuple[int, int, int]]:
    """Return the legend colours missing from the image's bottom-left corner (none: all drawn)."""
    corner = (0, img.height - 260, 320, img.height)
    return [rgb for rgb in LEGEND_RGB if count(img, corner, rgb, 6) < 20]


@on_postgis
def test_the_map_picture_is_saved_as_png_with_legend_time_and_north_arrow(
    session: tuple[Page, Recorder], svc: Service
) -> None:
    page, _ = session
    live_view(page, 12.3, 35.1, 8)
    with page.expect_download() as dl:
        page.click("#save-picture")
    assert dl.value.suggested_filename.startswith("mare-map-")
    assert dl.value.suggested_filename.endswith(".png")
    img = decode_png(Path(dl.value.path()).read_bytes())
    box = page.locator("#map").bounding_box()
    assert box is not None and (img.width, img.height) == (box["width"], box["height"])
    # the legend, every colour of the page's legend as a swatch in the bottom-left corner
    assert legend_drawn(img) == []
    # the time, white text on a card in the top-left corner
    stamp = (MARGIN, MARGIN, MARGIN + 200, MARGIN + 26)
    assert count(img, stamp, CARD_RGB, 6) > 1500 and count(img, stamp, WHITE, 60) > 60
    # the north arrow in the top-right corner: white, narrow at the top and wide at the base
    left = img.width - MARGIN - 34
    widths = [
        count(img, (left, y, left + 34, y + 1), WHITE, 60) for y in range(MARGIN, MARGIN + 30)
    ]
    drawn = [y for y, w in enumerate(widths) if w > 0]
    assert drawn and drawn[0] <= 8, widths
    assert widths[drawn[0]] <= 3 and max(widths[drawn[0] + 12 :]) >= 12, widths
    assert count(img, (left, MARGIN + 30, left + 34, MARGIN + 44), WHITE, 60) > 10  # the "N"
    # ... and the map itself: the vessel in the legend's colour where it is on screen
    v = svc.get(f"/api/v1/vessels/{IN_ALPHA}").json()
    x, y = screen_at(page, v["lon"], v["lat"])
    mx, my = x - box["x"], y - box["y"]
    assert (
        count(img, (int(mx) - 12, int(my) - 12, int(mx) + 13, int(my) + 13), legend_rgb(v), 40) >= 6
    )
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    Path(dl.value.path()).replace(SHOTS / "picture.png")


def test_print_shows_the_map_and_its_legend_without_the_controls(
    session: tuple[Page, Recorder], svc: Service
) -> None:
    page, _ = session
    page.emulate_media(media="print")
    try:
        page.wait_for_function(
            "() => { const i = document.getElementById('print-map');"
            " return i && i.complete && i.naturalWidth > 0; }",
            timeout=30_000,
        )
        for control in (".topbar", "#alerts", "#filters", "#replay-bar", "#draw-bar", "#panel"):
            assert page.is_hidden(control), control
        assert page.is_visible("#print-map")
        img = decode_png(page.screenshot())
        assert legend_drawn(img) == []
        pic = page.locator("#print-map").bounding_box()
        assert pic is not None and pic["y"] == 0  # the map takes the page: no top bar above
        shot(page, "print")
        pdf = page.pdf(print_background=True)
        assert pdf.startswith(b"%PDF") and b"/Image" in pdf
    finally:
        page.emulate_media(media="screen")
    page.wait_for_selector(".topbar", state="visible")
