"""Zone changes over LISTEN/NOTIFY (PostGIS): every process reloads its zones when told.

The notification is sent inside the changing transaction, so PostgreSQL delivers it only on
commit: a listener never reloads before the change is visible. The payload is the new
``zones_version``. SQLite is single-desk; readers poll `app.store.zones.zones_version`.

A notification sent while the listening connection is down (server restart, backend
terminated) is lost for good: PostgreSQL queues notifications per listening session only. So
after `ZoneListener.reconnect` the caller must reload the zones once whatever it hears.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from app.store.engine import resolve_url

CHANNEL = "mare_zones"
#: ``application_name`` of the listening session (find it in ``pg_stat_activity``).
APPLICATION_NAME = "mare-zone-listener"


def announce_zones(conn: Connection, version: int) -> None:
    """Queue ``NOTIFY mare_zones, '<version>'`` in the caller's transaction."""
    conn.execute(text("SELECT pg_notify(:ch, :payload)"), {"ch": CHANNEL, "payload": str(version)})


class ListenerLost(Exception):
    """The listening connection broke; `ZoneListener.reconnect` before waiting again."""


class ZoneListener:
    """A dedicated autocommit connection LISTENing on `CHANNEL`; ``wait`` returns versions."""

    def __init__(self, url: str) -> None:

        self._dsn = resolve_url(url).replace("postgresql+psycopg://", "postgresql://", 1)
        self._conn: Any = None
        self._connect()

    def _connect(self) -> None:
        import psycopg

        conn = psycopg.connect(
            self._dsn, autocommit=True, connect_timeout=5, application_name=APPLICATION_NAME
        )
        try:
            conn.execute(f"LISTEN {CHANNEL}")
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def wait(self, timeout_s: float) -> list[int]:
        """Return the versions announced within ``timeout_s`` (empty list when none).

        Raises `ListenerLost` when the connection is gone (it does not come back by itself).
        """
        import psycopg

        if self._conn is None or self._conn.closed:
            raise ListenerLost("the zone listener is not connected")
        try:
            notes = self._conn.notifies(timeout=timeout_s, stop_after=1)
            return [int(n.payload) for n in notes]
        except psycopg.Error as exc:
            raise ListenerLost(str(exc)) from exc

    def reconnect(self) -> None:
        """Drop the broken connection and LISTEN on a new one (raises if that fails)."""
        self.close()
        self._connect()

    def close(self) -> None:
        """Stop listening and close the connection."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
