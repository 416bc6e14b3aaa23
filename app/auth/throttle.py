"""Brute-force protection of password login: failures counted per username and per client.

A sliding window per key keeps the times of its last ``limit`` failures; while all of them fall
within ``window`` seconds the key is locked, and the answer is 429 with the seconds until the
oldest leaves the window (OWASP's "temporary lockout": 5 failures in 15 min for a username by
default). The per-client limit is higher because many people may share one address (an
operations centre behind NAT) while one address trying many usernames is password spraying.

- An unknown username counts exactly as a known one: a lockout says nothing about who exists.
- A locked attempt is refused before its password is checked, so it teaches the attacker
  nothing and costs no argon2 time; it is not counted again (the lock lasts its window).
- An attempt is counted *before* its password is checked (`begin`) and taken back on success
  (`succeeded`), so a burst of parallel requests cannot slip past the limit between check and
  count.
- Success clears the username's failures, not the client's: an attacker holding one account
  must not be able to launder its address's count by logging in now and then.
- The cost: anyone can lock a username for one window by failing 5 times. That is the usual
  trade (the account's owner waits, or an admin restarts); the window bounds it.

The state is in this process's memory: with several worker processes each counts on its own
(the limits are then per process), and a restart forgets it. Keys are bounded (`MAX_KEYS` per
scope, expired ones swept first, then the least recently failed), so random usernames cannot
exhaust memory. The clock is injected (monotonic seconds) so tests move time without sleeping.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

#: Keys kept per scope before the oldest are forgotten (about 100 bytes each: ~10 MB at most).
MAX_KEYS = 100_000


@dataclass(frozen=True, slots=True)
class Policy:
    """The limits: failures allowed per username and per client within ``window`` seconds."""

    user_failures: int = 5
    client_failures: int = 50
    window: float = 900.0


@dataclass(slots=True)
class _Failures:
    times: deque[float]
    locked: bool = False  # a lockout already reported for the failures now in the window


@dataclass(frozen=True, slots=True)
class Attempt:
    """A counted attempt whose password is being checked (`LoginThrottle.begin`)."""

    username: str
    client: str
    at: float


@dataclass(frozen=True, slots=True)
class Locked:
    """A refusal: which scope is locked (``user`` or ``client``) and for how many seconds."""

    scope: str
    retry_after: int


def client_key(host: str | None) -> str:
    """Return the key of a client address: IPv6 by its /64 (one host gets a whole /64)."""
    if not host:
        return "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


@dataclass
class _Scope:
    """The failures of one scope (usernames, or clients), keyed, least recently failed first."""

    name: str
    limit: int
    keys: OrderedDict[str, _Failures] = field(default_factory=OrderedDict)

    def get(self, key: str, now: float, window: float) -> _Failures | None:
        entry = self.keys.get(key)
        if entry is None:
            return None
        while entry.times and entry.times[0] <= now - window:
            entry.times.popleft()
        if len(entry.times) < self.limit:
            entry.locked = False
        if not entry.times:
            del self.keys[key]
            return None
        return entry

    def retry_after(self, key: str, now: float, window: float) -> int | None:
        entry = self.get(key, now, window)
        if entry is None or len(entry.times) < self.limit:
            return None
        return max(1, math.ceil(entry.times[0] + window - now))

    def add(self, key: str, at: float) -> None:
        entry = self.keys.get(key)
        if entry is None:
            entry = self.keys[key] = _Failures(deque(maxlen=self.limit))
        else:
            self.keys.move_to_end(key)
        entry.times.append(at)

    def discard(self, key: str, at: float) -> None:
        entry = self.keys.get(key)
        if entry is not None and at in entry.times:
            entry.times.remove(at)

    def lock_if_full(self, key: str, now: float, window: float) -> bool:
        """Mark the key locked if its failures reached the limit; True the first time only."""
        entry = self.get(key, now, window)
        if entry is None or entry.locked or len(entry.times) < self.limit:
            return False
        entry.locked = True
        return True

    def sweep(self, now: float, window: float) -> None:
        """Drop expired keys, then the least recently failed down to 90 % of `MAX_KEYS`."""
        for key in list(self.keys):
            self.get(key, now, window)
        while len(self.keys) > MAX_KEYS * 9 // 10:
            self.keys.popitem(last=False)

    def locked_count(self, now: float, window: float) -> int:
        return sum(1 for k in list(self.keys) if self.retry_after(k, now, window) is not None)


class LoginThrottle:
    """Counts login failures per username and per client; thread-safe (logins run in threads).

    Counters for ``/metrics`` (``counts``): attempts by outcome (``ok``, ``failed``,
    ``locked_user``, ``locked_client``) and lockouts by scope (``lockout_user``,
    ``lockout_client``).
    """

    def __init__(
        self, policy: Policy | None = None, *, clock: Callable[[], float] | None = None
    ) -> None:
        self.policy = policy or Policy()
        self.clock: Callable[[], float] = clock or time.monotonic
        self._lock = threading.Lock()
        self._users = _Scope("user", self.policy.user_failures)
        self._clients = _Scope("client", self.policy.client_failures)
        self.counts: dict[str, int] = dict.fromkeys(
            ("ok", "failed", "locked_user", "locked_client", "lockout_user", "lockout_client"), 0
        )

    def begin(self, username: str, client: str) -> Attempt | Locked:
        """Refuse a locked username or client, else count the attempt as a failure for now."""
        window = self.policy.window
        with self._lock:
            now = self.clock()
            if len(self._users.keys) > MAX_KEYS or len(self._clients.keys) > MAX_KEYS:
                self._users.sweep(now, window)
                self._clients.sweep(now, window)
            waits = [
                (wait, scope.name)
                for scope, key in ((self._users, username), (self._clients, client))
                if (wait := scope.retry_after(key, now, window)) is not None
            ]
            if waits:
                wait, scope_name = max(waits)
                self.counts[f"locked_{scope_name}"] += 1
                return Locked(scope_name, wait)
            self._users.add(username, now)
            self._clients.add(client, now)
            return Attempt(username, client, now)

    def failed(self, attempt: Attempt) -> list[str]:
        """Confirm the failure; return the scopes this failure locked (``user``, ``client``)."""
        window = self.policy.window
        with self._lock:
            now = self.clock()
            self.counts["failed"] += 1
            locked = [
                scope.name
                for scope, key in (
                    (self._users, attempt.username),
                    (self._clients, attempt.client),
                )
                if scope.lock_if_full(key, now, window)
            ]
            for name in locked:
                self.counts[f"lockout_{name}"] += 1
            return locked

    def succeeded(self, attempt: Attempt) -> None:
        """Forget the username's failures; take this attempt back from the client's count."""
        with self._lock:
            self.counts["ok"] += 1
            self._users.keys.pop(attempt.username, None)
            self._clients.discard(attempt.client, attempt.at)

    def abandon(self, attempt: Attempt) -> None:
        """Take back an attempt that was not decided (the store failed): it proved nothing."""
        with self._lock:
            self._users.discard(attempt.username, attempt.at)
            self._clients.discard(attempt.client, attempt.at)

    def locked_now(self) -> dict[str, int]:
        """Return how many usernames and clients are locked at this moment."""
        window = self.policy.window
        with self._lock:
            now = self.clock()
            return {
                "user": self._users.locked_count(now, window),
                "client": self._clients.locked_count(now, window),
            }
