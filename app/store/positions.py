"""Bulk writes of position columns: binary COPY on PostGIS, one executemany on SQLite.

Idempotent on the natural key (mmsi, time, lat, lon): re-ingesting a capture or replaying a tail
after a restart stores nothing twice. SQLite enforces it with a unique index and
``INSERT OR IGNORE``. PostGIS keeps no btree on ``positions`` (see `app.store.schema` for the
measurements), so the writer enforces it: the batch is COPied (binary, built by numpy, no
per-row Python) into a session temp table, then inserted with an anti-join against the rows
already stored in the batch's own time ranges -- found through BRIN, so a live batch looks at a
few pages -- under a transaction-scoped advisory lock that serialises writers of positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection

from ais_ingest.records import PositionColumns

#: Microseconds between the Unix epoch and PostgreSQL's (2000-01-01), for binary timestamptz.
PG_EPOCH_MS = 946_684_800_000
#: Rows further apart in time than this start a new range for the duplicate check (one BRIN
#: range scan each); a minute keeps one range for a live batch and splits out a late straggler.
RANGE_GAP_MS = 60_000
#: The most ranges a batch's duplicate check scans; wider batches merge their closest ranges.
MAX_RANGES = 16
#: Any constant: the advisory lock key under which batches of positions are inserted.
ADVISORY_KEY = 0x4D415245  # "MARE"

STAGE_DDL = """
CREATE TEMP TABLE IF NOT EXISTS mare_stage (
    time timestamptz, mmsi integer, lat float8, lon float8, sog real, cog real,
    heading smallint, status smallint, turn real, accuracy boolean, msg_type smallint,
    second smallint, src smallint
) ON COMMIT DELETE ROWS
"""

_COLUMNS = """
INSERT INTO positions (time, mmsi, lat, lon, sog, cog, heading, status, turn, accuracy,
                       msg_type, second, source)
SELECT s.time, s.mmsi, s.lat, s.lon, NULLIF(s.sog, 'NaN'), NULLIF(s.cog, 'NaN'),
       NULLIF(s.heading, -1), NULLIF(s.status, -1), NULLIF(s.turn, 'NaN'), s.accuracy,
       s.msg_type, NULLIF(s.second, -1), NULLIF((%(sources)s::text[])[s.src + 1], '')
FROM mare_stage s
"""
#: The batch when no stored row shares its time ranges (a live feed, nearly always).
INSERT_NEW_SQL = _COLUMNS
#: The batch less the rows already stored (re-ingest, replay of a tail, overlapping captures).
INSERT_ANTI_SQL = (
    """
WITH existing AS MATERIALIZED (
    SELECT mmsi, time, lat, lon FROM positions WHERE {ranges}
)"""
    + _COLUMNS
    + """LEFT JOIN existing e
  ON e.mmsi = s.mmsi AND e.time = s.time AND e.lat = s.lat AND e.lon = s.lon
