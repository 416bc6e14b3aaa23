"""Bulk writes of position columns: binary COPY on PostGIS, one executemany on SQLite.

Idempotent on the natural key (mmsi, time, lat, lon): re-ingesting a capture or replaying a tail
after a restart stores nothing twice. SQLite enforces it with a unique index and
``INSERT OR IGNORE``. PostGIS keeps no btree on ``positions`` (see `app.store.schema` for the
measurements), so the writer enforces it, under a transaction-scoped advisory lock that
serialises writers of positions: it reads, through BRIN, the keys of the rows stored in the
batch's own time ranges (binary COPY out; a feed in time order reads the few rows of the last
batch's tail, a bulk load none), drops the batch's rows that are among them (numpy), and COPies
the rest straight into ``positions``, or into its day's partition when the batch is of one day
(binary, built by numpy, no per-row Python; COPY inserts a page of rows at a time, ~2 us of
server CPU per row). Before, a batch with any stored row in its ranges went whole through a temp
table and an INSERT ... SELECT anti-join (~4.5 us a row more): every live batch did, its
tag-block times reaching back into the batch before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from sqlalchemy import Connection

from ais_ingest.records import PositionColumns, has_position
from app.store.order import by_vessel_time, ties_by_position
from app.store.partitions import DAY_MS, day_of, partition_name

#: Microseconds between the Unix epoch and PostgreSQL's (2000-01-01), for binary timestamptz.
PG_EPOCH_MS = 946_684_800_000
#: Rows further apart in time than this start a new range for the duplicate check (one BRIN
#: range scan each); a minute keeps one range for a live batch and splits out a late straggler.
RANGE_GAP_MS = 60_000
#: The most ranges a batch's duplicate check scans; wider batches merge their closest ranges.
MAX_RANGES = 16
#: Any constant: the advisory lock key under which batches of positions are inserted.
ADVISORY_KEY = 0x4D415245  # "MARE"

COLUMNS = (
    "time, mmsi, lat, lon, sog, cog, heading, status, turn, accuracy, msg_type, second, source"
)
#: The natural keys of the stored rows in the batch's time ranges (`stored_keys`).
STORED_KEYS_SQL = (
    "COPY (SELECT mmsi, time, lat, lon FROM positions WHERE {ranges}) TO STDOUT (FORMAT binary)"
)
#: A natural key as compared in numpy: the binary COPY layout of (mmsi, time, lat, lon).
_KEY = np.dtype([("mmsi", ">i4"), ("time", ">i8"), ("lat", ">f8"), ("lon", ">f8")])
#: A row of `STORED_KEYS_SQL`'s binary COPY out: field count, then (length, value) per field.
_KEY_ROW = np.dtype(
    [("n", ">i2")]
    + [x for name in _KEY.names or () for x in (("l_" + name, ">i4"), (name, _KEY[name]))]
)
#: The duplicate check reads its ranges through BRIN, and in this backend alone. A partition
#: written in this transaction, or never analysed, has no statistics: the planner then costs a
#: seq scan below the bitmap scan and hands it to two parallel workers, and each batch read
#: every row written before it (`bench.cli`'s simulated capture in 10k-line batches: 5 ms for
#: the first batch's check, 64 ms for the 32nd; 0.87 s in all, 0.13 s through BRIN).
#: Set for the one query (`set_config` local), then put back for the rest of the transaction.
_BRIN_ONLY = (
    "SELECT set_config('enable_seqscan', 'off', true), "
    "set_config('max_parallel_workers_per_gather', '0', true)"
)
#: The writers' lock, and the planner settings `_RESTORE_PLANNER` puts back after the check.
_LOCK_SAVING_PLANNER = (
    "SELECT current_setting('enable_seqscan'), "
    "current_setting('max_parallel_workers_per_gather'), pg_advisory_xact_lock(%s)"
)
_RESTORE_PLANNER = (
    "SELECT set_config('enable_seqscan', %s, true), "
    "set_config('max_parallel_workers_per_gather', %s, true)"
)
_COPY_OUT_HEADER = 19  # signature (11), flags (4), header extension length (4, zero)
#: BRIN summaries for the page ranges just written, in the given partitions (see `summarize`).
SUMMARIZE_SQL = """
SELECT count(brin_summarize_new_values(x.indexrelid))
FROM pg_inherits i JOIN pg_index x ON x.indexrelid = i.inhrelid
JOIN pg_class t ON t.oid = x.indrelid
WHERE i.inhparent = 'ix_positions_time_mmsi'::regclass AND t.relname = ANY(%s)
"""

#: ``positions`` columns in COPY order with their binary formats (source, text, comes last).
_FIELDS = (
    ("time", ">i8"),
    ("mmsi", ">i4"),
    ("lat", ">f8"),
    ("lon", ">f8"),
    ("sog", ">f4"),
    ("cog", ">f4"),
    ("heading", ">i2"),
    ("status", ">i2"),
    ("turn", ">f4"),
    ("accuracy", "u1"),
    ("msg_type", ">i2"),
    ("second", ">i2"),
)
_NULLABLE = ("sog", "cog", "heading", "status", "turn", "second")
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
_COPY_TRAILER = b"\xff\xff"


@dataclass(frozen=True, slots=True)
class Prepared:
    """The storable rows of a batch: with a position, deduplicated, in (mmsi, time) order.

    ``src`` indexes ``sources`` per row; ``sources[0]`` is "" (stored as NULL). ``payload``,
    when set, is `copy_rows` of these very rows, built ahead (`with_payload`) so that a
    writer holding the database's connection spends no CPU on it.
    """

    cols: PositionColumns
    sources: list[str]
    src: npt.NDArray[np.int16]
    payload: bytes | None = None

    def __len__(self) -> int:
        return len(self.cols)


def prepare(cols: PositionColumns, order: npt.NDArray[np.int64] | None = None) -> Prepared:
    """Drop rows without a usable position and duplicates of the natural key; sort by vessel.

    Sorted by (mmsi, time) to find the duplicates; the order also keeps a vessel's points of a
    batch together in the heap. ``order``: `by_vessel_time` of all the rows, if known.
    """
    ok = has_position(cols.lat, cols.lon)
    if order is None:
        idx = np.flatnonzero(ok)
        idx = idx[by_vessel_time(cols.mmsi[idx], cols.time_ms[idx])]
    else:
        idx = order[ok[order]]
    if idx.size:
        idx = ties_by_position(idx, cols.mmsi, cols.time_ms, cols.lat, cols.lon)
        m, t, la, lo = cols.mmsi[idx], cols.time_ms[idx], cols.lat[idx], cols.lon[idx]
        keep = np.ones(idx.size, dtype=bool)
        keep[1:] = (m[1:] != m[:-1]) | (t[1:] != t[:-1]) | (la[1:] != la[:-1]) | (lo[1:] != lo[:-1])
        idx = idx[keep]
    out = cols.take(idx)
    seen = set(out.source)
    names = sorted(seen | {""})
    if not out.source or len(seen) == 1:  # one feed: no per-row lookup
        src = np.full(len(out), names.index(out.source[0]) if out.source else 0, np.int16)
    else:
        lookup = {s: i for i, s in enumerate(names)}
        src = np.fromiter(map(lookup.__getitem__, out.source), dtype=np.int16, count=len(out))
    return Prepared(out, names, src)


def copy_rows(p: Prepared) -> bytes:
    """Encode the rows as PostgreSQL binary COPY of `COLUMNS`, NULL where a value is missing.

    A NULL field has no bytes, so rows are not all one width; rows with the same NULL fields and
    source have, though, and a feed has few such patterns. Each pattern is one numpy structured
    array, filled column by column. Rows come out grouped by pattern, in order within one.
    """
    c = p.cols
    n = len(c)
    values: dict[str, npt.NDArray[Any]] = {
        "time": (c.time_ms - PG_EPOCH_MS) * 1000,
        "mmsi": c.mmsi,
        "lat": c.lat,
        "lon": c.lon,
        "sog": c.speed,
        "cog": c.course,
        "heading": c.heading,
        "status": c.status,
        "turn": c.turn,
        "accuracy": c.accuracy,
        "msg_type": c.msg_type,
        "second": c.second,
    }
    missing = {
        "sog": np.isnan(c.speed),
        "cog": np.isnan(c.course),
        "heading": c.heading < 0,
        "status": c.status < 0,
        "turn": np.isnan(c.turn),
        "second": c.second < 0,
    }
    key = p.src.astype(np.int64) << len(_NULLABLE)
    for bit, name in enumerate(_NULLABLE):
        key |= missing[name].astype(np.int64) << bit
    # A feed has few sources: the key then fits 16 bits, which numpy sorts stably by radix.
    order = np.argsort(key.astype(np.uint16) if n and key.max() < 1 << 16 else key, kind="stable")
    sorted_keys = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]) if n else order
    keys = sorted_keys[starts]
    texts = [x.encode() for x in p.sources]
    parts = [_COPY_HEADER]
    for k, a, b in zip(keys.tolist(), starts.tolist(), [*starts[1:].tolist(), n], strict=True):
        rows = order[a:b]
        null = {name for bit, name in enumerate(_NULLABLE) if k >> bit & 1}
        text = texts[k >> len(_NULLABLE)]
        fields: list[tuple[str, str]] = [("n", ">i2")]
        for name, fmt in _FIELDS:
            fields += [("l_" + name, ">i4")] + ([] if name in null else [(name, fmt)])
        fields += [("l_source", ">i4")] + ([("source", f"S{len(text)}")] if text else [])
        arr = np.empty(rows.size, dtype=fields)
        arr["n"] = len(_FIELDS) + 1
        for name, fmt in _FIELDS:
            if name in null:
                arr["l_" + name] = -1
            else:
                arr["l_" + name] = np.dtype(fmt).itemsize
                arr[name] = values[name][rows]
        arr["l_source"] = len(text) if text else -1
        if text:
            arr["source"] = text
        parts.append(arr.tobytes())
    parts.append(_COPY_TRAILER)
    return b"".join(parts)


def with_payload(p: Prepared) -> Prepared:
    """Return ``p`` with its binary COPY built (`copy_rows`), for `insert_postgis` to send."""
    return Prepared(p.cols, p.sources, p.src, copy_rows(p)) if len(p) else p


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


def _keys(mmsi: npt.NDArray[Any], time_us: npt.NDArray[Any], lat: Any, lon: Any) -> Any:
    """Return natural keys as one fixed-width byte string each (compared as raw bytes)."""
    k = np.empty(len(mmsi), dtype=_KEY)
    k["mmsi"], k["time"] = mmsi, time_us
    k["lat"], k["lon"] = lat + 0.0, lon + 0.0  # -0.0 is 0.0 to SQL, not to memcmp
    return k.view(f"V{_KEY.itemsize}")


def stored_keys(data: bytes) -> Any:
    """Parse `STORED_KEYS_SQL`'s binary COPY out into `_keys` (its four columns are NOT NULL)."""
    body = memoryview(data)[_COPY_OUT_HEADER : len(data) - 2]
    rows = np.frombuffer(body, dtype=_KEY_ROW)
    return _keys(rows["mmsi"], rows["time"], rows["lat"], rows["lon"])


