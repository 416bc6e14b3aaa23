"""Lines sent over real UDP become vessels and alerts in the API; alerts run their lifecycle."""

from __future__ import annotations

from typing import Any

from app.api.services import services_of
from tests.app.api.conftest import IN_ALPHA, IN_BETA, T0, Service
from tests.app.api.nmea import position


def test_udp_lines_become_vessels_with_static_data_and_zone_alerts(
    shared_service: Service, scenario: dict[str, int]
) -> None:
    items = shared_service.get("/api/v1/vessels").json()["items"]
    by_mmsi = {v["mmsi"]: v for v in items}
    alfa = by_mmsi[IN_ALPHA]
    assert alfa["name"] == "ALFA STAR" and alfa["callsign"] == "IABC"
    assert alfa["ship_type"] == 70 and alfa["ship_type_text"] == "Cargo"
    assert alfa["flag"] == "IT" and alfa["ais_class"] == "A" and alfa["length"] == 70
    assert abs(alfa["lon"] - 12.06) < 1e-6 and alfa["speed"] == 10.0
    assert alfa["last_seen"] == "2026-09-21T14:46:20Z"
    assert by_mmsi[IN_BETA]["name"] == "BRAVO"
    detail = shared_service.get(f"/api/v1/vessels/{IN_ALPHA}").json()
    assert detail["static"]["destination"] == "VALLETTA"
    assert detail["risk"]["score"] == alfa["risk"] > 0
    assert "entered Alpha box" in detail["risk"]["contributions"][0]["text"]
    assert [e["kind"] for e in detail["recent_events"]] == ["zone_entry"]
    alert = shared_service.get(f"/api/v1/alerts/{scenario['alpha']}").json()
    assert alert["vessel_name"] == "ALFA STAR" and alert["state"] == "new"
    assert alert["start"] == "2026-09-21T14:31:20Z"  # the first fix inside (12.01 E)
    track = shared_service.get(f"/api/v1/vessels/{IN_ALPHA}/track").json()
    assert len(track["times"]) == 12 and track["times"][0] == "2026-09-21T14:13:20Z"
    line = shared_service.get(f"/api/v1/vessels/{IN_ALPHA}/track?format=line").json()
    assert line["geometry"]["type"] == "LineString"
    # A straight run at constant speed simplifies to its two ends.
    assert line["properties"]["times"] == [track["times"][0], track["times"][-1]]
    for q in ("alfa  star", "alfastar", "m/v alfa-star", "alfas"):  # as typed, then by name key
        hits = shared_service.get(f"/api/v1/vessels/search?q={q}").json()["items"]
        assert [v["mmsi"] for v in hits] == [IN_ALPHA], q
    assert (
        shared_service.get(f"/api/v1/vessels/search?q={IN_BETA}").json()["items"][0]["mmsi"]
        == IN_BETA
    )
    stats = shared_service.get("/api/v1/stats").json()
    assert stats["alerts_by_kind"]["zone_entry"] >= 2 and stats["vessels_live"] >= 2
    # the engine's clock, from the capture's times (the map's ages count from it, not today)
    assert "2026-09-21T14:46:20Z" <= stats["event_time"] < "2026-09-22"


def test_vessel_filters_and_pagination(shared_service: Service, scenario: dict[str, int]) -> None:
    def mmsis(query: str) -> list[int]:
        return [v["mmsi"] for v in shared_service.get(f"/api/v1/vessels?{query}").json()["items"]]

    assert mmsis("bbox=12.9,35,13.6,35.5") == [IN_BETA]
    assert mmsis("zone=alpha") == [IN_ALPHA]
    assert IN_ALPHA in mmsis("ship_type=cargo") and mmsis("ship_type=tanker") == []
    assert mmsis("flag=MT") == [] and IN_ALPHA in mmsis("flag=it,mt")
    assert mmsis("updated_since=2030-01-01T00:00:00Z") == []
    first = shared_service.get("/api/v1/vessels?limit=1").json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    rest = shared_service.get(f"/api/v1/vessels?limit=1&cursor={first['next_cursor']}").json()
    assert rest["items"][0]["mmsi"] > first["items"][0]["mmsi"]


