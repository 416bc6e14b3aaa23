"""A 250,000-position replay in the dashboard, beside a bare deck.gl page with the same data.

Part of ``bench.dashboard`` (same server, same Chromium, same run). The replay answer is made
here: 10,000 vessels with 25 fixes each over two hours (the issue's 2 h whole-area replay had
10,752 vessels and 219k positions), served to both pages for ``/api/v1/replay`` by the browser's
request routing, so the server's query time is not part of the figures (it is ``bench.store``'s).

- dashboard: Replay mode, Load, Play at 300×; frame intervals while playing; then Live clicked,
  and the time from that click to the second frame drawn with the live layers and no replay
  layer (the first frame after the switch has been presented); then frame intervals in Live.
- bare deck.gl: the same JSON fetched and drawn as one TripsLayer (what the dashboard drew
  before) with currentTime moved at the same speed each frame; then its layers emptied and the
  same two-frame time measured.
"""

from __future__ import annotations

import json
import math
import random
from typing import Any

N_VESSELS = 10_000
FIXES = 25
WINDOW_S = 7200
START = "2026-06-01T00:00:00Z"
END = "2026-06-01T02:00:00Z"
SPEED = 300


def replay_answer(seed: int = 7) -> bytes:
    """The /api/v1/replay body: vessels with path, timestamps (s since start) and risk."""
    rnd = random.Random(seed)
    vessels: list[dict[str, Any]] = []
    for i in range(N_VESSELS):
        lon, lat = 10 + 9 * rnd.random(), 32 + 6 * rnd.random()
        course = rnd.random() * 2 * math.pi
        t = rnd.random() * 600
        path, times = [], []
        for _ in range(FIXES):
            path.append([round(lon, 5), round(lat, 5)])
            times.append(round(t, 1))
            lon += 0.02 * math.sin(course)
            lat += 0.02 * math.cos(course)
            t += (WINDOW_S - 600) / FIXES
        vessels.append(
            {
                "mmsi": 200_000_000 + i,
                "name": f"V{i}",
                "risk": (i % 17) * 6,
                "path": path,
                "timestamps": times,
            }
        )
    alerts = [
        {
            "id": k,
            "kind": "zone_entry",
            "mmsi": 200_000_000 + k * 37,
            "severity": "medium",
            "start": "2026-06-01T00:30:00Z",
            "lon": vessels[k * 37]["path"][5][0],
            "lat": vessels[k * 37]["path"][5][1],
        }
        for k in range(200)
    ]
    body = {"start": START, "end": END, "vessels": vessels, "alerts": alerts}
    return json.dumps(body, separators=(",", ":")).encode()


#: Frames for `ms` milliseconds: the requestAnimationFrame timestamps.
FRAMES_JS = """
(ms) => new Promise((resolve) => {
  const ts = []; const t0 = performance.now();
  const tick = (t) => {
    ts.push(t);
    if (t - t0 < ms) requestAnimationFrame(tick); else resolve(ts);
  };
  requestAnimationFrame(tick);
})
"""

#: Click Live; resolve with the ms until the second frame drawn without the replay layers.
TO_LIVE_JS = """
() => new Promise((resolve) => {
  const t0 = performance.now();
  document.querySelector('[data-mode=live]').click();
  let seen = 0;
  const check = () => {
    const ids = window.mare.map.deck.props.layers.map((l) => l.id);
    if (!ids.includes('replay-trips') && ids.includes('vessels')) seen++;
    if (seen >= 2) resolve(performance.now() - t0); else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})
"""

BARE_HTML = """<!doctype html><html><head><meta charset="utf-8">
<style>html,body{margin:0;height:100%;background:#0e1620}</style>
<script src="/static/vendor/deck.gl.js"></script></head><body><div id="map"></div><script>
const deckgl = new deck.Deck({parent: document.getElementById('map'),
  views: [new deck.MapView({controller: true})], useDevicePixels: 1,
  initialViewState: {longitude: 14.2, latitude: 35.2, zoom: 5.6}, layers: []});
window.__bench = {playing: false, t: 0};
fetch('/api/v1/replay?bench=1').then((r) => r.json()).then((r) => {
  const data = r.vessels;
  let last = performance.now();
  const frame = (now) => {
    if (!window.__bench.playing) return;
    window.__bench.t = (window.__bench.t + (now - last) / 1000 * __SPEED__) % 7200;
    last = now;
    deckgl.setProps({layers: [new deck.TripsLayer({id: 'trips', data,
      getPath: (d) => d.path, getTimestamps: (d) => d.timestamps,
      getColor: (d) => d.risk >= 50 ? [240, 140, 60] : [95, 196, 214],
      widthUnits: 'pixels', getWidth: 2, trailLength: 1800, fadeTrail: true,
      currentTime: window.__bench.t})]});
    requestAnimationFrame(frame);
  };
  window.__benchPlay = () => {
    window.__bench.playing = true; last = performance.now(); requestAnimationFrame(frame);
  };
  window.__benchLive = () => new Promise((resolve) => {
    const t0 = performance.now();
    window.__bench.playing = false;
    deckgl.setProps({layers: []});
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
  });
  window.__benchReady = true;
});
</script></body></html>"""


