from __future__ import annotations

from dataclasses import replace

import numpy as np
import psycopg
import pytest
from sqlalchemy import func, select, text

from ais_ingest.records import Batch, PositionColumns, PositionReport, StaticReport
from app.store import Store, open_store
from app.store.order import by_vessel_time
from app.store.positions import _target, insert_postgis, prepare, time_ranges, with_payload
from app.store.vessels import stage_positions_pg

from .data import HOUR, T0, traffic


def count(store: Store, table: str) -> int:
    t = store.tables[table]
    return int(store.read(lambda c: c.execute(select(func.count()).select_from(t)).scalar()))


def test_reingesting_a_batch_stores_nothing_twice(store: Store) -> None:
    batch = traffic()
    first = store.write_batch(batch)
    again = store.write_batch(batch)
    assert first.positions_inserted == len(batch.positions) == count(store, "positions")
    assert again.positions_inserted == 0
    assert count(store, "positions") == len(batch.positions)
    assert first.vessels_upserted == again.vessels_upserted == 12


def test_overlapping_tail_after_restart_adds_only_the_new_rows(store: Store) -> None:
    cols = traffic().positions
    half = len(cols) // 2
    order = np.argsort(cols.time_ms, kind="stable")
    store.write_batch(Batch(cols.take(order[: half + 50])))
    res = store.write_batch(Batch(cols.take(order[half:])))
    assert res.positions_inserted == len(cols) - half - 50
    assert count(store, "positions") == len(cols)


def test_duplicates_inside_one_batch_are_stored_once(store: Store) -> None:
    cols = traffic(n_vessels=2, n_fixes=5).positions
    doubled = PositionColumns.concat([cols, cols])
    assert store.write_batch(Batch(doubled)).positions_inserted == len(cols)


def test_a_row_at_minus_zero_is_the_stored_row_at_zero(store: Store) -> None:
    """The duplicate check compares keys as bytes; -0.0 equals 0.0 there as in SQL."""
    at = [PositionReport(T0, 247000001, 1, 0.0, 5.0, None, None, None, None, None, True, 0, "")]
    assert store.write_batch(Batch.from_records(at)).positions_inserted == 1
    minus = [replace(at[0], lat=-0.0)]
    assert store.write_batch(Batch.from_records(minus)).positions_inserted == 0
    assert count(store, "positions") == 1


def test_position_without_fix_updates_last_seen_only(store: Store) -> None:
    fix = PositionReport(T0, 247000001, 1, 35.0, 12.0, 5.0, 90.0, 90, 0, None, True, 0, "")
    blind = PositionReport(
        T0 + 60_000, 247000001, 1, None, None, None, None, None, None, None, False, None, ""
    )
    res = store.write_batch(Batch.from_records([fix, blind]))
    assert res.positions_inserted == 1
    v = store.tables["vessels"]
    row = store.read(lambda c: c.execute(select(v).where(v.c.mmsi == 247000001)).one())
    assert (row.time, row.last_seen, row.lat, row.lon) == (T0, T0 + 60_000, 35.0, 12.0)
    assert row.flag == "IT"


def test_a_position_at_0n_0e_is_no_fix(store: Store) -> None:
    """What a transponder without a GPS fix may send: the vessel was heard, it is not there."""
    fix = PositionReport(T0, 247000001, 1, 35.0, 12.0, 5.0, 90.0, 90, 0, None, True, 0, "")
    nowhere = replace(fix, time_ms=T0 + 60_000, lat=0.0, lon=0.0)
    assert store.write_batch(Batch.from_records([fix, nowhere])).positions_inserted == 1
    v = store.tables["vessels"]
    row = store.read(lambda c: c.execute(select(v).where(v.c.mmsi == 247000001)).one())
    assert (row.time, row.last_seen, row.lat, row.lon) == (T0, T0 + 60_000, 35.0, 12.0)


def test_late_older_fix_does_not_move_the_vessel_back(store: Store) -> None:
    new = PositionReport(
        T0 + 60_000, 247000001, 1, 35.1, 12.1, 5.0, 90.0, None, 0, None, True, 0, ""
    )
    old = PositionReport(T0, 247000001, 1, 35.0, 12.0, 5.0, 90.0, None, 0, None, True, 0, "")
    store.write_batch(Batch.from_records([new]))
    store.write_batch(Batch.from_records([old]))
    v = store.tables["vessels"]
    row = store.read(lambda c: c.execute(select(v).where(v.c.mmsi == 247000001)).one())
    assert (row.time, row.lat, row.first_seen) == (T0 + 60_000, 35.1, T0)
    assert count(store, "positions") == 2


