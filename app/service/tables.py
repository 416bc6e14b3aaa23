"""The service's tables (SQLAlchemy Core), portable between SQLite and PostgreSQL.

Written here because the shared store (`app/store`, issue 4) had not landed when the service
was built; every query of the service goes through `app.service.repo.Repo`, so moving more of
them to the store's tables touches that package only. Times are epoch milliseconds
(``BigInteger``) on the hot tables, as in the record contract.
Only the live Vessel JSON is here; positions, zones, the watchlist, users, API tokens, assets,
alerts and the audit log live in the shared store (`app.store`).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    MetaData,
    String,
    Table,
)

metadata = MetaData()

vessels = Table(
    "svc_vessels",
    metadata,
    Column("mmsi", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(40), nullable=True),
    Column("last_seen_ms", BigInteger, nullable=True),
    Column("data", JSON, nullable=False),
)
