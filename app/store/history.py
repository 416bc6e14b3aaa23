"""Positions through the shared store (`app.store`); the live picture's vessel JSON beside them.

Positions, tracks, replay and the retroactive geofence are the store's (bulk COPY and daily
partitions on PostGIS, the same answers on SQLite). What the store does not keep is the API's
whole ``Vessel`` object (dark flag, risk, AIS class as the live picture has them), which is
saved in the store's ``vessel_states`` so a restart refills the map exactly. Store windows are
half-open ``[t0, t1)``; the API's are closed, hence the ``+ 1``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from sqlalchemy import select

from ais_ingest.records import POSITION_COLUMNS, Batch, PositionColumns
from app.live.picture import VESSEL_FIELDS, vessel_from_row
from app.store import Store
from app.store import queries as q
from app.store.repo_base import RepoBase


def _opt(values: Any) -> list[float | None]:
    return [None if v != v else round(float(v), 1) for v in values.tolist()]


class PositionsRepo(RepoBase):
    """Positions and the latest Vessel JSON (``vessel_states``), both the store's."""

    positions: Store

    def write_positions(self, batch: Batch, vessels: list[dict[str, Any]] | None = None) -> int:
        """Store a batch (one store transaction) and upsert the touched vessels' JSON."""
        inserted = 0
        if len(batch):
            inserted = self.positions.write_batch(batch).positions_inserted
        if vessels:
            rows = [
                {
                    "mmsi": v["mmsi"],
                    "name": v.get("name"),
                    "last_seen": v.get("last_seen_ms"),
                    "data": {k: v.get(k) for k in (*VESSEL_FIELDS, "last_seen_ms", "destination")},
                }
                for v in vessels
            ]
            stmt = self.upsert(
                self.store.tables["vessel_states"], ["mmsi"], ["name", "last_seen", "data"]
            )
            self.store.write(lambda c: c.execute(stmt, rows), "saving vessel states")
        return inserted

    def positions_after(self, after_ms: int, limit: int) -> PositionColumns:
        """Return up to ``limit`` stored positions stamped after ``after_ms``, in time order.

        What a restarted engine replays to catch up from its snapshot (`app.pipeline.catchup`).
        """
        t = self.store.tables["positions"]
        names = {"speed": "sog", "course": "cog"}  # the columns' names in the table
        cols = [t.c[names.get(k, "time" if k == "time_ms" else k)] for k in POSITION_COLUMNS]
        query = (
            select(*cols, t.c.source)
            .where(t.c.time > after_ms)
            .order_by(t.c.time, t.c.mmsi)
            .limit(limit)
        )
        rows = self.store.read(lambda c: c.execute(query).all(), "reading positions")
        out: dict[str, Any] = {}
        for i, (name, (dtype, missing)) in enumerate(POSITION_COLUMNS.items()):
            values = [missing if r[i] is None else r[i] for r in rows]
            out[name] = np.asarray(values, dtype=dtype)
        return PositionColumns(**out, source=[r[-1] or "" for r in rows])

    def load_vessels(self) -> list[dict[str, Any]]:
        """Return the stored vessel states (to refill the live picture at start).

        Vessels with a ``vessels`` row but no saved state (stored by ``mare ingest``) come
        from that row, so everything the store knows is on the map at start.
        """
        vs, ves = self.store.tables["vessel_states"], self.store.tables["vessels"]
        rows = self.store.read(lambda c: c.execute(select(vs.c.data)).all())
        cols = [c for c in ves.c if c.name != "geom"]
        only = select(*cols).where(~ves.c.mmsi.in_(select(vs.c.mmsi)))
        rest = self.store.read(lambda c: c.execute(only).all())
        return [dict(r.data) for r in rows] + [vessel_from_row(r) for r in rest]

    def vessels_newer_than(self, held: dict[int, int | None]) -> list[dict[str, Any]]:
        """Return the stored vessels that ``held`` (MMSI → latest fix, ms) lacks or holds older.

        As live-picture entries: what another process wrote since this one looked.
        """
        ves = self.store.tables["vessels"]
        times = self.store.read(lambda c: c.execute(select(ves.c.mmsi, ves.c.time)).all())
        wanted = [
            int(m)
            for m, t in times
            if m not in held or (t is not None and (held[m] is None or t > (held[m] or 0)))
        ]
        if not wanted:
            return []
        cols = [c for c in ves.c if c.name != "geom"]
        rows: list[Any] = []
        for k in range(0, len(wanted), 500):  # bound the IN list (SQLite's variable cap)
            q = select(*cols).where(ves.c.mmsi.in_(wanted[k : k + 500]))
            rows += self.store.read(lambda c, q=q: c.execute(q).all())
        return [vessel_from_row(r) for r in rows]

    def last_position_ms(self, mmsi: int) -> int | None:
        vs = self.store.tables["vessel_states"]
        q = select(vs.c.last_seen).where(vs.c.mmsi == mmsi)
        value = self.store.read(lambda c: c.execute(q).scalar())
        return None if value is None else int(value)

    def track(self, mmsi: int, start_ms: int, end_ms: int) -> dict[str, list[Any]]:
        """Return a vessel's positions in ``[start_ms, end_ms]`` as columns, in time order."""
        cols = q.track(self.positions, mmsi, start_ms, end_ms + 1)
        return {
            "time_ms": cols["time"].tolist(),
            "lon": cols["lon"].tolist(),
            "lat": cols["lat"].tolist(),
            "speed": _opt(cols["sog"]),
            "course": _opt(cols["cog"]),
        }

    def replay(
        self, start_ms: int, end_ms: int, bbox: tuple[float, float, float, float] | None
    ) -> list[dict[str, Any]]:
        """Return per vessel the positions in the window and box, in time order."""
        boxes = [bbox]
        if bbox is not None and bbox[0] > bbox[2]:  # across 180°: the store takes plain boxes
            boxes = [(bbox[0], bbox[1], 180.0, bbox[3]), (-180.0, bbox[1], bbox[2], bbox[3])]
        parts = [q.replay(self.positions, start_ms, end_ms + 1, b) for b in boxes]
        cols = {k: np.concatenate([p[k] for p in parts]) for k in ("mmsi", "time", "lon", "lat")}
        order = np.lexsort((cols["time"], cols["mmsi"]))
        mmsi, tm = cols["mmsi"][order], cols["time"][order]
        lon, lat = cols["lon"][order], cols["lat"][order]
        out: list[dict[str, Any]] = []
        if not len(mmsi):
            return out
        cuts = np.flatnonzero(np.r_[True, mmsi[1:] != mmsi[:-1], True])
        for a, b in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
            out.append(
                {
                    "mmsi": int(mmsi[a]),
                    "time_ms": tm[a:b].tolist(),
                    "lon": lon[a:b].tolist(),
                    "lat": lat[a:b].tolist(),
                }
            )
        return out

    def retro(self, polygon: Any, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
        """Return vessels with positions inside ``polygon`` in the window: first, last, count."""
        shapely.prepare(polygon)
        visits = q.vessels_in_area(self.positions, polygon, start_ms, end_ms + 1)
        found = [
            {"mmsi": v.mmsi, "first_ms": v.first_ms, "last_ms": v.last_ms, "positions": v.positions}
            for v in visits
        ]
        return sorted(found, key=lambda f: (f["first_ms"], f["mmsi"]))
