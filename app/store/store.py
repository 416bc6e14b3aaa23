"""`Store`: the one object the service and the CLI hold; opens, upgrades, writes batches.

``write_batch`` returns only after its transaction committed: a `WriteResult` means stored.
Connection failures are retried with backoff (the write is idempotent on natural keys, so a
retry never duplicates); when the retries are spent it raises `StoreUnavailable` and nothing of
that batch is acknowledged.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, Table, delete, text

from ais_ingest.records import Batch, StaticReport
from app.store import migrate, partitions
from app.store.engine import (
    DEFAULT_ATTEMPTS,
    DEFAULT_BACKOFF_S,
    make_engine,
    redact,
    with_retries,
)
from app.store.errors import SchemaOutOfDate
from app.store.notify import VESSELS_CHANNEL, announce
from app.store.order import by_vessel_time
from app.store.positions import (
    Prepared,
    insert_postgis,
    insert_sqlite,
    prepare,
    summarize,
    with_payload,
)
from app.store.vessels import (
    VesselStage,
    merge_statics,
    stage_positions_pg,
    upsert_positions,
    upsert_statics,
    upsert_vessels_pg,
)


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What one committed batch stored: new position rows, and vessels inserted or updated."""

    positions_inserted: int
    vessels_upserted: int


@dataclass(frozen=True, slots=True)
class Staged:
    """A batch with everything its write needs that the database has no part in (`Store.stage`).

    On PostGIS: the storable rows with their binary COPY, the vessel rows, the static reports
    grouped by vessel; on SQLite the storable rows only.
    """

    batch: Batch
    positions: Prepared
    vessels: VesselStage | None = None
    statics: dict[int, list[StaticReport]] | None = None