def stats(ts: list[float]) -> dict[str, float]:
    """Median and p95 frame interval in ms, and the frames per second they make."""
    d = sorted(b - a for a, b in zip(ts, ts[1:], strict=False))
    if not d:
        return {"frames": 0}
    med = d[len(d) // 2]
    return {
        "frames": len(d),
        "median_ms": round(med, 2),
        "p95_ms": round(d[min(len(d) - 1, int(0.95 * len(d)))], 2),
        "fps": round(1000 * len(d) / (ts[-1] - ts[0]), 2) if ts[-1] > ts[0] else 0.0,
    }


def run_dashboard(
    browser: Any, base: str, token: str, body: bytes, seconds: float
) -> dict[str, Any]:
    """The dashboard's replay: load, play, frames, then back to Live."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    page.route(
        "**/api/v1/replay?*",
        lambda route: route.fulfill(status=200, content_type="application/json", body=body),
    )
    page.goto(f"{base}/#token={token}")
    page.wait_for_function(
        "() => window.mare && window.mare.map && window.mare.map.state.land", timeout=180_000
    )
    page.click("[data-mode=replay]")
    page.fill("#replay-start", START[:16].replace("T", " "))
    page.fill("#replay-end", END[:16].replace("T", " "))
    page.uncheck("#replay-view")
    t0 = page.evaluate("performance.now()")
    page.click("#replay-form button[type=submit]")
    page.wait_for_function(
        "() => /\\d+ vessels/.test(document.getElementById('replay-status').textContent)",
        timeout=300_000,
    )
    load_ms = page.evaluate("performance.now()") - t0
    status = page.text_content("#replay-status")
    page.select_option("#replay-speed", str(SPEED))
    page.click("#replay-play")
    page.wait_for_timeout(3000)  # shaders compiled, first trails drawn
    playing = stats(page.evaluate(FRAMES_JS, seconds * 1000))
    to_live = page.evaluate(TO_LIVE_JS)
    page.wait_for_timeout(1000)
    live = stats(page.evaluate(FRAMES_JS, 3000))
    ctx.close()
    return {
        "status": status,
        "load_ms": round(load_ms, 1),
        "playing": playing,
        "to_live_ms": round(to_live, 1),
        "live_after": live,
    }


def run_bare(browser: Any, base: str, body: bytes, seconds: float) -> dict[str, Any]:
    """The bare deck.gl page: one TripsLayer of the same data at the same speed."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    page.route(
        "**/api/v1/replay?*",
        lambda route: route.fulfill(status=200, content_type="application/json", body=body),
    )
    page.route(
        f"{base}/bench-replay.html",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            body=BARE_HTML.replace("__SPEED__", str(SPEED)),
        ),
    )
    page.goto(f"{base}/bench-replay.html")
    page.wait_for_function("() => window.__benchReady === true", timeout=300_000)
    page.evaluate("window.__benchPlay()")
    page.wait_for_timeout(3000)
    playing = stats(page.evaluate(FRAMES_JS, seconds * 1000))
    to_live = page.evaluate("window.__benchLive()")
    ctx.close()
    return {"playing": playing, "to_live_ms": round(to_live, 1)}


def run(browser: Any, base: str, token: str, seconds: float) -> dict[str, Any]:
    """Both pages, the dashboard first; the figures and the targets they are held to."""
    body = replay_answer()
    dash = run_dashboard(browser, base, token, body, seconds)
    bare = run_bare(browser, base, body, seconds)
    return {
        "positions": N_VESSELS * FIXES,
        "vessels": N_VESSELS,
        "speed": SPEED,
        "dashboard": dash,
        "bare_deck_trips": bare,
        "target_fps": 20,
        "target_to_live_ms": 1000,
    }
