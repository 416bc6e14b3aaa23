"""The audit log: who did what to which object, written in the same transaction as the act.

The one writer of ``audit_log`` for every part of the data layer (accounts, alerts, zones,
contacts), so an act and its record always commit together and read back the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

if TYPE_CHECKING:
    from app.store.store import Store


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited act."""

    id: int
    time_ms: int
    actor: str
    action: str
    target: str
    details: dict[str, Any]


def record(
    conn: Connection,
    store: Store,
    *,
    actor: str,
    action: str,
    target: str,
    details: dict[str, Any] | None = None,
    now_ms: int,
) -> None:
    """Append an entry in the caller's transaction: the act and its record commit together."""
    t = store.tables["audit_log"]
    conn.execute(
        t.insert().values(
            time=now_ms, actor=actor, action=action, target=target, details=details or {}
        )
    )


def recent(store: Store, *, limit: int = 100, target: str | None = None) -> list[AuditEntry]:
    """Return the newest entries first, optionally for one target."""
    t = store.tables["audit_log"]
    q = select(t).order_by(t.c.time.desc(), t.c.id.desc()).limit(limit)
    if target is not None:
        q = q.where(t.c.target == target)
    rows = store.read(lambda c: c.execute(q).all())
    return [AuditEntry(r.id, r.time, r.actor, r.action, r.target, dict(r.details)) for r in rows]
