"""Zones: validated before anything is written, stored as MultiPolygon 4326, changes announced.

Any object with the zone contract's attributes (``geo.zones.Zone`` or alike) can be saved. Every
zone of a call is checked first (type, emptiness, lon/lat range, OGC validity with shapely's
reason); one bad zone refuses the whole call with `ZoneInvalid` and nothing is written. A
successful change bumps ``zones_version`` and, on PostGIS, sends ``NOTIFY mare_zones`` in the
same transaction, so every process reloads its zone index only after the change is visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import shapely
from geoalchemy2.elements import WKBElement
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import Connection, delete, func, select

from app.store.errors import ZoneInvalid
from app.store.notify import announce_zones
from app.store.store import Store
from geo.events import Severity
from geo.zones import Zone, ZoneAlert, ZoneKind

VERSION_KEY = "zones_version"


class ZoneLike(Protocol):
    """The attributes of the DESIGN.md zone contract that the store keeps."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> Any: ...

    @property
    def alerts(self) -> Any: ...

    @property
    def dwell_minutes(self) -> float | None: ...

    @property
    def severity(self) -> Any: ...

    @property
    def note(self) -> str: ...

    @property
    def country(self) -> str | None: ...

    @property
    def geometry(self) -> Any: ...


def validate(zone: ZoneLike) -> MultiPolygon:
    """Return the zone's geometry as a MultiPolygon, or raise `ZoneInvalid` saying why."""
    geom = zone.geometry
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    if not isinstance(geom, MultiPolygon):
        raise ZoneInvalid(
            zone.id, f"geometry is {getattr(geom, 'geom_type', type(geom).__name__)}, not a polygon"
        )
    if geom.is_empty:
        raise ZoneInvalid(zone.id, "geometry is empty")
    x0, y0, x1, y1 = geom.bounds
    if x0 < -180 or x1 > 180 or y0 < -90 or y1 > 90:
        raise ZoneInvalid(zone.id, "coordinates outside lon -180..180 / lat -90..90")
    if not shapely.is_valid(geom):
        raise ZoneInvalid(zone.id, str(shapely.is_valid_reason(geom)))
    return geom


def _value(v: Any) -> Any:
    return getattr(v, "value", v)


def _bump(conn: Connection, store: Store) -> int:
    meta = store.tables["store_meta"]
    cur = conn.execute(select(meta.c.value).where(meta.c.key == VERSION_KEY)).scalar()
    new = int(cur or 0) + 1
    if cur is None:
        conn.execute(meta.insert().values(key=VERSION_KEY, value=new))
    else:
        conn.execute(meta.update().where(meta.c.key == VERSION_KEY).values(value=new))
    return new


def save_zones(
    store: Store, zones: Iterable[ZoneLike], *, now_ms: int, replace: bool = False
) -> int:
    """Insert or update zones (``replace``: the set becomes exactly these); return the version."""
    zones = list(zones)
    geoms = [validate(z) for z in zones]  # everything checked before anything is written
    ids = [z.id for z in zones]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ZoneInvalid(dup, "id appears twice")
    t = store.tables["zones"]
    rows = []
    for z, g in zip(zones, geoms, strict=True):
        wkb = shapely.to_wkb(g)
        x0, y0, x1, y1 = g.bounds
        rows.append(
            {
                "id": z.id,
                "name": z.name,
                "kind": _value(z.kind),
                "alerts": sorted(_value(a) for a in z.alerts),
                "dwell_minutes": z.dwell_minutes,
                "severity": _value(z.severity),
                "note": z.note or "",
                "country": z.country,
                "geom": WKBElement(wkb, srid=4326) if store.postgis else wkb,
                "minx": x0, "miny": y0, "maxx": x1, "maxy": y1,
                "updated_at": now_ms,
            }
        )  # fmt: skip

    def run(conn: Connection) -> int:
        # Replace: every row goes (the kept ids are inserted again below); else only these ids.
        conn.execute(delete(t) if replace else delete(t).where(t.c.id.in_(ids)))
        if rows:
            conn.execute(t.insert(), rows)
        version = _bump(conn, store)
        if store.postgis:
            announce_zones(conn, version)
        return version

    return int(store.write(run, "saving zones"))


def delete_zones(store: Store, ids: Sequence[str]) -> int:
    """Delete zones by id; return the new version."""
    t = store.tables["zones"]

    def run(conn: Connection) -> int:
        conn.execute(delete(t).where(t.c.id.in_(list(ids))))
        version = _bump(conn, store)
        if store.postgis:
            announce_zones(conn, version)
        return version

    return int(store.write(run, "deleting zones"))


def zones_version(store: Store) -> int:
    """Return the zone set's version: a process reloads zones when it differs from its own."""
    meta = store.tables["store_meta"]
    q = select(meta.c.value).where(meta.c.key == VERSION_KEY)
    return int(store.read(lambda c: c.execute(q).scalar()) or 0)


def load_zones(store: Store, ids: Sequence[str] | None = None) -> list[Any]:
    """Return the stored zones (only ``ids`` if given) as ``geo.zones.Zone`` objects, by id."""
    t = store.tables["zones"]
    geom_col = func.ST_AsBinary(t.c.geom).label("wkb") if store.postgis else t.c.geom.label("wkb")
    q = select(*[c for c in t.c if c.name != "geom"], geom_col).order_by(t.c.id)
    if ids is not None:
        q = q.where(t.c.id.in_(list(ids)))
    rows = store.read(lambda c: c.execute(q).all())
    return [
        Zone(
            id=r.id,
            name=r.name,
            kind=ZoneKind(r.kind),
            geometry=shapely.from_wkb(bytes(r.wkb)),
            alerts=frozenset(ZoneAlert(a) for a in r.alerts),
            dwell_minutes=r.dwell_minutes,
            severity=Severity(r.severity),
            note=r.note,
            country=r.country,
        )
        for r in rows
    ]
