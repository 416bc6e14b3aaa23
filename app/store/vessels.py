"""Vessel rows in bulk: latest fix, last seen, static data and the history of identities.

One upsert per batch, or per group of a capture's batches (`app.store.group_write`). The
latest fix only moves forward in event time (a late, older report never overwrites a newer
fix); ``last_seen`` counts every report, with or without a position. Static reports merge field
by field: a newer report overwrites what it carries, an older one only fills gaps. Each change
of identity (name, callsign, IMO, ship type) adds a row to
``vessel_identities``, the first identity seen included.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, Table, and_, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from ais_ingest.mmsi import flag_alpha2_array
from ais_ingest.records import PositionColumns, StaticReport, has_position
from app.store.order import by_vessel_time

FIX_COLUMNS = ("time", "lat", "lon", "sog", "cog", "heading", "status", "msg_type")
STATIC_FIELDS = (
    "name",
    "callsign",
    "imo",
    "ship_type",
    "to_bow",
    "to_stern",
    "to_port",
    "to_starboard",
    "destination",
    "eta",
    "draught",
)
IDENTITY = ("name", "callsign", "imo", "ship_type")
_static_fields = operator.attrgetter(*STATIC_FIELDS)


def _insert(conn: Connection, table: Table) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _opt(v: Any) -> Any:
    return None if v is None or v != v or (isinstance(v, int) and v < 0) else v


def _position_rows(cols: PositionColumns, has_fix: np.ndarray) -> dict[int, dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    if not len(cols):
        return rows
    order = np.lexsort((cols.time_ms, cols.mmsi))
    m = cols.mmsi[order]
    first = np.flatnonzero(np.r_[True, m[1:] != m[:-1]])
    last = np.r_[first[1:] - 1, m.size - 1]
    for a, b in zip(first.tolist(), last.tolist(), strict=True):
        mmsi = int(m[a])
        rows[mmsi] = {
            "mmsi": mmsi,
            "first_seen": int(cols.time_ms[order[a]]),
            "last_seen": int(cols.time_ms[order[b]]),
        }
        fixes = order[a : b + 1][has_fix[order[a : b + 1]]]
        if fixes.size:
            i = int(fixes[-1])
            rows[mmsi].update(
                time=int(cols.time_ms[i]),
                lat=float(cols.lat[i]),
                lon=float(cols.lon[i]),
                sog=_opt(float(cols.speed[i])),
                cog=_opt(float(cols.course[i])),
                heading=_opt(int(cols.heading[i])),
                status=_opt(int(cols.status[i])),
                msg_type=int(cols.msg_type[i]),
            )
    return rows


def _greatest(conn: Connection, a: Any, b: Any) -> Any:
    return func.greatest(a, b) if conn.dialect.name == "postgresql" else func.max(a, b)


def _least(conn: Connection, a: Any, b: Any) -> Any:
    return func.least(a, b) if conn.dialect.name == "postgresql" else func.min(a, b)


_VSTAGE_DDL = """
CREATE TEMP TABLE IF NOT EXISTS mare_vstage (
    mmsi integer, f bigint, l bigint, t bigint, lat float8, lon float8, sog real, cog real,
    heading smallint, status smallint, msg_type smallint, flag text
) ON COMMIT DELETE ROWS
"""
_MS = "'epoch'::timestamptz + {} * interval '1 millisecond'"
#: The latest fix of a ``mare_vstage`` row ``u`` (`FIX_COLUMNS`), NULL where it has none.
_FIX_VALUES = (
    "    CASE WHEN u.t >= 0 THEN "
    + _MS.format("u.t")
    + """ END,
    CASE WHEN u.t >= 0 THEN u.lat END, CASE WHEN u.t >= 0 THEN u.lon END,
    NULLIF(u.sog, 'NaN'), NULLIF(u.cog, 'NaN'), NULLIF(u.heading, -1),
    NULLIF(u.status, -1), NULLIF(u.msg_type, -1)"""
)
#: The stored fix replaced by a newer one, or by one on a tie.
_FIX_UPDATES = ",\n".join(
    f"    {c} = CASE WHEN EXCLUDED.time IS NOT NULL"
    f" AND (v.time IS NULL OR EXCLUDED.time >= v.time) THEN EXCLUDED.{c} ELSE v.{c} END"
    for c in FIX_COLUMNS
)
_PG_UPSERT = (
    """