def new_rows(p: Prepared, stored: Any) -> Prepared:
    """Return the rows of ``p`` whose natural key is not among ``stored`` (`stored_keys`).

    ``p`` itself when none is (its payload stays good): a capture's batch overlapping the
    previous one in time, but not in rows, is not encoded twice.
    """
    c = p.cols
    mine = _keys(c.mmsi, (c.time_ms - PG_EPOCH_MS) * 1000, c.lat, c.lon)
    new = ~np.isin(mine, stored)
    if new.all():
        return p
    keep = np.flatnonzero(new)
    return Prepared(c.take(keep), p.sources, p.src[keep])


def insert_postgis(conn: Connection, p: Prepared) -> int:
    """Insert prepared rows on PostGIS inside the caller's transaction; return rows inserted.

    Under the advisory lock, the keys of the rows stored in the batch's time ranges are read
    (through BRIN) and the batch's rows among them dropped; the rest is COPied. The lock keeps
    another writer from storing a row of these ranges between the read and the insert.
    """
    if not len(p):
        return 0
    raw: Any = conn.connection.driver_connection
    ranges, params = _ranges(*time_ranges(p.cols.time_ms))
    with raw.cursor() as cur:
        saved = cur.execute(_LOCK_SAVING_PLANNER, (ADVISORY_KEY,)).fetchone()
        assert saved is not None
        cur.execute(_BRIN_ONLY)
        with cur.copy(STORED_KEYS_SQL.format(ranges=ranges), params) as out:
            data = b"".join(bytes(block) for block in out)
        cur.execute(_RESTORE_PLANNER, saved[:2])
        if len(data) > _COPY_OUT_HEADER + 2:
            p = new_rows(p, stored_keys(data))
        if not len(p):
            return 0
        with cur.copy(f"COPY {_target(p)} ({COLUMNS}) FROM STDIN (FORMAT binary)") as copy:
            copy.write(copy_rows(p) if p.payload is None else p.payload)
        return len(p)


