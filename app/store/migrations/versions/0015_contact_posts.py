"""``contact_posts``: each stored POST of contacts, its idempotency key and when it was sent.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

An API node on the bus answers ``POST /api/v1/contacts`` once the contacts are stored and
publishes them in the background (issue 18): the row is the outbox (``sent_at`` NULL until
JetStream took them; any API node sends what is left), and its ``key`` (a client's
``Idempotency-Key``, hashed with the user) makes a retried POST answer the first one's
contacts instead of storing them twice. Written in the contacts' own transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    """Create ``contact_posts``."""
    pg = op.get_bind().dialect.name == "postgresql"
    when = sa.DateTime(timezone=True) if pg else sa.BigInteger()
    op.create_table(
        "contact_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("ids", _JSON, nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("sent_at", when, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="ux_contact_posts_key"),
    )


def downgrade() -> None:
    """Drop ``contact_posts``."""
    op.drop_table("contact_posts")