def test_alert_lifecycle_is_audited_with_who_and_when(
    shared_service: Service, scenario: dict[str, int]
) -> None:
    aid = scenario["alpha"]
    ack = shared_service.post(f"/api/v1/alerts/{aid}/acknowledge", "liaison").json()
    assert ack["state"] == "acknowledged" and ack["acknowledged_by"] == "liaison1"
    assert ack["acknowledged_at"].endswith("Z")
    assert (
        shared_service.post(
            f"/api/v1/alerts/{aid}/assign", "officer", json={"assignee": "officer1"}
        ).json()["assignee"]
        == "officer1"
    )
    bad = shared_service.post(f"/api/v1/alerts/{aid}/assign", "officer", json={"assignee": "zz"})
    assert bad.status_code == 422
    c = shared_service.post(f"/api/v1/alerts/{aid}/comments", "analyst", json={"text": "seen"})
    assert c.json()["comments"][-1]["user"] == "analyst1"
    done = shared_service.post(f"/api/v1/alerts/{aid}/resolve", "officer", json={"note": "ok"})
    assert done.json()["state"] == "resolved" and done.json()["resolved_by"] == "officer1"
    assert shared_service.post(f"/api/v1/alerts/{aid}/resolve", "officer").status_code == 409
    audit = shared_service.get(f"/api/v1/alerts/{aid}/audit", "liaison").json()
    assert [(a["action"], a["user"]) for a in audit] == [
        ("acknowledge", "liaison1"),
        ("assign", "officer1"),
        ("comment", "analyst1"),
        ("resolve", "officer1"),
    ]
    assert all(a["time"].endswith("Z") for a in audit)
    resolved = shared_service.get("/api/v1/alerts?state=resolved").json()["items"]
    assert [a["id"] for a in resolved] == [aid]
    still_open = shared_service.get("/api/v1/alerts?state=open").json()["items"]
    assert still_open and aid not in {a["id"] for a in still_open}
    assert {a["state"] for a in still_open} <= {"new", "acknowledged"}
    every = shared_service.get("/api/v1/alerts?state=open,resolved").json()["items"]
    assert {a["id"] for a in every} == {a["id"] for a in still_open} | {aid}
    bad = shared_service.get("/api/v1/alerts?state=closed")
    assert bad.status_code == 422 and "one of open" in bad.json()["message"]


def test_zone_change_reaches_the_running_engine(shared_service: Service) -> None:
    def engine_zones() -> list[str]:
        return [z.id for z in services_of(shared_service.app).engine.zones]

    feature: dict[str, Any] = {
        "type": "Feature",
        "properties": {"id": "gamma", "name": "Gamma", "kind": "custom"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[14.0, 35.0], [14.5, 35.0], [14.5, 35.5], [14.0, 35.5], [14.0, 35.0]]],
        },
    }
    r = shared_service.post("/api/v1/zones", "analyst", json=feature)
    assert r.status_code == 201, r.text
    shared_service.wait_for(lambda: "gamma" in engine_zones())
    # And it is in effect: a vessel crossing into it raises an entry alert for "gamma".
    mmsi = 247_000_077
    shared_service.send([position(mmsi, 13.95 + 0.01 * i, 35.2, T0 + 180 * i) for i in range(10)])
    shared_service.wait_for(
        lambda: shared_service.get(f"/api/v1/alerts?zone=gamma&mmsi={mmsi}").json()["items"]
    )
    officer_only = {**feature, "properties": {**feature["properties"], "kind": "patrol_area"}}
    refused = shared_service.client.put(
        "/api/v1/zones/gamma", json=officer_only, headers=shared_service.headers("analyst")
    )
    assert refused.status_code == 403
    gone = shared_service.client.delete(
        "/api/v1/zones/gamma", headers=shared_service.headers("officer")
    )
    assert gone.status_code == 204
    shared_service.wait_for(lambda: "gamma" not in engine_zones())
