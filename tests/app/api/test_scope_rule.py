"""The liaison rule on every endpoint a liaison may call, from one table, on both backends.

The table below says, for each route, how the rule shows (a 404 for an object outside the
liaison's zones, a list narrowed to them, or why the route carries nothing zone-bound); the test
walks the app's own routes and fails on any liaison-admitted route the table does not name, so
a new endpoint cannot skip the rule unnoticed. Each check looks at what is outside (vessel
IN_BETA, zone beta, beta's alert) and at what is inside, so a check that let everything through
or refused everything would fail too.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIWebSocketRoute, iter_route_contexts
from websockets.asyncio.client import connect

from app.api.deps import gate_of
from app.identity import Role
from tests.app.api.conftest import (
    IN_ALPHA,
    IN_BETA,
    MOVED_TABLES,
    Service,
    feed_scenario,
    make_settings,
    start,
)

Check = Callable[[Service, dict[str, int]], None]


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def scoped(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Service, dict[str, int]]]:
    """The two-zone scenario on a service of each backend."""
    tmp = tmp_path_factory.mktemp(f"scope-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'mare.sqlite'}"
    else:
        from sqlalchemy import text

        from app.store import open_store

        url = request.getfixturevalue("postgis_url")
        store = open_store(url, upgrade=True)
        with store.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(MOVED_TABLES)} RESTART IDENTITY CASCADE"))
        store.close()
    hooks = "http://127.0.0.1:9/hooks"  # allowed, never listening: deliveries fail fast
    for svc in start(make_settings(tmp, url, webhook_allowlist=hooks)):
        yield svc, feed_scenario(svc)


def status(svc: Service, method: str, path: str, **kw: Any) -> int:
    return int(svc.client.request(method, path, headers=svc.headers("liaison"), **kw).status_code)


def hidden_and_shown(method: str, template: str, **kw: Any) -> Check:
    """A route on one object: the liaison's object is answered, the other one is a 404."""

    def check(svc: Service, ids: dict[str, int]) -> None:
        values = {"mmsi": (IN_BETA, IN_ALPHA), "zone_id": ("beta", "alpha")}
        values["alert_id"] = (ids["beta"], ids["alpha"])
        values["feature_id"] = values["mmsi"]
        outside = {k: v[0] for k, v in values.items()}
        inside = {k: v[1] for k, v in values.items()}
        assert status(svc, method, template.format(**outside), **kw) == 404, template
        shown = status(svc, method, template.format(**inside), **kw)
        assert shown != 404 and shown < 500, (template, shown)  # e.g. 409: not dark, but there

    return check


def listed(path: str, read: Callable[[Any], list[Any]], inside: list[Any]) -> Check:
    """A list: the liaison's is exactly ``inside``, an admin's holds more."""

    def check(svc: Service, ids: dict[str, int]) -> None:
        own = read(svc.get(path, "liaison").json())
        everyone = read(svc.get(path, "admin").json())
        assert sorted(set(own)) == sorted(inside), path
        assert set(everyone) > set(inside), path

    return check


def filtered_to_nothing(path: str, read: Callable[[Any], list[Any]]) -> Check:
    """Asking by filter for what is outside gives nothing (and not an error)."""

    def check(svc: Service, ids: dict[str, int]) -> None:
        r = svc.get(path, "liaison")
        assert r.status_code == 200, (path, r.text)
        assert read(r.json()) == [], path
        assert read(svc.get(path, "admin").json()), path

    return check


def both(*checks: Check) -> Check:
    def check(svc: Service, ids: dict[str, int]) -> None:
        for c in checks:
            c(svc, ids)

    return check


def items_zone(body: Any) -> list[Any]:
    return [a["zone"] for a in body["items"]]


def items_mmsi(body: Any) -> list[Any]:
    return [v["mmsi"] for v in body["items"]]


def feature_ids(body: Any) -> list[Any]:
    return [f["id"] for f in body["features"]]


def zone_ids(body: Any) -> list[Any]:
    return [f["properties"]["id"] for f in body["features"]]


def feature_zones(body: Any) -> list[Any]:
    return [f["properties"]["zone"] for f in body["features"]]


def stats_check(svc: Service, ids: dict[str, int]) -> None:
    own, everyone = svc.get("/api/v1/stats", "liaison").json(), svc.get("/api/v1/stats").json()
    assert own["vessels_known"] == 1 and everyone["vessels_known"] >= 2
    assert sum(own["alerts_by_kind"].values()) < sum(everyone["alerts_by_kind"].values())