INSERT INTO vessels AS v (mmsi, first_seen, last_seen, time, lat, lon, sog, cog, heading,
                          status, msg_type, flag)
SELECT u.mmsi, """
    + _MS.format("u.f")
    + ", "
    + _MS.format("u.l")
    + ",\n"
    + _FIX_VALUES
    + """, NULLIF(u.flag, '--')
FROM mare_vstage u
ON CONFLICT (mmsi) DO UPDATE SET
    first_seen = LEAST(v.first_seen, EXCLUDED.first_seen),
    last_seen = GREATEST(v.last_seen, EXCLUDED.last_seen),
"""
    + _FIX_UPDATES
)
_VSTAGE_FIELDS = [
    ("mmsi", ">i4"), ("f", ">i8"), ("l", ">i8"), ("t", ">i8"), ("lat", ">f8"), ("lon", ">f8"),
    ("sog", ">f4"), ("cog", ">f4"), ("heading", ">i2"), ("status", ">i2"), ("msg_type", ">i2"),
    ("flag", "S2"),
]  # fmt: skip
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
_COPY_TRAILER = b"\xff\xff"
_VSTAGE_DTYPE = np.dtype(
    [("n", ">i2")]
    + [x for name, fmt in _VSTAGE_FIELDS for x in (("l_" + name, ">i4"), (name, fmt))]
)


def _groups(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the first and last index of each vessel's run in MMSIs in vessel order."""
    first = np.flatnonzero(np.r_[True, m[1:] != m[:-1]])
    last = np.r_[first[1:] - 1, m.size - 1]
    return first, last


@dataclass(frozen=True, slots=True)
class VesselStage:
    """One row per vessel of a batch (first and last seen, latest fix) in binary COPY layout.

    Built from the batch alone (`stage_positions_pg`), so that it can be built before the
    transaction that sends it (`upsert_stage_pg`); the stages of several batches merge into
    one (`merge_vessel_stages`) when they commit together.
    """

    rows: np.ndarray


def stage_positions_pg(
    cols: PositionColumns, order: np.ndarray | None = None
) -> VesselStage | None:
    """Encode the columns' vessel rows for `upsert_stage_pg` in numpy: no per-row Python.

    ``order``: `by_vessel_time` of the rows, if known (`Store.stage` sorts a batch once).
    """
    if not len(cols):
        return None
    has_fix = _has_fix(cols)
    if order is None:
        order = by_vessel_time(cols.mmsi, cols.time_ms)
    first, last = _groups(cols.mmsi[order])
    mmsi = cols.mmsi[order][first]
    fixes = order[has_fix[order]]  # the rows with a fix, in (mmsi, time) order
    n = mmsi.size
    fix_row = np.full(n, -1, dtype=np.int64)
    if fixes.size:
        fix_idx = fixes[_groups(cols.mmsi[fixes])[1]]
        fix_row[np.searchsorted(mmsi, cols.mmsi[fix_idx])] = fix_idx
    has = fix_row >= 0
    r = np.where(has, fix_row, 0)
    a = np.zeros(n, dtype=_VSTAGE_DTYPE)
    a["n"] = len(_VSTAGE_FIELDS)
    for name, fmt in _VSTAGE_FIELDS:
        a["l_" + name] = np.dtype(fmt).itemsize
    a["mmsi"] = mmsi
    a["f"] = cols.time_ms[order][first]
    a["l"] = cols.time_ms[order][last]
    a["t"] = np.where(has, cols.time_ms[r], -1)
    a["lat"] = np.where(has, cols.lat[r], 0.0)
    a["lon"] = np.where(has, cols.lon[r], 0.0)
    a["sog"] = np.where(has, cols.speed[r], np.nan)
    a["cog"] = np.where(has, cols.course[r], np.nan)
    a["heading"] = np.where(has, cols.heading[r], -1)
    a["status"] = np.where(has, cols.status[r], -1)
    a["msg_type"] = np.where(has, cols.msg_type[r].astype(np.int16), -1)
    flags = flag_alpha2_array(mmsi)
    a["flag"] = np.where(flags == "", "--", flags).astype("S2")
    return VesselStage(a)


