from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from app.store import Store
from app.store.autogen import include_object
from app.store.engine import make_engine
from app.store.migrate import upgrade
from app.store.schema import make_metadata
from app.store.watchlist import WatchEntry, load_watchlist
from tests.app.store.conftest import create_database, drop_database


def test_migrations_match_the_tables_on_both_backends(store: Store) -> None:
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        assert compare_metadata(ctx, make_metadata(store.postgis)) == []


@pytest.fixture(params=["sqlite", "postgis"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no revision applied) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/old.db"
        return
    url = create_database("mare_mig")
    yield url
    drop_database(url)


def test_service_watchlist_moves_onto_the_store_table_with_its_ids(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        upgrade(engine, "0001")
        with engine.begin() as conn:  # a database the service used before the move
            conn.execute(
                text(
                    "CREATE TABLE svc_watchlist (id INTEGER PRIMARY KEY, mmsi BIGINT, "
                    "imo BIGINT, name VARCHAR(120), callsign VARCHAR(20), note TEXT)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO svc_watchlist VALUES (7, 247000001, NULL, :n, 'IABCDEFGHIJK', "
                    "NULL), (9, NULL, 9074729, 'B', NULL, 'x')"
                ),
                {"n": "N" * 100},
            )
        upgrade(engine)
        assert not inspect(engine).has_table("svc_watchlist")
        store = Store(engine)
        assert load_watchlist(store) == [
            WatchEntry(247000001, None, "N" * 100, "IABCDEFGHIJK", ""),
            WatchEntry(None, 9074729, "B", None, "x"),
        ]
        w = store.tables["watchlist"]
        with engine.begin() as conn:  # new entries continue after the moved ids
            new_id = conn.execute(
                w.insert().values(name="C", note="", created_at=1).returning(w.c.id)
            ).scalar()
        assert new_id == 10
    finally:
        engine.dispose()