WHERE e.mmsi IS NULL
"""
)
ANY_SQL = "SELECT EXISTS (SELECT 1 FROM positions WHERE {ranges})"

_STAGE_DTYPE = np.dtype(
    [
        ("n", ">i2"),
        ("l_time", ">i4"),
        ("time", ">i8"),
        ("l_mmsi", ">i4"),
        ("mmsi", ">i4"),
        ("l_lat", ">i4"),
        ("lat", ">f8"),
        ("l_lon", ">i4"),
        ("lon", ">f8"),
        ("l_sog", ">i4"),
        ("sog", ">f4"),
        ("l_cog", ">i4"),
        ("cog", ">f4"),
        ("l_heading", ">i4"),
        ("heading", ">i2"),
        ("l_status", ">i4"),
        ("status", ">i2"),
        ("l_turn", ">i4"),
        ("turn", ">f4"),
        ("l_accuracy", ">i4"),
        ("accuracy", "u1"),
        ("l_msg_type", ">i4"),
        ("msg_type", ">i2"),
        ("l_second", ">i4"),
        ("second", ">i2"),
        ("l_src", ">i4"),
        ("src", ">i2"),
    ]
)
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
_COPY_TRAILER = b"\xff\xff"


@dataclass(frozen=True, slots=True)
class Prepared:
    """The storable rows of a batch: with a position, deduplicated, sorted by (mmsi, time)."""

    cols: PositionColumns
    sources: list[str]
    src: npt.NDArray[np.int16]

    def __len__(self) -> int:
        return len(self.cols)


def prepare(cols: PositionColumns) -> Prepared:
    """Drop rows without a usable position and duplicates of the natural key; sort by vessel.

    Sorting by (mmsi, time) puts each vessel's points next to each other in the heap and in the
    GiST (a vessel moves little within a batch), which measurably cheapens the index inserts.
    """
    ok = (
        np.isfinite(cols.lat)
        & np.isfinite(cols.lon)
        & (np.abs(cols.lat) <= 90.0)
        & (np.abs(cols.lon) <= 180.0)
    )
    idx = np.flatnonzero(ok)
    if idx.size:
        order = np.lexsort((cols.lon[idx], cols.lat[idx], cols.time_ms[idx], cols.mmsi[idx]))
        idx = idx[order]
        m, t, la, lo = cols.mmsi[idx], cols.time_ms[idx], cols.lat[idx], cols.lon[idx]
        keep = np.ones(idx.size, dtype=bool)
        keep[1:] = (m[1:] != m[:-1]) | (t[1:] != t[:-1]) | (la[1:] != la[:-1]) | (lo[1:] != lo[:-1])
        idx = idx[keep]
    out = cols.take(idx)
    names = sorted(set(out.source)) if out.source else []
    if "" not in names:
        names.insert(0, "")
    lookup = {s: i for i, s in enumerate(names)}
    src = np.fromiter((lookup[s] for s in out.source), dtype=np.int16, count=len(out.source))
    if not out.source:
        src = np.zeros(len(out), dtype=np.int16)
    return Prepared(out, names, src)


def copy_buffer(p: Prepared) -> bytes:
    """Encode the rows as PostgreSQL binary COPY for ``mare_stage`` (fixed width, no NULLs)."""
    c = p.cols
    a = np.empty(len(c), dtype=_STAGE_DTYPE)
    a["n"] = 13
    for name, width in (
        ("time", 8),
        ("mmsi", 4),
        ("lat", 8),
        ("lon", 8),
        ("sog", 4),
        ("cog", 4),
        ("heading", 2),
        ("status", 2),
        ("turn", 4),
        ("accuracy", 1),
        ("msg_type", 2),
        ("second", 2),
        ("src", 2),
    ):
        a["l_" + name] = width
    a["time"] = (c.time_ms - PG_EPOCH_MS) * 1000
    a["mmsi"] = c.mmsi
    a["lat"] = c.lat
    a["lon"] = c.lon
    a["sog"] = c.speed
    a["cog"] = c.course
    a["heading"] = c.heading
    a["status"] = c.status
    a["turn"] = c.turn
    a["accuracy"] = c.accuracy
    a["msg_type"] = c.msg_type
    a["second"] = c.second
    a["src"] = p.src
    return _COPY_HEADER + a.tobytes() + _COPY_TRAILER


def time_ranges(
    time_ms: npt.NDArray[np.int64], max_ranges: int = MAX_RANGES
) -> tuple[list[datetime], list[datetime]]:
    """Split the batch's times into ranges at gaps over `RANGE_GAP_MS` (for the duplicate check).

    At most ``max_ranges``: only the widest gaps split when there would be more.
    """
    t = np.unique(time_ms)
    if t.size == 0:
        return [], []
    gaps = np.diff(t)
    cut = np.flatnonzero(gaps > RANGE_GAP_MS)
    if cut.size >= max_ranges:
        cut = np.sort(cut[np.argsort(gaps[cut], kind="stable")[cut.size - max_ranges + 1 :]])
    starts = np.concatenate(([0], cut + 1))
    ends = np.concatenate((cut, [t.size - 1]))

    def dt(ms: int) -> datetime:
        return datetime.fromtimestamp(ms // 1000, tz=UTC).replace(microsecond=(ms % 1000) * 1000)

    return [dt(int(t[i])) for i in starts], [dt(int(t[i])) for i in ends]


def _ranges(lo: list[datetime], hi: list[datetime]) -> tuple[str, dict[str, Any]]:
    """Return the ranges as a predicate on ``time`` with its parameters.

    Literal bounds rather than an unnested array: the planner sees them, prunes partitions at
    plan time and estimates the BRIN scan from them.
    """
    preds = [f"(time >= %(lo{i})s AND time <= %(hi{i})s)" for i in range(len(lo))]
    params = {f"lo{i}": a for i, a in enumerate(lo)} | {f"hi{i}": b for i, b in enumerate(hi)}
    return " OR ".join(preds), params


def insert_postgis(conn: Connection, p: Prepared) -> int:
    """Insert prepared rows on PostGIS inside the caller's transaction; return rows inserted.

    Under the advisory lock, a look through BRIN tells whether any row is stored in the batch's
    time ranges; only then is the batch anti-joined against those rows. The lock keeps another
    writer from storing a row of these ranges between the look and the insert.
    """
    if not len(p):
        return 0
    raw: Any = conn.connection.driver_connection
    ranges, params = _ranges(*time_ranges(p.cols.time_ms))
    with raw.cursor() as cur:
        cur.execute(STAGE_DDL)
        cur.execute("TRUNCATE mare_stage")
        with cur.copy("COPY mare_stage FROM STDIN (FORMAT binary)") as copy:
            copy.write(copy_buffer(p))
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_KEY,))
        row = cur.execute(ANY_SQL.format(ranges=ranges), params).fetchone()
        if row is not None and row[0]:
            cur.execute("SET LOCAL work_mem = '64MB'")
            cur.execute(INSERT_ANTI_SQL.format(ranges=ranges), params | {"sources": p.sources})
        else:
            cur.execute(INSERT_NEW_SQL, {"sources": p.sources})
        return int(cur.rowcount)


def _nullable(a: npt.NDArray[Any], missing: npt.NDArray[np.bool_]) -> list[Any]:
    out = a.astype(object)
    out[missing] = None
    return list(out.tolist())


def insert_sqlite(conn: Connection, p: Prepared) -> int:
    """Insert prepared rows on SQLite (one executemany, caller's transaction); return inserted."""
    if not len(p):
        return 0
    c = p.cols
    rows = zip(
        c.time_ms.tolist(),
        c.mmsi.tolist(),
        c.lat.tolist(),
        c.lon.tolist(),
        _nullable(c.speed.astype(np.float64), np.isnan(c.speed)),
        _nullable(c.course.astype(np.float64), np.isnan(c.course)),
        _nullable(c.heading, c.heading < 0),
        _nullable(c.status, c.status < 0),
        _nullable(c.turn.astype(np.float64), np.isnan(c.turn)),
        c.accuracy.tolist(),
        c.msg_type.tolist(),
        _nullable(c.second, c.second < 0),
        [s or None for s in c.source] if c.source else [None] * len(c),
        strict=True,
    )
    raw: Any = conn.connection.driver_connection
    cur = raw.cursor()
    try:
        cur.executemany(
            "INSERT OR IGNORE INTO positions (time, mmsi, lat, lon, sog, cog, heading, status, "
            "turn, accuracy, msg_type, second, source) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        return int(cur.rowcount)
    finally:
        cur.close()
