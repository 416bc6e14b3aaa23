"""Alerts as the desk works them: an assignee and comments; the service's alerts and audit move.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

``events.assignee`` is who is on it (NULL: nobody), ``events.comments`` the thread people
wrote (``[{"user", "time", "text"}]``, empty for a new episode). ``svc_events`` and
``svc_audit_log`` of a database the service already used are moved with their ids (the API and
audit targets name alerts by id; episodes whose key the store already has are skipped) and
dropped. The audit's missing details become ``{}``, as the store records them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the columns; move ``svc_events`` and ``svc_audit_log`` if the service had them."""
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    json: sa.types.TypeEngine[object] = postgresql.JSONB(astext_type=sa.Text()) if pg else sa.JSON()
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("assignee", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("comments", json, server_default=sa.text("'[]'"), nullable=False)
        )
    inspector = sa.inspect(bind)

    def ms(col: str) -> str:
        return f"to_timestamp({col} / 1000.0)" if pg else col

    cast = "::jsonb" if pg else ""
    if inspector.has_table("svc_events"):
        op.execute(
            "INSERT INTO events (id, key, kind, mmsi, other_mmsi, zone, start_time, end_time, "
            "lat, lon, severity, details, state, acknowledged_by, acknowledged_at, resolved_by, "
            "resolved_at, created_at, updated_at, assignee, comments) "
            f"SELECT id, key, kind, mmsi, other_mmsi, zone, {ms('start_ms')}, {ms('end_ms')}, "
            f"lat, lon, severity, details{cast}, state, acknowledged_by, "
            f"{ms('acknowledged_ms')}, resolved_by, {ms('resolved_ms')}, {ms('recorded_ms')}, "
            f"{ms('recorded_ms')}, assignee, comments{cast} FROM svc_events s "
            "WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.key = s.key OR e.id = s.id)"
        )
        _bump_sequence(pg, "events")
        op.drop_table("svc_events")
    if inspector.has_table("svc_audit_log"):
        empty = "'{}'::jsonb" if pg else "'{}'"
        op.execute(
            "INSERT INTO audit_log (time, actor, action, target, details) "
            f"SELECT {ms('time_ms')}, username, action, target, "
            f"COALESCE(detail{cast}, {empty}) FROM svc_audit_log ORDER BY id"
        )
        op.drop_table("svc_audit_log")


def _bump_sequence(pg: bool, table: str) -> None:
    if pg:
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
        )


def downgrade() -> None:
    """Drop the columns."""
    with op.batch_alter_table("events") as batch:
        batch.drop_column("comments")
        batch.drop_column("assignee")
