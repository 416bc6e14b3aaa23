"""Zones, watchlist, assets: the reference data people edit (the store's tables)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update

from app.store.repo_base import RepoBase
from app.store.zones import delete_zones, load_zones, save_zones
from app.wallclock import now_ms
from geo.events import format_time
from geo.zones import Zone


def _watch(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "mmsi": r.mmsi,
        "imo": r.imo,
        "name": r.name,
        "callsign": r.callsign,
        "note": r.note or "",
    }


def _watch_values(values: dict[str, Any]) -> dict[str, Any]:
    """Return the entry's columns; the store's ``note`` is never NULL (empty when not given)."""
    out = dict(values)
    if "note" in out and out["note"] is None:
        out["note"] = ""
    return out


def _asset(r: Any) -> dict[str, Any]:

    return {
        "id": r.id,
        "name": r.name,
        "kind": r.kind,
        "mmsi": r.mmsi,
        "lat": r.lat,
        "lon": r.lon,
        "max_speed_kn": r.max_speed_kn,
        "updated_at": format_time(r.updated_at),
    }


class DataRepo(RepoBase):
    """Zones (stored as contract Features, parsed back strictly), watchlist, assets."""

    # -- zones (the store's ``zones``: validated, versioned, NOTIFY on PostGIS) -------------------

    def list_zones(self) -> list[Zone]:
        return load_zones(self.store)

    def get_zone(self, zone_id: str) -> Zone | None:
        found = load_zones(self.store, [zone_id])
        return found[0] if found else None

    def put_zone(self, zone: Zone) -> None:
        self.put_zones([zone])

    def put_zones(self, zones: Sequence[Zone]) -> None:
        """Insert or replace zones in one transaction (all or nothing)."""
        if zones:
            save_zones(self.store, zones, now_ms=now_ms())

    def delete_zone(self, zone_id: str) -> bool:
        """Delete a zone; False (and no version bump) if there is none with that id."""
        if not load_zones(self.store, [zone_id]):
            return False
        delete_zones(self.store, [zone_id])
        return True

    # -- watchlist (the store's ``watchlist`` table) --------------------------------------------

    def list_watch(self) -> list[dict[str, Any]]:
        w = self.store.tables["watchlist"]
        rows = self.store.read(lambda c: c.execute(select(w).order_by(w.c.id)).all())
        return [_watch(r) for r in rows]

    def add_watch(self, values: dict[str, Any]) -> dict[str, Any]:
        w = self.store.tables["watchlist"]
        stmt = w.insert().values(**_watch_values(values), created_at=now_ms()).returning(*w.c)
        return _watch(self.store.write(lambda c: c.execute(stmt).one(), "adding to the watchlist"))

    def update_watch(self, entry_id: int, values: dict[str, Any]) -> dict[str, Any] | None:
        w = self.store.tables["watchlist"]
        stmt = update(w).where(w.c.id == entry_id).values(**_watch_values(values)).returning(*w.c)
        row = self.store.write(lambda c: c.execute(stmt).first(), "updating the watchlist")
        return None if row is None else _watch(row)

    def delete_watch(self, entry_id: int) -> bool:
        w = self.store.tables["watchlist"]
        stmt = delete(w).where(w.c.id == entry_id)
        return bool(self.store.write(lambda c: c.execute(stmt).rowcount, "deleting from it"))

    def import_watch(self, rows: list[dict[str, Any]]) -> int:
        """Add ``rows`` in one transaction: all of them or none."""
        if not rows:
            return 0
        w = self.store.tables["watchlist"]
        at = now_ms()
        values = [{**_watch_values(r), "created_at": at} for r in rows]
        self.store.write(lambda c: c.execute(w.insert(), values), "importing a watchlist")
        return len(rows)

    # -- assets (the store's ``assets`` table) ----------------------------------------------------

    def list_assets(self) -> list[dict[str, Any]]:
        a = self.store.tables["assets"]
        rows = self.store.read(lambda c: c.execute(select(a).order_by(a.c.id)).all())
        return [_asset(r) for r in rows]

    def add_asset(self, values: dict[str, Any]) -> dict[str, Any]:
        a = self.store.tables["assets"]
        stmt = a.insert().values(**values, updated_at=now_ms()).returning(*a.c)
        return _asset(self.store.write(lambda c: c.execute(stmt).one(), "adding an asset"))

    def update_asset(self, asset_id: int, values: dict[str, Any]) -> dict[str, Any] | None:
        a = self.store.tables["assets"]
        stmt = (
            update(a)
            .where(a.c.id == asset_id)
            .values(**values, updated_at=now_ms())
            .returning(*a.c)
        )
        row = self.store.write(lambda c: c.execute(stmt).first(), "updating an asset")
        return None if row is None else _asset(row)

    def upsert_assets(self, rows: Sequence[dict[str, Any]]) -> tuple[int, int]:
        """Update the asset of each row's name, or add it; one transaction; (added, updated).

        A name given twice by hand updates the first of them: the file names one asset.
        """
        a = self.store.tables["assets"]
        at = now_ms()

        def run(c: Any) -> tuple[int, int]:
            added = updated = 0
            for values in rows:
                found = c.execute(
                    select(a.c.id).where(a.c.name == values["name"]).order_by(a.c.id).limit(1)
                ).first()
                if found is None:
                    c.execute(a.insert().values(**values, updated_at=at))
                    added += 1
                else:
                    c.execute(update(a).where(a.c.id == found.id).values(**values, updated_at=at))
                    updated += 1
            return added, updated

        result: tuple[int, int] = self.store.write(run, "loading the assets file")
        return result

    def delete_asset(self, asset_id: int) -> bool:
        a = self.store.tables["assets"]
        stmt = delete(a).where(a.c.id == asset_id)
        return bool(self.store.write(lambda c: c.execute(stmt).rowcount, "deleting an asset"))
