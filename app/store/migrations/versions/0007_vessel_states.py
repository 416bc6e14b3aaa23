"""``vessel_states``: the live picture's whole Vessel object per MMSI, to refill it on restart.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

Beside ``vessels``, not in it: ``vessels`` is rewritten by every batch and kept narrow (see
`app.store.schema`); the live object (dark flag, risk, AIS class as the engine has them) is a
JSON document the service writes after each batch. ``svc_vessels`` of a database the service
already used is moved here and dropped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``vessel_states``; move ``svc_vessels`` if the service had one."""
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    op.create_table(
        "vessel_states",
        sa.Column("mmsi", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=40), nullable=True),
        sa.Column(
            "last_seen", sa.DateTime(timezone=True) if pg else sa.BigInteger(), nullable=True
        ),
        sa.Column(
            "data", postgresql.JSONB(astext_type=sa.Text()) if pg else sa.JSON(), nullable=False
        ),
        sa.PrimaryKeyConstraint("mmsi"),
    )
    if not sa.inspect(bind).has_table("svc_vessels"):
        return
    last = "to_timestamp(last_seen_ms / 1000.0)" if pg else "last_seen_ms"
    data = "data::jsonb" if pg else "data"
    op.execute(
        "INSERT INTO vessel_states (mmsi, name, last_seen, data) "
        f"SELECT mmsi, name, {last}, {data} FROM svc_vessels"
    )
    op.drop_table("svc_vessels")


def downgrade() -> None:
    """Drop ``vessel_states``."""
    op.drop_table("vessel_states")
