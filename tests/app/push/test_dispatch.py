from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.api.push.dispatch import WebhookDispatcher, matches, owner_scope
from app.api.push.signing import Allowlist, sign, verify
from app.live.hub import Hub
from app.store import webhooks as table
from app.store.engine import make_engine
from app.store.migrate import upgrade
from app.store.schema import tables
from tests.app.push.servers import Receiver, serve

SECRET = "s3cret-for-tests-only"
ALERT = {
    "id": 7,
    "kind": "zone_entry",
    "mmsi": 247123456,
    "zone": "lampedusa_ts",
    "severity": "high",
    "start": "2026-06-01T03:10:00Z",
}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'hooks.sqlite'}")
    upgrade(engine)
    users = tables(postgis=False)["users"]
    with engine.begin() as conn:  # the subscriptions' owner: a subscription delivers its scope
        conn.execute(
            users.insert().values(
                username="liaison1",
                password_hash="x",
                role="liaison",
                disabled=False,
                created_at=0,
                zones=["lampedusa_ts", "malta_ts"],
            )
        )
    yield engine
    engine.dispose()


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, int]]:
    rec = Receiver()
    with serve(rec) as port:
        yield rec, port


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    h = Hub()
    yield h
    await h.close()


def subscribe(db: sa.Engine, url: str, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"zones": None, "kinds": None, "min_severity": None}
    args.update(kw)
    return table.create_subscription(
        db, name="coastguard", url=url, secret=SECRET, owner="liaison1", **args
    )


async def until(cond: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not cond():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def test_alert_is_posted_with_a_signature_the_receiver_can_check(
    db: sa.Engine, receiver: tuple[Receiver, int], hub: Hub
) -> None:
    rec, port = receiver
    url = f"http://127.0.0.1:{port}/hooks/mare"
    subscribe(db, url)
    disp = WebhookDispatcher(hub, db, Allowlist(f"http://127.0.0.1:{port}/hooks"))
    await disp.start()
    try:
        hub.publish_alert(ALERT)
        await until(lambda: len(rec.got) == 1)
        await until(lambda: disp.counts["ok"] == 1)
    finally:
        await disp.stop()
    got = rec.got[0]
    assert got.path == "/hooks/mare"
    expected = "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-mare-signature"] == expected
    body = json.loads(got.body)
    assert body["alert"] == ALERT and body["event"] == "alert"
    assert body["id"] == got.headers["x-mare-delivery"]
    assert str(body["timestamp"]) == got.headers["x-mare-timestamp"]
    assert verify(SECRET, got.body, expected, now=time.time())
    assert not verify("other secret", got.body, expected, now=time.time())
    assert not verify(SECRET, got.body, expected, now=time.time() + 3600)
    log = table.list_deliveries(db, 1, 10)
    assert [(d["attempt"], d["ok"], d["status_code"], d["alert_id"]) for d in log] == [
        (1, True, 200, 7)
    ]


async def test_server_errors_are_retried_with_backoff_and_every_attempt_logged(
    db: sa.Engine, receiver: tuple[Receiver, int], hub: Hub
) -> None:
    rec, port = receiver
    rec.script = [503, 500, 204]
    sub = subscribe(db, f"http://127.0.0.1:{port}/")
    disp = WebhookDispatcher(hub, db, Allowlist(f"http://127.0.0.1:{port}"), base_delay=0.02)
    await disp.start()
    try:
        hub.publish_alert(ALERT)
        await until(lambda: disp.counts["ok"] == 1)
    finally:
        await disp.stop()
    assert len(rec.got) == 3
    assert len({r.headers["x-mare-delivery"] for r in rec.got}) == 1
    for r in rec.got:
        assert r.headers["x-mare-signature"] == sign(SECRET, r.body)
    log = table.list_deliveries(db, sub["id"], 10)
    assert [(d["attempt"], d["ok"], d["status_code"]) for d in reversed(log)] == [
        (1, False, 503),
        (2, False, 500),
        (3, True, 204),
    ]
    assert disp.counts["retried"] == 2


async def test_client_error_gives_up_after_one_attempt(
    db: sa.Engine, receiver: tuple[Receiver, int], hub: Hub
) -> None:
    rec, port = receiver
    rec.script = [400]
    subscribe(db, f"http://127.0.0.1:{port}/")
    disp = WebhookDispatcher(hub, db, Allowlist(f"http://127.0.0.1:{port}"), base_delay=0.01)
    await disp.start()
    try:
        hub.publish_alert(ALERT)
        await until(lambda: disp.counts["gave_up"] == 1)
    finally:
        await disp.stop()
    assert len(rec.got) == 1


