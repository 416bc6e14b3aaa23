"""`Repo`: every query of the service, over its SQLAlchemy tables (`app.service.tables`).

One class so that routes and the pipeline depend on one object (``app.state.repo``) and a
change of storage touches this package only. All methods are blocking: call them from worker
threads (sync routes, `asyncio.to_thread`), never on the event loop's hot path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event

from app.service.repo_accounts import AccountsRepo, TokenRow
from app.service.repo_alerts import AlertFilter, AlertsRepo
from app.service.repo_data import DataRepo
from app.service.repo_positions import PositionsRepo
from app.service.tables import metadata
from app.store import Store, open_store

__all__ = ["AlertFilter", "Repo", "TokenRow"]


def engine_url(url: str) -> str:
    """Return the SQLAlchemy URL: plain ``postgresql://`` gets the psycopg 3 driver."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    return url


class Repo(AccountsRepo, AlertsRepo, DataRepo, PositionsRepo):
    """The service's data functions; see the module docstring."""

    def __init__(self, engine: Any, positions: Store) -> None:
        self.engine = engine
        self.positions = positions
        self.store = positions

    @classmethod
    def open(cls, url: str, *, upgrade: bool | None = None) -> Repo:
        """Open the shared store and the service's own tables on the same database.

        The store upgrades SQLite itself and refuses a PostGIS schema that is behind
        (``mare db upgrade``), unless ``upgrade`` says otherwise.
        """
        store = open_store(url, upgrade=upgrade)
        try:
            return cls(cls._own_engine(url), store)
        except BaseException:
            store.close()
            raise

    @staticmethod
    def _own_engine(url: str) -> Any:
        """Connect, create missing tables, and for SQLite turn on WAL and a busy timeout."""
        full = engine_url(url)
        if full.startswith("sqlite:///"):
            path = Path(full[len("sqlite:///") :])
            if str(path) not in ("", ":memory:"):
                path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(full, pool_pre_ping=True)
        if engine.dialect.name == "sqlite":

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_conn: Any, _record: Any) -> None:
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA busy_timeout=10000")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

        metadata.create_all(engine)
        return engine

    def close(self) -> None:
        self.engine.dispose()
        self.positions.close()
