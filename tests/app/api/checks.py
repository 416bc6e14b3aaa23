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
