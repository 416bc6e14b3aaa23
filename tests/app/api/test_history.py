"""Replay, retroactive geofence, exports, watchlist, assets, reach and intercepts on SQLite."""

from __future__ import annotations

from app.api.services import services_of
from tests.app.api.checks import check_handling, check_history
from tests.app.api.conftest import Service
from tests.app.api.nmea import position, static


def test_replay_retro_geofence_and_exports(
    shared_service: Service, scenario: dict[str, int]
) -> None:
    check_history(shared_service)


def test_assignees_are_who_may_see_the_alert_and_a_vessels_audit_gathers_its_alerts(
    shared_service: Service, scenario: dict[str, int]
) -> None:
    check_handling(shared_service, scenario)


def test_watchlist_import_reaches_the_engine_and_raises_a_match(shared_service: Service) -> None:
    csv_text = "mmsi,imo,name,callsign,note\n,,Sea  Serpent,,towed boats off Zuwara\n"
    r = shared_service.client.post(
        "/api/v1/watchlist/import",
        content=csv_text,
        headers={**shared_service.headers("officer"), "Content-Type": "text/csv"},
    )
    assert r.status_code == 200 and r.json() == {"imported": 1}
    bad = shared_service.client.post(
        "/api/v1/watchlist/import",
        content="name,mmsi\nx,1\n",
        headers=shared_service.headers("officer"),
    )
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_watchlist"
    entries = shared_service.get("/api/v1/watchlist", "analyst").json()
    assert [e["name"] for e in entries] == ["SEA SERPENT"]
    mmsi = 642_000_555
    t = shared_service.event_time()
    # Matches are placed at the vessel's position when the engine's minute slice closes: the
    # next minute's traffic (here another vessel two minutes later) closes it.
    shared_service.send(
        static(mmsi, "SEA SERPENT", t)
        + [position(mmsi, 12.8, 34.9, t), position(247_000_555, 13.8, 34.9, t + 120)]
    )
    hit = shared_service.wait_for(
        lambda: shared_service.get(f"/api/v1/alerts?kind=watchlist_match&mmsi={mmsi}").json()[
            "items"
        ]
    )
    assert hit[0]["details"]
    entry_id = entries[0]["id"]
    assert (
        shared_service.client.delete(
            f"/api/v1/watchlist/{entry_id}", headers=shared_service.headers("analyst")
        ).status_code
        == 403
    )
    assert (
        shared_service.client.delete(
            f"/api/v1/watchlist/{entry_id}", headers=shared_service.headers("officer")
        ).status_code
        == 204
    )


def test_intercepts_rank_own_assets_and_time_zone_entries(shared_service: Service) -> None:
    target = 247_000_321  # heading 090 at 10 kn along 35.4 N, starting at 12.2 E
    start = shared_service.event_time()
    shared_service.send(
        [position(target, 12.2 + 0.01 * i, 35.4, start + 180 * i) for i in range(3)]
    )
    shared_service.wait_for(lambda: services_of(shared_service.app).live.get(target))
    tsea = {
        "type": "Feature",
        "properties": {"id": "tsea", "name": "Test sea", "kind": "territorial_sea"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[13.0, 35.3], [13.5, 35.3], [13.5, 35.5], [13.0, 35.5], [13.0, 35.3]]],
        },
    }
    assert shared_service.post("/api/v1/zones", "officer", json=tsea).status_code == 201
    # Both assets astern of the target: only the one faster than 10 kn can catch it.
    slow = shared_service.post(
        "/api/v1/assets",
        "officer",
        json={"name": "P1 slow", "kind": "vessel", "lat": 35.4, "lon": 11.5, "max_speed_kn": 5},
    )
    fast = shared_service.post(
        "/api/v1/assets",
        "officer",
        json={"name": "P2 fast", "kind": "aircraft", "lat": 35.4, "lon": 11.5, "max_speed_kn": 30},
    )
    assert slow.status_code == fast.status_code == 201
    r = shared_service.get(f"/api/v1/vessels/{target}/intercepts").json()
    ranked = [(i["asset"], i["intercept"] is not None) for i in r["intercepts"]]
    assert ranked == [("P2 fast", True), ("P1 slow", False)]
    assert r["intercepts"][1]["reason"]
    # From 12.22 E to 13.0 E along 35.4 N is about 38 nm: close to 3.8 h at 10 kn.
    (entry,) = r["zone_entries"]
    assert entry["zone"] == "tsea" and 3.5 < entry["hours"] < 4.1
    no_pos = shared_service.post(
        "/api/v1/assets", "officer", json={"name": "X", "max_speed_kn": 10}
    )
    assert no_pos.status_code == 422
    for a in (slow.json(), fast.json()):
        assert (
            shared_service.client.delete(
                f"/api/v1/assets/{a['id']}", headers=shared_service.headers("officer")
            ).status_code
            == 204
        )
    shared_service.client.delete("/api/v1/zones/tsea", headers=shared_service.headers("admin"))


def test_reach_is_refused_for_a_reporting_vessel_and_given_for_a_dark_one(
    shared_service: Service,
) -> None:
    # A vessel falls silent at sea; event time moves on with another one (45 min more).
    t1 = shared_service.event_time()
    dark, other = 247_000_900, 247_000_901
    shared_service.send([position(dark, 12.6 + 0.01 * i, 34.6, t1 + 180 * i) for i in range(5)])
    shared_service.wait_for(lambda: services_of(shared_service.app).live.get(dark))
    r = shared_service.get(f"/api/v1/vessels/{dark}/reach")
    assert r.status_code == 409 and r.json()["error"] == "not_dark"
    shared_service.send(
        [position(other, 13.6 + 0.01 * i, 34.2, t1 + 720 + 180 * i) for i in range(16)]
    )

    def is_dark() -> bool:
        v = shared_service.get(f"/api/v1/vessels/{dark}").json()
        return bool(v["dark"])

    shared_service.wait_for(is_dark, timeout=15)
    fc = shared_service.get(f"/api/v1/vessels/{dark}/reach").json()
    kinds = [f["properties"]["kind"] for f in fc["features"]]
    assert kinds[0] == "reachable" and kinds[-1] == "last_fix"
    assert fc["features"][0]["properties"]["radius_nm"] > 0
    gaps = shared_service.wait_for(  # alerts are stored by their own stage, maybe a bit later
        lambda: shared_service.get(f"/api/v1/alerts?kind=ais_gap&mmsi={dark}").json()["items"]
    )
    assert gaps[0]["end"] is None  # an open "went dark" alert
    assert shared_service.get("/api/v1/vessels?dark=true").json()["items"]
