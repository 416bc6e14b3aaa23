"""Daily partitions of ``positions`` on PostGIS: created ahead, spatially indexed once closed.

A partition is named ``positions_pYYYYMMDD`` and holds [day 00:00 UTC, next day 00:00 UTC).
There is no DEFAULT partition: a row for a day without a partition would land there and block
creating that day's partition later, so the writer creates the days a batch needs first.

A day is written with only the table's BRIN on (time, mmsi); its GiST on ``geom``
(``positions_pYYYYMMDD_geom``) is built by `index_closed` once the day is over, in one sorted
build instead of one GiST insert per row (the measurements are in `app.store.schema`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError, ProgrammingError

DAY_MS = 86_400_000
_NAME = re.compile(r"^positions_p(\d{4})(\d{2})(\d{2})$")


def day_of(ms: int) -> date:
    """Return the UTC day of epoch milliseconds."""
    return datetime.fromtimestamp(ms // 1000, tz=UTC).date()


def partition_name(day: date) -> str:
    """Return the partition's table name for a UTC day."""
    return f"positions_p{day:%Y%m%d}"


def gist_name(day: date) -> str:
    """Return the name of a day partition's GiST index on ``geom``."""
    return f"{partition_name(day)}_geom"


def list_partitions(conn: Connection) -> list[date]:
    """Return the days that have a partition, oldest first."""
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'positions'::regclass"
        )
    ).scalars()
    days = []
    for name in rows:
        m = _NAME.match(name)
        if m:
            days.append(date(int(m[1]), int(m[2]), int(m[3])))
    return sorted(days)


def create_partitions(engine: Engine, days: Iterable[date]) -> list[date]:
    """Create the partitions missing among ``days``, one short transaction each.

    The name is built from a date, never from input text, and quoted as an identifier; bounds are
    literal UTC timestamps formatted from dates because DDL takes no bound parameters.
    """
    wanted = set(days)
    with engine.connect() as conn:
        missing = sorted(wanted - set(list_partitions(conn)))
    created = []
    for day in missing:
        name = engine.dialect.identifier_preparer.quote(partition_name(day))
        lo = f"{day:%Y-%m-%d} 00:00:00+00"
        hi = f"{day + timedelta(days=1):%Y-%m-%d} 00:00:00+00"
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF positions "
                    f"FOR VALUES FROM ('{lo}') TO ('{hi}')"
                )
            created.append(day)
        except (IntegrityError, ProgrammingError):
            pass  # another writer created it between our look and our create
    return created


def ensure_ahead(engine: Engine, now_ms: int, days_ahead: int = 3) -> list[date]:
    """Create today's partition and the next ``days_ahead`` days'; return those created."""
    today = day_of(now_ms)
    return create_partitions(engine, [today + timedelta(days=i) for i in range(days_ahead + 1)])


def unindexed(conn: Connection) -> list[date]:
    """Return the days whose partition has no valid GiST on ``geom`` yet, oldest first."""
    valid = set(
        conn.execute(
            text(
                "SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
                "JOIN pg_inherits i ON i.inhrelid = x.indrelid "
                "WHERE i.inhparent = 'positions'::regclass AND x.indisvalid"
            )
        ).scalars()
    )
    return [d for d in list_partitions(conn) if gist_name(d) not in valid]


def index_closed(engine: Engine, now_ms: int) -> list[date]:
    """Build the GiST of every partition whose day ended at or before ``now_ms``; return days.

    ``CREATE INDEX CONCURRENTLY`` (outside a transaction) so late rows for that day are not
    blocked while it builds; an invalid index left by an interrupted build is dropped first.
    """
    with engine.connect() as conn:
        days = unindexed(conn)
    built = []
    prep = engine.dialect.identifier_preparer
    for day in days:
        end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
        if int(end.timestamp() * 1000) > now_ms:
            continue
        name, table = prep.quote(gist_name(day)), prep.quote(partition_name(day))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            conn.exec_driver_sql(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} USING gist (geom)"
            )
        built.append(day)
    return built


def drop_before(engine: Engine, cutoff_ms: int) -> list[date]:
    """Drop every partition whose whole day ends at or before ``cutoff_ms``; return their days."""
    dropped = []
    with engine.begin() as conn:
        for day in list_partitions(conn):
            end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
            if int(end.timestamp() * 1000) <= cutoff_ms:
                name = engine.dialect.identifier_preparer.quote(partition_name(day))
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
                dropped.append(day)
    return dropped
