"""Contacts posted to an API node: answered once stored, sent to the bus in the background.

A client is not held up while NATS is away (202), a retry with the same ``Idempotency-Key``
stores nothing twice, and a POST a node did not send is sent by another (the outbox).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.bus.codec import decode_contacts
from app.bus.connect import connect, ensure_layout
from app.bus.contact_outbox import ContactOutbox
from app.bus.subjects import Layout
from app.store import contact_posts, open_store
from geo.contacts import Contact, ContactKind
from tests.app.bus.helpers import NatsServer, wait_for
from tests.app.bus.procs import TOKEN, ApiNode, api_node, worker_env
from tests.app.test_radar_feed import ttm

ROWS = [{"time": "2026-06-01T03:10:00Z", "lat": 33.9, "lon": 12.1, "kind": "sar"},
        {"time": "2026-06-01T03:20:00Z", "lat": 34.0, "lon": 12.2, "kind": "hotline",
         "people": 60}]  # fmt: skip


def post(base: str, key: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": key}
    with httpx.Client(base_url=base, timeout=60, headers=headers) as c:
        return c.post("/api/v1/contacts", json=ROWS)


def rows(db: str, sql: str) -> list[Any]:
    store = open_store(db)
    try:
        return list(store.read(lambda c: c.execute(text(sql)).all()))
    finally:
        store.close()


async def contacts_on_the_bus(url: str, layout: Layout) -> list[list[Contact]]:
    """Every message on the contacts stream, decoded."""
    nc = await connect(url, name="test-read")
    try:
        js = nc.jetstream()
        info = await js.stream_info(layout.contacts_stream)
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            out.append(decode_contacts((await js.get_msg(layout.contacts_stream, seq)).data or b""))
        return out
    finally:
        await nc.close()


def _api_node(
    nats: NatsServer, prefix: str, tmp_path: Path, **env: str
) -> tuple[Layout, str, ApiNode]:
    """An API node on a fresh SQLite database, with two partitions on ``nats``."""
    db = f"sqlite:///{tmp_path / 'mare.sqlite'}"
    open_store(db, upgrade=True).close()
    node = api_node(tmp_path, worker_env(tmp_path, nats.url, prefix, 2, db) | env, "a")
    return Layout(prefix, 2), db, node


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_a_post_is_answered_while_nats_is_away_and_sent_when_it_is_back(
    own_nats: NatsServer, prefix: str, tmp_path: Path
) -> None:
    layout, db, node = _api_node(own_nats, prefix, tmp_path)
    try:
        own_nats.stop()  # JetStream cannot take anything now
        first = await asyncio.to_thread(post, node.base, "k-1")
        assert first.status_code == 202, first.text
        ids = [c["id"] for c in first.json()["contacts"]]
        again = await asyncio.to_thread(post, node.base, "k-1")  # the client saw no answer
        assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
        assert [c["id"] for c in again.json()["contacts"]] == ids
        assert rows(db, "SELECT count(*) FROM contacts") == [(2,)]  # stored once
        assert rows(db, "SELECT sent_at FROM contact_posts") == [(None,)]
        own_nats.start()

        async def sent() -> bool:
            return rows(db, "SELECT count(*) FROM contact_posts WHERE sent_at IS NULL") == [(0,)]

        await wait_for(sent, 120, "the node to send the POST once NATS is back")
        got = await contacts_on_the_bus(own_nats.url, layout)
        assert [[c.id for c in m] for m in got] == [ids]
    finally:
        node.proc.terminate()
        node.proc.wait(30)


@pytest.mark.timeout(120)
async def test_a_post_a_node_did_not_send_is_sent_by_another_once(
    system_nats: str, prefix: str, tmp_path: Path
) -> None:
    layout = Layout(prefix, 2)
    store = open_store(f"sqlite:///{tmp_path / 'mare.sqlite'}", upgrade=True)
    nc = await connect(system_nats, name="test")
    try:
        js = nc.jetstream()
        await ensure_layout(js, layout)
        sightings = [Contact(1_780_000_000_000, 33.5, 12.5, ContactKind.RADAR, source="r1")]
        old = contact_posts.store_post(
            store,
            sightings,
            actor="desk",
            via="api",
            now_ms=1_780_000_000_000,
            digest="d",
            key=None,
            sent=False,
        )  # fmt: skip  (its node died before sending)

        # Two nodes look at once: each reads the POST before either has sent it (without the
        # barrier, the first node's send could be marked before the second one's read).
        both_read = threading.Barrier(2)

        def read_together(before: int) -> list[contact_posts.Posted]:
            posts = contact_posts.unsent(store, before)
            both_read.wait(timeout=30)
            return posts

        def outbox(unsent: Callable[[int], list[contact_posts.Posted]]) -> ContactOutbox:
            return ContactOutbox(js, layout, unsent,
                                 lambda p, at: contact_posts.mark_sent(store, p, at))  # fmt: skip

        a, b = outbox(read_together), outbox(read_together)
        assert list(await asyncio.gather(a.sweep(), b.sweep())) == [1, 1]
        await asyncio.gather(a.sending(), b.sending())
        assert contact_posts.unsent(store, 2**62) == []
        got = await contacts_on_the_bus(system_nats, layout)
        assert [[c.id for c in m] for m in got] == [[c.id for c in old.contacts]]  # once
        assert await outbox(lambda before: contact_posts.unsent(store, before)).sweep() == 0
    finally:
        await nc.close()
        store.close()


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_radar_contacts_stored_on_a_node_reach_the_bus_once_nats_is_back(
    own_nats: NatsServer, prefix: str, tmp_path: Path
) -> None:
    """A radar feed's contacts are kept as a POST until JetStream takes them, as a client's."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    radar = f"udp://127.0.0.1:{port}?name=coast&lat=35.2&lon=12.2&every=30"
    layout, db, node = _api_node(own_nats, prefix, tmp_path, MARE_RADAR_SOURCES=radar)
    try:
        own_nats.stop()
        t0 = int(time.time())
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for k in range(4):  # kept at 0 and 30 s
                s.sendto((ttm(7, t0 + 10 * k) + "\r\n").encode(), ("127.0.0.1", port))

        async def stored() -> bool:
            return rows(db, "SELECT count(*) FROM contacts") == [(2,)]

        await wait_for(stored, 60, "the radar contacts stored")
        assert rows(db, "SELECT created_by, sent_at FROM contact_posts") == [("radar:coast", None)]
        own_nats.start()

        async def sent() -> bool:
            return rows(db, "SELECT count(*) FROM contact_posts WHERE sent_at IS NULL") == [(0,)]

        await wait_for(sent, 120, "the node to send the radar contacts once NATS is back")
        got = await contacts_on_the_bus(own_nats.url, layout)
        ids = [r[0] for r in rows(db, "SELECT id FROM contacts ORDER BY id")]
        assert [[c.id for c in m] for m in got] == [ids]
        assert {c.source for m in got for c in m} == {"coast"}
    finally:
        node.proc.terminate()
        node.proc.wait(30)
