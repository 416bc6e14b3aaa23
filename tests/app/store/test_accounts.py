from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.passwords import use_fast_hasher
from app.store import Store
from app.store.audit import recent
from app.store.errors import StoreError
from app.store.users import authenticate, create_token, create_user, resolve_token, revoke_token
from app.store.watchlist import WatchEntry, load_watchlist, replace_watchlist

from .data import T0

use_fast_hasher()


def test_tokens_are_stored_hashed_and_honour_expiry_and_revocation(store: Store) -> None:
    user = create_user(store, username="ops", password="pw pw pw", role="officer", now_ms=T0)
    with pytest.raises(StoreError, match="already exists"):
        create_user(store, username="ops", password="x", role="officer", now_ms=T0)
    assert authenticate(store, "ops", "pw pw pw") == user
    assert authenticate(store, "ops", "wrong") is None
    tok = create_token(store, user_id=user.id, name="wall", now_ms=T0, expires_at_ms=T0 + 1000)
    t = store.tables["api_tokens"]
    stored = store.read(lambda c: c.execute(select(t.c.token_hash, t.c.prefix)).one())
    assert tok not in stored.token_hash and tok.startswith(stored.prefix)
    assert resolve_token(store, tok, now_ms=T0 + 1) == user
    assert resolve_token(store, tok, now_ms=T0 + 1000) is None  # expired
    assert resolve_token(store, tok + "x", now_ms=T0) is None
    assert revoke_token(store, tok, now_ms=T0 + 2) is True
    assert resolve_token(store, tok, now_ms=T0 + 3) is None


def test_watchlist_is_replaced_whole_and_audited(store: Store) -> None:
    replace_watchlist(store, [WatchEntry(1, None, "A", None)], actor="ana", now_ms=T0)
    n = replace_watchlist(
        store, [WatchEntry(None, 9000001, "B", "IB"), WatchEntry(2, None, None, None, "x")],
        actor="ana", now_ms=T0 + 1,
    )  # fmt: skip
    assert n == 2
    assert load_watchlist(store) == [
        WatchEntry(None, 9000001, "B", "IB"),
        WatchEntry(2, None, None, None, "x"),
    ]
    assert [(e.actor, e.action, e.details) for e in recent(store, target="watchlist")][0] == (
        "ana", "watchlist.replace", {"entries": 2},
    )  # fmt: skip
