"""A successful ``POST /zones/import``: stored, in the running engine, audited (both backends)."""

from __future__ import annotations

from typing import Any

from app.api.services import services_of
from tests.app.api.conftest import IN_ALPHA, Service, box, crossing


def feature(zid: str, geometry: dict[str, Any]) -> dict[str, Any]:
    props = {"id": zid, "name": zid.title(), "kind": "patrol_area", "alerts": ["entry"]}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def test_imported_zones_are_stored_alerted_on_and_audited(svc: Service) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature("gamma", box(11.0, 34.0, 11.5, 34.5)),
            feature("alpha", box(11.9, 35.0, 12.5, 35.5)),  # replaces the fixture's alpha
        ],
    }
    r = svc.post("/api/v1/zones/import", json=collection)
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": 2}
    ids = [f["properties"]["id"] for f in svc.get("/api/v1/zones").json()["features"]]
    assert {"alpha", "beta", "gamma"} <= set(ids)
    alpha = svc.get("/api/v1/zones/alpha").json()
    assert [11.9, 35.0] in alpha["geometry"]["coordinates"][0][0]
    engine = services_of(svc.app).engine
    svc.wait_for(lambda: {z.id for z in engine.zones} >= {"alpha", "beta", "gamma"})
    # the replaced alpha begins at 11.9 (the old one at 12.0): an entry before 12.0 is the new one
    svc.send(crossing(IN_ALPHA, 11.88, 35.2, t0=svc.event_time()))

    def entered() -> Any:
        items = svc.get(f"/api/v1/alerts?kind=zone_entry&mmsi={IN_ALPHA}").json()["items"]
        return [a for a in items if a["zone"] == "alpha"]

    (alert,) = svc.wait_for(entered)
    assert alert["lon"] < 12.0
    log = services_of(svc.app).repo.audit_of("zones")
    assert [(e["user"], e["action"]) for e in log] == [("admin", "zone.import")]
    assert set(log[0]["detail"]["ids"]) == {"alpha", "gamma"}