def webhook_check(svc: Service, ids: dict[str, int]) -> None:
    """A liaison cannot subscribe to another zone, and sees and manages only its own hooks."""
    url = "http://127.0.0.1:9/hooks"  # allow-listed by the fixture; nothing listens there
    outside = svc.post(
        "/api/v1/webhooks", "liaison", json={"name": "x", "url": url, "zones": ["beta"]}
    )
    assert outside.status_code == 422 and outside.json()["detail"]["outside"] == ["beta"]
    officer = svc.post("/api/v1/webhooks", "officer", json={"name": "o", "url": url})
    assert officer.status_code == 201, officer.text
    other = officer.json()["id"]
    own = svc.post("/api/v1/webhooks", "liaison", json={"name": "l", "url": url})
    assert own.status_code == 201 and own.json()["zones"] == ["alpha"]
    mine = own.json()["id"]
    listed_ids = [s["id"] for s in svc.get("/api/v1/webhooks", "liaison").json()]
    assert listed_ids == [mine]
    for suffix, method in (("", "GET"), ("/deliveries", "GET"), ("/test", "POST")):
        assert status(svc, method, f"/api/v1/webhooks/{other}{suffix}") == 404, suffix
        assert status(svc, method, f"/api/v1/webhooks/{mine}{suffix}") in (200, 202), suffix
    assert status(svc, "DELETE", f"/api/v1/webhooks/{other}") == 404
    assert status(svc, "DELETE", f"/api/v1/webhooks/{mine}") == 204
    svc.client.delete(f"/api/v1/webhooks/{other}", headers=svc.headers("admin"))


def sse_check(svc: Service, ids: dict[str, int]) -> None:
    """Replayed from the start, the liaison's stream carries its zone's alerts only."""

    def zones(role: str) -> set[Any]:
        seen: set[Any] = set()
        with httpx.stream(
            "GET",
            str(svc.client.base_url.join("/api/v1/alerts/stream?last_event_id=0")),
            headers=svc.headers(role),
            timeout=10,
        ) as resp:
            assert resp.status_code == 200
            for line in resp.iter_lines():
                if line.startswith("data:"):
                    seen.add(json.loads(line[5:])["zone"])
                if {"alpha", "beta"} <= seen or (role == "liaison" and "alpha" in seen):
                    break
        return seen

    assert zones("admin") >= {"alpha", "beta"}
    assert zones("liaison") == {"alpha"}


def websocket_check(svc: Service, ids: dict[str, int]) -> None:
    """The live picture a liaison subscribes to holds only the vessels of its zone."""

    async def snapshot(role: str) -> list[int]:
        port = svc.client.base_url.port
        async with connect(f"ws://127.0.0.1:{port}/api/v1/live") as ws:
            await ws.send(json.dumps({"type": "auth", "token": svc.tokens[role]}))
            await ws.send(json.dumps({"type": "subscribe", "bbox": None, "max_rate_hz": 5}))
            async with asyncio.timeout(10):
                while True:
                    msg = json.loads(await ws.recv())
                    if msg["type"] == "snapshot":
                        return sorted(v["mmsi"] for v in msg["vessels"])

    assert asyncio.run(snapshot("liaison")) == [IN_ALPHA]
    assert {IN_ALPHA, IN_BETA} <= set(asyncio.run(snapshot("admin")))


def contacts_check(svc: Service, ids: dict[str, int]) -> None:
    """Contacts (sightings, detections) are shown to a liaison where they lie in its zones."""
    seen = [
        {"time": "2026-09-21T14:20:00Z", "lat": 35.25, "lon": 12.25, "kind": "aircraft"},
        {"time": "2026-09-21T14:20:00Z", "lat": 35.25, "lon": 13.25, "kind": "aircraft"},
    ]
    if not svc.get("/api/v1/contacts").json():
        assert svc.post("/api/v1/contacts", json=seen).status_code == 201
    own = svc.get("/api/v1/contacts", "liaison").json()
    everyone = svc.get("/api/v1/contacts").json()
    assert own and all("alpha" in c["zones"] for c in own)
    assert any("beta" in c["zones"] for c in everyone)


