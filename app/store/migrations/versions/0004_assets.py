"""Assets: the operator's own patrol vessels and aircraft (interception planning).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

An asset either follows its own AIS (``mmsi``) or sits at a fixed ``lat``/``lon``; its
``max_speed_kn`` bounds how soon it can reach a contact. The service kept them in
``svc_assets``; rows of a database the service already used are moved with their ids (audit
targets name them) and that table dropped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``assets``; move ``svc_assets`` if the service had one."""
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("mmsi", sa.Integer(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("max_speed_kn", sa.Float(), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True) if pg else sa.BigInteger(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    if not sa.inspect(bind).has_table("svc_assets"):
        return
    updated = "to_timestamp(updated_ms / 1000.0)" if pg else "updated_ms"
    op.execute(
        "INSERT INTO assets (id, name, kind, mmsi, lat, lon, max_speed_kn, updated_at) "
        f"SELECT id, name, kind, mmsi, lat, lon, max_speed_kn, {updated} FROM svc_assets"
    )
    if pg:
        op.execute(
            "SELECT setval(pg_get_serial_sequence('assets', 'id'), "
            "COALESCE((SELECT max(id) FROM assets), 0) + 1, false)"
        )
    op.drop_table("svc_assets")


def downgrade() -> None:
    """Drop ``assets``."""
    op.drop_table("assets")
