"""New alert rules reach running engine workers through the record stream, on real NATS."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from nats.js import JetStreamContext
from nats.js.kv import KeyValue

from app.bus import messages, snapshots
from app.bus.codec import decode_events, triaged_to_state
from app.bus.connect import connect, ensure_layout
from app.bus.engine_worker import PartitionWorker, run_engines
from app.bus.ingest_worker import BusPublisher
from app.bus.rules_update import decode_rules, publish_rules
from app.bus.subjects import Layout
from tests.app.bus.helpers import (
    decode_file,
    engines_caught_up,
    expected,
    factory,
    run_pump,
    wait_for,
)
from tests.app.bus.procs import TOKEN, ApiNode, api_node, worker_env
from tests.app.bus.scenarios import feed

#: Rules under which nothing is an alert: every event after them must say so.
QUIET = {"rules": [{"id": "nothing-alerts", "when": {}, "then": "event"}]}


async def _drain(js: JetStreamContext, kv: KeyValue, layout: Layout) -> list[PartitionWorker]:
    """Run one worker over every partition until it has taken in every record message."""
    stop = asyncio.Event()
    got: list[PartitionWorker] = []

    async def work() -> None:
        got.extend(await run_engines(js, kv, layout, range(layout.partitions), factory(), stop,
                                     snapshot_seconds=3600))  # fmt: skip

    task = asyncio.create_task(work())

    await wait_for(lambda: engines_caught_up(js, layout), 90, "every partition to take in records")
    stop.set()
    await task
    return got


async def _rules_seq(js: JetStreamContext, layout: Layout) -> dict[int, int]:
    """The stream sequence of each partition's rules message."""
    info = await js.stream_info(layout.records_stream)
    out: dict[int, int] = {}
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(layout.records_stream, seq)
        if messages.kind_of(msg.headers) == "rules":
            out[int((msg.subject or "").rsplit(".", 1)[1])] = seq
    return out


async def _published(js: JetStreamContext, layout: Layout) -> list[tuple[int, int, dict[str, Any]]]:
    """Every event published: (partition, the record message it came from, the event)."""
    info = await js.stream_info(layout.events_stream)
    out = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(layout.events_stream, seq)
        part = int((msg.subject or "").rsplit(".", 1)[1])
        source = int((msg.headers or {})[messages.SOURCE_SEQ])
        out += [(part, source, triaged_to_state(t)) for t in decode_events(msg.data or b"")]
    return out


@pytest.mark.timeout(240)
async def test_rules_saved_mid_feed_decide_from_their_message_on_also_after_restart(
    system_nats: str, prefix: str
) -> None:
    layout = Layout(prefix, 2)
    capture = feed("smuggling")
    batches = decode_file(capture)
    half = len(batches) // 2
    nc = await connect(system_nats, name="test")
    try:
        js = nc.jetstream()
        kv = await ensure_layout(js, layout)
        pub = BusPublisher(js, layout)
        for b in batches[:half]:
            await pub.batch(b)
        await publish_rules(js, layout, QUIET)  # as an API node does; ingest gives it
        await run_pump(js, layout, pub, lambda: pub.stats.rule_changes == 1, "ingest's rules")
        first = await _drain(js, kv, layout)
        assert [w.stats.rule_changes for w in first] == [1, 1]
        snap = await snapshots.load(kv, 0)
        assert snap is not None and snap.rules == QUIET  # the rules go with the snapshot
        # a new worker (its factory has every-event rules) takes over from the snapshot
        for b in batches[half:]:
            await pub.batch(b)
        await pub.flush()
        second = await _drain(js, kv, layout)
        assert [w.stats.rule_changes for w in second] == [0, 0]
        at = await _rules_seq(js, layout)
        got = await _published(js, layout)
    finally:
        await nc.close()
    before = [e for p, src, e in got if src < at[p]]
    after = [e for p, src, e in got if src > at[p]]
    assert before and after
    assert all(e["alert"] for e in before)  # the factory's rules: every event
    assert not any(e["alert"] for e in after)
    # the events themselves are those of one process: rules decide, they do not detect
    counts = Counter(p for p, _, _ in got)
    assert counts == {p: len(v) for p, v in expected(capture, 2).items()}


async def _steps(js: JetStreamContext, layout: Layout) -> dict[int, list[tuple[str, str]]]:
    """Every partition's record messages: (kind, ingest's step)."""
    info = await js.stream_info(layout.records_stream)
    out: dict[int, list[tuple[str, str]]] = {}
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(layout.records_stream, seq)
        part = int((msg.subject or "").rsplit(".", 1)[1])
        kind = messages.kind_of(msg.headers)
        out.setdefault(part, []).append((kind, (msg.headers or {}).get(messages.STEP, "")))
    return out


def _get_rules(node: ApiNode) -> dict[str, Any]:
    with httpx.Client(base_url=node.base, timeout=60,
                      headers={"Authorization": f"Bearer {TOKEN}"}) as c:  # fmt: skip
        r = c.get("/api/v1/alert-rules")
        r.raise_for_status()
        return dict(r.json())


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_rules_saved_on_an_api_node_reach_every_node_and_partition_at_one_step(
    system_nats: str, prefix: str, tmp_path: Path
) -> None:
    layout = Layout(prefix, 2)
    env = worker_env(tmp_path, system_nats, prefix, 2, f"sqlite:///{tmp_path / 'mare.sqlite'}")
    a = await asyncio.to_thread(api_node, tmp_path, env, "a")
    b = await asyncio.to_thread(api_node, tmp_path, env, "b")
    nc = await connect(system_nats, name="test")
    try:
        assert await asyncio.to_thread(_get_rules, b) != QUIET
        js = nc.jetstream()
        pub = BusPublisher(js, layout)
        batches = decode_file(feed("smuggling"))
        for batch in batches[:3]:
            await pub.batch(batch)
        async with httpx.AsyncClient(base_url=a.base, timeout=60) as c:
            r = await c.put(
                "/api/v1/alert-rules", json=QUIET, headers={"Authorization": f"Bearer {TOKEN}"}
            )
        assert r.status_code == 200, r.text

        async def b_has_them() -> bool:
            return await asyncio.to_thread(_get_rules, b) == QUIET

        await wait_for(b_has_them, 60, "node b to answer the rules saved on node a")
        await run_pump(js, layout, pub, lambda: pub.stats.rule_changes == 1, "ingest's rules")
        for batch in batches[3:6]:
            await pub.batch(batch)
        steps = await _steps(js, layout)
        at = await _rules_seq(js, layout)
        bodies = [decode_rules((await js.get_msg(layout.records_stream, s)).data or b"")
                  for s in at.values()]  # fmt: skip
    finally:
        await nc.close()
        for node in (a, b):
            node.proc.terminate()
            node.proc.wait(30)
    assert sorted(at) == [0, 1]
    assert bodies == [QUIET, QUIET]
    # one step of ingest's sequence, at the same place of every partition's stream
    assert steps[0] == steps[1]
    assert [k for k, _ in steps[0]] == ["batch"] * 3 + ["rules"] + ["batch"] * 3