def merge_vessel_stages(stages: Sequence[VesselStage | None]) -> VesselStage | None:
    """Merge the vessel rows of consecutive batches into the rows of one batch of them all.

    What the upserts of the stages one after another would leave: the first ``first_seen``,
    the last ``last_seen``, and the fix of the latest time, the later batch's on a tie (the
    upsert's ``EXCLUDED.time >= v.time``). One upsert then does the work of several
    (`app.store.group_write`): on `bench.cli`'s AISHub capture every batch carries the
    same 10,440 vessels.
    """
    parts = [s.rows for s in stages if s is not None]
    if len(parts) <= 1:
        return VesselStage(parts[0]) if parts else None
    a = np.concatenate(parts).astype(_VSTAGE_DTYPE)  # promotion makes the fields native-endian
    mmsi = a["mmsi"].astype(np.int64)
    order = np.lexsort((np.arange(a.size), a["t"].astype(np.int64), mmsi))
    m = mmsi[order]
    first = np.flatnonzero(np.r_[True, m[1:] != m[:-1]])
    last = np.r_[first[1:] - 1, m.size - 1]
    out = a[order[last]]  # the latest fix (a vessel with none has t = -1 in every row)
    out["f"] = np.minimum.reduceat(a["f"][order], first)
    out["l"] = np.maximum.reduceat(a["l"][order], first)
    return VesselStage(out)


def upsert_stage_pg(conn: Connection, stage: VesselStage | None) -> set[int]:
    """COPY the staged vessel rows into a temp table, then one upsert; return their MMSIs."""
    if stage is None:
        return set()
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cur:
        _copy_vessel_stage(cur, stage)
        cur.execute(_PG_UPSERT)
    return set(stage.rows["mmsi"].tolist())


def _copy_vessel_stage(cur: Any, stage: VesselStage) -> None:
    cur.execute(_VSTAGE_DDL)
    cur.execute("DELETE FROM mare_vstage")  # empty unless used twice in one transaction; a
    # TRUNCATE gives the table a new file each time, ~2 ms a batch (measured)
    with cur.copy("COPY mare_vstage FROM STDIN (FORMAT binary)") as copy:
        copy.write(_COPY_HEADER + stage.rows.tobytes() + _COPY_TRAILER)


def _has_fix(cols: PositionColumns) -> np.ndarray:
    return has_position(cols.lat, cols.lon)


def upsert_positions_pg(conn: Connection, cols: PositionColumns) -> set[int]:
    """`upsert_positions` on PostGIS, in raw SQL: it needs no `Table` (nor the schema built)."""
    return upsert_stage_pg(conn, stage_positions_pg(cols))


def upsert_positions(conn: Connection, t: Table, cols: PositionColumns) -> set[int]:
    """Upsert last seen and latest fix of every vessel in the columns; return their MMSIs."""
    if conn.dialect.name == "postgresql":
        return upsert_positions_pg(conn, cols)
    if not len(cols):
        return set()
    has_fix = _has_fix(cols)
    rows = _position_rows(cols, has_fix)
    if not rows:
        return set()
    flags = flag_alpha2_array(np.fromiter(rows, dtype=np.int64, count=len(rows)))
    values = []
    for (mmsi, row), flag in zip(rows.items(), flags.tolist(), strict=True):
        full = {c: None for c in FIX_COLUMNS} | row
        full["flag"] = flag or None
        values.append(full | {"mmsi": mmsi})
    ins = _insert(conn, t)
    ex = ins.excluded
    newer = and_(ex.time.is_not(None), or_(t.c.time.is_(None), ex.time >= t.c.time))
    set_: dict[str, Any] = {
        "first_seen": _least(conn, t.c.first_seen, ex.first_seen),
        "last_seen": _greatest(conn, t.c.last_seen, ex.last_seen),
    }
    for c in FIX_COLUMNS:
        set_[c] = case((newer, ex[c]), else_=t.c[c])
    conn.execute(ins.on_conflict_do_update(index_elements=["mmsi"], set_=set_), values)
    return set(rows)


def _merge_statics(statics: Sequence[StaticReport]) -> dict[int, list[StaticReport]]:
    by: dict[int, list[StaticReport]] = {}
    for s in sorted(statics, key=lambda r: r.time_ms):
        by.setdefault(s.mmsi, []).append(s)
    return by


