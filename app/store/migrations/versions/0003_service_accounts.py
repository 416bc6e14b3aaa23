"""Accounts the service needs: liaison zones per user, login/API tokens with a narrower role.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

The service kept ``svc_users`` and ``svc_api_tokens`` because these columns were missing:
``users.zones`` (the zones a liaison may see; NULL for every other role), ``api_tokens.kind``
(``login`` or ``api``; existing store tokens are API tokens) and ``api_tokens.role`` (an API
token may act with a narrower role than its owner). ``api_tokens.prefix`` becomes optional:
the service only ever sees a token's hash, never its text. Accounts of a database the service
already used are moved over, tokens with their ids (``DELETE /api/v1/tokens/{id}`` names them),
and the ``svc_`` tables dropped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the columns, then move the service's accounts if it had any."""
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    json: sa.types.TypeEngine[object] = postgresql.JSONB(astext_type=sa.Text()) if pg else sa.JSON()
    op.add_column("users", sa.Column("zones", json, nullable=True))
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=8), server_default="api", nullable=False)
        )
        batch.add_column(sa.Column("role", sa.String(length=16), nullable=True))
        batch.alter_column("prefix", existing_type=sa.String(length=16), nullable=True)
    if sa.inspect(bind).has_table("svc_users"):
        _move_service_accounts(pg)


def _move_service_accounts(pg: bool) -> None:
    """Copy ``svc_users`` and ``svc_api_tokens`` (skipping names and ids already taken), drop them.

    SQLite's ``svc_api_tokens`` times are SQLAlchemy's text datetimes (UTC); ``julianday`` reads
    them, the store keeps epoch milliseconds there.
    """
    if pg:
        created = "to_timestamp(s.created_ms / 1000.0)"
        zones = "s.zones::jsonb"
    else:
        created = "s.created_ms"
        zones = "s.zones"
    op.execute(
        "INSERT INTO users (username, password_hash, role, zones, disabled, created_at) "
        f"SELECT s.username, s.password_hash, s.role, {zones}, false, {created} "
        "FROM svc_users s WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.username = s.username)"
    )

    def when(col: str) -> str:
        if pg:
            return f"s.{col}"
        return f"CAST(round((julianday(s.{col}) - 2440587.5) * 86400000.0) AS INTEGER)"

    op.execute(
        "INSERT INTO api_tokens (id, user_id, name, kind, role, token_hash, prefix, created_at, "
        "expires_at, revoked_at) "
        f"SELECT s.id, u.id, s.name, s.kind, s.role, s.token_hash, NULL, {when('created_at')}, "
        f"{when('expires_at')}, {when('revoked_at')} "
        "FROM svc_api_tokens s JOIN users u ON u.username = s.username "
        "WHERE NOT EXISTS (SELECT 1 FROM api_tokens t "
        "WHERE t.id = s.id OR t.token_hash = s.token_hash)"
    )
    if pg:
        op.execute(
            "SELECT setval(pg_get_serial_sequence('api_tokens', 'id'), "
            "COALESCE((SELECT max(id) FROM api_tokens), 0) + 1, false)"
        )
    op.drop_table("svc_api_tokens")
    op.drop_table("svc_users")


def downgrade() -> None:
    """Drop the columns (tokens without a prefix are dropped: 0002 requires one)."""
    op.execute("DELETE FROM api_tokens WHERE prefix IS NULL")
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("prefix", existing_type=sa.String(length=16), nullable=False)
        batch.drop_column("role")
        batch.drop_column("kind")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("zones")
