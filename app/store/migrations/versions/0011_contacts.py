"""``contacts``: boats seen without AIS (sightings, radar, satellite detections, hotline calls).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

One row per contact (`geo.contacts.Contact`), with who entered it and when, and what the
engine made of it: the AIS vessel it was attached to (``mmsi``) or the dark target it started
or continued (``target``). PostGIS gets a computed point with a GiST (liaisons' contacts are
the ones inside their zones); SQLite answers the same with a bounding-box prefilter.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``contacts`` and its indexes."""
    pg = op.get_bind().dialect.name == "postgresql"
    when = sa.DateTime(timezone=True) if pg else sa.BigInteger()
    cols: list[sa.Column[object]] = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("time", when, nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Float(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("course", sa.Float(), nullable=True),
        sa.Column("speed_kn", sa.Float(), nullable=True),
        sa.Column("length_m", sa.Float(), nullable=True),
        sa.Column("people", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("ref", sa.String(length=100), nullable=True),
        sa.Column("mmsi", sa.Integer(), nullable=True),
        sa.Column("target", sa.BigInteger(), nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
    ]
    if pg:
        cols.append(
            sa.Column(
                "geom",
                Geometry("POINT", srid=4326, spatial_index=False),
                sa.Computed("ST_SetSRID(ST_MakePoint(lon, lat), 4326)", persisted=True),
            )
        )
    op.create_table("contacts", *cols, sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_contacts_time", "contacts", ["time"])
    if pg:
        op.create_index("ix_contacts_geom", "contacts", ["geom"], postgresql_using="gist")


def downgrade() -> None:
    """Drop ``contacts``."""
    op.drop_table("contacts")
