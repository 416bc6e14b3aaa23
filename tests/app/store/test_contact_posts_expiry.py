"""A sent contact POST (its idempotency key) is kept a day, then maintenance removes it."""

from __future__ import annotations

from sqlalchemy import func, select

from app.store import Store
from app.store.contact_posts import KEY_WINDOW_MS, store_post
from app.store.contacts import list_contacts
from app.store.maintenance import maintain_exclusive
from geo.contacts import Contact, ContactKind

from .data import T0

HOUR = 3_600_000


def _post(store: Store, key: str, at: int, *, sent: bool) -> int:
    c = Contact(at, 33.9, 12.1, ContactKind.VESSEL, note=key)
    return store_post(store, [c], actor="officer", via="api", now_ms=at, digest=key, key=key,
                      sent=sent).id  # fmt: skip


def test_maintenance_expires_sent_posts_after_a_day_and_keeps_unsent_ones(store: Store) -> None:
    _post(store, "old-sent", T0, sent=True)
    unsent = _post(store, "old-unsent", T0, sent=False)
    _post(store, "recent", T0 + 20 * HOUR, sent=True)
    now = T0 + KEY_WINDOW_MS + HOUR
    done = maintain_exclusive(store, now, retention_days=3650)
    assert done is not None and done["contact_posts_expired"] == 1
    t = store.tables["contact_posts"]
    left = store.read(lambda c: c.execute(select(t.c.id, t.c.digest).order_by(t.c.id)).all())
    assert [r.digest for r in left] == ["old-unsent", "recent"]
    assert left[0].id == unsent
    # the contacts stay; a retry of the expired key now stores a new POST
    assert len(list_contacts(store, limit=10)) == 3
    again = store_post(store, [Contact(now, 33.9, 12.1, ContactKind.VESSEL)], actor="officer",
                       via="api", now_ms=now, digest="x", key="old-sent", sent=True)  # fmt: skip
    assert not again.replayed
    assert store.read(lambda c: c.execute(select(func.count()).select_from(t)).scalar()) == 3