#: The columns of a static upsert on PostGIS, staged by COPY (times in epoch ms).
_STATIC_ARRAYS = (
    ("mmsi", "integer"), ("first_seen", "bigint"), ("last_seen", "bigint"), ("flag", "text"),
    ("static_time", "bigint"), ("name", "text"), ("callsign", "text"), ("imo", "integer"),
    ("ship_type", "smallint"), ("to_bow", "smallint"), ("to_stern", "smallint"),
    ("to_port", "smallint"), ("to_starboard", "smallint"), ("destination", "text"),
    ("eta", "text"), ("draught", "float8"),
)  # fmt: skip
_TIMES = ("first_seen", "last_seen", "static_time")
#: The batch's merged static rows, staged by COPY for `_PG_STATIC_UPSERT`.
_SSTAGE_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS mare_sstage ("
    + ", ".join(f"{c} {kind}" for c, kind in _STATIC_ARRAYS)
    + ") ON COMMIT DELETE ROWS"
)
#: Identity changes, staged by COPY; ``ord`` keeps their order into ``vessel_identities``.
_ISTAGE_DDL = """
CREATE TEMP TABLE IF NOT EXISTS mare_istage (
    ord integer, mmsi integer, t bigint, name text, callsign text, imo integer, ship_type smallint
) ON COMMIT DELETE ROWS
"""
_PG_IDENTITY_INSERT = (
    "INSERT INTO vessel_identities (mmsi, time, name, callsign, imo, ship_type)\nSELECT mmsi, "
    + _MS.format("t")
    + ", name, callsign, imo, ship_type FROM mare_istage ORDER BY ord"
)
#: One statement for all of a batch's vessels: the SQLite path's upsert (the same SET clauses),
#: from the rows staged in ``mare_sstage``. An executemany sent a statement per vessel, ~25 us
#: each.
_PG_STATIC_UPSERT = (
    f"INSERT INTO vessels AS v ({', '.join(c for c, _ in _STATIC_ARRAYS)})\nSELECT "
    + ", ".join(_MS.format(f"u.{c}") if c in _TIMES else f"u.{c}" for c, _ in _STATIC_ARRAYS)
    + "\nFROM mare_sstage u"
    + """
ON CONFLICT (mmsi) DO UPDATE SET
    first_seen = LEAST(v.first_seen, EXCLUDED.first_seen),
    last_seen = GREATEST(v.last_seen, EXCLUDED.last_seen),
    static_time = GREATEST(COALESCE(v.static_time, EXCLUDED.static_time), EXCLUDED.static_time),
"""
    + ",\n".join(f"    {f} = EXCLUDED.{f}" for f in STATIC_FIELDS)
)


#: `_PG_UPSERT` and `_PG_STATIC_UPSERT` in one statement, from both stages joined on the MMSI:
#: a vessel without static reports keeps its static data, one without positions its fix.
_PG_VESSELS_UPSERT = (
    "INSERT INTO vessels AS v (mmsi, first_seen, last_seen, "
    + ", ".join(FIX_COLUMNS)
    + ", flag, "
    + ", ".join(["static_time", *STATIC_FIELDS])
    + ")\nSELECT COALESCE(u.mmsi, s.mmsi), LEAST("
    + _MS.format("u.f")
    + ", "
    + _MS.format("s.first_seen")
    + "), GREATEST("
    + _MS.format("u.l")
    + ", "
    + _MS.format("s.last_seen")
    + "),\n"
    + _FIX_VALUES
    + """, COALESCE(NULLIF(u.flag, '--'), s.flag),
    """
    + _MS.format("s.static_time")
    + ", "
    + ", ".join(f"s.{f}" for f in STATIC_FIELDS)
    + """
FROM mare_vstage u FULL JOIN mare_sstage s ON s.mmsi = u.mmsi
ON CONFLICT (mmsi) DO UPDATE SET
    first_seen = LEAST(v.first_seen, EXCLUDED.first_seen),
    last_seen = GREATEST(v.last_seen, EXCLUDED.last_seen),
"""
    + _FIX_UPDATES
    + """,
    static_time = CASE WHEN EXCLUDED.static_time IS NULL THEN v.static_time
        ELSE GREATEST(COALESCE(v.static_time, EXCLUDED.static_time), EXCLUDED.static_time) END,
"""
    + ",\n".join(
        f"    {f} = CASE WHEN EXCLUDED.static_time IS NULL THEN v.{f} ELSE EXCLUDED.{f} END"
        for f in STATIC_FIELDS
    )
)