async def test_unreachable_receiver_is_retried_until_the_limit(db: sa.Engine, hub: Hub) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    sub = subscribe(db, f"http://127.0.0.1:{port}/")
    disp = WebhookDispatcher(
        hub, db, Allowlist(f"http://127.0.0.1:{port}"), base_delay=0.01, max_attempts=3
    )
    await disp.start()
    try:
        hub.publish_alert(ALERT)
        await until(lambda: disp.counts["gave_up"] == 1)
    finally:
        await disp.stop()
    log = table.list_deliveries(db, sub["id"], 10)
    assert [d["attempt"] for d in reversed(log)] == [1, 2, 3]
    assert all(d["status_code"] is None and d["error"] for d in log)


async def test_target_outside_the_allowlist_is_never_contacted(
    db: sa.Engine, receiver: tuple[Receiver, int], hub: Hub
) -> None:
    rec, port = receiver
    sub = subscribe(db, f"http://127.0.0.1:{port}/elsewhere")
    disp = WebhookDispatcher(hub, db, Allowlist(f"http://127.0.0.1:{port}/hooks"))
    await disp.start()
    try:
        hub.publish_alert(ALERT)
        await until(lambda: disp.counts["gave_up"] == 1)
    finally:
        await disp.stop()
    assert rec.got == []
    (entry,) = table.list_deliveries(db, sub["id"], 10)
    assert "ALLOWLIST" in entry["error"]


async def test_redirects_are_not_followed(
    db: sa.Engine, receiver: tuple[Receiver, int], hub: Hub
) -> None:
    rec, port = receiver
    # a reachable place outside the allowed path: a client that followed would land there
    rec.redirect_to = f"http://127.0.0.1:{port}/private/meta-data"
    sub = subscribe(db, f"http://127.0.0.1:{port}/hooks/mare")
    disp = WebhookDispatcher(
        hub, db, Allowlist(f"http://127.0.0.1:{port}/hooks"), base_delay=0.01, max_attempts=2
    )
    await disp.start()
    try:
        hub.publish_alert(ALERT)
        await until(lambda: disp.counts["gave_up"] == 1)
    finally:
        await disp.stop()
    assert [r.path for r in rec.got] == ["/hooks/mare", "/hooks/mare"]
    assert {d["status_code"] for d in table.list_deliveries(db, sub["id"], 10)} == {307}


@pytest.mark.parametrize(
    "url",
    [
        "/hooks/../latest/meta-data/iam",
        "/hooks/%2e%2e/latest",
        "/hooks/%2E%2E%2Flatest",
        "/hooks/..%5Clatest",
        "/hooks/./../x",
    ],
)
def test_dot_segments_cannot_climb_out_of_an_allowed_path(url: str) -> None:
    allow = Allowlist("http://127.0.0.1:8259/hooks")
    assert allow.allows("http://127.0.0.1:8259/hooks/mare")
    assert not allow.allows("http://127.0.0.1:8259" + url)


def test_a_failed_statement_does_not_carry_the_webhook_secret(db: sa.Engine) -> None:
    secret = "do-not-log-me-" + "z" * 20
    subscribe(db, "http://127.0.0.1:1/a")
    with pytest.raises(sa.exc.StatementError) as caught:  # the id is taken: IntegrityError
        with db.begin() as conn:
            t = sa.table("webhook_subscriptions", sa.column("id"), sa.column("secret"))
            conn.execute(t.insert().values(id=1, secret=secret))
    assert secret not in str(caught.value)


async def test_only_matching_subscriptions_receive(
    db: sa.Engine, receiver: tuple[Receiver, int], hub: Hub
) -> None:
    rec, port = receiver
    base = f"http://127.0.0.1:{port}"
    subscribe(db, f"{base}/zone", zones=["other_zone"])
    subscribe(db, f"{base}/kind", kinds=["zone_entry"])
    disp = WebhookDispatcher(hub, db, Allowlist(base))
    await disp.start()
    try:
        hub.publish_alert(ALERT)
        hub.publish_alert({**ALERT, "kind": "zone_exit"})
        await until(lambda: disp.counts["ok"] == 1)
        await asyncio.sleep(0.1)
    finally:
        await disp.stop()
    assert [r.path for r in rec.got] == ["/kind"]


def test_matches_by_zone_kind_and_minimum_severity() -> None:
    sub: dict[str, Any] = {
        "active": True,
        "zones": ["a"],
        "kinds": None,
        "min_severity": "medium",
        "owner_scope": owner_scope(("officer", None, False)),
    }
    assert matches(sub, {"zone": "a", "kind": "zone_entry", "severity": "high"})
    assert not matches(sub, {"zone": "a", "kind": "zone_entry", "severity": "low"})
    assert not matches(sub, {"zone": "b", "kind": "zone_entry", "severity": "high"})
    assert not matches({**sub, "active": False}, {"zone": "a", "severity": "high"})


