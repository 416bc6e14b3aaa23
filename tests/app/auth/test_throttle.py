"""The login throttle on its own: sliding window, reservations, client keys, bounded memory."""

from __future__ import annotations

import pytest

from app.auth import throttle as throttle_module
from app.auth.throttle import Attempt, Locked, LoginThrottle, Policy, client_key


class Clock:
    """A clock the test moves by hand (monotonic seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(t: LoginThrottle, user: str, client: str = "10.0.0.1") -> list[str]:
    attempt = t.begin(user, client)
    assert isinstance(attempt, Attempt), attempt
    return t.failed(attempt)


def test_the_fifth_failure_locks_the_user_until_the_oldest_leaves_the_window() -> None:
    clock = Clock()
    t = LoginThrottle(Policy(user_failures=5, client_failures=50, window=900), clock=clock)
    for _ in range(4):
        assert fail(t, "ann") == []
        clock.now += 60  # failures at 0, 60, 120, 180, 240
    assert fail(t, "ann") == ["user"]
    clock.now += 1
    assert t.begin("ann", "10.0.0.1") == Locked("user", 900 - 241)
    clock.now = 1000.0 + 900  # the first failure leaves the window: one more try
    assert isinstance(t.begin("ann", "10.0.0.1"), Attempt)
    assert t.begin("ann", "10.0.0.1") == Locked("user", 60)  # that try refilled the window
    assert t.counts["lockout_user"] == 1 and t.counts["locked_user"] == 2


def test_a_refused_attempt_does_not_extend_the_lock() -> None:
    clock = Clock()
    t = LoginThrottle(Policy(user_failures=2, client_failures=50, window=100), clock=clock)
    fail(t, "ann")
    fail(t, "ann")
    for _ in range(10):
        clock.now += 9
        assert isinstance(t.begin("ann", "10.0.0.1"), Locked)
    clock.now = 1100.0
    assert isinstance(t.begin("ann", "10.0.0.1"), Attempt)


def test_parallel_attempts_are_counted_before_their_passwords_are_checked() -> None:
    t = LoginThrottle(Policy(user_failures=3, client_failures=50, window=100), clock=Clock())
    pending = [t.begin("ann", f"10.0.0.{i}") for i in range(3)]
    assert all(isinstance(a, Attempt) for a in pending)
    assert isinstance(t.begin("ann", "10.0.0.9"), Locked)  # none of the three is decided yet


def test_success_clears_the_user_but_not_the_client() -> None:
    t = LoginThrottle(Policy(user_failures=3, client_failures=4, window=100), clock=Clock())
    fail(t, "ann")
    fail(t, "ann")
    ok = t.begin("ann", "10.0.0.1")
    assert isinstance(ok, Attempt)
    t.succeeded(ok)
    assert fail(t, "ann") == []  # two failures were forgotten
    assert fail(t, "bob") == ["client"]  # but the client kept them: 4 in the window
    assert t.begin("carol", "10.0.0.1") == Locked("client", 100)
    assert isinstance(t.begin("carol", "10.0.0.2"), Attempt)


def test_an_undecided_attempt_is_taken_back() -> None:
    t = LoginThrottle(Policy(user_failures=1, client_failures=1, window=100), clock=Clock())
    attempt = t.begin("ann", "10.0.0.1")
    assert isinstance(attempt, Attempt)
    t.abandon(attempt)  # e.g. the database was down
    assert isinstance(t.begin("ann", "10.0.0.1"), Attempt)


def test_locked_now_counts_each_scope() -> None:
    clock = Clock()
    t = LoginThrottle(Policy(user_failures=1, client_failures=2, window=100), clock=clock)
    fail(t, "ann")
    fail(t, "bob")
    assert t.locked_now() == {"user": 2, "client": 1}
    clock.now += 100
    assert t.locked_now() == {"user": 0, "client": 0}


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        (None, "unknown"),
        ("testclient", "testclient"),
    ],
)
def test_client_keys_group_an_ipv6_64(host: str | None, key: str) -> None:
    assert client_key(host) == key


def test_random_usernames_cannot_grow_the_state_without_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(throttle_module, "MAX_KEYS", 20)
    t = LoginThrottle(Policy(user_failures=5, client_failures=10**6, window=100), clock=Clock())
    for i in range(200):
        fail(t, f"user{i}")
    assert len(t._users.keys) <= 21
