"""Stored POSTs of contacts (migration 0015): idempotency keys, and an API node's outbox.

A POST is stored with its contacts in one transaction. Its ``key`` (the client's
``Idempotency-Key`` with the user, hashed) is unique: a retry with the same key finds the
first POST and gets its contacts, and two at once cannot both store (the second's insert
fails on the key and it reads the first's). ``sent_at`` is when the engines were handed the
contacts: at once in one process; on the bus when JetStream took them (`mark_sent`), and
until then `unsent` lists the POST for any API node to send again.

A sent POST is kept `KEY_WINDOW_MS` (a day, as payment APIs keep idempotency keys) and then
removed by the database's maintenance (`expire`): a client retries within minutes, and a table
of every POST ever made would only grow. The contacts themselves stay (`contacts`); an unsent
POST stays until it is sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.exc import IntegrityError

from app.store.contacts import insert_contacts, list_contacts
from app.store.store import Store
from geo.contacts import Contact

#: How long a sent POST (its idempotency key) is kept: a retry after this stores anew.
KEY_WINDOW_MS = 24 * 3_600_000


@dataclass(frozen=True, slots=True)
class Posted:
    """A stored POST: its id, its contacts with their ids, and whether it was stored before."""

    id: int
    contacts: list[Contact]
    digest: str
    replayed: bool = False


def request_key(user: str, key: str) -> str:
    """Return the stored form of a client's idempotency key: its user's, hashed."""
    return hashlib.sha256(f"{user}\0{key}".encode()).hexdigest()


def store_post(
    store: Store,
    contacts: Sequence[Contact],
    *,
    actor: str,
    via: str,
    now_ms: int,
    digest: str,
    key: str | None,
    sent: bool,
    audit: bool = True,
) -> Posted:
    """Store a POST's contacts and the POST, or return the POST stored before with ``key``.

    ``sent``: the engines are handed the contacts now (one process), not in the background.
    ``audit``: False for a radar feed (`app.store.contacts.add_contacts` says why).
    """
    t = store.tables["contact_posts"]
    hashed = request_key(actor, key) if key is not None else None
    if hashed is not None:
        before = _by_key(store, hashed)
        if before is not None:
            return before

    def run(conn: Connection) -> tuple[int, list[int]]:
        ids = insert_contacts(conn, store, contacts, actor=actor, via=via, now_ms=now_ms,
                              audit=audit)  # fmt: skip
        row = {"key": hashed, "digest": digest, "ids": ids, "created_at": now_ms,
               "created_by": actor, "sent_at": now_ms if sent else None}  # fmt: skip
        post = int(conn.execute(t.insert().values(**row).returning(t.c.id)).scalar_one())
        return post, ids

    try:
        post, ids = store.write(run, "storing contacts")
    except IntegrityError:  # the same key stored meanwhile (a retry racing the first)
        before = _by_key(store, hashed) if hashed is not None else None
        if before is None:
            raise
        return before
    return Posted(post, [c.with_id(i) for c, i in zip(contacts, ids, strict=True)], digest)


def _by_key(store: Store, hashed: str) -> Posted | None:
    t = store.tables["contact_posts"]
    q = select(t.c.id, t.c.ids, t.c.digest).where(t.c.key == hashed)
    row = store.read(lambda c: c.execute(q).first(), "reading a contact post")
    if row is None:
        return None
    return Posted(int(row.id), _contacts(store, row.ids), str(row.digest), replayed=True)


def _contacts(store: Store, ids: list[int]) -> list[Contact]:
    got = {s.contact.id: s.contact for s in list_contacts(store, ids=ids, limit=len(ids) + 1)}
    return [got[i] for i in ids if i in got]


def unsent(store: Store, created_before_ms: int, limit: int = 100) -> list[Posted]:
    """Return POSTs not yet sent to the engines stored before a time, oldest first."""
    t = store.tables["contact_posts"]
    q = (
        select(t.c.id, t.c.ids, t.c.digest)
        .where(t.c.sent_at.is_(None), t.c.created_at < created_before_ms)
        .order_by(t.c.id)
        .limit(limit)
    )
    rows = store.read(lambda c: c.execute(q).all(), "reading unsent contacts")
    return [Posted(int(r.id), _contacts(store, r.ids), str(r.digest)) for r in rows]


def mark_sent(store: Store, post: int, now_ms: int) -> None:
    """Record that JetStream took a POST's contacts."""
    t = store.tables["contact_posts"]
    q = update(t).where(t.c.id == post, t.c.sent_at.is_(None)).values(sent_at=now_ms)
    store.write(lambda c: c.execute(q), "recording contacts sent")


def expire(store: Store, now_ms: int) -> int:
    """Remove sent POSTs older than `KEY_WINDOW_MS`; return how many went."""
    t = store.tables["contact_posts"]
    q = delete(t).where(t.c.sent_at.is_not(None), t.c.created_at < now_ms - KEY_WINDOW_MS)
    return int(store.write(lambda c: c.execute(q).rowcount, "expiring contact posts"))