def targets_check(svc: Service, ids: dict[str, int]) -> None:
    """Dark targets are a liaison's where first seen in its zones: listed, and by number."""
    from tests.app.api.nmea import position

    def targets(role: str) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = svc.get("/api/v1/targets", role).json()
        return got

    if not {"alpha", "beta"} <= {t["zone"] for t in targets("admin")}:
        t0 = svc.event_time()
        iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0))
        boats = [
            {"time": iso, "lat": 35.3, "lon": 12.4, "kind": "sar"},
            {"time": iso, "lat": 35.3, "lon": 13.4, "kind": "sar"},
        ]
        assert svc.post("/api/v1/contacts", json=boats).status_code == 201
        svc.send([position(247_000_077, 14.5, 34.0, t0 + 60 * k) for k in range(16)])
        svc.wait_for(lambda: {"alpha", "beta"} <= {t["zone"] for t in targets("admin")}, timeout=20)
    every = targets("admin")
    own = targets("liaison")
    assert own and {t["zone"] for t in own} == {"alpha"}
    other = next(t["number"] for t in every if t["zone"] == "beta")
    mine = own[0]["number"]
    for suffix in ("", "/reach", "/intercepts"):
        assert status(svc, "GET", f"/api/v1/targets/{other}{suffix}") == 404, suffix
        assert status(svc, "GET", f"/api/v1/targets/{mine}{suffix}") == 200, suffix


def cases_check(svc: Service, ids: dict[str, int]) -> None:
    """A liaison lists and reads the cases of its zones' vessels; another case is a 404."""
    made = {c["mmsi"]: c["id"] for c in svc.get("/api/v1/cases").json()}
    for mmsi in (IN_ALPHA, IN_BETA):
        if mmsi not in made:
            r = svc.post("/api/v1/cases", "analyst", json={"mmsi": mmsi, "title": f"case {mmsi}"})
            assert r.status_code == 201, r.text
            made[mmsi] = r.json()["id"]
    own = [c["mmsi"] for c in svc.get("/api/v1/cases", "liaison").json()]
    assert own == [IN_ALPHA]
    assert {IN_ALPHA, IN_BETA} <= {c["mmsi"] for c in svc.get("/api/v1/cases").json()}
    for suffix in ("", "/timeline", "/dossier?format=html"):
        assert status(svc, "GET", f"/api/v1/cases/{made[IN_BETA]}{suffix}") == 404, suffix
        assert status(svc, "GET", f"/api/v1/cases/{made[IN_ALPHA]}{suffix}") == 200, suffix


def reports_check(svc: Service, ids: dict[str, int]) -> None:
    """Reports: a liaison lists, downloads and makes only its own zones' (the scenario's day)."""
    day = {"day": "2026-09-21"}
    beta = svc.post("/api/v1/reports", json={**day, "zones": ["beta"]})
    assert beta.status_code == 201, beta.text
    own = svc.post("/api/v1/reports", "liaison", json=day)
    assert own.status_code == 201 and own.json()["zones"] == ["alpha"], own.text
    outside = svc.post("/api/v1/reports", "liaison", json={**day, "zones": ["beta"]})
    assert outside.status_code == 422
    listed = [r["zones"] for r in svc.get("/api/v1/reports", "liaison").json()["items"]]
    assert listed and all(z == ["alpha"] for z in listed), listed
    everyone = [r["zones"] for r in svc.get("/api/v1/reports").json()["items"]]
    assert ["beta"] in everyone
    assert status(svc, "GET", f"/api/v1/reports/{beta.json()['id']}") == 404
    assert status(svc, "GET", f"/api/v1/reports/{own.json()['id']}") == 200


def about_the_caller(svc: Service, ids: dict[str, int]) -> None:
    """Identity routes: about the caller itself, nothing zone-bound (answered, not refused)."""
    assert svc.get("/api/v1/auth/me", "liaison").json()["zones"] == ["alpha"]


def nothing_zone_bound(reason: str) -> Check:
    def check(svc: Service, ids: dict[str, int]) -> None:
        assert reason

    return check


