"""``events.stream_seq``: the live sequence id of each alert's latest published version.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

The service's hub numbers every alert it publishes (the SSE event id, publish time in ms kept
strictly increasing). Recording that number on the row lets a stream that reconnects from an
id older than the hub's memory (or from before a restart) resume from the store on the same
clock, exactly: no alert twice, none skipped, updates (acknowledged, closed) included. Rows
stored before this revision have none; streams fall back to their ``updated_at`` for them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the nullable column and its index."""
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("stream_seq", sa.BigInteger(), nullable=True))
    op.create_index("ix_events_stream_seq", "events", ["stream_seq"])


def downgrade() -> None:
    """Drop the index and the column."""
    op.drop_index("ix_events_stream_seq", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("stream_seq")
