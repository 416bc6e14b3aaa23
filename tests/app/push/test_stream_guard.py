"""A stream's re-check survives a store that cannot be read, and still ends it at expiry."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from app.api.push import stream_auth
from app.api.push.stream_auth import StreamAuth, StreamGuard
from app.identity import Role, User
from app.live.hub import Hub
from app.store.accounts import TokenRow
from app.store.errors import StoreUnavailable
from app.wallclock import utcnow


class OutageRepo:
    """The token store of one user, readable or down as the test says."""

    def __init__(self, expires_in: timedelta) -> None:
        self.down = False
        self.reads = 0
        now = utcnow()
        self.row = TokenRow(1, "ann", "login", "login", None, now, now + expires_in, None)

    def token_by_id(self, token_id: str) -> TokenRow:
        self.reads += 1
        if self.down:
            raise StoreUnavailable("database at sqlite:///x unavailable")
        return self.row


def auth_over(repo: OutageRepo) -> Any:
    def user_of(row: TokenRow) -> User:
        return User(row.username, Role.OFFICER, None, str(row.id))

    return SimpleNamespace(repo=repo, user_of_token=user_of)


async def test_a_store_outage_keeps_streams_checked_and_expiry_still_ends_them(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(stream_auth, "RECHECK_S", 0.05)
    monkeypatch.setattr(stream_auth, "CACHE_S", 0.0)
    repo = OutageRepo(expires_in=timedelta(hours=1))
    hub = Hub()
    sub = hub.subscribe("websocket")
    guard = StreamGuard(StreamAuth(auth_over(repo)), User("ann", Role.OFFICER, None, "1"))
    task = asyncio.create_task(guard.run(sub))
    while repo.reads < 2:  # checked while the store answers
        await asyncio.sleep(0.01)
    # the token is made to expire soon, the guard reads that, then the store goes down
    expiry = utcnow() + timedelta(seconds=1.0)
    repo.row = dataclasses.replace(repo.row, expires_at=expiry)
    seen = repo.reads
    while repo.reads < seen + 1:
        await asyncio.sleep(0.01)
    repo.down = True
    with caplog.at_level(logging.WARNING, logger="app.api.push.stream_auth"):
        seen = repo.reads
        await asyncio.wait_for(task, timeout=30)  # the expiry read before the outage holds
    assert utcnow() >= expiry  # ended at its deadline, not before
    assert repo.reads > seen  # and kept trying the store meanwhile
    assert guard.ended == "the token expired"
    warnings = [r for r in caplog.records if "re-check" in r.getMessage()]
    assert len(warnings) == 1  # one line for the outage, not one per try
    await hub.close()
