"""Zones, watchlist, assets: the reference data people edit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update

from app.service import tables as t
from app.service.repo_base import RepoBase, now_ms
from geo.zones import Zone, parse_zones, zone_to_feature


def _watch(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "mmsi": r.mmsi,
        "imo": r.imo,
        "name": r.name,
        "callsign": r.callsign,
        "note": r.note or "",
    }


def _asset(r: Any) -> dict[str, Any]:
    from geo.events import format_time

    return {
        "id": r.id,
        "name": r.name,
        "kind": r.kind,
        "mmsi": r.mmsi,
        "lat": r.lat,
        "lon": r.lon,
        "max_speed_kn": r.max_speed_kn,
        "updated_at": format_time(r.updated_ms),
    }


class DataRepo(RepoBase):
    """Zones (stored as contract Features, parsed back strictly), watchlist, assets."""

    # -- zones ---------------------------------------------------------------------------------

    def list_zones(self) -> list[Zone]:
        with self.engine.connect() as c:
            feats = [r.feature for r in c.execute(select(t.zones).order_by(t.zones.c.id))]
        return parse_zones({"type": "FeatureCollection", "features": feats}) if feats else []

    def get_zone(self, zone_id: str) -> Zone | None:
        with self.engine.connect() as c:
            row = c.execute(select(t.zones).where(t.zones.c.id == zone_id)).first()
        if row is None:
            return None
        return parse_zones({"type": "FeatureCollection", "features": [row.feature]})[0]

    def put_zone(self, zone: Zone) -> None:
        self.put_zones([zone])

    def put_zones(self, zones: Sequence[Zone]) -> None:
        """Insert or replace zones in one transaction (all or nothing)."""
        rows = [
            {
                "id": z.id,
                "kind": z.kind.value,
                "feature": zone_to_feature(z),
                "updated_ms": now_ms(),
            }
            for z in zones
        ]
        if not rows:
            return
        with self.engine.begin() as c:
            c.execute(self.upsert(t.zones, ["id"], ["kind", "feature", "updated_ms"]), rows)

    def delete_zone(self, zone_id: str) -> bool:
        with self.engine.begin() as c:
            return bool(c.execute(delete(t.zones).where(t.zones.c.id == zone_id)).rowcount)

    # -- watchlist -----------------------------------------------------------------------------

    def list_watch(self) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            return [_watch(r) for r in c.execute(select(t.watchlist).order_by(t.watchlist.c.id))]

    def add_watch(self, values: dict[str, Any]) -> dict[str, Any]:
        with self.engine.begin() as c:
            row = c.execute(t.watchlist.insert().values(**values).returning(*t.watchlist.c)).one()
        return _watch(row)

    def update_watch(self, entry_id: int, values: dict[str, Any]) -> dict[str, Any] | None:
        with self.engine.begin() as c:
            row = c.execute(
                update(t.watchlist)
                .where(t.watchlist.c.id == entry_id)
                .values(**values)
                .returning(*t.watchlist.c)
            ).first()
        return None if row is None else _watch(row)

    def delete_watch(self, entry_id: int) -> bool:
        with self.engine.begin() as c:
            return bool(c.execute(delete(t.watchlist).where(t.watchlist.c.id == entry_id)).rowcount)

    def import_watch(self, rows: list[dict[str, Any]]) -> int:
        if not rows:
            return 0
        with self.engine.begin() as c:
            c.execute(t.watchlist.insert(), rows)
        return len(rows)

    # -- assets --------------------------------------------------------------------------------

    def list_assets(self) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            return [_asset(r) for r in c.execute(select(t.assets).order_by(t.assets.c.id))]

    def add_asset(self, values: dict[str, Any]) -> dict[str, Any]:
        with self.engine.begin() as c:
            row = c.execute(
                t.assets.insert().values(**values, updated_ms=now_ms()).returning(*t.assets.c)
            ).one()
        return _asset(row)

    def update_asset(self, asset_id: int, values: dict[str, Any]) -> dict[str, Any] | None:
        with self.engine.begin() as c:
            row = c.execute(
                update(t.assets)
                .where(t.assets.c.id == asset_id)
                .values(**values, updated_ms=now_ms())
                .returning(*t.assets.c)
            ).first()
        return None if row is None else _asset(row)

    def delete_asset(self, asset_id: int) -> bool:
        with self.engine.begin() as c:
            return bool(c.execute(delete(t.assets).where(t.assets.c.id == asset_id)).rowcount)
