"""Read queries with the same answers on PostGIS and SQLite (tests run each on both).

Windows are half-open, [t0_ms, t1_ms), in epoch milliseconds; bounding boxes are
(min lon, min lat, max lon, max lat), edges included. PostGIS does spatial work with its GiST
index; SQLite prefilters by bounding box in SQL and refines with shapely, which answers alike
for points (a point on the boundary intersects on both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from sqlalchemy import Connection, bindparam, select, text

from app.store.positions import PG_EPOCH_MS, time_ranges
from app.store.schema import EpochMs
from app.store.store import Store

BBox = tuple[float, float, float, float]

#: Ship type families by first digit / code (ITU-R M.1371 Table 53), for the type filter.
TYPE_FAMILIES: dict[str, tuple[int, ...]] = {
    "fishing": (30,),
    "tug": (31, 32, 52),
    "sailing": (36,),
    "pleasure": (37,),
    "hsc": tuple(range(40, 50)),
    "sar": (51,),
    "law_enforcement": (55,),
    "passenger": tuple(range(60, 70)),
    "cargo": tuple(range(70, 80)),
    "tanker": tuple(range(80, 90)),
    "other": tuple(range(90, 100)),
}


@dataclass(frozen=True, slots=True)
class VesselRow:
    """A vessel's latest state as the map shows it."""

    mmsi: int
    time_ms: int | None
    last_seen_ms: int
    lat: float | None
    lon: float | None
    sog: float | None
    cog: float | None
    heading: int | None
    name: str | None
    callsign: str | None
    imo: int | None
    ship_type: int | None
    flag: str | None
    risk: float | None


@dataclass(frozen=True, slots=True)
class AreaVisit:
    """A vessel seen inside an area: first and last time inside and how many positions."""

    mmsi: int
    first_ms: int
    last_ms: int
    positions: int


def latest_vessels(
    store: Store,
    *,
    bbox: BBox | None = None,
    ship_types: Sequence[int | str] | None = None,
    flags: Sequence[str] | None = None,
    min_risk: float | None = None,
    seen_since_ms: int | None = None,
    limit: int | None = None,
) -> list[VesselRow]:
    """Return vessels with a fix, filtered; ``ship_types`` takes codes or `TYPE_FAMILIES` names."""
    v = store.tables["vessels"]
    q = select(
        v.c.mmsi, v.c.time, v.c.last_seen, v.c.lat, v.c.lon, v.c.sog, v.c.cog, v.c.heading,
        v.c.name, v.c.callsign, v.c.imo, v.c.ship_type, v.c.flag, v.c.risk,
    ).where(v.c.time.is_not(None))  # fmt: skip
    if bbox is not None:
        q = q.where(v.c.lon.between(bbox[0], bbox[2]), v.c.lat.between(bbox[1], bbox[3]))
    if ship_types:
        codes: set[int] = set()
        for st in ship_types:
            codes.update(TYPE_FAMILIES[st] if isinstance(st, str) else (int(st),))
        q = q.where(v.c.ship_type.in_(sorted(codes)))
    if flags:
        q = q.where(v.c.flag.in_([f.upper() for f in flags]))
    if min_risk is not None:
        q = q.where(v.c.risk >= min_risk)
    if seen_since_ms is not None:
        q = q.where(v.c.last_seen >= seen_since_ms)
    q = q.order_by(v.c.mmsi)
    if limit is not None:
        q = q.limit(limit)
    rows = store.read(lambda c: c.execute(q).all())
    return [
        VesselRow(
            r.mmsi, r.time, r.last_seen, r.lat, r.lon, _f32(r.sog), _f32(r.cog), r.heading,
            r.name, r.callsign, r.imo, r.ship_type, r.flag, _f32(r.risk),
        )
        for r in rows
    ]  # fmt: skip


def _f32(v: float | None) -> float | None:
    """Round a REAL column to float32 so PostGIS (float4) and SQLite (float8) agree."""
    return None if v is None else float(np.float32(v))


def set_risk(store: Store, scores: dict[int, float]) -> None:
    """Store the engine's risk score per MMSI (vessels not yet stored are ignored)."""
    v = store.tables["vessels"]
    rows = [{"m": m, "r": float(s)} for m, s in scores.items()]
    if rows:
        stmt = v.update().where(v.c.mmsi == bindparam("m")).values(risk=bindparam("r"))
        store.write(lambda c: c.execute(stmt, rows))


Columns = dict[str, npt.NDArray[Any]]
_EMPTY: dict[str, Any] = {
    "mmsi": np.int64, "time": np.int64, "lon": np.float64, "lat": np.float64,
    "sog": np.float32, "cog": np.float32,
}  # fmt: skip

#: The replay columns with their big-endian binary element formats, in query order.
_PG_ARRAYS = (
    ("mmsi", ">i4"), ("time", ">i8"), ("lon", ">f8"), ("lat", ">f8"), ("sog", ">f4"),
    ("cog", ">f4"),
)  # fmt: skip

