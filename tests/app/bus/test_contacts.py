"""Contacts over the bus: from any API node (or ``mare contacts import``) to every partition.

Fusion itself is compared with one process in `tests/app/bus/test_partitions.py`; here the way
there: contacts published on the contacts stream become one ``contacts`` step of ingest on
every partition, and dark targets come back to every API node.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from app.bus import messages
from app.bus.codec import decode_contacts
from app.bus.connect import connect
from app.bus.ingest_worker import BusPublisher
from app.bus.subjects import Layout
from app.cli import cli
from app.cli import contacts as _contacts  # noqa: F401  (registers the command)
from app.live.targets import list_targets
from app.store import open_store
from geo.contacts import CONTACT_FIELDS, Contact, ContactKind
from tests.app.bus.conftest import Deployment
from tests.app.bus.helpers import (
    ingest_publisher,
    one_process_engine,
    publish_capture,
    run_pump,
    wait_for,
)
from tests.app.bus.procs import TOKEN, ApiNode
from tests.app.bus.scenarios import contacts, feed
from tests.app.bus.test_failures import drained, engine_consumers, store_consumers

T0 = 1_780_000_000_000


async def records_of(url: str, layout: Layout) -> dict[int, list[tuple[str, bytes]]]:
    """Every record message by partition: (kind, body)."""
    nc = await connect(url, name="test-read")
    try:
        js = nc.jetstream()
        info = await js.stream_info(layout.records_stream)
        out: dict[int, list[tuple[str, bytes]]] = {}
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(layout.records_stream, seq)
            part = int((msg.subject or "").rsplit(".", 1)[1])
            out.setdefault(part, []).append((messages.kind_of(msg.headers), msg.data or b""))
        return out
    finally:
        await nc.close()


async def pumped(url: str, layout: Layout, n: int) -> BusPublisher:
    """Run ingest's contacts pump until it has given ``n`` contacts to the partitions."""
    async with ingest_publisher(url, layout) as (js, pub):
        await run_pump(js, layout, pub, lambda: pub.stats.contacts + pub.stats.bad_contacts >= n,
                       f"ingest to give {n} contacts to the partitions")  # fmt: skip
        return pub


@pytest.mark.timeout(120)
async def test_imported_contacts_reach_every_partition_as_one_step(
    system_nats: str, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = Layout(prefix, 3)
    db = f"sqlite:///{tmp_path / 'mare.sqlite'}"
    open_store(db, upgrade=True).close()
    rows = [{"time": "2026-06-01T03:10:00Z", "lat": 33.9, "lon": 12.1, "kind": "sar"},
            {"time": "2026-06-01T03:20:00Z", "lat": 34.0, "lon": 12.2, "kind": "hotline",
             "people": 60}]  # fmt: skip
    path = tmp_path / "contacts.json"
    path.write_text(json.dumps(rows))
    monkeypatch.setenv("MARE_BUS_URL", system_nats)
    monkeypatch.setenv("MARE_BUS_PREFIX", prefix)
    monkeypatch.setenv("MARE_BUS_PARTITIONS", "3")
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["contacts", "import", str(path), "--url", db]
    )
    assert result.exit_code == 0, result.output
    assert "sent 2 contacts" in result.output
    nc = await connect(system_nats, name="test")
    try:  # a message that is not contacts: counted, skipped, the next still goes through
        js = nc.jetstream()
        await js.publish(layout.contacts_subject, b"not json")
        late = Contact(T0, 33.5, 12.5, ContactKind.RADAR, source="radar-1")
        await js.publish(layout.contacts_subject, json.dumps([late.to_state()]).encode())
    finally:
        await nc.close()
    pub = await pumped(system_nats, layout, 3)
    assert pub.stats.bad_contacts == 1
    got = await records_of(system_nats, layout)
    assert sorted(got) == [0, 1, 2]
    for part in got.values():  # every partition: the same steps, in the same order
        assert [k for k, _ in part] == ["contacts", "contacts"]
        first, second = (decode_contacts(body) for _, body in part)
        assert [c.kind.value for c in first] == ["sar", "hotline"]
        assert all(c.id is not None for c in first)  # stored first: fusion keys them by id
        assert second == [late]
    assert got[0] == got[1] == got[2]


def targets_of(node: ApiNode) -> list[dict[str, Any]]:
    """A node's dark targets (closed ones too), without what depends on when it is asked."""
    with httpx.Client(base_url=node.base, headers={"Authorization": f"Bearer {TOKEN}"},
                      timeout=60) as c:  # fmt: skip
        r = c.get("/api/v1/targets", params={"closed": "true"})
        r.raise_for_status()
    return [_comparable(t) for t in r.json()]


def _comparable(t: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in t.items() if k != "age_s"}
    out["contacts"] = [{k: v for k, v in c.items() if k != "id"} for c in t["contacts"]]
    return out


def post(node: ApiNode, rows: list[dict[str, Any]]) -> None:
    with httpx.Client(base_url=node.base, headers={"Authorization": f"Bearer {TOKEN}"},
                      timeout=60) as c:  # fmt: skip
        r = c.post("/api/v1/contacts", json=rows)
        assert r.status_code == 202, r.text


def fused_contacts(node: ApiNode) -> list[tuple[int | None, int | None]]:
    """What each stored contact was fused to (vessel, dark target), as a node answers."""
    with httpx.Client(base_url=node.base, headers={"Authorization": f"Bearer {TOKEN}"},
                      timeout=60) as c:  # fmt: skip
        r = c.get("/api/v1/contacts", params={"since": "0"})
        r.raise_for_status()
    return sorted(((x["mmsi"], x["target"]) for x in r.json()), key=str)


@pytest.mark.slow
@pytest.mark.postgis
@pytest.mark.timeout(420)
async def test_contacts_posted_to_any_node_give_every_node_the_dark_targets(
    system_nats: str, prefix: str, deploy: Callable[[Layout], Deployment]
) -> None:
    layout = Layout(prefix, 2)
    capture = feed("smuggling", hours=3.0)
    ref = one_process_engine(capture, True)
    now = ref.now_ms()
    want = [_comparable(t) for t in list_targets(ref.contacts, now, closed=True)]
    assert len({t["number"] % 2 for t in want}) == 2, "dark targets in both partitions"
    rows = [{k: v for k, v in c.to_dict().items() if k in CONTACT_FIELDS}
            for c in contacts(capture)]  # fmt: skip
    deployed = deploy(layout)
    nodes = deployed.nodes

    async def every_node_has_them() -> bool:  # a guard, not a measurement
        got = await asyncio.to_thread(lambda: [targets_of(n) for n in nodes])
        return got == [want, want]

    try:
        half = len(rows) // 2
        await asyncio.to_thread(post, nodes[0], rows[:half])
        await asyncio.to_thread(post, nodes[1], rows[half:])
        await pumped(system_nats, layout, len(rows))  # before the feed, as the reference
        await publish_capture(system_nats, layout, capture)
        await drained(system_nats, layout, engine_consumers(layout) + store_consumers(layout))
        await wait_for(every_node_has_them, 180, "both API nodes to show the dark targets")
        fused = await asyncio.to_thread(fused_contacts, nodes[1])
    finally:
        logs = deployed.stop()
    assert fused == sorted(((o.mmsi, o.target) for o in ref.contacts.outcomes), key=str), logs
