"""Dashboard frame times with 10,000 vessels updating once a second, beside a bare deck.gl page.

Both pages run in the same headless Chromium, in the same run, from the same Mare server and the
same deck.gl bundle (the one pydeck ships). The dashboard receives its updates through its own
diff path (the handler the WebSocket feeds: JSON text parsed, written into the typed-array store,
one redraw per frame); the bare page draws the same 10,000 points as a ScatterplotLayer and
replaces its position buffer each second. Frame times are requestAnimationFrame intervals.

Replay at analyst scale (``bench.replay``): 250,000 positions played at 300×, frames per second
while playing and the time back to Live, beside a bare deck.gl TripsLayer of the same data.

Time to first vessel: the real service on SQLite, fed 500 vessels over its UDP source, then the
dashboard opened with a ``#token=`` link; from navigation start to the first frame drawn with
vessels in it (the ``mare:first-vessels`` event).
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from pathlib import Path
from statistics import median
from typing import Any

from app.api.services import services_of
from bench import replay

N_VESSELS = 10_000
SECONDS = 10.0
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TOKEN = "mare_b_" + "d" * 40

#: Makes N vessels and, once a second, moves every one of them (a diff of N upserts, as JSON
#: text: the WebSocket's message), handing the text to `deliver`.
FEEDER_JS = """
(n) => {
  const vessels = [];
  for (let i = 0; i < n; i++) {
    vessels.push({mmsi: 200000000 + i, name: 'V' + i, lat: 32 + 6 * Math.random(),
      lon: 10 + 9 * Math.random(), speed: 12, course: 360 * Math.random(), heading: null,
      ais_class: i % 3 ? 'A' : 'B', ship_type: 70, risk: (i % 17) * 6, dark: false,
      last_seen: new Date().toISOString(), flag: 'IT'});
  }
  window.__benchVessels = vessels;
  return vessels.length;
}
"""
STEP_JS = """
() => {
  for (const v of window.__benchVessels) {
    v.lon += 0.002 * Math.sin(v.course * Math.PI / 180);
    v.lat += 0.002 * Math.cos(v.course * Math.PI / 180);
  }
  return JSON.stringify({type: 'diff', time: new Date().toISOString(),
                         upsert: window.__benchVessels, remove: []});
}
"""
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
BARE_HTML = """<!doctype html><html><head><meta charset="utf-8">
<style>html,body{margin:0;height:100%;background:#0e1620}</style>
<script src="/static/vendor/deck.gl.js"></script></head><body><div id="map"></div><script>
const n = __N__;
const pos = new Float32Array(2 * n);
for (let i = 0; i < n; i++) {
  pos[2*i] = 10 + 9 * Math.random(); pos[2*i+1] = 32 + 6 * Math.random();
}
const deckgl = new deck.Deck({parent: document.getElementById('map'),
  views: [new deck.MapView({controller: true})], useDevicePixels: 1,
  initialViewState: {longitude: 14.2, latitude: 35.2, zoom: 5.6}, layers: []});
function draw() {
  deckgl.setProps({layers: [new deck.ScatterplotLayer({id: 'p',
    data: {length: n, attributes: {getPosition: {value: pos.subarray(0, 2 * n), size: 2}}},
    getRadius: 4, radiusUnits: 'pixels', getFillColor: [95, 196, 214]})]});
}
window.__benchStep = () => {
  for (let i = 0; i < n; i++) { pos[2*i] += 0.002; pos[2*i+1] += 0.001; }
  draw();
};
draw();
</script></body></html>"""


def _stats(ts: list[float]) -> dict[str, float]:
    d = sorted(b - a for a, b in zip(ts, ts[1:], strict=False))
    if not d:
        return {"frames": 0, "median_ms": float("nan"), "p95_ms": float("nan")}
    return {
        "frames": len(d),
        "median_ms": round(median(d), 2),
        "p95_ms": round(d[min(len(d) - 1, int(0.95 * len(d)))], 2),
        "max_ms": round(d[-1], 2),
    }


def _measure(page: Any, step: str) -> dict[str, float]:
    """Frame intervals over SECONDS while `step` (a JS expression) runs once a second."""
    page.evaluate(f"window.__benchTimer = setInterval(() => {{ {step} }}, 1000)")
    page.wait_for_timeout(5000)  # settle: shaders compiled, first diffs applied
    ts = page.evaluate(FRAMES_JS, SECONDS * 1000)
    page.evaluate("clearInterval(window.__benchTimer)")
    return _stats(ts)


def _send_vessels(port: int, n: int) -> None:
    from pyais.encode import encode_dict

    now = int(time.time())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(n):
            data: dict[str, Any] = {
                "type": 1,
                "mmsi": 247100000 + i,
                "lon": 11.0 + (i % 50) * 0.14,
                "lat": 33.0 + (i // 50) * 0.4,
                "speed": 10.0,
                "course": 90.0,
                "heading": 90,
                "status": 0,
                "second": now % 60,
            }
            (sentence,) = encode_dict(data, talker_id="AI")
            body = f"s:bench,c:{now}"
            cs = 0
            for ch in body:
                cs ^= ord(ch)
            s.sendto(f"\\{body}*{cs:02X}\\{sentence}\r\n".encode(), ("127.0.0.1", port))


def run() -> dict[str, Any]:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from app.settings import ServiceSettings
    from app.wiring import create_app

    tmp = Path(tempfile.mkdtemp(prefix="mare-bench-dash-"))
    settings = ServiceSettings(
        mode="test",
        database_url=f"sqlite:///{tmp / 'mare.sqlite'}",
        var_dir=tmp / "var",
        sources=["udp://127.0.0.1:0"],
        bootstrap_admin_token=TOKEN,
        batch_seconds=0.05,
    )
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    result: dict[str, Any] = {"vessels": N_VESSELS, "seconds": SECONDS}
    try:
        address = services_of(app).pipeline.address
        assert address is not None
        _send_vessels(address[1], 500)
        deadline = time.monotonic() + 30
        while len(services_of(app).live) < 400 and time.monotonic() < deadline:
            time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            ctx = browser.new_context(viewport={"width": 1440, "height": 900})
            page = ctx.new_page()
            page.goto(f"{base}/#token={TOKEN}")
            page.wait_for_function(
                "() => window.mare && window.mare.map && window.mare.map.firstDrawn !== null",
                timeout=180_000,
            )
            result["first_vessel_ms"] = round(page.evaluate("window.mare.map.firstDrawn"), 1)
            # The dashboard: stop the socket, feed 10,000 vessels through the same handler.
            page.evaluate("window.mare.feed.stop()")
            page.evaluate(FEEDER_JS, N_VESSELS)
            # The messages are made before measuring (they are the server's work), parsed in it.
            page.evaluate(
                f"(k) => {{ const mk = {STEP_JS.strip()}; window.__benchMsgs = [];"
                " for (let i = 0; i < k; i++) window.__benchMsgs.push(mk()); }",
                int(SECONDS) + 8,
            )
            step = (
                "const msg = JSON.parse(window.__benchMsgs.shift());"
                " window.mare.feed.onDiff(msg.upsert, msg.remove, msg.time);"
            )
            result["dashboard"] = _measure(page, step)
            result["dashboard"]["drawn_vessels"] = page.evaluate("window.mare.store.length")
            ctx.close()
            ctx = browser.new_context(viewport={"width": 1440, "height": 900})
            page = ctx.new_page()
            page.route(
                f"{base}/bench-bare.html",
                lambda route: route.fulfill(
                    status=200,
                    content_type="text/html",
                    body=BARE_HTML.replace("__N__", str(N_VESSELS)),
                ),
            )
            page.goto(f"{base}/bench-bare.html")
            page.wait_for_function("() => typeof window.__benchStep === 'function'")
            result["bare_deck"] = _measure(page, "window.__benchStep();")
            ctx.close()
            result["replay"] = replay.run(browser, base, TOKEN, SECONDS)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(30)
    bare = result["bare_deck"]["median_ms"]
    dash = result["dashboard"]["median_ms"]
    result["median_ratio"] = round(dash / bare, 3) if bare else None
    result["p95_ratio"] = (
        round(result["dashboard"]["p95_ms"] / result["bare_deck"]["p95_ms"], 3)
        if result["bare_deck"]["p95_ms"]
        else None
    )
    result["target_ratio"] = 1.5
    result["load_average"] = os.getloadavg()
    return result
