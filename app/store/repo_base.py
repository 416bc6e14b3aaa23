"""The engine and helpers every part of `Repo` shares."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.dialects import postgresql, sqlite

from app.store import Store


class RepoBase:
    """Holds the SQLAlchemy engine; parts add their queries."""

    engine: Engine
    store: Store  # the shared store: every table of the service

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upsert(self, table: Table, key: list[str], update: list[str]) -> Any:
        """Return an INSERT ... ON CONFLICT (key) DO UPDATE of the ``update`` columns."""
        ins: Any = (postgresql if self.dialect == "postgresql" else sqlite).insert(table)
        return ins.on_conflict_do_update(
            index_elements=key, set_={c: getattr(ins.excluded, c) for c in update}
        )
