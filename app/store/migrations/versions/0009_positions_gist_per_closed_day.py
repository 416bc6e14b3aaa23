"""GiST on ``positions.geom`` per closed day instead of on the whole partitioned table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

A GiST insert costs several times the rest of a position's insert (see `app.store.schema`), so
the day being written carries only the BRIN on (time, mmsi), and each day's GiST is built in one
sorted pass once the day is over (`app.store.partitions.index_closed`, run by
``Store.maintain``). Here the parent's index goes and each partition of a day already over gets
its own GiST at once; today and the days created ahead get theirs from maintenance.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from alembic import op
from sqlalchemy import text

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_NAME = re.compile(r"^positions_p(\d{4})(\d{2})(\d{2})$")


def _partitions() -> list[tuple[str, date]]:
    rows = op.get_bind().execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'positions'::regclass ORDER BY c.relname"
        )
    )
    out = []
    for (name,) in rows:
        m = _NAME.match(str(name))
        if m:
            out.append((str(name), date(int(m[1]), int(m[2]), int(m[3]))))
    return out


def upgrade() -> None:
    """Replace the partitioned GiST by one GiST per partition of a past day (PostGIS only)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_positions_geom")
    today = datetime.now(UTC).date()
    for name, day in _partitions():
        if day < today:
            op.execute(f'CREATE INDEX IF NOT EXISTS "{name}_geom" ON "{name}" USING gist (geom)')


def downgrade() -> None:
    """Back to one partitioned GiST over every partition."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _ in _partitions():
        op.execute(f'DROP INDEX IF EXISTS "{name}_geom"')
    op.create_index("ix_positions_geom", "positions", ["geom"], postgresql_using="gist")
