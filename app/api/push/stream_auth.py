"""Open streams keep checking who they serve: a dead token ends them, a new scope applies.

WebSocket and SSE streams authenticate once, at connect; a connection can then live for days.
Without a re-check a revoked or expired token, a removed user, or a liaison moved to other
zones would go on receiving what it was allowed at connect. Each stream runs a `StreamGuard`
that re-reads its token and user:

- every `RECHECK_S`, so a change made by another process (the ``mare`` CLI) lands within that;
- at the token's expiry, so an expiring token stops at its deadline, not up to a period later;
- at once when this process revokes a token or changes a user (`Services.identities_changed`, called
  by those routes).

Reads are cached per token for `CACHE_S` (and the cache is dropped on a change), so many
streams on one token cost one query per period. A stream whose identity is gone has its hub
subscription closed (the stream's own loop then ends it: WebSocket close code 4401, SSE end of
stream); a liaison whose zones changed gets the new alert filter at once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.auth.scope import Scope
from app.identity import User
from app.live.hub import AlertFilter, Subscription
from app.wallclock import utcnow

log = logging.getLogger("app.api.push.stream_auth")

#: Longest time between two checks of one stream (seconds).
RECHECK_S = 5.0
#: How long one read of a token serves every stream on it (seconds).
CACHE_S = 2.0


def alert_filter_for(user: User) -> AlertFilter | None:
    """Return the hub filter of the alerts ``user`` may see (None: all of them)."""
    return Scope.of(user).alert_filter()


@dataclass(frozen=True, slots=True)
class Standing:
    """What the store says of a stream's identity when last read."""

    #: The identity as it is now (role and zones re-read); None when it is no longer valid.
    user: User | None
    expires: datetime | None = None
    reason: str = ""

    def problem(self, now: datetime) -> str | None:
        """Return why the identity is no longer valid at ``now``, None while it is."""
        if self.user is None:
            return self.reason
        if self.expires is not None and self.expires <= now:
            return "the token expired"
        return None


class StreamAuth:
    """The process's re-checks of open streams (one per app, see `stream_auth`)."""

    def __init__(self, auth: Any) -> None:
        self._auth = auth  # app.auth.service.AuthService
        self._lock = threading.Lock()
        self._cache: dict[tuple[str | None, str], tuple[float, Standing]] = {}
        self._generation = 0
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    @property
    def generation(self) -> int:
        """Bumped by every `changed`; a waiter that saw an older one returns at once."""
        return self._generation

    def lookup(self, user: User) -> Standing:
        """Return the current standing of a stream's identity (blocking: call in a thread)."""
        key = (user.token_id, user.username)
        now = time.monotonic()
        with self._lock:
            generation = self._generation
            got = self._cache.get(key)
        if got is not None and now - got[0] < CACHE_S:
            return got[1]
        standing = self._read(user)
        with self._lock:
            if self._generation == generation:  # not read across a change: may be kept
                self._cache[key] = (now, standing)
        return standing

    def _read(self, user: User) -> Standing:
        repo = self._auth.repo
        if user.token_id is None:  # an identity without a token (a ticket issued in-process)
            current = repo.get_user(user.username)
            if current is None:
                return Standing(None, reason="the user was removed")
            return Standing(current)
        row = repo.token_by_id(user.token_id)
        if row is None or row.revoked_at is not None:
            return Standing(None, reason="the token was revoked")
        # the same resolution of role and zones as at connect (token role over user role)
        fresh: User | None = self._auth.user_of_token(row)
        if fresh is None:
            return Standing(None, reason="the user was removed")
        return Standing(fresh, row.expires_at)

    def changed(self) -> None:
        """Tell every open stream to re-check now (a token revoked, a user changed)."""
        with self._lock:
            self._generation += 1
            self._cache.clear()
            waiters = list(self._waiters)
        for loop, event in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    async def wait_change(self, seen: int, timeout: float) -> None:
        """Return after ``timeout`` or at the first `changed` after generation ``seen``."""
        event = asyncio.Event()
        waiter = (asyncio.get_running_loop(), event)
        with self._lock:
            if self._generation != seen:
                return
            self._waiters.add(waiter)
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                self._waiters.discard(waiter)


class StreamGuard:
    """Watches one stream's identity; see the module docstring."""

    def __init__(
        self,
        streams: StreamAuth,
        user: User,
        on_scope: Callable[[User], Awaitable[None]] | None = None,
    ) -> None:
        self.streams = streams
        self.user = user
        self.on_scope = on_scope
        #: Why the stream was ended (None while it runs).
        self.ended: str | None = None

    async def run(self, sub: Subscription) -> None:
        """Re-check until the identity is no longer valid, then close ``sub`` and return."""
        expires = None  # the last expiry read: enforced even while the store cannot be read
        failing = False
        while True:
            seen = self.streams.generation
            try:
                standing = await asyncio.to_thread(self.streams.lookup, self.user)
            except Exception as exc:  # the store is down: keep the stream, re-check later
                if not failing:
                    log.warning(
                        "stream re-check of %s failed, retrying: %s", self.user.username, exc
                    )
                failing = True
                now = utcnow()
                if expires is not None and expires <= now:
                    self.ended = "the token expired"
                    sub.close()
                    return
                wait = RECHECK_S if expires is None else (expires - now).total_seconds()
                await self.streams.wait_change(seen, max(min(wait, RECHECK_S), 0.0))
                continue
            if failing:
                log.info("stream re-check of %s works again", self.user.username)
                failing = False
            expires = standing.expires
            now = utcnow()
            problem = standing.problem(now)
            if problem is not None:
                self.ended = problem
                sub.close()
                return
            fresh = standing.user
            assert fresh is not None
            if Scope.of(fresh) != Scope.of(self.user) or fresh.role is not self.user.role:
                self.user = fresh
                sub.alert_filter = alert_filter_for(fresh)
                if self.on_scope is not None:
                    await self.on_scope(fresh)
            timeout = RECHECK_S
            if standing.expires is not None:
                timeout = min(timeout, (standing.expires - now).total_seconds())
            await self.streams.wait_change(seen, max(timeout, 0.0))
