"""``/api/v1/contacts``: bulk import (all or nothing, audited), liaison scope, live fusion."""

from __future__ import annotations

from typing import Any

import pytest

from app.api.services import services_of
from geo.events import format_time
from tests.app.api.conftest import T0, Service
from tests.app.api.nmea import position, static

HEADER = "time,lat,lon,radius_m,kind,source,course,speed_kn,length_m,people,confidence,note\n"


def _iso(t_s: int) -> str:
    return format_time(t_s * 1000)


def post_csv(svc: Service, role: str, *rows: str) -> Any:
    body = HEADER + "".join(r + "\n" for r in rows)
    return svc.client.post(
        "/api/v1/contacts",
        content=body.encode(),
        headers={**svc.headers(role), "Content-Type": "text/csv"},
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgis"])
def test_bulk_import_scope_and_audit(backend: str, request: pytest.FixtureRequest) -> None:
    svc: Service = request.getfixturevalue("service" if backend == "sqlite" else "pg_service")
    r = post_csv(
        svc, "officer",
        f"{_iso(T0)},35.2,12.2,400,aircraft,Eagle 1,,,10,60,0.9,grey rubber boat",
        f"{_iso(T0 + 60)},35.2,13.2,,sar,S1A,,,,,,",
    )  # fmt: skip
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["imported"] == 2 and [c["id"] for c in body["contacts"]] == [1, 2]
    everything = svc.get("/api/v1/contacts").json()
    assert [(c["kind"], c["zones"]) for c in everything] == [("aircraft", ["alpha"]),
                                                            ("sar", ["beta"])]  # fmt: skip
    assert everything[0]["created_by"] == "officer1" and everything[0]["people"] == 60
    mine = svc.get("/api/v1/contacts", "liaison").json()
    assert [c["id"] for c in mine] == [1]  # only what lies in its zone
    fc = svc.get("/api/v1/contacts?format=geojson", "liaison").json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 1
    # the import is in the audit log, under who made it
    audit = services_of(svc.app).repo.audit_of("contacts:1-2")
    assert [(a["user"], a["action"]) for a in audit] == [("officer1", "contacts.import")]


def test_bad_rows_are_refused_by_row_and_field_and_nothing_is_stored(service: Service) -> None:
    r = post_csv(
        service, "officer",
        f"{_iso(T0)},35.2,12.2,,aircraft,,,,,,,",
        f"{_iso(T0)},35.2,192.2,,aircraft,,,,,,,",
        f"{_iso(T0)},35.2,12.2,,ufo,,,,,,,",
    )  # fmt: skip
    assert r.status_code == 422
    err = r.json()
    assert err["error"] == "invalid_contacts"
    assert [(p["row"], p["field"]) for p in err["detail"]["problems"]] == [(2, "lon"), (3, "kind")]
    assert service.get("/api/v1/contacts").json() == []
    # JSON and GeoJSON bodies, and a non-contact body
    one = {"time": _iso(T0), "lat": 35.1, "lon": 12.1, "kind": "hotline", "people": 45}
    assert service.post("/api/v1/contacts", "officer", json=one).status_code == 201
    feat = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [12.1, 35.1]},
            "properties": {"time": _iso(T0), "kind": "optical"}}  # fmt: skip
    assert service.post("/api/v1/contacts", "officer", json=feat).status_code == 201
    assert service.post("/api/v1/contacts", "officer", json=[]).status_code == 422
    assert service.post("/api/v1/contacts", "officer", json=7).status_code == 422
    assert service.post("/api/v1/contacts", "liaison", json=one).status_code == 403
    assert service.post("/api/v1/contacts", "analyst", json=one).status_code == 403
    assert len(service.get("/api/v1/contacts").json()) == 2


