"""Contacts in the store: added in bulk (one transaction, audited), read by time and place.

An import is one transaction with its audit entry: a batch is stored whole or not at all, and
the log says who brought in which ids. What the engine made of a contact (attached to an AIS
vessel, or a dark target) is written back by `set_fusion`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, select, update

from app.store.audit import record
from app.store.store import Store
from geo.contacts import Contact, ContactKind


@dataclass(frozen=True, slots=True)
class StoredContact:
    """A contact as stored: the contact, who entered it and what the engine made of it."""

    contact: Contact
    created_at: int
    created_by: str
    mmsi: int | None
    target: int | None

    def to_dict(self) -> dict[str, Any]:
        from geo.events import format_time

        d = self.contact.to_dict()
        d.update(
            created_at=format_time(self.created_at),
            created_by=self.created_by,
            mmsi=self.mmsi,
            target=self.target,
        )
        return d


def _row_values(c: Contact, actor: str, now_ms: int) -> dict[str, Any]:
    return {
        "time": c.time_ms,
        "lat": c.lat,
        "lon": c.lon,
        "radius_m": c.radius_m,
        "kind": c.kind.value,
        "source": c.source,
        "course": c.course,
        "speed_kn": c.speed_kn,
        "length_m": c.length_m,
        "people": c.people,
        "confidence": c.confidence,
        "note": c.note,
        "ref": c.ref,
        "created_at": now_ms,
        "created_by": actor,
    }


def _from_row(r: Any) -> StoredContact:
    c = Contact(
        time_ms=r.time,
        lat=r.lat,
        lon=r.lon,
        kind=ContactKind(r.kind),
        radius_m=r.radius_m,
        source=r.source,
        course=r.course,
        speed_kn=r.speed_kn,
        length_m=r.length_m,
        people=r.people,
        confidence=r.confidence,
        note=r.note,
        id=r.id,
        ref=r.ref,
    )
    return StoredContact(c, r.created_at, r.created_by, r.mmsi, r.target)


def add_contacts(
    store: Store,
    contacts: Sequence[Contact],
    *,
    actor: str,
    via: str,
    now_ms: int,
    audit: bool = True,
) -> list[Contact]:
    """Store contacts in one transaction with one audit entry; return them with their ids.

    ``via`` says how they came (``csv``, ``geojson``, ``api``, ``dashboard``, ``radar``...);
    a live radar feed passes ``audit=False``, its source being a machine whose every update
    would otherwise be an audit line (the feed itself is configured, and so on record).
    """
    if not contacts:
        return []

    def run(conn: Connection) -> list[int]:
        return insert_contacts(conn, store, contacts, actor=actor, via=via, now_ms=now_ms,
                               audit=audit)  # fmt: skip

    ids = store.write(run, "storing contacts")
    return [c.with_id(i) for c, i in zip(contacts, ids, strict=True)]


def insert_contacts(
    conn: Connection,
    store: Store,
    contacts: Sequence[Contact],
    *,
    actor: str,
    via: str,
    now_ms: int,
    audit: bool = True,
) -> list[int]:
    """Insert contacts (and their audit entry) in the caller's transaction; return their ids."""
    t = store.tables["contacts"]
    ids: list[int] = []
    for c in contacts:  # one by one for the ids on both backends (imports are small)
        row = _row_values(c, actor, now_ms)
        ids.append(int(conn.execute(t.insert().values(**row).returning(t.c.id)).scalar_one()))
    if audit and ids:
        record(conn, store, actor=actor, action="contacts.import",
               target=f"contacts:{ids[0]}-{ids[-1]}",
               details={"count": len(ids), "via": via, "ids": ids[:1000]},
               now_ms=now_ms)  # fmt: skip
    return ids


def list_contacts(
    store: Store,
    *,
    since_ms: int | None = None,
    until_ms: int | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    ids: Iterable[int] | None = None,
    limit: int = 10_000,
) -> list[StoredContact]:
    """Return contacts in a time window and box, oldest first (at most ``limit``, the newest)."""
    t = store.tables["contacts"]
    conds: list[Any] = []
    if since_ms is not None:
        conds.append(t.c.time >= since_ms)
    if until_ms is not None:
        conds.append(t.c.time <= until_ms)
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        conds += [t.c.lon >= minx, t.c.lon <= maxx, t.c.lat >= miny, t.c.lat <= maxy]
    if ids is not None:
        conds.append(t.c.id.in_(list(ids)))
    cols = [c for c in t.c if c.name != "geom"]
    q = select(*cols).where(and_(True, *conds)).order_by(t.c.time.desc(), t.c.id.desc())
    q = q.limit(limit)
    rows = store.read(lambda c: c.execute(q).all(), "reading contacts")
    return [_from_row(r) for r in reversed(rows)]


def set_fusion(store: Store, outcomes: Sequence[tuple[int, int | None, int | None]]) -> int:
    """Record what the engine made of stored contacts: ``(id, mmsi, target)``; return rows."""
    t = store.tables["contacts"]
    if not outcomes:
        return 0

    def run(conn: Connection) -> int:
        n = 0
        for cid, mmsi, target in outcomes:
            res = conn.execute(update(t).where(t.c.id == cid).values(mmsi=mmsi, target=target))
            n += res.rowcount or 0
        return n

    return int(store.write(run, "recording contact fusion"))


class ContactsRepo:
    """Contacts as part of `Repo` (the pipeline's sink records fusion outcomes through it)."""

    store: Store

    def set_contact_fusion(self, outcomes: list[tuple[int, int | None, int | None]]) -> int:
        return set_fusion(self.store, outcomes)

    def unfused_contacts(self, since_ms: int) -> list[Contact]:
        """Return contacts since ``since_ms`` the engine has not fused yet (oldest first)."""
        t = self.store.tables["contacts"]
        cols = [c for c in t.c if c.name != "geom"]
        q = (
            select(*cols)
            .where(t.c.time >= since_ms, t.c.mmsi.is_(None), t.c.target.is_(None))
            .order_by(t.c.time, t.c.id)
        )
        rows = self.store.read(lambda c: c.execute(q).all(), "reading contacts")
        return [_from_row(r).contact for r in rows]