def upsert_statics(
    conn: Connection, t: Table, ident: Table, statics: Sequence[StaticReport]
) -> set[int]:
    """Merge static reports into vessels and record identity changes; return their MMSIs.

    Through SQLAlchemy (SQLite); PostGIS takes `upsert_statics_pg`, the same merge.
    """
    by = _merge_statics(statics)
    if not by:
        return set()
    query = select(t.c.mmsi, t.c.static_time, *[t.c[f] for f in STATIC_FIELDS])
    current = {r.mmsi: r for r in conn.execute(query.where(t.c.mmsi.in_(list(by))))}
    values, history = _merged(by, current)
    ins = _insert(conn, t)
    ex = ins.excluded
    set_: dict[str, Any] = {
        "first_seen": _least(conn, t.c.first_seen, ex.first_seen),
        "last_seen": _greatest(conn, t.c.last_seen, ex.last_seen),
        "static_time": _greatest(
            conn, func.coalesce(t.c.static_time, ex.static_time), ex.static_time
        ),
    }
    for f in STATIC_FIELDS:
        set_[f] = ex[f]  # already merged against the stored row above, in this transaction
    conn.execute(ins.on_conflict_do_update(index_elements=["mmsi"], set_=set_), values)
    if history:
        conn.execute(ident.insert(), history)
    return set(by)


#: One vessel's static upsert row and its identity changes (`_merge_one`).
Merged = tuple[dict[str, Any], list[dict[str, Any]]]