_PG_WINDOW = """
SELECT array_send(array_agg(mmsi)), array_send(array_agg(time)), array_send(array_agg(lon)),
       array_send(array_agg(lat)), array_send(array_agg(COALESCE(sog, 'NaN'))),
       array_send(array_agg(COALESCE(cog, 'NaN')))
FROM positions WHERE time >= %(t0)s AND time < %(t1)s {extra}
"""


def _pg_array(data: bytes | None, fmt: str) -> npt.NDArray[Any]:
    """Read a one-dimensional array without NULLs in binary form (``array_send``) with numpy.

    20 header bytes (dimensions, flags, element type, length, lower bound), then per element a
    4-byte length and the value.
    """
    if data is None:  # array_agg of no rows
        return np.empty(0, dtype=fmt)
    return np.frombuffer(data, dtype=[("n", ">i4"), ("v", fmt)], offset=20)["v"]


def _pg_columns(conn: Connection, extra: str, params: dict[str, Any]) -> Columns:
    """Run a positions query as one row of binary arrays read by numpy: no Python per row.

    The rows come as six ``array_agg`` columns (each row feeds every aggregate in turn, so the
    arrays line up) rather than a binary COPY: a COPY hands the client one message per row, and
    reading 60k of them cost ~50 ms of Python; the arrays cost ~4 ms (1 h replay at 10M).
    JIT is off: a window over millions of stored rows costs enough for the planner to
    compile, and compiling took ~45 ms of a ~150 ms replay (measured at 10M stored positions).
    So are parallel workers: the scan is cheap per row, and on a busy machine the workers wait
    for CPU (1 h replay at 10M, load ~5 on 2 cores: median 83-88 ms alone, 97-105 with two).
    """
    raw: Any = conn.connection.driver_connection
    with raw.cursor(binary=True) as cur:
        cur.execute(
            "SELECT set_config('jit', 'off', true), "
            "set_config('max_parallel_workers_per_gather', '0', true)"
        )
        row = cur.execute(_PG_WINDOW.format(extra=extra), params).fetchone()
    a = {name: _pg_array(data, fmt) for (name, fmt), data in zip(_PG_ARRAYS, row, strict=True)}
    return _ordered(
        {
            "mmsi": a["mmsi"].astype(np.int64),
            "time": a["time"].astype(np.int64) // 1000 + PG_EPOCH_MS,
            "lon": a["lon"].astype(np.float64),
            "lat": a["lat"].astype(np.float64),
            "sog": a["sog"].astype(np.float32),
            "cog": a["cog"].astype(np.float32),
        }
    )


def _ordered(cols: Columns) -> Columns:
    """Order rows by (time, mmsi, lat, lon) in numpy: one order on both backends.

    A 60k-row lexsort costs a few ms where the server-side sort cost tens (measured). Within
    ~99 days and for 30-bit MMSIs, (time, mmsi) packs into one int64 and one sort does it
    (~4x faster than the 4-key lexsort); only when two rows share both is lat/lon needed.
    """
    t, m = cols["time"], cols["mmsi"]
    if t.size and int(t.max() - t.min()) < 2**33 and int(m.min()) >= 0 and int(m.max()) < 2**30:
        key = ((t - t.min()) << 30) | m
        order = np.argsort(key, kind="stable")
        k = key[order]
        if not (k[1:] == k[:-1]).any():
            return {name: v[order] for name, v in cols.items()}
    order = np.lexsort((cols["lon"], cols["lat"], m, t))
    return {name: v[order] for name, v in cols.items()}


def _sqlite_columns(conn: Connection, where: str, params: dict[str, Any]) -> Columns:
    rows = conn.execute(
        text(
            "SELECT mmsi, time, lon, lat, sog, cog FROM positions "
            f"WHERE time >= :t0 AND time < :t1 {where}"
        ),
        params,
    ).all()
    if not rows:
        return {k: np.empty(0, dtype=d) for k, d in _EMPTY.items()}
    m, t, lo, la, s, c = zip(*rows, strict=True)
    return _ordered(
        {
            "mmsi": np.array(m, dtype=np.int64),
            "time": np.array(t, dtype=np.int64),
            "lon": np.array(lo, dtype=np.float64),
            "lat": np.array(la, dtype=np.float64),
            "sog": np.array([np.nan if x is None else x for x in s], dtype=np.float32),
            "cog": np.array([np.nan if x is None else x for x in c], dtype=np.float32),
        }
    )


def _dt(ms: int) -> Any:

    return time_ranges(np.array([ms], dtype=np.int64))[0][0]


