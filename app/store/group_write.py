"""Several staged batches of a capture in one transaction, their vessels upserted once.

`Store.write_staged` commits each batch with its vessel upserts: on `bench.cli`'s AISHub
capture every 100k-line batch carries the same 10,440 vessels, so four batches paid four
upserts of them (0.21 s of PostgreSQL's 0.75-0.8 s) and four merges of the static reports
against the stored rows. A `GroupWrite` sends each batch's positions as it comes (duplicate
check, COPY and BRIN summary under the advisory lock, while the caller decodes and stages
the next), and at `commit` upserts the vessels and static reports of all of them at once,
merged in the client (`merge_vessel_stages`, `merge_statics`): one transaction, so the
vessels stay consistent with the positions committed, as with one batch at a time.

The merging is client CPU on the commit's path, while the database waits (~0.03-0.05 s of
the AISHub capture's commit): a writer that knows a group's last batch merges its batches
(`merge_group`) while that batch's positions are in the database, and passes the merge to
`commit`.

A connection lost on the way is retried as `Store.retry` retries a batch: the transaction
began again and every batch of the group sent again (each keeps its rows, not its encoded
COPY, until the commit). Nothing is acknowledged before the commit. The advisory lock is held
from the first batch to the commit, so another writer of positions waits up to a group's
time (~1 s for `GROUP_POSITIONS` on the development machine).

SQLite commits each batch on its own (`Store.write_staged`): one writer at a time there, and
a long transaction would hold the service's writes; its upserts are not the cost.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection

from ais_ingest.records import StaticReport
from app.store.notify import VESSELS_CHANNEL, announce
from app.store.positions import Prepared, insert_postgis, summarize
from app.store.store import Staged, Store, WriteResult
from app.store.vessels import (
    Merged,
    VesselStage,
    merge_statics,
    merge_unstored,
    merge_vessel_stages,
    upsert_vessels_pg,
)

#: Positions a group gathers before it commits: what a retry keeps in memory (~60 bytes a
#: row) and how long the advisory lock is held; `bench.cli`'s captures fit in one group.
GROUP_POSITIONS = 500_000


@dataclass(frozen=True, slots=True)
class GroupVessels:
    """The vessel rows and static reports of a group's batches, merged for its `commit`."""

    vessels: VesselStage | None
    statics: dict[int, list[StaticReport]]
    #: `merge_unstored` of ``statics``, if merged ahead: the upsert then merges again only the
    #: vessels stored with static data.
    unstored: dict[int, Merged] | None = None


def merge_group(
    vessels: Sequence[VesselStage | None], statics: Sequence[StaticReport]
) -> GroupVessels:
    """Merge a group's vessel stages and static reports (its batches', in their order)."""
    by = merge_statics(statics)
    return GroupVessels(merge_vessel_stages(vessels), by, merge_unstored(by))


@dataclass(slots=True)
class _Pending:
    """A batch of the group as a retry sends it again: its rows, vessels and static reports."""

    positions: Prepared
    vessels: VesselStage | None
    statics: list[StaticReport]


@dataclass
class GroupWrite:
    """Staged batches (`add`) written in one transaction that `commit` ends.

    Used from one thread at a time; `close` rolls back what was not committed.
    """

    store: Store
    _pending: list[_Pending] = field(default_factory=list)
    _conn: Connection | None = None
    _sent = 0
    _inserted = 0

    @property
    def positions(self) -> int:
        """Storable positions added since the last commit."""
        return sum(len(p.positions) for p in self._pending)

    def add(self, staged: Staged) -> WriteResult | None:
        """Send a staged batch's positions in the group's transaction.

        On SQLite the batch is written and committed now, and its result returned; on PostGIS
        None: the batch counts once `commit` returned.
        """
        if not self.store.postgis:
            return self.store.write_staged(staged)
        self.store.ensure_partitions(staged.positions)
        self._pending.append(_Pending(staged.positions, staged.vessels, staged.batch.statics))
        self.store.retry(self._send, "writing a batch")
        return None

    def commit(self, merged: GroupVessels | None = None) -> WriteResult:
        """Upsert the group's vessels and static reports, commit, and start an empty group.

        ``merged``: `merge_group` of the batches added since the last commit, if the caller
        merged them already; else they are merged here.
        """
        if not self._pending:
            return WriteResult(0, 0)

        def run() -> WriteResult:
            nonlocal merged
            try:
                conn = self._send()
                if merged is None:
                    merged = self._merge()
                touched = upsert_vessels_pg(conn, merged.vessels, merged.statics, merged.unstored)
                if touched:  # delivered on commit, to every listener
                    announce(conn, VESSELS_CHANNEL, self.store.writer)
                conn.commit()
                return WriteResult(self._inserted, len(touched))
            finally:
                self._discard()  # committed, or lost: a retry begins again

        result: WriteResult = self.store.retry(run, "writing a batch")
        self._pending.clear()
        return result

    def _merge(self) -> GroupVessels:
        vessels = merge_vessel_stages([p.vessels for p in self._pending])
        return GroupVessels(vessels, merge_statics([s for p in self._pending for s in p.statics]))

    def close(self) -> None:
        """Roll back and forget whatever was not committed."""
        self._discard()
        self._pending.clear()

    def _send(self) -> Connection:
        """Send the batches not yet in the open transaction (all of them in a new one)."""
        try:
            if self._conn is None:
                self._conn = self.store.engine.connect()
                self._conn.begin()
                self._sent = self._inserted = 0
            conn = self._conn
            while self._sent < len(self._pending):
                p = self._pending[self._sent]
                inserted = insert_postgis(conn, p.positions)
                if inserted:
                    summarize(conn, p.positions.cols.time_ms)
                self._inserted += inserted
                # sent once: a retry encodes the rows again rather than keep their COPY
                p.positions = _without_payload(p.positions)
                self._sent += 1
            return conn
        except Exception:
            self._discard()
            raise

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        self._sent = self._inserted = 0
        if conn is not None:
            with contextlib.suppress(Exception):  # a connection already gone has nothing to undo
                conn.close()


def _without_payload(p: Prepared) -> Prepared:
    return p if p.payload is None else Prepared(p.cols, p.sources, p.src)