def test_live_fusion_dark_target_and_mothership(service: Service) -> None:
    mother = 247_000_009
    t0 = service.event_time()
    # a slow 70 m vessel in alpha for 25 min, a fix a minute; the clock moves with it
    lines = static(mother, "SEA STAR", t0, ship_type=30)
    lines += [position(mother, 12.2, 35.2, t0 + 60 * k, speed=0.5, course=0.0) for k in range(26)]
    boat = {"time": _iso(t0 + 300), "lat": 35.2012, "lon": 12.2, "kind": "aircraft",
            "length_m": 9, "people": 50, "source": "Eagle 1"}  # fmt: skip
    r = service.post("/api/v1/contacts", "officer", json=[boat])
    assert r.status_code == 201, r.text
    service.send(lines)

    def alerts(kind: str, role: str = "admin") -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = service.get(f"/api/v1/alerts?kind={kind}", role).json()["items"]
        return got

    dark = service.wait_for(lambda: alerts("dark_target"), timeout=20)
    assoc = service.wait_for(lambda: alerts("contact_association"), timeout=20)
    assert dark[0]["zone"] == "alpha" and dark[0]["details"]["people"] == 50
    assert assoc[0]["mmsi"] == mother and assoc[0]["other_mmsi"] == dark[0]["mmsi"]
    assert alerts("contact_association", "liaison")  # in its zone
    stored = service.wait_for(
        lambda: [c for c in service.get("/api/v1/contacts").json() if c["target"]]
    )
    assert stored[0]["target"] == dark[0]["mmsi"] and stored[0]["mmsi"] is None


def test_dark_targets_reach_and_who_gets_there_first(service: Service) -> None:
    t0 = service.event_time()
    lines = [position(247_000_010, 13.2, 35.2, t0 + 60 * k, speed=8.0) for k in range(26)]
    boat = {"time": _iso(t0 + 120), "lat": 35.3, "lon": 12.3, "kind": "sar", "source": "S1A",
            "length_m": 9}  # fmt: skip
    elsewhere = {**boat, "lat": 35.45, "lon": 13.4, "source": "S1B"}  # in beta: not the liaison's
    assert service.post("/api/v1/contacts", "officer", json=[boat, elsewhere]).status_code == 201
    asset = {"name": "Patrol 1", "kind": "vessel", "max_speed_kn": 25, "lat": 35.6, "lon": 12.3}
    assert service.post("/api/v1/assets", json=asset).status_code == 201
    service.send(lines)

    def zoned() -> list[dict[str, Any]] | None:
        got = [x for x in service.get("/api/v1/targets").json() if x["zone"]]
        return got if len(got) == 2 else None

    both = service.wait_for(zoned, timeout=20)
    assert {x["zone"] for x in both} == {"alpha", "beta"}
    (t,) = [x for x in both if x["zone"] == "alpha"]
    assert t["target"].startswith("DT-") and t["source"] == "sar S1A" and t["zone"] == "alpha"
    assert t["max_speed_kn"] == 10.0 and t["age_s"] >= 0 and t["n_contacts"] == 1
    reach = service.get(f"/api/v1/targets/{t['number']}/reach").json()
    area = next(f for f in reach["features"] if f["properties"]["kind"] == "reachable")
    assert area["properties"]["max_speed_kn"] == 10.0
    x = service.get(f"/api/v1/targets/{t['number']}/intercepts").json()
    (row,) = x["area_reach"]
    assert row["asset"] == "Patrol 1" and row["nearest_h"] > 0
    assert [v["number"] for v in service.get("/api/v1/targets", "liaison").json()] == [t["number"]]
    assert service.get("/api/v1/targets/1000000000").status_code == 404
    assert service.get("/api/v1/targets/5").status_code == 422


def _late_sar(svc: Service) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    text = svc.get("/metrics").text
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name == "mare_contacts_late_total" and s.labels == {"kind": "sar"}:
                return float(s.value)
    return 0.0


def test_a_contact_hours_behind_the_engine_clock_is_counted_late(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    t0 = service.event_time()
    before = _late_sar(service)
    scene = {"time": _iso(t0 - 3 * 3600), "lat": 35.0, "lon": 12.9, "kind": "sar", "source": "S1"}
    assert service.post("/api/v1/contacts", "officer", json=scene).status_code == 201
    service.send([position(247_000_011, 13.4, 35.1, t0 + 60 * k, speed=8.0) for k in range(4)])
    assert service.wait_for(lambda: _late_sar(service) > before, timeout=20)
    assert _late_sar(service) == before + 1
    assert any("behind the engine clock (sar 1)" in r.getMessage() for r in caplog.records)
