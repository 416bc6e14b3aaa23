"""The three feature collections (vessels, zones, alerts): their features, filtered and scoped.

Each collection answers, for a user, every feature matching ``bbox`` and ``datetime`` in a
stable order (vessels and zones by id, alerts newest first), and one feature by id. Liaisons
see only their zones, the alerts of those zones and the vessels bearing them, as everywhere
else in the API; a feature outside their scope does not exist for them. Calls are blocking
(the store), so routes run them in worker threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import shapely

from app.api.ogc.params import overlaps
from app.api.services import Services
from app.auth.scope import Scope
from app.identity import User
from app.live.picture import public
from app.store.alerts import AlertFilter
from app.store.ids import is_digits, row_id
from geo.bbox import Bbox, contains, pieces
from geo.events import parse_time
from geo.zones import zone_to_feature

#: Alerts read for one items request at most (bbox is applied after the store's query).
MAX_ALERTS = 50_000
WORLD = (-180.0, -90.0, 180.0, 90.0)


def point(lon: float | None, lat: float | None) -> dict[str, Any] | None:
    """Return a GeoJSON Point, or None (a null geometry) without a position."""
    if lon is None or lat is None:
        return None
    return {"type": "Point", "coordinates": [lon, lat]}


def _ms(text: str | None) -> int | None:
    return None if text is None else parse_time(text)


@dataclass(frozen=True)
class Collection:
    """Static description of a collection."""

    id: str
    title: str
    description: str
    temporal: bool


VESSELS = Collection(
    "vessels",
    "Vessels",
    "Every vessel of the live picture at its last position, with identity, risk and dark flag.",
    True,
)
ZONES = Collection(
    "zones",
    "Zones",
    "Geofences of the engine (territorial seas, SAR regions, hotspots, ports, patrol areas).",
    False,
)
ALERTS = Collection(
    "alerts",
    "Alerts",
    "Alerts of the behaviour engine with their lifecycle, at the position where they began.",
    True,
)
COLLECTIONS = {c.id: c for c in (VESSELS, ZONES, ALERTS)}


def vessel_feature(v: dict[str, Any]) -> dict[str, Any]:
    """Return a Vessel as a GeoJSON Feature (id: the MMSI)."""
    return {
        "type": "Feature",
        "id": v["mmsi"],
        "geometry": point(v.get("lon"), v.get("lat")),
        "properties": v,
    }


def vessels(
    state: Services, user: User, bbox: Bbox | None, window: tuple[int | None, int | None] | None
) -> list[dict[str, Any]]:
    """Return the live vessels in scope matching the filters, by MMSI."""
    allowed = Scope.of(user).mmsis(state.repo)
    out = []
    for raw in sorted(state.live.all(), key=lambda v: v["mmsi"]):
        v = public(raw)
        if allowed is not None and v["mmsi"] not in allowed:
            continue
        if bbox is not None and not contains(bbox, v.get("lon"), v.get("lat")):
            continue
        if window is not None:
            seen = _ms(v.get("last_seen"))
            if not overlaps(seen, seen, window):
                continue
        out.append(vessel_feature(v))
    return out


def vessel(state: Services, user: User, fid: str) -> dict[str, Any] | None:
    """Return one vessel by MMSI."""
    if not is_digits(fid) or len(fid) > 9:
        return None
    raw = state.live.get(int(fid))
    if raw is None:
        return None
    allowed = Scope.of(user).mmsis(state.repo)
    if allowed is not None and raw["mmsi"] not in allowed:
        return None
    return vessel_feature(public(raw))


def _zone_features(state: Services, user: User) -> list[tuple[Any, dict[str, Any]]]:
    scope = Scope.of(user)
    out = []
    for z in sorted(state.repo.list_zones(), key=lambda z: z.id):
        if not scope.sees_zone(z.id):
            continue
        feat = zone_to_feature(z)
        out.append((z, {"type": "Feature", "id": z.id, **feat}))
    return out


def zones(
    state: Services, user: User, bbox: Bbox | None, window: tuple[int | None, int | None] | None
) -> list[dict[str, Any]]:
    """Return zones in scope meeting ``bbox`` (zones carry no time: ``datetime`` is ignored)."""
    feats = _zone_features(state, user)
    if bbox is None:
        return [f for _, f in feats]
    boxes = [shapely.box(*p) for p in pieces(bbox)]
    return [f for z, f in feats if any(z.geometry.intersects(box) for box in boxes)]


def zone(state: Services, user: User, fid: str) -> dict[str, Any] | None:
    """Return one zone by id."""
    for z, f in _zone_features(state, user):
        if z.id == fid:
            return f
    return None


def alert_feature(a: dict[str, Any]) -> dict[str, Any]:
    """Return an Alert as a GeoJSON Feature (id: the alert id)."""
    return {
        "type": "Feature",
        "id": a["id"],
        "geometry": point(a["lon"], a["lat"]),
        "properties": a,
    }


def alerts(
    state: Services, user: User, bbox: Bbox | None, window: tuple[int | None, int | None] | None
) -> list[dict[str, Any]]:
    """Return alerts in scope matching the filters, newest first."""
    start, end = window if window is not None else (None, None)
    scope = Scope.of(user)
    f = AlertFilter(zones=scope.narrow_zones(None), start_ms=start, end_ms=end, narrow=scope.narrow)
    rows = state.repo.list_alerts(f, limit=MAX_ALERTS)
    out = []
    for a in rows:
        if bbox is not None and not contains(bbox, a.get("lon"), a.get("lat")):
            continue
        out.append(alert_feature(a))
    return out


def alert(state: Services, user: User, fid: str) -> dict[str, Any] | None:
    """Return one alert by id."""
    alert_id = row_id(fid)
    if alert_id is None:
        return None
    a = state.repo.get_alert(alert_id)
    if a is None:
        return None
    if not Scope.of(user).sees_alert(a):
        return None
    return alert_feature(a)


def spatial_extent(state: Services, cid: str) -> list[float]:
    """Return the bbox of a collection's data (the world when it has none yet)."""
    if cid == "zones":
        zs = state.repo.list_zones()
        if zs:
            bounds = [z.bounds for z in zs]
            return [
                min(b[0] for b in bounds),
                min(b[1] for b in bounds),
                max(b[2] for b in bounds),
                max(b[3] for b in bounds),
            ]
    if cid == "vessels":
        pts = [(v["lon"], v["lat"]) for v in state.live.all() if v.get("lon") is not None]
        if pts:
            lons, lats = zip(*pts, strict=True)
            return [min(lons), min(lats), max(lons), max(lats)]
    return list(WORLD)


ITEMS = {"vessels": vessels, "zones": zones, "alerts": alerts}
ITEM = {"vessels": vessel, "zones": zone, "alerts": alert}
