"""``/api/v1/export``: a track or an alert set as a GeoJSON or CSV file to take away."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.api.deps import LiveDep, RepoDep, allow
from app.api.errors import bad_request
from app.api.routes.alerts import AlertFilterDep
from app.api.routes.common import MAX_LIMIT, MmsiPath, parse_time
from app.api.routes.replay import RetroIn, retro_search
from app.identity import READERS
from geo.events import format_time

router = APIRouter(prefix="/api/v1/export", tags=["export"], dependencies=[allow(*READERS)])

Fmt = Annotated[str, Query(pattern="^(geojson|csv)$")]
GEOJSON = "application/geo+json"
#: What the export routes answer (the media type follows ``format``).
FILES: dict[int | str, dict[str, Any]] = {
    200: {"content": {GEOJSON: {}, "text/csv": {}}, "description": "The file"}
}


def _file(body: str, media: str, name: str) -> Response:
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


@router.get("/track/{mmsi:int}", responses=FILES)
def export_track(
    mmsi: MmsiPath,
    repo: RepoDep,
    start: str | None = None,
    end: str | None = None,
    format: Fmt = "geojson",
) -> Response:
    """Return a vessel's positions in a window (default: its last 24 h) as GeoJSON or CSV."""
    e = parse_time(end, "end")
    if e is None:
        e = repo.last_position_ms(mmsi) or 0
    s = parse_time(start, "start")
    if s is None:
        s = e - 24 * 3_600_000
    if s > e:
        raise bad_request("start is after end")
    cols = repo.track(mmsi, s, e)
    n = len(cols["time_ms"])
    if format == "csv":
        rows = [
            [mmsi, format_time(cols["time_ms"][i]), cols["lat"][i], cols["lon"][i],
             cols["speed"][i], cols["course"][i]]
            for i in range(n)
        ]  # fmt: skip
        return _file(
            _csv(["mmsi", "time", "lat", "lon", "speed", "course"], rows),
            "text/csv",
            f"track_{mmsi}.csv",
        )
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [cols["lon"][i], cols["lat"][i]]},
            "properties": {
                "mmsi": mmsi,
                "time": format_time(cols["time_ms"][i]),
                "speed": cols["speed"][i],
                "course": cols["course"][i],
            },
        }
        for i in range(n)
    ]
    body = json.dumps({"type": "FeatureCollection", "features": features})
    return _file(body, GEOJSON, f"track_{mmsi}.geojson")


ALERT_COLUMNS = [
    "id", "kind", "mmsi", "other_mmsi", "zone", "start", "end", "lat", "lon", "severity",
    "state", "assignee", "vessel_name",
]  # fmt: skip


@router.get("/alerts", responses=FILES)
def export_alerts(
    repo: RepoDep,
    f: AlertFilterDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = MAX_LIMIT,
    format: Fmt = "geojson",
) -> Response:
    """Return the alerts matching the filters (as ``GET /alerts``) as GeoJSON or CSV."""
    alerts = repo.list_alerts(f, limit=limit)
    if format == "csv":
        rows = [[a.get(c) for c in ALERT_COLUMNS] for a in alerts]
        return _file(_csv(ALERT_COLUMNS, rows), "text/csv", "alerts.csv")
    features = [
        {
            "type": "Feature",
            "geometry": None
            if a["lat"] is None
            else {"type": "Point", "coordinates": [a["lon"], a["lat"]]},
            "properties": {k: v for k, v in a.items() if k not in ("lat", "lon")},
        }
        for a in alerts
    ]
    return _file(
        json.dumps({"type": "FeatureCollection", "features": features}), GEOJSON, "alerts.geojson"
    )


RETRO_COLUMNS = ["mmsi", "name", "first_inside", "last_inside", "positions"]
#: Vessels whose tracks a GeoJSON export of a retroactive search carries (each a query).
RETRO_TRACKS_MAX = 2_000


@router.post("/retro", responses=FILES)
def export_retro(body: RetroIn, repo: RepoDep, live: LiveDep, format: Fmt = "geojson") -> Response:
    """Return a retroactive geofence search as a file: the vessels, and in GeoJSON their tracks.

    The same search as ``POST /geofence/retro`` (same body, same rows, in the same order), so
    the file is what the analyst saw. In GeoJSON the first feature is the searched area and
    each vessel is a LineString of its positions in the window (a Point for a single fix).
    """
    s, e, rows = retro_search(body, repo, live)
    if format == "csv":
        out = [[r[c] for c in RETRO_COLUMNS] for r in rows]
        return _file(_csv(RETRO_COLUMNS, out), "text/csv", "retro.csv")
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": body.polygon,
            "properties": {"role": "area", "start": format_time(s), "end": format_time(e)},
        }
    ]
    for k, r in enumerate(rows):
        geometry = None
        if k < RETRO_TRACKS_MAX:
            cols = repo.track(r["mmsi"], s, e)
            coords = [[lo, la] for lo, la in zip(cols["lon"], cols["lat"], strict=True)]
            if len(coords) == 1:
                geometry = {"type": "Point", "coordinates": coords[0]}
            elif coords:
                geometry = {"type": "LineString", "coordinates": coords}
        features.append(
            {"type": "Feature", "geometry": geometry, "properties": {"role": "vessel", **r}}
        )
    body_text = json.dumps({"type": "FeatureCollection", "features": features})
    return _file(body_text, GEOJSON, "retro.geojson")
