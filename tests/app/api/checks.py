"""Checks run against the service on both backends (SQLite and PostGIS)."""

from __future__ import annotations

import csv
import io

from tests.app.api.conftest import IN_ALPHA, IN_BETA, Service

WINDOW = "start=2026-09-21T14:00:00Z&end=2026-09-21T15:00:00Z"


def check_history(svc: Service) -> None:
    """Replay, retroactive geofence and exports over the two-vessel scenario."""
    replay = svc.get(f"/api/v1/replay?{WINDOW}").json()
    paths = {v["mmsi"]: v for v in replay["vessels"]}
    assert set(paths) >= {IN_ALPHA, IN_BETA}
    alfa = paths[IN_ALPHA]
    assert len(alfa["path"]) == len(alfa["timestamps"]) == 12
    assert alfa["timestamps"][0] == 800.0  # 14:13:20 is 800 s after 14:00:00
    assert alfa["path"][0] == [11.95, 35.2] and alfa["name"] == "ALFA STAR"
    assert {a["zone"] for a in replay["alerts"]} >= {"alpha", "beta"}
    boxed = svc.get(f"/api/v1/replay?{WINDOW}&bbox=12.9,35.0,13.6,35.5").json()
    assert [v["mmsi"] for v in boxed["vessels"]] == [IN_BETA]
    too_long = svc.get("/api/v1/replay?start=2026-09-20T00:00:00Z&end=2026-09-21T15:00:00Z")
    assert too_long.status_code == 422

    poly = {
        "type": "Polygon",
        "coordinates": [
            [[12.005, 35.1], [12.035, 35.1], [12.035, 35.3], [12.005, 35.3], [12.005, 35.1]]
        ],
    }
    body = {"polygon": poly, "start": "2026-09-21T14:00:00Z", "end": "2026-09-21T15:00:00Z"}
    (hit,) = svc.post("/api/v1/geofence/retro", json=body).json()
    # The box holds the fixes at 12.01, 12.02 and 12.03 E (steps 6 to 8, 3 min apart).
    assert hit["mmsi"] == IN_ALPHA and hit["positions"] == 3
    assert hit["first_inside"] == "2026-09-21T14:31:20Z"
    assert hit["last_inside"] == "2026-09-21T14:37:20Z"
    empty = {**body, "start": "2026-09-22T00:00:00Z", "end": "2026-09-22T01:00:00Z"}
    assert svc.post("/api/v1/geofence/retro", json=empty).json() == []
    # the same search as a file from the server: the rows in CSV, the area and tracks in GeoJSON
    wide = {**body, "polygon": {**poly, "coordinates": [[[11.9, 35.0], [13.5, 35.0],
            [13.5, 35.4], [11.9, 35.4], [11.9, 35.0]]]}}  # fmt: skip
    seen = svc.post("/api/v1/geofence/retro", json=wide).json()
    assert {r["mmsi"] for r in seen} >= {IN_ALPHA, IN_BETA}  # others the session stored too
    got = svc.post("/api/v1/export/retro?format=csv", json=wide)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert [(int(r["mmsi"]), r["first_inside"], int(r["positions"])) for r in rows] == [
        (r["mmsi"], r["first_inside"], r["positions"]) for r in seen
    ]
    fc = svc.post("/api/v1/export/retro?format=geojson", json=wide).json()
    area, *vessels = fc["features"]
    assert area["properties"]["role"] == "area" and area["geometry"] == wide["polygon"]
    assert [f["properties"]["mmsi"] for f in vessels] == [r["mmsi"] for r in seen]
    alfa_line = next(f for f in vessels if f["properties"]["mmsi"] == IN_ALPHA)["geometry"]
    assert alfa_line["type"] == "LineString" and len(alfa_line["coordinates"]) == 12
    assert alfa_line["coordinates"][0] == [11.95, 35.2]
    assert svc.post("/api/v1/export/retro", "liaison", json=wide).status_code == 403

    gj = svc.get(f"/api/v1/export/track/{IN_ALPHA}?{WINDOW}&format=geojson")
    assert gj.headers["content-type"].startswith("application/geo+json")
    assert len(gj.json()["features"]) == 12
    rows = list(
        csv.DictReader(io.StringIO(svc.get(f"/api/v1/export/track/{IN_ALPHA}?format=csv").text))
    )
    assert len(rows) == 12 and rows[0]["time"] == "2026-09-21T14:13:20Z"
    alerts_csv = svc.get("/api/v1/export/alerts?format=csv&kind=zone_entry").text
    zones = {r["zone"] for r in csv.DictReader(io.StringIO(alerts_csv))}
    assert zones >= {"alpha", "beta"}
    alerts_gj = svc.get("/api/v1/export/alerts?zone=alpha").json()
    assert alerts_gj["features"][0]["geometry"]["type"] == "Point"


def check_handling(svc: Service, ids: dict[str, int]) -> None:
    """Assignees are the users who may see the alert; a vessel's audit trail gathers its alerts'."""
    alpha, beta = ids["alpha"], ids["beta"]
    everyone = {"admin", "officer1", "analyst1", "liaison1"}
    assert set(svc.get(f"/api/v1/alerts/{alpha}/assignees").json()) == everyone
    # beta's liaison-less: liaison1 (alpha only) could not open it, so it is not offered
    assert set(svc.get(f"/api/v1/alerts/{beta}/assignees", "officer").json()) == everyone - {
        "liaison1"
    }
    for role in ("analyst", "liaison"):
        assert svc.get(f"/api/v1/alerts/{alpha}/assignees", role).status_code == 403
    assert svc.get("/api/v1/alerts/999999/assignees").status_code == 404
    # an assignment to someone who could not open the alert is refused, not stored
    r = svc.post(f"/api/v1/alerts/{beta}/assign", "officer", json={"assignee": "liaison1"})
    assert r.status_code == 422 and "liaison1" in r.json()["message"], r.text
    assert svc.get(f"/api/v1/alerts/{beta}").json()["assignee"] is None
    r = svc.post(f"/api/v1/alerts/{alpha}/assign", "officer", json={"assignee": "analyst1"})
    assert r.status_code == 200 and r.json()["assignee"] == "analyst1"
    assert svc.post(f"/api/v1/alerts/{alpha}/acknowledge", "liaison").status_code == 200
    trail = svc.get(f"/api/v1/vessels/{IN_ALPHA}/audit", "officer").json()
    mine = [(e["target"], e["user"], e["action"]) for e in trail]
    assert (f"alert:{alpha}", "officer1", "assign") in mine, mine
    assert any(t == f"alert:{alpha}" and a == "acknowledge" for t, _, a in mine), mine
    assert all(e["target"] != f"alert:{beta}" for e in trail)
    other = svc.get(f"/api/v1/vessels/{IN_BETA}/audit").json()
    assert all(e["target"] != f"alert:{alpha}" for e in other), other
    for role in ("analyst", "liaison"):
        assert svc.get(f"/api/v1/vessels/{IN_ALPHA}/audit", role).status_code == 403
