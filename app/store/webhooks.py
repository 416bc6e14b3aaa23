"""Webhook subscriptions and their delivery log, in the service's database.

Two small tables (SQLAlchemy Core, same on SQLite and PostgreSQL) that the store's schema and
migrations own (0008): they hold only push configuration and a bounded log, nothing the store's
queries join with. Times are epoch milliseconds (aware UTC ISO strings on the way out). The
secret is kept in clear because every delivery must be signed with it; it is shown once, at
creation.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from app.store.schema import tables
from geo.events import format_time

_TABLES = tables(postgis=False)  # plain columns only: the same Core tables serve both backends
subscriptions = _TABLES["webhook_subscriptions"]
deliveries = _TABLES["webhook_deliveries"]

#: Delivery log rows kept, all subscriptions together (older ones pruned as new ones arrive).
LOG_KEEP = 20_000


def _public(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "url": row.url,
        "owner": row.owner,
        "zones": row.zones,
        "kinds": row.kinds,
        "min_severity": row.min_severity,
        "active": bool(row.active),
        "created_at": format_time(row.created_ms),
    }


def create_subscription(
    engine: sa.Engine,
    *,
    name: str,
    url: str,
    secret: str,
    owner: str,
    zones: list[str] | None,
    kinds: list[str] | None,
    min_severity: str | None,
) -> dict[str, Any]:
    """Insert a subscription and return its public form (without the secret)."""
    with engine.begin() as conn:
        key = conn.execute(
            subscriptions.insert().values(
                name=name,
                url=url,
                secret=secret,
                owner=owner,
                zones=zones,
                kinds=kinds,
                min_severity=min_severity,
                active=True,
                created_ms=int(time.time() * 1000),
            )
        ).inserted_primary_key
        assert key is not None
        row = conn.execute(subscriptions.select().where(subscriptions.c.id == key[0])).one()
    return _public(row)


def list_subscriptions(
    engine: sa.Engine, *, owner: str | None = None, with_secret: bool = False
) -> list[dict[str, Any]]:
    """Return subscriptions (of one owner if given), oldest first."""
    q = subscriptions.select().order_by(subscriptions.c.id)
    if owner is not None:
        q = q.where(subscriptions.c.owner == owner)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    out = []
    for row in rows:
        item = _public(row)
        if with_secret:
            item["secret"] = row.secret
        out.append(item)
    return out


def owner_identities(engine: sa.Engine) -> dict[str, tuple[str, list[str] | None, bool]]:
    """Return each user's (role, zones, disabled), to scope the subscriptions they own."""
    users = _TABLES["users"].c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(users.username, users.role, users.zones, users.disabled))
        return {r.username: (r.role, r.zones, bool(r.disabled)) for r in rows}


def get_subscription(engine: sa.Engine, sub_id: int) -> dict[str, Any] | None:
    """Return one subscription's public form."""
    with engine.connect() as conn:
        row = conn.execute(subscriptions.select().where(subscriptions.c.id == sub_id)).first()
    return None if row is None else _public(row)


def delete_subscription(engine: sa.Engine, sub_id: int) -> bool:
    """Delete a subscription and its log; return whether it existed."""
    with engine.begin() as conn:
        n = conn.execute(subscriptions.delete().where(subscriptions.c.id == sub_id)).rowcount
        conn.execute(deliveries.delete().where(deliveries.c.subscription_id == sub_id))
    return bool(n)


def log_delivery(
    engine: sa.Engine,
    *,
    subscription_id: int,
    delivery: str,
    alert_id: int | None,
    attempt: int,
    ok: bool,
    status_code: int | None,
    error: str | None,
    duration_ms: float,
) -> None:
    """Record one attempt; keep the newest `LOG_KEEP` rows."""
    with engine.begin() as conn:
        key = conn.execute(
            deliveries.insert().values(
                subscription_id=subscription_id,
                delivery=delivery,
                alert_id=alert_id,
                attempt=attempt,
                ok=ok,
                status_code=status_code,
                error=None if error is None else error[:500],
                duration_ms=round(duration_ms, 1),
                time_ms=int(time.time() * 1000),
            )
        ).inserted_primary_key
        assert key is not None
        new_id = int(key[0])
        if new_id % 100 == 0:
            conn.execute(deliveries.delete().where(deliveries.c.id <= new_id - LOG_KEEP))


def list_deliveries(engine: sa.Engine, subscription_id: int, limit: int) -> list[dict[str, Any]]:
    """Return the newest attempts of a subscription, newest first."""
    q = (
        deliveries.select()
        .where(deliveries.c.subscription_id == subscription_id)
        .order_by(deliveries.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return [
        {
            "delivery": r.delivery,
            "alert_id": r.alert_id,
            "attempt": r.attempt,
            "ok": bool(r.ok),
            "status_code": r.status_code,
            "error": r.error,
            "duration_ms": r.duration_ms,
            "time": format_time(r.time_ms),
        }
        for r in rows
    ]