class Store:
    """A database behind the store's API (PostGIS or SQLite); thread-safe through its pool."""

    def __init__(
        self,
        engine: Engine,
        *,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff_s: float = DEFAULT_BACKOFF_S,
    ) -> None:
        self.engine = engine
        self.postgis = engine.dialect.name == "postgresql"
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.where = redact(engine.url.render_as_string(hide_password=True))
        self._partitions: set[date] = set()
        #: Names this store's writes in their ``mare_vessels`` notifications, so that a
        #: process can tell its own batches from another's (`app.pipeline.vessel_watch`).
        self.writer = secrets.token_hex(8)

    @cached_property
    def tables(self) -> dict[str, Table]:
        """The tables of this backend, built when first used.

        Building them imports GeoAlchemy2 (~0.1 s of CPU, for its dialect modules), which a
        PostGIS ingest does not need: its writes are raw SQL and COPY.
        """
        from app.store.schema import tables

        return tables(self.postgis)

    def retry(self, fn: Any, what: str) -> Any:
        """Run ``fn()`` with this store's retry schedule (see `with_retries`)."""
        return with_retries(
            fn, what=what, where=self.where, attempts=self.attempts, backoff_s=self.backoff_s
        )

    def read(self, fn: Any, what: str = "reading") -> Any:
        """Run ``fn(conn)`` in a read transaction, with retries."""

        def run() -> Any:
            with self.engine.connect() as conn:
                return fn(conn)

        return self.retry(run, what)

    def write(self, fn: Any, what: str = "writing") -> Any:
        """Run ``fn(conn)`` in one write transaction that commits before returning, with retries."""

        def run() -> Any:
            with self.engine.begin() as conn:
                return fn(conn)

        return self.retry(run, what)

    def known_partitions(self, days: Iterable[date]) -> None:
        """Note day partitions that exist (read at open), so writes do not create them again."""
        self._partitions |= set(days)

    def ensure_partitions(self, prepared: Prepared) -> None:
        """Create the day partitions these rows need that do not exist yet (PostGIS).

        Outside the write's transaction: DDL there would hold the partition's lock until it
        commits.
        """
        if not self.postgis or not len(prepared):
            return
        first_ms = np.unique(prepared.cols.time_ms // partitions.DAY_MS) * partitions.DAY_MS
        missing = {partitions.day_of(int(ms)) for ms in first_ms.tolist()} - self._partitions
        if missing:
            partitions.create_partitions(self.engine, missing)
            self._partitions |= missing

    def write_batch(self, batch: Batch) -> WriteResult:
        """Store a batch's positions and vessel updates in one transaction; return after commit.

        Positions without lat/lon are not stored as positions but still move the vessel's
        ``last_seen``. Raises `StoreUnavailable` if the database stays unreachable.
        """
        return self.write_staged(self.stage(batch, encode=False))

    def stage(self, batch: Batch, *, encode: bool = True) -> Staged:
        """Do the client's share of a batch's write, which needs no connection (numpy).

        A writer that stages the next batch while the one before is in the database
        (`mare ingest` of a capture) keeps its CPU off the write's critical path: on the
        AISHub capture of `bench.cli`, 0.25-0.3 s of the 0.45-0.5 s of client CPU.
        ``encode=False`` leaves the rows' binary COPY to the transaction, built after the
        duplicate check: a live batch whose check drops rows is then encoded once, not twice.
        """
        cols = batch.positions
        if not self.postgis:
            return Staged(batch, prepare(cols))
        order = by_vessel_time(cols.mmsi, cols.time_ms)  # one sort for the rows and the vessels
        prepared = prepare(cols, order)
        return Staged(
            batch,
            with_payload(prepared) if encode else prepared,
            stage_positions_pg(cols, order),
            merge_statics(batch.statics),
        )

    def write_staged(self, staged: Staged) -> WriteResult:
        """Write a `stage`d batch in one transaction (`write_batch`); return after commit."""
        batch, prepared = staged.batch, staged.positions
        t = None if self.postgis else self.tables

        def run() -> WriteResult:
            self.ensure_partitions(prepared)
            with self.engine.begin() as conn:
                if t is None:
                    inserted = insert_postgis(conn, prepared)
                    touched = upsert_vessels_pg(conn, staged.vessels, staged.statics or {})
                else:
                    inserted = insert_sqlite(conn, prepared)
                    touched = upsert_positions(conn, t["vessels"], batch.positions)
                    touched |= upsert_statics(
                        conn, t["vessels"], t["vessel_identities"], batch.statics
                    )
                if self.postgis and inserted:
                    summarize(conn, prepared.cols.time_ms)
                if self.postgis and touched:  # delivered on commit, to every listener
                    announce(conn, VESSELS_CHANNEL, self.writer)
            return WriteResult(inserted, len(touched))

        result: WriteResult = self.retry(run, "writing a batch")
        return result

    def apply_retention(self, now_ms: int, days: int) -> dict[str, Any]:
        """Remove positions older than ``days`` before ``now_ms``; say what went.

        PostGIS drops a day's partition once the whole day is past the cutoff (no vacuum debt,
        instant); SQLite deletes rows older than the cutoff. So PostGIS may keep up to one extra
        day of rows.
        """
        cutoff = now_ms - days * partitions.DAY_MS
        if self.postgis:
            dropped = self.retry(
                lambda: partitions.drop_before(self.engine, cutoff), "dropping partitions"
            )
            self._partitions -= set(dropped)
            return {"partitions_dropped": [d.isoformat() for d in dropped]}
        pos = self.tables["positions"]
        n = self.write(lambda c: c.execute(delete(pos).where(pos.c.time < cutoff)).rowcount)
        return {"positions_deleted": int(n)}

    def maintain(self, now_ms: int, retention_days: int, days_ahead: int = 3) -> dict[str, Any]:
        """Create partitions ahead, index closed days, apply retention (at start, then daily).

        Until a closed day's GiST is built, queries over that day still answer (through BRIN on
        time), only slower for long windows over small areas.
        """
        created: list[date] = []
        indexed: list[date] = []
        if self.postgis:
            created = self.retry(
                lambda: partitions.ensure_ahead(self.engine, now_ms, days_ahead),
                "creating partitions",
            )
            self._partitions |= set(created)
        removed = self.apply_retention(now_ms, retention_days)
        if self.postgis:
            indexed = self.retry(
                lambda: partitions.index_closed(self.engine, now_ms), "indexing closed days"
            )
        return {
            "partitions_created": [d.isoformat() for d in created],
            "partitions_indexed": [d.isoformat() for d in indexed],
            **removed,
        }

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()


def _stored_revision(conn: Connection) -> str | None:
    try:
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - no alembic_version table: never migrated
        return None
    return None if current is None else str(current)


def _check_schema(conn: Connection) -> None:
    head = migrate.head_revision()
    current = _stored_revision(conn)
    if current != head:
        raise SchemaOutOfDate(
            f"database schema is at {current or 'nothing'}, this Mare needs {head}: "
            "run `mare db upgrade`"
        )


def open_store(
    url: str | None,
    *,
    upgrade: bool | None = None,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff_s: float = DEFAULT_BACKOFF_S,
) -> Store:
    """Open the database of ``url`` (None: the configured one, as every command) and check it.

    SQLite upgrades itself (the embedded desk has no DBA); PostGIS is upgraded by
    ``mare db upgrade`` and refused with `SchemaOutOfDate` when behind. A database that cannot be
    reached raises `StoreUnavailable` after the retries.
    """
    engine = make_engine(url)
    store = Store(engine, attempts=attempts, backoff_s=backoff_s)
    do_upgrade = (not store.postgis) if upgrade is None else upgrade
    try:
        # Alembic only when there is something to do: importing it is most of a start-up.
        if do_upgrade and store.read(_stored_revision, "connecting") != migrate.head_revision():
            store.retry(lambda: migrate.upgrade(engine), "upgrading the schema")
        store.read(_check_schema, "connecting")
        if store.postgis:
            store.known_partitions(store.read(partitions.list_partitions))
    except BaseException:
        engine.dispose()
        raise
    return store
