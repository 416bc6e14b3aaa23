"""Vessel rows from a real capture: PostGIS's one-statement upsert gives what SQLite's does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import select

from ais_ingest.decoder import Decoder, chunked, read_lines
from app.store import Store, open_store
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
