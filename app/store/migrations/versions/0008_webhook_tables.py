"""``webhook_subscriptions`` and ``webhook_deliveries`` under the migrations.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

The push dispatcher used to create these two tables itself (``create_all`` at start), outside
the schema's history. A database it already ran on has them in exactly this shape and keeps
them with their rows; elsewhere they are created here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the two tables where the service has not already made them."""
    have = sa.inspect(op.get_bind())
    if not have.has_table("webhook_subscriptions"):
        op.create_table(
            "webhook_subscriptions",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("name", sa.String(length=200), nullable=False),
            sa.Column("url", sa.String(length=2000), nullable=False),
            sa.Column("secret", sa.String(length=200), nullable=False),
            sa.Column("owner", sa.String(length=200), nullable=False),
            sa.Column("zones", sa.JSON(), nullable=True),
            sa.Column("kinds", sa.JSON(), nullable=True),
            sa.Column("min_severity", sa.String(length=20), nullable=True),
            sa.Column("active", sa.Boolean(), nullable=False),
            sa.Column("created_ms", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
    if not have.has_table("webhook_deliveries"):
        op.create_table(
            "webhook_deliveries",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("subscription_id", sa.Integer(), nullable=False),
            sa.Column("delivery", sa.String(length=64), nullable=False),
            sa.Column("alert_id", sa.BigInteger(), nullable=True),
            sa.Column("attempt", sa.Integer(), nullable=False),
            sa.Column("ok", sa.Boolean(), nullable=False),
            sa.Column("status_code", sa.Integer(), nullable=True),
            sa.Column("error", sa.String(length=500), nullable=True),
            sa.Column("duration_ms", sa.Float(), nullable=False),
            sa.Column("time_ms", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index(
            "ix_webhook_deliveries_subscription_id", "webhook_deliveries", ["subscription_id"]
        )


def downgrade() -> None:
    """Drop the two tables (their subscriptions and log go with them)."""
    op.drop_index("ix_webhook_deliveries_subscription_id", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_subscriptions")