def test_a_subscription_delivers_only_what_its_owner_may_see_now() -> None:
    sub: dict[str, Any] = {"active": True, "zones": None, "kinds": None, "min_severity": None}
    alert = {"zone": "a", "kind": "zone_entry", "severity": "high"}
    assert matches({**sub, "owner_scope": owner_scope(("liaison", ["a"], False))}, alert)
    # moved to other zones, disabled, or gone: the old subscription stops delivering
    assert not matches({**sub, "owner_scope": owner_scope(("liaison", ["b"], False))}, alert)
    assert not matches({**sub, "owner_scope": owner_scope(("liaison", ["a"], True))}, alert)
    assert not matches({**sub, "owner_scope": owner_scope(None)}, alert)


def test_allowlist_matches_scheme_host_port_and_path_segments() -> None:
    allow = Allowlist("https://hooks.example.org/mare, http://10.0.0.5:8080")
    assert allow.allows("https://hooks.example.org/mare")
    assert allow.allows("https://HOOKS.example.org:443/mare/in")
    assert not allow.allows("https://hooks.example.org/marex")
    assert not allow.allows("http://hooks.example.org/mare")
    assert not allow.allows("https://hooks.example.org.evil.net/mare")
    assert not allow.allows("https://user:pw@hooks.example.org/mare")
    assert allow.allows("http://10.0.0.5:8080/anything")
    assert not allow.allows("http://10.0.0.5/anything")
    assert not allow.allows("ftp://10.0.0.5:8080/")
    assert not Allowlist("")
    assert not Allowlist("").allows("http://10.0.0.5:8080/")


async def test_a_failing_target_gets_one_request_at_a_time_per_subscription_in_order(
    db: sa.Engine, receiver: tuple[Receiver, int], hub: Hub
) -> None:
    rec, port = receiver
    rec.script = [500]  # down for good
    rec.delay = 0.05
    subs = [subscribe(db, f"http://127.0.0.1:{port}/hooks/{i}") for i in range(9)]
    disp = WebhookDispatcher(
        hub, db, Allowlist(f"http://127.0.0.1:{port}/hooks"), base_delay=0.01, max_attempts=2
    )
    await disp.start()
    try:
        for n in range(20):
            hub.publish_alert({**ALERT, "id": 100 + n})
        await until(lambda: disp.counts["gave_up"] == 9 * 20, 60)
    finally:
        await disp.stop()
    # 180 deliveries of 2 attempts each, yet never more requests at once than subscriptions
    assert len(rec.got) == 9 * 20 * 2
    assert rec.most_in_flight <= len(subs)
    for i in range(9):  # each subscription's alerts in the order they were published
        seqs = [json.loads(r.body)["alert"]["id"] for r in rec.got if r.path == f"/hooks/{i}"]
        assert seqs == sorted(seqs)


async def test_a_deleted_subscription_gets_no_more_retries(
    db: sa.Engine, receiver: tuple[Receiver, int], hub: Hub
) -> None:
    rec, port = receiver
    rec.script = [500]
    sub = subscribe(db, f"http://127.0.0.1:{port}/hooks/a")
    disp = WebhookDispatcher(
        hub, db, Allowlist(f"http://127.0.0.1:{port}/hooks"), base_delay=0.05, max_attempts=50
    )
    await disp.start()
    try:
        for n in range(5):
            hub.publish_alert({**ALERT, "id": 200 + n})
        await until(lambda: len(rec.got) >= 2)
        table.delete_subscription(db, sub["id"])
        disp.forget(sub["id"])
        assert disp.pending == 0
        seen = len(rec.got)
        await asyncio.sleep(1.0)  # twenty retry periods: a retry that was still due would show
        assert len(rec.got) <= seen + 1  # at most the attempt already on the wire
    finally:
        await disp.stop()


def test_a_liaisons_webhook_is_narrowed_by_the_rules_that_apply_to_its_owner() -> None:
    from geo.alert_rules import parse_rules

    rules = parse_rules(
        {"rules": [], "narrow": [{"id": "high", "applies_to": {"roles": ["liaison"]},
                                  "keep": {"min_severity": "high"}}]}
    )  # fmt: skip
    narrow = rules.narrowings_for("liaison1", "liaison")
    sub: dict[str, Any] = {"active": True, "zones": None, "kinds": None, "min_severity": None}
    sub["owner_scope"] = owner_scope(("liaison", ["a"], False), narrow)
    assert matches(sub, {"zone": "a", "kind": "zone_entry", "severity": "high"})
    assert not matches(sub, {"zone": "a", "kind": "zone_entry", "severity": "medium"})
    # and never widens: still only its zone
    assert not matches(sub, {"zone": "b", "kind": "zone_entry", "severity": "critical"})