#: Every route a liaison may call, and how the rule shows on it.
RULE: dict[tuple[str, str], Check] = {
    ("GET", "/api/v1/stats"): stats_check,
    ("GET", "/api/v1/basemap"): nothing_zone_bound("coastline, the same for everyone"),
    ("GET", "/api/v1/alert-rules"): nothing_zone_bound("the rules document, the same for everyone"),
    ("POST", "/api/v1/auth/logout"): nothing_zone_bound("ends the caller's own token"),
    ("GET", "/api/v1/auth/me"): about_the_caller,
    ("POST", "/api/v1/auth/ticket"): nothing_zone_bound("a ticket carries the caller's scope"),
    ("GET", "/api/v1/vessels"): both(
        listed("/api/v1/vessels", items_mmsi, [IN_ALPHA]),
        filtered_to_nothing("/api/v1/vessels/search?q=BRAVO", items_mmsi),
    ),
    ("GET", "/api/v1/vessels/search"): both(
        filtered_to_nothing("/api/v1/vessels/search?q=BRAVO", items_mmsi),
        filtered_to_nothing(f"/api/v1/vessels/search?q={IN_BETA}", items_mmsi),
        listed("/api/v1/vessels/search?q=2470000", items_mmsi, [IN_ALPHA]),
    ),
    ("GET", "/api/v1/vessels/{mmsi:int}"): hidden_and_shown("GET", "/api/v1/vessels/{mmsi}"),
    ("GET", "/api/v1/vessels/{mmsi:int}/track"): hidden_and_shown(
        "GET", "/api/v1/vessels/{mmsi}/track"
    ),
    ("GET", "/api/v1/vessels/{mmsi:int}/reach"): hidden_and_shown(
        "GET", "/api/v1/vessels/{mmsi}/reach"
    ),
    ("GET", "/api/v1/vessels/{mmsi:int}/intercepts"): hidden_and_shown(
        "GET", "/api/v1/vessels/{mmsi}/intercepts"
    ),
    ("GET", "/api/v1/zones"): listed("/api/v1/zones", zone_ids, ["alpha"]),
    ("GET", "/api/v1/zones/{zone_id}"): hidden_and_shown("GET", "/api/v1/zones/{zone_id}"),
    ("GET", "/api/v1/alerts"): both(
        listed("/api/v1/alerts", items_zone, ["alpha"]),
        filtered_to_nothing("/api/v1/alerts?zone=beta", items_zone),
        filtered_to_nothing(f"/api/v1/alerts?mmsi={IN_BETA}", items_zone),
    ),
    ("GET", "/api/v1/alerts/{alert_id:int}"): hidden_and_shown("GET", "/api/v1/alerts/{alert_id}"),
    ("GET", "/api/v1/alerts/{alert_id:int}/audit"): hidden_and_shown(
        "GET", "/api/v1/alerts/{alert_id}/audit"
    ),
    ("POST", "/api/v1/alerts/{alert_id:int}/comments"): hidden_and_shown(
        "POST", "/api/v1/alerts/{alert_id}/comments", json={"text": "seen"}
    ),
    ("POST", "/api/v1/alerts/{alert_id:int}/acknowledge"): hidden_and_shown(
        "POST", "/api/v1/alerts/{alert_id}/acknowledge"
    ),
    ("GET", "/api/v1/alerts/stream"): sse_check,
    ("GET", "/api/v1/contacts"): contacts_check,
    ("GET", "/api/v1/cases"): cases_check,
    ("GET", "/api/v1/cases/{case_id:int}"): cases_check,
    ("GET", "/api/v1/cases/{case_id:int}/timeline"): cases_check,
    ("GET", "/api/v1/cases/{case_id:int}/dossier"): cases_check,
    ("GET", "/api/v1/targets"): targets_check,
    ("GET", "/api/v1/targets/{number:int}"): targets_check,
    ("GET", "/api/v1/targets/{number:int}/reach"): targets_check,
    ("GET", "/api/v1/targets/{number:int}/intercepts"): targets_check,
    ("WS", "/api/v1/live"): websocket_check,
    ("GET", "/api/v1/reports"): reports_check,
    ("POST", "/api/v1/reports"): reports_check,
    ("GET", "/api/v1/reports/{report_id:int}"): reports_check,
    ("GET", "/api/v1/webhooks"): webhook_check,
    ("POST", "/api/v1/webhooks"): webhook_check,
    ("GET", "/api/v1/webhooks/{sub_id}"): webhook_check,
    ("DELETE", "/api/v1/webhooks/{sub_id}"): webhook_check,
    ("GET", "/api/v1/webhooks/{sub_id}/deliveries"): webhook_check,
    ("POST", "/api/v1/webhooks/{sub_id}/test"): webhook_check,
    ("GET", "/ogc"): nothing_zone_bound("the landing page: links only"),
    ("GET", "/ogc/conformance"): nothing_zone_bound("conformance classes"),
    ("GET", "/ogc/collections"): nothing_zone_bound("the collections' descriptions"),
    ("GET", "/ogc/collections/{collection_id}"): nothing_zone_bound("one collection described"),
    ("GET", "/ogc/collections/{collection_id}/items"): both(
        listed("/ogc/collections/vessels/items", feature_ids, [IN_ALPHA]),
        listed("/ogc/collections/zones/items", feature_ids, ["alpha"]),
        listed("/ogc/collections/alerts/items", feature_zones, ["alpha"]),
    ),
    ("GET", "/ogc/collections/{collection_id}/items/{feature_id}"): both(
        hidden_and_shown("GET", "/ogc/collections/vessels/items/{feature_id}"),
        hidden_and_shown("GET", "/ogc/collections/zones/items/{zone_id}"),
        hidden_and_shown("GET", "/ogc/collections/alerts/items/{alert_id}"),
    ),
}