def _merged(
    by: dict[int, list[StaticReport]],
    current: dict[int, Any],
    blank: dict[int, Merged] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Merge each vessel's reports onto its stored row: (vessel rows, identity changes).

    ``blank``: `merge_unstored` of these very reports, taken for the vessels whose stored row
    has no static data (the merge is then the same).
    """
    flags = flag_alpha2_array(np.fromiter(by, dtype=np.int64, count=len(by))).tolist()
    values, history = [], []
    for (mmsi, reports), flag in zip(by.items(), flags, strict=True):
        cur = current.get(mmsi)
        if blank is not None and _no_statics(cur):
            value, changes = blank[mmsi]
        else:
            value, changes = _merge_one(mmsi, reports, cur, flag)
        values.append(value)
        history += changes
    return values, history


def merge_unstored(by: dict[int, list[StaticReport]]) -> dict[int, Merged]:
    """Merge each vessel's reports as `_merged` does onto a stored row without static data.

    Needs no database: a writer computes it ahead (`app.store.group_write`), and the upsert
    merges again only the vessels whose stored row has some.
    """
    flags = flag_alpha2_array(np.fromiter(by, dtype=np.int64, count=len(by))).tolist()
    return {
        mmsi: _merge_one(mmsi, reports, None, flag)
        for (mmsi, reports), flag in zip(by.items(), flags, strict=True)
    }


def _no_statics(cur: Any) -> bool:
    return cur is None or (
        cur.static_time is None and all(getattr(cur, f) is None for f in STATIC_FIELDS)
    )


def _merge_one(mmsi: int, reports: list[StaticReport], cur: Any, flag: str) -> Merged:
    """Apply a vessel's reports in time order onto its stored row (``cur``) or a blank one.

    A vessel repeats one type 5 every six minutes: a newer report whose fields are those of
    the last newer report applied changes nothing but the static time, and is not applied
    field by field (the simulated capture of `bench.cli`: 9.4k reports of 270 vessels).
    """
    state = {f: (getattr(cur, f) if cur else None) for f in STATIC_FIELDS}
    static_time = cur.static_time if cur else None
    first = min(r.time_ms for r in reports)
    history = []
    last: tuple[Any, ...] | None = None  # the fields of the last newer report applied
    for r in reports:
        newer = static_time is None or r.time_ms >= static_time
        fields = _static_fields(r)
        if newer and fields == last:
            static_time = r.time_ms
            continue
        before = tuple(state[f] for f in IDENTITY)
        for f, v in zip(STATIC_FIELDS, fields, strict=True):
            if v is not None and (newer or state[f] is None):
                state[f] = v
        after = tuple(state[f] for f in IDENTITY)
        if newer:
            static_time = r.time_ms
            last = fields
            if after != before and any(v is not None for v in after):
                history.append(
                    {
                        "mmsi": mmsi,
                        "time": r.time_ms,
                        **dict(zip(IDENTITY, after, strict=False)),
                    }
                )
    value = (
        {
            "mmsi": mmsi,
            "first_seen": first,
            "last_seen": max(r.time_ms for r in reports),
            "flag": flag or None,
        }
        | {"static_time": static_time}
        | state
    )
    return value, history


#: The stored static fields of some vessels, ``static_time`` in epoch ms as `EpochMs` reads it.
_PG_CURRENT_STATICS = (
    "SELECT mmsi, floor(extract(epoch FROM static_time) * 1000)::bigint AS static_time, "
    + ", ".join(STATIC_FIELDS)
    + " FROM vessels WHERE mmsi = ANY(%s::integer[])"
)


def merge_statics(statics: Sequence[StaticReport]) -> dict[int, list[StaticReport]]:
    """Group static reports by vessel in time order, for `upsert_statics_pg` (no database)."""
    return _merge_statics(statics)


def upsert_statics_pg(
    conn: Connection,
    statics: Sequence[StaticReport] | dict[int, list[StaticReport]],
    blank: dict[int, Merged] | None = None,
) -> set[int]:
    """`upsert_statics` on PostGIS in raw SQL: no `Table`, so the ingest never builds the schema.

    ``statics`` as reports, or as `merge_statics` grouped them beforehand; ``blank``, if
    given, their `merge_unstored`.

    The stored rows are read by one array parameter (an IN of one bound parameter per vessel,
    rendered by SQLAlchemy and parsed by psycopg, cost ~20 us a vessel); the merged rows and the
    identity changes go through COPY into temp stage tables, then one statement each: passed as
    16 arrays they cost ~15 us a vessel in psycopg's list dumper, and an identity change was one
    statement of a pipeline, ~30 us (client CPU, measured on the AISHub capture).
    """
    by = statics if isinstance(statics, dict) else _merge_statics(statics)
    if not by:
        return set()
    raw: Any = conn.connection.driver_connection
    with raw.cursor(row_factory=namedtuple_row) as pg:
        history = _copy_static_stage(pg, by, blank)
        pg.execute(_PG_STATIC_UPSERT)
        _insert_identities(pg, history)
    return set(by)


def upsert_vessels_pg(
    conn: Connection,
    stage: VesselStage | None,
    statics: dict[int, list[StaticReport]],
    blank: dict[int, Merged] | None = None,
) -> set[int]:
    """`upsert_stage_pg`, then `upsert_statics_pg`, in one statement; return the MMSIs.

    What the two leave, each vessel inserted or updated once rather than twice: their upserts
    of a vessel in both (every vessel with static reports, on a capture) cost PostgreSQL a
    second row version, ~15-20 us a vessel (the AISHub capture's 2,317: 0.05 s of its commit).
    The stored static data are read before the positions' upsert, which does not change them.
    """
    if stage is None or not statics:
        return upsert_stage_pg(conn, stage) | upsert_statics_pg(conn, statics, blank)
    raw: Any = conn.connection.driver_connection
    with raw.cursor(row_factory=namedtuple_row) as pg:
        history = _copy_static_stage(pg, statics, blank)
        _copy_vessel_stage(pg, stage)
        pg.execute(_PG_VESSELS_UPSERT)
        _insert_identities(pg, history)
    return set(stage.rows["mmsi"].tolist()) | set(statics)


def _copy_static_stage(
    pg: Any, by: dict[int, list[StaticReport]], blank: dict[int, Merged] | None
) -> list[dict[str, Any]]:
    """Merge the reports onto the stored rows into ``mare_sstage``; return the identity changes."""
    rows = pg.execute(_PG_CURRENT_STATICS, (list(by),)).fetchall()
    values, history = _merged(by, {r.mmsi: r for r in rows}, blank)
    cols = [c for c, _ in _STATIC_ARRAYS]
    _copy_stage(pg, "mare_sstage", _SSTAGE_DDL, [[v[c] for c in cols] for v in values])
    return history


def _insert_identities(pg: Any, history: list[dict[str, Any]]) -> None:
    if history:
        stage = [
            [i, h["mmsi"], h["time"], *(h[f] for f in IDENTITY)] for i, h in enumerate(history)
        ]
        _copy_stage(pg, "mare_istage", _ISTAGE_DDL, stage)
        pg.execute(_PG_IDENTITY_INSERT)


def _copy_stage(pg: Any, table: str, ddl: str, rows: Sequence[Sequence[Any]]) -> None:
    """Empty the temp table ``table`` (created by ``ddl`` if need be) and COPY ``rows`` in."""
    pg.execute(ddl)
    pg.execute(f"DELETE FROM {table}")  # empty unless used twice in one transaction
    with pg.copy(f"COPY {table} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
