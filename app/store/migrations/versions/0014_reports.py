"""``reports``: the daily situation reports the service keeps (one per day and scope).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

The service makes a report of each UTC day just after midnight for the whole area and each
liaison's zones, and people make them on demand (issue 17); both are kept here, the PDF and the
HTML with their sizes and SHA-256, so the list and the downloads need no rendering. ``scope``
names what a report covers (`app.store.reports.scope_key`): one report per day and scope.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    """Create ``reports``."""
    pg = op.get_bind().dialect.name == "postgresql"
    when = sa.DateTime(timezone=True) if pg else sa.BigInteger()
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("scope", sa.String(length=2000), nullable=False),
        sa.Column("zones", _JSON, nullable=True),
        sa.Column("narrow", _JSON, nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("html", sa.LargeBinary(), nullable=False),
        sa.Column("pdf_size", sa.Integer(), nullable=False),
        sa.Column("html_size", sa.Integer(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("html_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "scope", name="ux_reports_day_scope"),
    )


def downgrade() -> None:
    """Drop ``reports``."""
    op.drop_table("reports")