def refused(method: str, template: str, **kw: Any) -> Check:
    """A route closed to liaisons: a 403 for the liaison, answered for an officer."""

    def check(svc: Service, ids: dict[str, int]) -> None:
        path = template.format(mmsi=IN_ALPHA, alert_id=ids["alpha"])
        assert status(svc, method, path, **kw) == 403, path
        shown = svc.client.request(method, path, headers=svc.headers("officer"), **kw)
        assert shown.status_code == 200, (path, shown.text)

    return check


RETRO = {
    "polygon": {
        "type": "Polygon",
        "coordinates": [[[11.9, 35.0], [13.5, 35.0], [13.5, 35.4], [11.9, 35.4], [11.9, 35.0]]],
    },
    "start": "2026-09-21T14:00:00Z",
    "end": "2026-09-21T15:00:00Z",
}

#: Routes a liaison may not call at all, from the dashboard's analyst and handling tools: their
#: answers (other people's names and actions, history across zones) are not zone-bound, so the
#: rule is a refusal. Listed so that opening one to liaisons later fails here.
CLOSED: dict[tuple[str, str], Check] = {
    ("GET", "/api/v1/alerts/{alert_id:int}/assignees"): refused(
        "GET", "/api/v1/alerts/{alert_id}/assignees"
    ),
    ("GET", "/api/v1/vessels/{mmsi:int}/audit"): refused("GET", "/api/v1/vessels/{mmsi}/audit"),
    ("POST", "/api/v1/geofence/retro"): refused("POST", "/api/v1/geofence/retro", json=RETRO),
    ("POST", "/api/v1/export/retro"): refused("POST", "/api/v1/export/retro", json=RETRO),
}


def liaison_routes(app: Any) -> set[tuple[str, str]]:
    """Return (method, path) of every route a liaison's token is admitted to."""
    out: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIWebSocketRoute):
            out.add(("WS", str(route.path)))  # a stream: the token is checked inside
            continue
        gate = gate_of(route)
        if gate is None or Role.LIAISON not in gate.roles:
            continue
        for method in set(route.methods or ()) - {"HEAD", "OPTIONS"}:
            out.add((method, str(route.path)))
    return out


def test_every_route_a_liaison_may_call_is_in_the_rule_table(
    scoped: tuple[Service, dict[str, int]],
) -> None:
    svc, _ = scoped
    routes = liaison_routes(svc.app)
    assert len(routes) > 30, "the route walk found too few routes"
    missing = sorted(routes - set(RULE))
    assert not missing, f"routes a liaison may call that the scope table does not name: {missing}"
    stale = sorted(set(RULE) - routes)
    assert not stale, f"the scope table names routes that are gone: {stale}"


@pytest.mark.parametrize("route", sorted(CLOSED), ids=lambda r: f"{r[0]} {r[1]}")
def test_a_route_closed_to_liaisons_refuses_them(
    route: tuple[str, str], scoped: tuple[Service, dict[str, int]]
) -> None:
    svc, ids = scoped
    assert route not in liaison_routes(svc.app)
    assert route in {(m, p) for m, p in all_routes(svc.app)}, "the closed table names a gone route"
    CLOSED[route](svc, ids)


def all_routes(app: Any) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        for method in set(getattr(route, "methods", None) or ()) - {"HEAD", "OPTIONS"}:
            out.add((method, str(route.path)))
    return out


@pytest.mark.parametrize("route", sorted(RULE), ids=lambda r: f"{r[0]} {r[1]}")
def test_the_liaison_rule_holds_on(
    route: tuple[str, str], scoped: tuple[Service, dict[str, int]]
) -> None:
    svc, ids = scoped
    RULE[route](svc, ids)


def test_the_rule_table_test_would_catch_a_route_that_skips_the_rule(tmp_path: Path) -> None:
    """A check of the table fails against a service whose answers ignore the scope."""

    class Leaky:
        base_url = httpx.URL("http://x/")

        def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
            return httpx.Response(200, json={"items": []})

    svc = Service(Leaky(), {"liaison": "t", "admin": "t"}, 0, None)  # type: ignore[arg-type]
    with pytest.raises(AssertionError):
        hidden_and_shown("GET", "/api/v1/vessels/{mmsi}/reach")(svc, {"alpha": 1, "beta": 2})
