"""Alert rules: events that are not alerts, situations, and the rules in force.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

Until now every episode the engine emitted was an alert (issue 13: 581 open alerts after
3.5 simulated hours, nearly all ordinary traffic crossing the 12 and 24 nm lines). Rules now
decide which episodes are alerts a person handles; the others are kept as events on their
vessel (``alert`` false). ``situation`` ties the events of one situation (a zone visit's entry,
dwell and exit) to the one alert that situation raised, whose ``related`` lists them. Rows
stored before this revision were all alerts and stay so. ``alert_rules`` holds the rules an
admin last saved (one row; none: the rules file of the configuration).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _ms() -> sa.types.TypeEngine[int]:
    from app.store.schema import EpochMs

    return EpochMs()


def upgrade() -> None:
    """Add the columns, their indexes and the rules table."""
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("alert", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("rule", sa.String(64), nullable=True))
        batch.add_column(sa.Column("situation", sa.String(200), nullable=True))
        batch.add_column(
            sa.Column("related", _JSON, nullable=False, server_default=sa.text("'[]'"))
        )
    op.create_index("ix_events_situation", "events", ["situation"])
    op.create_index("ix_events_alert", "events", ["alert"])
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("document", _JSON, nullable=False),
        sa.Column("updated_at", _ms(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    """Drop the rules table, the indexes and the columns."""
    op.drop_table("alert_rules")
    op.drop_index("ix_events_alert", table_name="events")
    op.drop_index("ix_events_situation", table_name="events")
    with op.batch_alter_table("events") as batch:
        for name in ("related", "situation", "rule", "alert"):
            batch.drop_column(name)
