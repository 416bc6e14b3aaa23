from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.store import Store
from app.store.autogen import include_object
from app.store.schema import make_metadata


def test_migrations_match_the_tables_on_both_backends(store: Store) -> None:
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        assert compare_metadata(ctx, make_metadata(store.postgis)) == []
