"""Watchlist names and callsigns as long as the API accepts (120 and 20 characters).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

The service kept its own watchlist table (``svc_watchlist``) with the API's limits; moving it
onto this table needs the same limits, or PostgreSQL would refuse entries the API validated.
SQLite rebuilds the table (batch mode) so both backends report the same types. Entries of a
database the service already used are moved over with their ids (audit targets name them), and
``svc_watchlist`` is dropped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Widen ``watchlist.name`` and ``watchlist.callsign``."""
    with op.batch_alter_table("watchlist") as batch:
        batch.alter_column("name", type_=sa.String(length=120), existing_nullable=True)
        batch.alter_column("callsign", type_=sa.String(length=20), existing_nullable=True)
    bind = op.get_bind()
    if not sa.inspect(bind).has_table("svc_watchlist"):
        return
    pg = bind.dialect.name == "postgresql"
    now = "now()" if pg else "CAST(strftime('%s', 'now') AS INTEGER) * 1000"
    op.execute(
        "INSERT INTO watchlist (id, mmsi, imo, name, callsign, note, created_at) "
        f"SELECT id, mmsi, imo, name, callsign, COALESCE(note, ''), {now} FROM svc_watchlist"
    )
    if pg:
        op.execute(
            "SELECT setval(pg_get_serial_sequence('watchlist', 'id'), "
            "COALESCE((SELECT max(id) FROM watchlist), 0) + 1, false)"
        )
    op.drop_table("svc_watchlist")


def downgrade() -> None:
    """Narrow them back (fails if longer values are stored, as it should)."""
    with op.batch_alter_table("watchlist") as batch:
        batch.alter_column("name", type_=sa.String(length=64), existing_nullable=True)
        batch.alter_column("callsign", type_=sa.String(length=16), existing_nullable=True)
