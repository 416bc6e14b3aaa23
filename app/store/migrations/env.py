"""Alembic environment: the connection comes from `app.store.migrate`, never from an ini file.

GeoAlchemy2's helpers make autogenerate understand spatial columns and their indexes; the daily
partitions of ``positions`` and PostGIS's own tables are not part of the schema we manage.
"""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

from app.store.autogen import include_object
from app.store.schema import make_metadata


def run() -> None:
    """Run the migrations on the connection passed in ``config.attributes``."""
    connection = context.config.attributes["connection"]
    postgis = connection.dialect.name == "postgresql"
    context.configure(
        connection=connection,
        target_metadata=make_metadata(postgis),
        include_object=include_object,
        render_item=alembic_helpers.render_item,
        process_revision_directives=alembic_helpers.writer,
        render_as_batch=not postgis,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