def replay(store: Store, t0_ms: int, t1_ms: int, bbox: BBox | None = None) -> Columns:
    """Return positions in a window (and box) as columns mmsi, time, lon, lat, sog, cog.

    Ordered by (time, mmsi); unavailable sog/cog are NaN. On PostGIS the rows travel as binary
    arrays read by numpy (see `_pg_columns`).
    """
    if store.postgis:
        params: dict[str, Any] = {"t0": _dt(t0_ms), "t1": _dt(t1_ms)}
        extra = ""
        if bbox is not None:
            extra = "AND lon BETWEEN %(x0)s AND %(x1)s AND lat BETWEEN %(y0)s AND %(y1)s"
            params |= {"x0": bbox[0], "y0": bbox[1], "x1": bbox[2], "y1": bbox[3]}
        return store.read(lambda c: _pg_columns(c, extra, params), "replaying")  # type: ignore[no-any-return]
    p: dict[str, Any] = {"t0": t0_ms, "t1": t1_ms}
    where = ""
    if bbox is not None:
        where = "AND lon BETWEEN :x0 AND :x1 AND lat BETWEEN :y0 AND :y1"
        p |= {"x0": bbox[0], "y0": bbox[1], "x1": bbox[2], "y1": bbox[3]}
    return store.read(lambda c: _sqlite_columns(c, where, p), "replaying")  # type: ignore[no-any-return]


def track(store: Store, mmsi: int, t0_ms: int, t1_ms: int) -> Columns:
    """Return one vessel's positions in a window as columns, oldest first."""
    if store.postgis:
        params = {"t0": _dt(t0_ms), "t1": _dt(t1_ms), "m": int(mmsi)}
        return store.read(lambda c: _pg_columns(c, "AND mmsi = %(m)s", params))  # type: ignore[no-any-return]
    p = {"t0": t0_ms, "t1": t1_ms, "m": int(mmsi)}
    return store.read(lambda c: _sqlite_columns(c, "AND mmsi = :m", p))  # type: ignore[no-any-return]


def track_line(
    store: Store, mmsi: int, t0_ms: int, t1_ms: int, tolerance_deg: float = 0.0
) -> shapely.LineString | None:
    """Return the track as a line simplified by Douglas-Peucker (None under two points).

    PostGIS runs ``ST_Simplify`` on ``ST_MakeLine``; SQLite runs shapely's ``simplify`` with
    ``preserve_topology=False`` (GEOS's Douglas-Peucker) at the same tolerance, in degrees.
    """
    if store.postgis:
        sql = text(
            "SELECT count(*), ST_AsBinary(ST_Simplify(ST_MakeLine(geom ORDER BY time, lat, lon), "
            ":tol)) FROM positions WHERE mmsi = :m AND time >= :t0 AND time < :t1"
        )
        params = {"m": int(mmsi), "t0": _dt(t0_ms), "t1": _dt(t1_ms), "tol": tolerance_deg}
        n, wkb = store.read(lambda c: c.execute(sql, params).one())
        if n < 2 or wkb is None:
            return None
        return shapely.from_wkb(bytes(wkb))
    cols = track(store, mmsi, t0_ms, t1_ms)
    if cols["time"].size < 2:
        return None
    line = shapely.LineString(np.column_stack([cols["lon"], cols["lat"]]))
    return shapely.simplify(line, tolerance_deg, preserve_topology=False) if tolerance_deg else line


def vessels_in_area(
    store: Store, area: shapely.Geometry, t0_ms: int, t1_ms: int
) -> list[AreaVisit]:
    """Retroactive geofence: vessels with a position intersecting ``area`` in the window."""
    if store.postgis:
        sql = text(
            "SELECT mmsi, min(time) AS first, max(time) AS last, count(*) AS n FROM positions "
            "WHERE time >= :t0 AND time < :t1 "
            "AND ST_Intersects(geom, ST_GeomFromWKB(:wkb, 4326)) GROUP BY mmsi ORDER BY mmsi"
        )
        params = {"t0": _dt(t0_ms), "t1": _dt(t1_ms), "wkb": shapely.to_wkb(area)}
        rows = store.read(lambda c: c.execute(sql, params).all())
        ms = EpochMs()
        return [
            AreaVisit(
                r.mmsi,
                int(ms.process_result_value(r.first, store.engine.dialect) or 0),
                int(ms.process_result_value(r.last, store.engine.dialect) or 0),
                r.n,
            )
            for r in rows
        ]
    x0, y0, x1, y1 = shapely.bounds(area).tolist()
    cols = replay(store, t0_ms, t1_ms, (x0, y0, x1, y1))
    shapely.prepare(area)
    inside = shapely.intersects_xy(area, cols["lon"], cols["lat"])
    m, t = cols["mmsi"][inside], cols["time"][inside]
    out = []
    for mmsi in np.unique(m).tolist():
        sel = t[m == mmsi]
        out.append(AreaVisit(int(mmsi), int(sel.min()), int(sel.max()), int(sel.size)))
    return out