def test_identity_changes_are_kept_as_history(store: Store) -> None:
    m = 247000001
    store.write_batch(
        Batch(statics=[StaticReport(T0, m, 5, name="ALPHA", callsign="IA1", imo=9000001)])
    )
    store.write_batch(Batch(statics=[StaticReport(T0 + 10, m, 24, name="ALPHA")]))  # same identity
    store.write_batch(
        Batch(statics=[StaticReport(T0 + 20, m, 5, name="BRAVO", callsign="IA1", imo=9000001)])
    )
    store.write_batch(Batch(statics=[StaticReport(T0 + 5, m, 5, name="OLD", callsign="X")]))  # late
    h = store.tables["vessel_identities"]
    rows = store.read(lambda c: c.execute(select(h.c.time, h.c.name).order_by(h.c.time)).all())
    assert [tuple(r) for r in rows] == [(T0, "ALPHA"), (T0 + 20, "BRAVO")]
    v = store.tables["vessels"]
    row = store.read(lambda c: c.execute(select(v)).one())
    assert (row.name, row.callsign, row.imo, row.static_time) == ("BRAVO", "IA1", 9000001, T0 + 20)


def test_unavailable_values_come_back_as_null(store: Store) -> None:
    r = PositionReport(T0, 247000001, 18, 35.0, 12.0, None, None, None, None, None, False, None, "")
    store.write_batch(Batch.from_records([r]))
    p = store.tables["positions"]
    row = store.read(
        lambda c: c.execute(
            select(p.c.sog, p.c.cog, p.c.heading, p.c.status, p.c.second, p.c.source)
        ).one()
    )
    assert tuple(row) == (None, None, None, None, None, None)


def test_reingest_of_a_batch_with_many_time_gaps_stores_nothing_twice(store: Store) -> None:
    cols = traffic(n_vessels=3, n_fixes=40, step_ms=600_000).positions  # 10 min apart: 40 ranges
    first = store.write_batch(Batch(cols)).positions_inserted
    odd = cols.take(np.arange(1, len(cols), 2))
    assert store.write_batch(Batch(odd)).positions_inserted == 0
    assert first == len(cols) == count(store, "positions")


def test_time_ranges_split_at_the_widest_gaps_only_up_to_the_cap() -> None:
    t = np.array([0, 1, 100_000, 100_001, 1_000_000, 5_000_000], dtype=np.int64)
    lo, hi = time_ranges(t, max_ranges=3)
    ms = [int(x.timestamp() * 1000) for x in lo], [int(x.timestamp() * 1000) for x in hi]
    assert ms == ([0, 1_000_000, 5_000_000], [100_001, 1_000_000, 5_000_000])
    lo, hi = time_ranges(t)
    assert len(lo) == len(hi) == 4


def _mixed_rows() -> list[PositionReport]:
    """Rows whose missing values and sources differ row to row (several COPY row layouts)."""
    out = []
    for i in range(24):
        out.append(
            PositionReport(
                T0 + i * 1000, 247000001 + i % 5, 1 + i % 3, 35.0 + i / 100, 12.0 - i / 100,
                None if i % 2 else 10.5, None if i % 3 else 90.25, None if i % 4 else i,
                None if i % 5 else i % 16, None if i % 7 else -2.5, bool(i % 2),
                None if i % 6 else i % 60, ("", "rA", "r\u00e9B")[i % 3],
            )
        )  # fmt: skip
    return out


def _stored(store: Store) -> list[tuple[object, ...]]:
    p = store.tables["positions"]
    cols = [p.c[n] for n in ("time", "mmsi", "msg_type", "lat", "lon", "sog", "cog", "heading",
                             "status", "turn", "accuracy", "second", "source")]  # fmt: skip
    return [tuple(r) for r in store.read(lambda c: c.execute(select(*cols).order_by(*cols)).all())]


def test_missing_values_and_sources_are_stored_row_by_row(store: Store) -> None:
    rows = _mixed_rows()
    want = sorted(
        (r.time_ms, r.mmsi, r.msg_type, r.lat, r.lon, r.speed, r.course, r.heading, r.status,
         r.turn, r.accuracy, r.second, r.source or None)
        for r in rows
    )  # fmt: skip
    assert store.write_batch(Batch.from_records(rows[::2])).positions_inserted == 12
    # overlapping the stored rows' minutes: the anti-join path, not the straight COPY
    assert store.write_batch(Batch.from_records(rows)).positions_inserted == 12
    assert _stored(store) == want


BRIN_LEFT = (
    "SELECT sum(brin_summarize_new_values(i.inhrelid)) FROM pg_inherits i "
    "WHERE i.inhparent = 'ix_positions_time_mmsi'::regclass"
)


