"""Positions and vessels: bulk writes from the pipeline, tracks, replay, retroactive geofence.

Spatial queries prefilter on the (time, lon, lat) index with the polygon's bounding box and
refine with shapely's vectorised ``contains_xy``: the same answer on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from sqlalchemy import select

from ais_ingest.records import Batch
from app.service import tables as t
from app.service.live import VESSEL_FIELDS
from app.service.repo_base import RepoBase

#: Rows per executemany chunk: large enough to amortise round trips, small enough for SQLite's
#: bound-parameter limit (8 columns x 4,000 rows).
CHUNK = 4000


def _opt(v: float) -> float | None:
    return None if v != v else round(float(v), 1)


class PositionsRepo(RepoBase):
    """Positions (natural key: MMSI, time, position) and latest vessel state."""

    def write_positions(self, batch: Batch, vessels: list[dict[str, Any]] | None = None) -> int:
        """Store a batch's valid positions (duplicates skipped) and upsert vessel state."""
        pos = batch.positions
        ok = np.isfinite(pos.lat) & np.isfinite(pos.lon) & (pos.mmsi > 0)
        idx = np.flatnonzero(ok)
        rows = [
            {
                "mmsi": int(pos.mmsi[i]),
                "time_ms": int(pos.time_ms[i]),
                "lon": float(pos.lon[i]),
                "lat": float(pos.lat[i]),
                "speed": _opt(pos.speed[i]),
                "course": _opt(pos.course[i]),
                "heading": int(pos.heading[i]) if pos.heading[i] >= 0 else None,
                "msg_type": int(pos.msg_type[i]),
            }
            for i in idx.tolist()
        ]
        with self.engine.begin() as c:
            stmt = self.insert_ignore(t.positions)
            for k in range(0, len(rows), CHUNK):
                c.execute(stmt, rows[k : k + CHUNK])
            if vessels:
                self._upsert_vessels(c, vessels)
        return len(rows)

    def _upsert_vessels(self, c: Any, vessels: list[dict[str, Any]]) -> None:
        rows = [
            {
                "mmsi": v["mmsi"],
                "name": v.get("name"),
                "last_seen_ms": v.get("last_seen_ms"),
                "data": {k: v.get(k) for k in (*VESSEL_FIELDS, "last_seen_ms", "destination")},
            }
            for v in vessels
        ]
        c.execute(self.upsert(t.vessels, ["mmsi"], ["name", "last_seen_ms", "data"]), rows)

    def load_vessels(self) -> list[dict[str, Any]]:
        """Return the stored vessel states (to refill the live picture at start)."""
        with self.engine.connect() as c:
            return [dict(r.data) for r in c.execute(select(t.vessels.c.data))]

    def last_position_ms(self, mmsi: int) -> int | None:
        with self.engine.connect() as c:
            return c.execute(
                select(t.positions.c.time_ms)
                .where(t.positions.c.mmsi == mmsi)
                .order_by(t.positions.c.time_ms.desc())
                .limit(1)
            ).scalar()

    def track(self, mmsi: int, start_ms: int, end_ms: int) -> dict[str, list[Any]]:
        """Return a vessel's positions in ``[start_ms, end_ms]`` as columns, in time order."""
        p = t.positions.c
        q = (
            select(p.time_ms, p.lon, p.lat, p.speed, p.course)
            .where(p.mmsi == mmsi, p.time_ms >= start_ms, p.time_ms <= end_ms)
            .order_by(p.time_ms)
        )
        with self.engine.connect() as c:
            rows = c.execute(q).all()
        return {
            "time_ms": [r[0] for r in rows],
            "lon": [r[1] for r in rows],
            "lat": [r[2] for r in rows],
            "speed": [r[3] for r in rows],
            "course": [r[4] for r in rows],
        }

    def replay(
        self, start_ms: int, end_ms: int, bbox: tuple[float, float, float, float] | None
    ) -> list[dict[str, Any]]:
        """Return per vessel the positions in the window and box, in time order."""
        p = t.positions.c
        q = select(p.mmsi, p.time_ms, p.lon, p.lat).where(
            p.time_ms >= start_ms, p.time_ms <= end_ms
        )
        if bbox is not None:
            a, b, cc, d = bbox
            q = q.where(p.lat >= b, p.lat <= d)
            q = (
                q.where(p.lon >= a, p.lon <= cc)
                if a <= cc
                else q.where((p.lon >= a) | (p.lon <= cc))
            )
        q = q.order_by(p.mmsi, p.time_ms)
        out: list[dict[str, Any]] = []
        cur: dict[str, Any] | None = None
        with self.engine.connect() as c:
            for mmsi, tm, lon, lat in c.execute(q):
                if cur is None or cur["mmsi"] != mmsi:
                    cur = {"mmsi": mmsi, "time_ms": [], "lon": [], "lat": []}
                    out.append(cur)
                cur["time_ms"].append(tm)
                cur["lon"].append(lon)
                cur["lat"].append(lat)
        return out

    def retro(self, polygon: Any, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
        """Return vessels with positions inside ``polygon`` in the window: first, last, count."""
        a, b, cc, d = polygon.bounds
        p = t.positions.c
        q = select(p.mmsi, p.time_ms, p.lon, p.lat).where(
            p.time_ms >= start_ms,
            p.time_ms <= end_ms,
            p.lon >= a,
            p.lon <= cc,
            p.lat >= b,
            p.lat <= d,
        )
        with self.engine.connect() as c:
            rows = c.execute(q).all()
        if not rows:
            return []
        arr = np.array([(r[0], r[1]) for r in rows], dtype=np.int64)
        lon = np.array([r[2] for r in rows], dtype=np.float64)
        lat = np.array([r[3] for r in rows], dtype=np.float64)
        shapely.prepare(polygon)
        inside = shapely.intersects_xy(polygon, lon, lat)
        arr = arr[inside]
        found: dict[int, dict[str, Any]] = {}
        for mmsi, tm in arr.tolist():
            f = found.get(mmsi)
            if f is None:
                found[mmsi] = {"mmsi": mmsi, "first_ms": tm, "last_ms": tm, "positions": 1}
            else:
                f["first_ms"] = min(f["first_ms"], tm)
                f["last_ms"] = max(f["last_ms"], tm)
                f["positions"] += 1
        return sorted(found.values(), key=lambda f: (f["first_ms"], f["mmsi"]))
