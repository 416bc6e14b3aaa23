"""Changes over LISTEN/NOTIFY (PostGIS): every process reloads zones, or vessels, when told.

The notification is sent inside the changing transaction, so PostgreSQL delivers it only on
commit: a listener never reloads before the change is visible. On ``mare_zones`` the payload is
the new ``zones_version`` (SQLite is single-desk; readers poll `app.store.zones.zones_version`);
on ``mare_vessels`` it names the `Store` that wrote a batch (`app.pipeline.vessel_watch`).

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
#: Batches of positions and vessels written; the payload is the writing store's id.
VESSELS_CHANNEL = "mare_vessels"


def announce(conn: Connection, channel: str, payload: str) -> None:
    """Queue ``NOTIFY <channel>, '<payload>'`` in the caller's transaction."""
    conn.execute(text("SELECT pg_notify(:ch, :payload)"), {"ch": channel, "payload": payload})


def announce_zones(conn: Connection, version: int) -> None:
    """Queue ``NOTIFY mare_zones, '<version>'`` in the caller's transaction."""
    announce(conn, CHANNEL, str(version))


class ListenerLost(Exception):
    """The listening connection broke; `Listener.reconnect` before waiting again."""


class Listener:
    """A dedicated autocommit connection LISTENing on one channel; ``wait_payloads`` hears it."""

    def __init__(self, url: str, channel: str, application_name: str) -> None:
        self._dsn = resolve_url(url).replace("postgresql+psycopg://", "postgresql://", 1)
        self._channel = channel
        self._application_name = application_name
        self._conn: Any = None
        self._connect()

    def _connect(self) -> None:
        import psycopg

        conn = psycopg.connect(
            self._dsn,
            autocommit=True,
            connect_timeout=5,
            application_name=self._application_name,
        )
        try:
            conn.execute(f"LISTEN {self._channel}")
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def wait_payloads(self, timeout_s: float) -> list[str]:
        """Return the payloads announced within ``timeout_s`` (empty list when none).

        Raises `ListenerLost` when the connection is gone (it does not come back by itself).
        """
        import psycopg

        if self._conn is None or self._conn.closed:
            raise ListenerLost(f"the {self._channel} listener is not connected")
        try:
            notes = self._conn.notifies(timeout=timeout_s, stop_after=1)
            return [n.payload for n in notes]
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


class ZoneListener(Listener):
    """The listener of `CHANNEL`; ``wait`` returns the announced zone versions."""

    def __init__(self, url: str) -> None:
        super().__init__(url, CHANNEL, APPLICATION_NAME)

    def wait(self, timeout_s: float) -> list[int]:
        """Return the versions announced within ``timeout_s`` (raises `ListenerLost`)."""
        return [int(p) for p in self.wait_payloads(timeout_s)]