@pytest.mark.postgis
def test_the_brin_ranges_written_are_summarized_unless_the_partition_is_busy(
    pg_url: str,
) -> None:
    store = open_store(pg_url, attempts=1)
    try:
        with psycopg.connect(pg_url, autocommit=True) as c:
            c.execute("TRUNCATE positions, vessels")
        cols = traffic(n_vessels=40, n_fixes=60).positions  # a few hundred heap pages
        first = cols.take(np.flatnonzero(cols.time_ms < T0 + 30 * 60_000))
        rest = cols.take(np.flatnonzero(cols.time_ms >= T0 + 30 * 60_000))
        store.write_batch(Batch(first))
        with psycopg.connect(pg_url, autocommit=True) as c:
            assert c.execute(BRIN_LEFT).fetchone() == (0,)  # the writer summarized them
            with c.transaction():  # as vacuum or an index build would: the batch still goes in
                c.execute("LOCK TABLE positions_p20260601 IN SHARE UPDATE EXCLUSIVE MODE")
                assert store.write_batch(Batch(rest)).positions_inserted == len(rest)
            assert c.execute(BRIN_LEFT).fetchone()[0] > 0  # type: ignore[index]
        assert store.write_batch(Batch(cols)).positions_inserted == 0
    finally:
        store.close()


@pytest.mark.postgis
def test_the_duplicate_check_reads_through_brin_in_a_partition_without_statistics(
    pg_url: str,
) -> None:
    """Batches written in one transaction into a new day's partition (no statistics yet).

    The planner, left alone, costs a parallel seq scan there: every batch's check read every
    row written before it. The check's planner settings last for its query only.
    """
    with psycopg.connect(pg_url, autocommit=True) as c:  # made again, as at midnight
        c.execute("TRUNCATE positions, vessels")
        c.execute("DROP TABLE IF EXISTS positions_p20260601")
    store = open_store(pg_url, attempts=1)
    try:
        cols = traffic(n_vessels=40, n_fixes=60).positions
        tens = cols.time_ms // 600_000
        batches = [cols.take(np.flatnonzero(tens == t)) for t in np.unique(tens)]
        planner = text(
            "SELECT current_setting('enable_seqscan'), "
            "current_setting('max_parallel_workers_per_gather')"
        )
        scans = text(
            "SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables "
            "WHERE relname = 'positions_p20260601'"
        )
        with store.engine.connect() as conn, conn.begin():
            before = conn.execute(planner).one()
            for part in batches:
                prepared = prepare(part)
                store.ensure_partitions(prepared)
                assert insert_postgis(conn, prepared) == len(prepared)
            assert conn.execute(scans).one() == (0, len(batches))
            assert conn.execute(planner).one() == before
        assert len(batches) > 3
    finally:
        store.close()


@pytest.mark.parametrize("store", ["postgis"], indirect=True)
def test_a_batch_of_one_day_and_one_across_midnight_land_in_their_days(store: Store) -> None:
    """One day's rows are copied into its partition directly, two days' routed: all stored."""
    cols = traffic(n_vessels=3, n_fixes=30, step_ms=HOUR).positions  # 30 h from midnight
    day_one = cols.take(np.flatnonzero(cols.time_ms < T0 + 24 * HOUR))
    assert _target(prepare(day_one)) == "positions_p20260601"
    assert _target(prepare(cols)) == "positions"
    assert store.write_batch(Batch(day_one)).positions_inserted == len(day_one)
    assert store.write_batch(Batch(cols)).positions_inserted == len(cols) - len(day_one)
    assert store.write_batch(Batch(cols)).positions_inserted == 0
    by_table = store.read(
        lambda c: dict(
            c.execute(
                text("SELECT tableoid::regclass::text, count(*) FROM positions GROUP BY 1")
            ).all()
        )
    )
    assert by_table == {
        "positions_p20260601": len(day_one),
        "positions_p20260602": len(cols) - len(day_one),
    }


def test_rows_staged_from_the_batch_sort_are_the_rows_staged_alone() -> None:
    """`Store.stage` sorts a batch once for its rows and its vessels: the same rows either way."""
    cols = traffic(n_vessels=4, n_fixes=6).positions
    blind = cols.take(np.arange(3))
    blind.lat[:] = np.nan  # rows without a position, dropped, in the sort of all rows
    tied = cols.take(np.arange(4))
    tied.lat[:] += 0.01  # same vessel and time, another place: sorted by position after
    both = PositionColumns.concat([cols, blind, tied, cols])
    order = by_vessel_time(both.mmsi, both.time_ms)
    alone, shared = prepare(both), prepare(both, order)
    assert with_payload(shared).payload == with_payload(alone).payload
    assert len(alone) == len(cols) + len(tied)
    staged = stage_positions_pg(both, order)
    assert staged is not None
    assert staged.rows.tobytes() == stage_positions_pg(both).rows.tobytes()  # type: ignore[union-attr]
