"""A liaison sees alerts of its zones and the vessels that bear them, by id and by filter."""

from __future__ import annotations

from tests.app.api.conftest import IN_ALPHA, IN_BETA, Service


def test_liaison_sees_its_zones_alerts_and_nothing_else_by_id(
    shared_service: Service, scenario: dict[str, int]
) -> None:
    own, other = scenario["alpha"], scenario["beta"]
    assert shared_service.get(f"/api/v1/alerts/{own}", "liaison").status_code == 200
    hidden = shared_service.get(f"/api/v1/alerts/{other}", "liaison")
    assert hidden.status_code == 404
    assert hidden.json()["error"] == "not_found"
    assert shared_service.get(f"/api/v1/alerts/{other}/audit", "liaison").status_code == 404
    assert shared_service.post(f"/api/v1/alerts/{other}/acknowledge", "liaison").status_code == 404
    assert (
        shared_service.post(
            f"/api/v1/alerts/{other}/comments", "liaison", json={"text": "x"}
        ).status_code
        == 404
    )
    # Vessels: only the one bearing an alert of its zone.
    assert shared_service.get(f"/api/v1/vessels/{IN_ALPHA}", "liaison").status_code == 200
    assert shared_service.get(f"/api/v1/vessels/{IN_BETA}", "liaison").status_code == 404
    assert shared_service.get(f"/api/v1/vessels/{IN_BETA}/track", "liaison").status_code == 404
    # Everyone else sees both.
    for role in ("admin", "officer", "analyst"):
        assert shared_service.get(f"/api/v1/alerts/{other}", role).status_code == 200
        assert shared_service.get(f"/api/v1/vessels/{IN_BETA}", role).status_code == 200


def test_liaison_lists_and_filters_are_narrowed_to_its_zones(
    shared_service: Service, scenario: dict[str, int]
) -> None:
    alerts = shared_service.get("/api/v1/alerts", "liaison").json()["items"]
    assert alerts and {a["zone"] for a in alerts} == {"alpha"}
    # Asking for another zone by filter gives nothing, not that zone's alerts.
    assert shared_service.get("/api/v1/alerts?zone=beta", "liaison").json()["items"] == []
    assert shared_service.get(f"/api/v1/alerts?mmsi={IN_BETA}", "liaison").json()["items"] == []
    vessels = shared_service.get("/api/v1/vessels", "liaison").json()["items"]
    assert [v["mmsi"] for v in vessels] == [IN_ALPHA]
    found = shared_service.get("/api/v1/vessels/search?q=BRAVO", "liaison").json()["items"]
    assert found == []
    zones = shared_service.get("/api/v1/zones", "liaison").json()["features"]
    assert [z["properties"]["id"] for z in zones] == ["alpha"]
    assert shared_service.get("/api/v1/zones/beta", "liaison").status_code == 404
    stats = shared_service.get("/api/v1/stats", "liaison").json()
    assert set(stats["alerts_by_kind"]) <= {"zone_entry", "zone_exit"}
    assert stats["vessels_known"] == 1
    export = shared_service.get("/api/v1/alerts?kind=zone_entry", "admin").json()["items"]
    assert {a["zone"] for a in export} >= {"alpha", "beta"}
