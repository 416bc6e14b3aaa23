"""The watchlist (DESIGN.md: CSV ``mmsi,imo,name,callsign,note``), replaced as a whole on import.

Replacing inside one transaction means readers see the old list or the new one, never a mix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select

from app.store.audit import record
from app.store.store import Store


@dataclass(frozen=True, slots=True)
class WatchEntry:
    """One watchlist line; any of mmsi, imo, name, callsign may be missing."""

    mmsi: int | None
    imo: int | None
    name: str | None
    callsign: str | None
    note: str = ""


def replace_watchlist(
    store: Store, entries: Iterable[WatchEntry], *, actor: str, now_ms: int
) -> int:
    """Make the watchlist exactly ``entries`` (audited); return how many are stored."""
    t = store.tables["watchlist"]
    rows = [
        {"mmsi": e.mmsi, "imo": e.imo, "name": e.name, "callsign": e.callsign,
         "note": e.note or "", "created_at": now_ms}
        for e in entries
    ]  # fmt: skip

    def run(conn: Connection) -> int:
        conn.execute(delete(t))
        if rows:
            conn.execute(t.insert(), rows)
        record(conn, store, actor=actor, action="watchlist.replace", target="watchlist",
               details={"entries": len(rows)}, now_ms=now_ms)  # fmt: skip
        return len(rows)

    return int(store.write(run, "replacing the watchlist"))


def load_watchlist(store: Store) -> list[WatchEntry]:
    """Return the watchlist in stored order."""
    t = store.tables["watchlist"]
    rows = store.read(lambda c: c.execute(select(t).order_by(t.c.id)).all())
    return [WatchEntry(r.mmsi, r.imo, r.name, r.callsign, r.note) for r in rows]
