"""The service's tables (SQLAlchemy Core), portable between SQLite and PostgreSQL.

Written here because the shared store (`app/store`, issue 4) had not landed when the service
was built; every query of the service goes through `app.service.repo.Repo`, so moving more of
them to the store's tables touches that package only. Times are epoch milliseconds
(``BigInteger``) on the hot tables, as in the record contract.
Positions, zones, the watchlist, users, API tokens and assets are not here: they live in the
shared store (`app.store`), which the service is moving onto table family by table family.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
)

metadata = MetaData()

events = Table(
    "svc_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("mmsi", BigInteger, nullable=False),
    Column("other_mmsi", BigInteger, nullable=True),
    Column("zone", String(64), nullable=True),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("severity", String(16), nullable=False),
    Column("severity_rank", SmallInteger, nullable=False),
    Column("details", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("assignee", String(64), nullable=True),
    Column("acknowledged_by", String(64), nullable=True),
    Column("acknowledged_ms", BigInteger, nullable=True),
    Column("resolved_by", String(64), nullable=True),
    Column("resolved_ms", BigInteger, nullable=True),
    Column("comments", JSON, nullable=False),
    Column("recorded_ms", BigInteger, nullable=False),
    Index("ix_svc_events_mmsi", "mmsi"),
    Index("ix_svc_events_zone", "zone"),
    Index("ix_svc_events_recorded", "recorded_ms"),
)

audit_log = Table(
    "svc_audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time_ms", BigInteger, nullable=False),
    Column("username", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", String(100), nullable=False),
    Column("detail", JSON, nullable=True),
    Index("ix_svc_audit_target", "target"),
)

vessels = Table(
    "svc_vessels",
    metadata,
    Column("mmsi", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(40), nullable=True),
    Column("last_seen_ms", BigInteger, nullable=True),
    Column("data", JSON, nullable=False),
)
