"""Vessel rows from a real capture: PostGIS's one-statement upsert gives what SQLite's does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from sqlalchemy import Connection, select

from ais_ingest.decoder import Decoder, chunked, read_lines
from ais_ingest.records import PositionColumns, StaticReport
from app.store import Store, open_store
from app.store.vessels import (
    merge_statics,
    stage_positions_pg,
    upsert_stage_pg,
    upsert_statics_pg,
    upsert_vessels_pg,
)
from tests.app.store.conftest import TABLES

AISHUB = Path(__file__).parents[2] / "data" / "ais" / "aishub" / "aishub_2015_3min.nmea"
T0 = 1_700_000_000_000
#: Columns left out: positions' floats (real on PostGIS, double on SQLite) and derived ones.
_LEFT_OUT = ("geom", "risk", "lat", "lon", "sog", "cog")


def _vessels(store: Store) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    v, h = store.tables["vessels"], store.tables["vessel_identities"]
    cols = [c for c in v.c if c.name not in _LEFT_OUT]
    rows = store.read(lambda c: c.execute(select(*cols).order_by(v.c.mmsi)).all())
    hist = store.read(
        lambda c: c.execute(
            select(h.c.mmsi, h.c.time, h.c.name, h.c.callsign, h.c.imo, h.c.ship_type).order_by(
                h.c.mmsi, h.c.time, h.c.id
            )
        ).all()
    )
    # draught is real on PostGIS, double on SQLite: compared to the tenth AIS gives
    at = [c.name for c in cols].index("draught")
    out = [
        tuple(round(x, 1) if i == at and x is not None else x for i, x in enumerate(r))
        for r in rows
    ]
    return out, [tuple(r) for r in hist]


def test_a_real_capture_gives_the_same_vessels_on_postgis_and_sqlite(
    pg_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
    lines = list(read_lines(AISHUB))
    # Spread over 3 minutes, so static reports of one vessel have different times, and two
    # passes 10 minutes apart: the second merges into vessels the first stored.
    stores = [open_store(pg_url), open_store(f"sqlite:///{tmp_path}/mare.db")]
    try:
        for store in stores:
            dec = Decoder()
            for rnd in range(2):
                first = 0
                for chunk in chunked(lines, 7000):
                    times = [T0 + rnd * 600_000 + (first + i) * 2 for i in range(len(chunk))]
                    store.write_batch(dec.decode(chunk, times, "aishub"))
                    first += len(chunk)
            store.write_batch(dec.flush())
        pg, lite = (_vessels(s) for s in stores)
    finally:
        for store in stores:
            store.close()
    assert len(pg[0]) > 10_000 and len(pg[1]) > 2_000
    at = [c.name for c in stores[0].tables["vessels"].c if c.name not in _LEFT_OUT].index("name")
    assert sum(r[at] is not None for r in pg[0]) > 2_000  # statics merged
    assert pg == lite


def _fixes(mmsi: list[int], t: list[int]) -> PositionColumns:
    cols = PositionColumns.empty(len(mmsi))
    cols.mmsi = np.array(mmsi, dtype=np.int64)
    cols.time_ms = np.array(t, dtype=np.int64)
    cols.lat = np.full(len(mmsi), 35.5)
    cols.lon = np.array([12.0 + i / 10 for i in range(len(mmsi))])
    cols.msg_type[:] = 1
    return cols


def test_one_upsert_of_positions_and_statics_leaves_what_the_two_leave(pg_url: str) -> None:
    """Vessels with positions, static reports or both, onto stored rows newer and older."""
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
    store = open_store(pg_url)
    stage = stage_positions_pg(_fixes([1, 2, 3], [T0 + 10, T0 + 200, T0 + 30]))
    statics = merge_statics(
        [
            StaticReport(T0 + 20, 1, 5, name="ONE-LATE", destination="MALTA"),  # older
            StaticReport(T0 + 40, 3, 5, name="THREE", imo=3),
            StaticReport(T0 + 300, 4, 5, name="FOUR-NEW", callsign="F4"),
            StaticReport(T0 + 310, 5, 5, name="FIVE"),  # no position, no stored row
        ]
    )

    def rows(conn: Connection) -> tuple[dict[int, Any], list[Any]]:
        vessels = conn.exec_driver_sql("SELECT * FROM vessels ORDER BY mmsi").mappings()
        ids = "SELECT mmsi, time, name, callsign, imo, ship_type FROM vessel_identities ORDER BY id"
        return {v["mmsi"]: dict(v) for v in vessels}, list(conn.exec_driver_sql(ids).all())

    try:
        with store.engine.connect() as conn:
            conn.begin()
            upsert_stage_pg(conn, stage_positions_pg(_fixes([1, 2, 4], [T0 + 100] * 3)))
            upsert_statics_pg(
                conn, [StaticReport(T0 + 50, 1, 5, name="ONE"), StaticReport(T0 + 60, 4, 5)]
            )
            both = []
            for one in (True, False):
                nested = conn.begin_nested()
                if one:
                    touched = upsert_vessels_pg(conn, stage, statics)
                else:
                    touched = upsert_stage_pg(conn, stage) | upsert_statics_pg(conn, statics)
                both.append((touched, rows(conn)))
                nested.rollback()
            conn.rollback()
    finally:
        store.close()
    assert both[0] == both[1]
    touched, (vessels, identities) = both[0]
    assert touched == set(vessels) == {1, 2, 3, 4, 5}
    assert (vessels[1]["name"], vessels[1]["destination"]) == ("ONE", "MALTA")  # gap filled
    assert vessels[1]["time"] == vessels[2]["first_seen"]  # the stored fix, newer, kept
    assert (vessels[4]["name"], vessels[4]["callsign"]) == ("FOUR-NEW", "F4")
    assert vessels[5]["name"] == "FIVE" and vessels[5]["time"] is None
    assert vessels[2]["static_time"] is None and vessels[2]["lat"] == 35.5
    assert [r[2] for r in identities] == ["ONE", "THREE", "FOUR-NEW", "FIVE"]
