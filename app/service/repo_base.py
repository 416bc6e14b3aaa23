"""The engine and helpers every part of `Repo` shares."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Insert, Table
from sqlalchemy.dialects import postgresql, sqlite

from app.store import Store


def now_ms() -> int:
    """Return the wall clock in epoch milliseconds (records of who did what, and when)."""
    return int(time.time() * 1000)


def aware(dt: datetime | None) -> datetime | None:
    """Return ``dt`` as aware UTC (SQLite hands back naive datetimes)."""
    if dt is None:
        return None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


class RepoBase:
    """Holds the SQLAlchemy engine; parts add their queries."""

    engine: Engine
    store: Store  # the shared store: tables the service has moved onto (watchlist, ...)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def insert_ignore(self, table: Table) -> Insert:
        """Return an INSERT that skips rows whose key exists (same on both backends)."""
        if self.dialect == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing()
        return sqlite.insert(table).on_conflict_do_nothing()

    def upsert(self, table: Table, key: list[str], update: list[str]) -> Any:
        """Return an INSERT ... ON CONFLICT (key) DO UPDATE of the ``update`` columns."""
        ins: Any = (postgresql if self.dialect == "postgresql" else sqlite).insert(table)
        return ins.on_conflict_do_update(
            index_elements=key, set_={c: getattr(ins.excluded, c) for c in update}
        )
