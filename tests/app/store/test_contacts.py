from __future__ import annotations

from app.store import Store
from app.store.audit import recent
from app.store.contacts import add_contacts, list_contacts, set_fusion
from geo.contacts import Contact, ContactKind

T0 = 1_780_000_000_000


def _contacts() -> list[Contact]:
    return [
        Contact(T0, 33.9, 12.1, ContactKind.AIRCRAFT, 400.0, "Eagle 1", 270.0, 5.5, 11.0, 60,
                0.9, "rubber boat, grey"),
        Contact(T0 + 60_000, 34.2, 12.6, ContactKind.HOTLINE, note="call relayed"),
    ]  # fmt: skip


def test_contacts_round_trip_with_ids_and_one_audit_entry(store: Store) -> None:
    stored = add_contacts(store, _contacts(), actor="officer1", via="csv", now_ms=T0 + 5)
    assert [c.id for c in stored] == [1, 2]
    back = list_contacts(store)
    assert [s.contact for s in back] == stored
    assert back[0].created_by == "officer1" and back[0].created_at == T0 + 5
    assert back[0].mmsi is None and back[0].target is None
    audit = recent(store)
    assert len(audit) == 1
    assert audit[0].action == "contacts.import" and audit[0].actor == "officer1"
    assert audit[0].details == {"count": 2, "via": "csv", "ids": [1, 2]}


def test_contacts_filter_by_time_and_box(store: Store) -> None:
    add_contacts(store, _contacts(), actor="a", via="api", now_ms=T0)
    assert [s.contact.kind for s in list_contacts(store, since_ms=T0 + 1)] == [ContactKind.HOTLINE]
    assert [s.contact.kind for s in list_contacts(store, until_ms=T0)] == [ContactKind.AIRCRAFT]
    box = (12.0, 33.8, 12.2, 34.0)
    assert [s.contact.id for s in list_contacts(store, bbox=box)] == [1]
    assert [s.contact.id for s in list_contacts(store, limit=1)] == [2]  # the newest


def test_fusion_outcome_is_written_back(store: Store) -> None:
    add_contacts(store, _contacts(), actor="a", via="api", now_ms=T0)
    assert set_fusion(store, [(1, 247000001, None), (2, None, 1_000_000_007)]) == 2
    got = {s.contact.id: (s.mmsi, s.target) for s in list_contacts(store)}
    assert got == {1: (247000001, None), 2: (None, 1_000_000_007)}
