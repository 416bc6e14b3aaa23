"""Suspect cases: a vessel made a case, its notes, attachments and status changes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

Issue 17: an analyst makes a vessel a case (``cases``), writes notes (``case_notes``,
append-only: an edit keeps the earlier texts in ``revisions`` and is audited), attaches linked
vessels, contacts and events (``case_links``, one row per attachment, unique per case) and moves
the case through open, monitoring, handed over and closed (``case_changes``, the timeline's
status entries). Times are ``timestamptz`` on PostGIS and epoch milliseconds on SQLite, as in
every table of the store.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _ms() -> sa.types.TypeEngine[int]:
    from app.store.schema import EpochMs

    return EpochMs()


def upgrade() -> None:
    """Create the four case tables and their indexes."""
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mmsi", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assignee", sa.String(64), nullable=True),
        sa.Column("watch_entry", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", _ms(), nullable=False),
        sa.Column("updated_at", _ms(), nullable=False),
    )
    op.create_index("ix_cases_mmsi", "cases", ["mmsi"])
    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("time", _ms(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("edited_by", sa.String(64), nullable=True),
        sa.Column("edited_at", _ms(), nullable=True),
        sa.Column("revisions", _JSON, nullable=False, server_default=sa.text("'[]'")),
    )
    op.create_index("ix_case_notes_case_id", "case_notes", ["case_id"])
    op.create_table(
        "case_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.Column("added_at", _ms(), nullable=False),
        sa.UniqueConstraint("case_id", "kind", "ref", name="uq_case_links_case_kind_ref"),
    )
    op.create_table(
        "case_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("time", _ms(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("field", sa.String(16), nullable=False),
        sa.Column("old", sa.String(200), nullable=True),
        sa.Column("new", sa.String(200), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_case_changes_case_id", "case_changes", ["case_id"])


def downgrade() -> None:
    """Drop the case tables."""
    for name in ("case_changes", "case_links", "case_notes", "cases"):
        op.drop_table(name)