def _target(p: Prepared) -> str:
    """Return the table a COPY of these rows goes into: their day's partition if one day.

    COPY into the partitioned table routes each row (0.42-0.5 s of server CPU for
    `bench.cli`'s real capture, 288k rows of one day); straight into the day's partition,
    where only its range is checked, 0.37-0.38 s. Rows of several days go through routing.
    """
    first, last = int(p.cols.time_ms.min()), int(p.cols.time_ms.max())
    return partition_name(day_of(first)) if first // DAY_MS == last // DAY_MS else "positions"


def summarize(conn: Connection, time_ms: npt.NDArray[np.int64]) -> None:
    """Summarize the BRIN page ranges just written in the partitions of these times.

    A page range without a summary matches every BRIN scan, so until (auto)vacuum came by, each
    batch's duplicate check read every row written since: ~40 ms a batch with 500k rows behind
    it (measured), growing with the day. Summarizing after each batch reads only its own new
    pages once (~0.2 us a row). It needs the partition's SHARE UPDATE EXCLUSIVE lock; when
    vacuum or an index build holds that, this batch skips it (20 ms lock timeout, savepoint).
    """
    if not time_ms.size:
        return
    names = [partition_name(day_of(int(d))) for d in np.unique(time_ms // DAY_MS) * DAY_MS]
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cur:
        cur.execute("SAVEPOINT mare_brin")
        try:
            cur.execute("SET LOCAL lock_timeout = '20ms'")
            cur.execute(SUMMARIZE_SQL, (names,))
            cur.execute("SET LOCAL lock_timeout = DEFAULT")
            cur.execute("RELEASE SAVEPOINT mare_brin")
        except psycopg.errors.LockNotAvailable:
            cur.execute("ROLLBACK TO SAVEPOINT mare_brin")


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
