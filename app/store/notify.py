"""Zone changes over LISTEN/NOTIFY (PostGIS): every process reloads its zones when told.

The notification is sent inside the changing transaction, so PostgreSQL delivers it only on
commit: a listener never reloads before the change is visible. The payload is the new
``zones_version``. SQLite is single-desk; readers poll `app.store.zones.zones_version`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

CHANNEL = "mare_zones"


def announce_zones(conn: Connection, version: int) -> None:
    """Queue ``NOTIFY mare_zones, '<version>'`` in the caller's transaction."""
    conn.execute(text("SELECT pg_notify(:ch, :payload)"), {"ch": CHANNEL, "payload": str(version)})


class ZoneListener:
    """A dedicated autocommit connection LISTENing on `CHANNEL`; ``wait`` returns versions."""

    def __init__(self, url: str) -> None:
        import psycopg

        from app.store.engine import resolve_url

        dsn = resolve_url(url).replace("postgresql+psycopg://", "postgresql://", 1)
        self._conn: Any = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
        self._conn.execute(f"LISTEN {CHANNEL}")

    def wait(self, timeout_s: float) -> list[int]:
        """Return the versions announced within ``timeout_s`` (empty list when none)."""
        out = [int(n.payload) for n in self._conn.notifies(timeout=timeout_s, stop_after=1)]
        return out

    def close(self) -> None:
        """Stop listening and close the connection."""
        self._conn.close()
