"""API nodes on the bus: a client whose node dies resumes on another without a gap.

Real processes on a real PostGIS: an engine worker, the store worker and two ``mare serve
--api-only`` nodes. An SSE client reads alerts from node A; A is killed with SIGKILL while the
feed runs; the client reconnects to node B with ``Last-Event-ID``, as a browser's EventSource
behind a load balancer does. At the end it holds every stored alert, in increasing id order.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest

from app.bus.subjects import Layout
from tests.app.bus.conftest import Deployment
from tests.app.bus.helpers import one_process_engine, publish_capture, wait_for
from tests.app.bus.procs import TOKEN, ApiNode
from tests.app.bus.scenarios import feed
from tests.app.bus.test_failures import (
    acked_some,
    drained,
    engine_consumers,
    publish_slowly,
    store_consumers,
)


class Reader(threading.Thread):
    """An SSE client that moves to the next node when its node goes away."""

    def __init__(self, nodes: list[ApiNode]) -> None:
        super().__init__(daemon=True)
        self.nodes = nodes
        self.got: list[tuple[int, dict[str, Any]]] = []
        self.moves = 0
        self.stop = threading.Event()

    def run(self) -> None:
        for node in self.nodes:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            if self.got:
                headers["Last-Event-ID"] = str(self.got[-1][0])
            try:
                with httpx.Client(base_url=node.base, headers=headers, timeout=300) as c:
                    self._read(c)
                return
            except httpx.HTTPError:
                self.moves += 1  # the node died: the next one

    def _read(self, c: httpx.Client) -> None:
        with c.stream("GET", "/api/v1/alerts/stream") as r:
            seq, data = None, None
            for line in r.iter_lines():
                if line.startswith("id:"):
                    seq = int(line.removeprefix("id:").strip())
                elif line.startswith("data:"):
                    data = json.loads(line.removeprefix("data:"))
                elif line == "" and data is not None and seq is not None:
                    self.got.append((seq, data))
                    seq, data = None, None
                if self.stop.is_set():
                    return


def stored_alerts(url: str) -> dict[int, int]:
    """Stored alerts: id -> the id of its latest publication (numbered by the store worker)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT id, stream_seq FROM events WHERE alert").fetchall()
    return {int(r[0]): int(r[1]) for r in rows}


@pytest.mark.slow
@pytest.mark.postgis
@pytest.mark.timeout(300)
async def test_client_resumes_on_another_api_node_without_a_gap(
    system_nats: str, prefix: str, db_url: str, deploy: Callable[[Layout], Deployment]
) -> None:
    layout = Layout(prefix, 1)
    deployed = deploy(layout)
    nodes = deployed.nodes
    reader = Reader(nodes)
    reader.start()

    async def kill_node_a() -> None:
        await acked_some(system_nats, layout, store_consumers(layout)[1], 3)
        nodes[0].proc.kill()
        nodes[0].proc.wait(10)

    try:
        await publish_slowly(system_nats, layout, feed("default"), kill_node_a)
        await drained(system_nats, layout, engine_consumers(layout) + store_consumers(layout))
        want = stored_alerts(db_url)
        for _ in range(600):  # until B pushed every stored alert (a guard, not a measurement)
            if set(want) <= {a["id"] for _, a in reader.got}:
                break
            await asyncio.sleep(0.1)
    finally:
        reader.stop.set()
        logs = deployed.stop()
    seqs = [s for s, _ in reader.got]
    assert reader.moves == 1, nodes[0].output()
    assert want and set(want) == {a["id"] for _, a in reader.got}, (logs, nodes[1].output())
    assert seqs == sorted(set(seqs)), "ids increase, none twice"
    # both nodes gave the store worker's ids: a client's Last-Event-ID means the same anywhere
    last = {a["id"]: s for s, a in reader.got}
    assert last == want


def answers(node: ApiNode, mmsi: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A node's risk of a vessel (its detail) and its intercept picture."""
    with httpx.Client(base_url=node.base, headers={"Authorization": f"Bearer {TOKEN}"},
                      timeout=60) as c:  # fmt: skip
        detail = c.get(f"/api/v1/vessels/{mmsi}")
        detail.raise_for_status()
        intercepts = c.get(f"/api/v1/vessels/{mmsi}/intercepts")
        intercepts.raise_for_status()
    return detail.json()["risk"], intercepts.json()


@pytest.mark.slow
@pytest.mark.postgis
@pytest.mark.timeout(300)
async def test_every_api_node_answers_risk_and_intercepts_as_one_process(
    system_nats: str, prefix: str, deploy: Callable[[Layout], Deployment]
) -> None:
    layout = Layout(prefix, 2)
    deployed = deploy(layout)
    nodes = deployed.nodes
    capture = feed("smuggling")
    ref = one_process_engine(capture)
    risky = sorted(m for m in ref.book if ref.vessel_risk(m).score > 0 and m % 2 == 0)[:4]
    risky += sorted(m for m in ref.book if ref.vessel_risk(m).score > 0 and m % 2 == 1)[:4]
    assert len(risky) >= 4, "the capture has vessels at risk in both partitions"
    want = {m: ref.vessel_risk(m).score for m in risky}

    async def caught_up() -> bool:  # both nodes have read every event (a guard, no timing)
        try:
            got = await asyncio.to_thread(
                lambda: [answers(n, m)[0]["score"] for n in nodes for m in risky]
            )
        except httpx.HTTPStatusError:  # not in the node's picture yet
            return False
        return got == [want[m] for _ in nodes for m in risky]

    try:
        await publish_capture(system_nats, layout, capture)
        await drained(system_nats, layout, engine_consumers(layout) + store_consumers(layout))
        await wait_for(caught_up, 120, "both API nodes to answer each vessel's risk")
        seen = {m: [await asyncio.to_thread(answers, n, m) for n in nodes] for m in risky}
    finally:
        logs = deployed.stop()
    for m, ((risk_a, icpt_a), (risk_b, icpt_b)) in seen.items():
        assert risk_a == risk_b, (m, logs)
        assert [c["points"] for c in risk_a["contributions"]] == [
            c.points for c in ref.vessel_risk(m).contributions
        ]
        assert icpt_a == icpt_b, m
