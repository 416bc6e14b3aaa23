from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.api.push.sse import parse_last_id
from app.api.services import services_of
from app.store import open_store
from geo.events import Event, EventKind, Severity
from tests.app.push.conftest import Service, running, until
from tests.app.store.conftest import create_database, drop_database


def events(lines: Iterator[str], n: int) -> list[dict[str, Any]]:
    """Read ``n`` SSE events (fields per event; comments and retry frames skipped)."""
    out: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in lines:
        if line == "":
            if "data" in current:
                current["data"] = json.loads(current["data"])
                out.append(current)
                if len(out) == n:
                    return out
            current = {}
            continue
        if line.startswith(":"):
            continue
        key, _, value = line.partition(":")
        current[key] = value.removeprefix(" ")
    raise AssertionError("stream ended")


def stream(svc: Service, role: str = "admin", **kw: Any) -> Any:
    headers = kw.pop("headers", svc.headers(role))
    return httpx.stream(
        "GET", f"{svc.base}/api/v1/alerts/stream", headers=headers, timeout=10, **kw
    )


def opened(resp: httpx.Response) -> Iterator[str]:
    """Return the lines after the first frame (the server has subscribed by then)."""
    assert resp.status_code == 200, resp.read()
    assert resp.headers["content-type"].startswith("text/event-stream")
    lines = resp.iter_lines()
    assert next(lines).startswith("retry:")
    assert next(lines) == ""
    return lines


def test_parse_last_id_prefers_the_header_and_ignores_foreign_ids() -> None:
    assert parse_last_id("12", "5") == 12
    assert parse_last_id(None, "5") == 5
    assert parse_last_id("abc", None) is None


def test_stream_needs_a_token_or_a_ticket_used_once(service: Service) -> None:
    r = httpx.get(f"{service.base}/api/v1/alerts/stream", timeout=10)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    with service.client("liaison") as c:
        ticket = c.post("/api/v1/auth/ticket").json()["ticket"]
    with stream(service, headers={}, params={"ticket": ticket}) as resp:
        lines = opened(resp)
        service.publish_alert(mmsi=301000001, zone="alpha")
        assert events(lines, 1)[0]["data"]["mmsi"] == 301000001
    r = httpx.get(f"{service.base}/api/v1/alerts/stream", params={"ticket": ticket}, timeout=10)
    assert r.status_code == 401


def test_alerts_have_ids_and_a_reconnect_resumes_after_the_last_one(service: Service) -> None:
    with stream(service) as resp:
        lines = opened(resp)
        service.publish_alert(mmsi=302000001)
        first = events(lines, 1)[0]
    assert first["event"] == "alert" and first["data"]["mmsi"] == 302000001
    # published while nobody listens
    service.publish_alert(mmsi=302000002)
    service.publish_alert(mmsi=302000003)
    with stream(service, headers={**service.headers(), "Last-Event-ID": first["id"]}) as resp:
        got = events(opened(resp), 2)
    assert [e["data"]["mmsi"] for e in got] == [302000002, 302000003]
    assert int(first["id"]) < int(got[0]["id"]) < int(got[1]["id"])
    with stream(service, params={"last_event_id": got[0]["id"]}) as resp:
        assert events(opened(resp), 1)[0]["data"]["mmsi"] == 302000003


def store_and_publish(svc: Service, evs: list[Event]) -> list[dict[str, Any]]:
    """Store episodes and publish their alerts, as the pipeline's alert stage does."""
    alerts: list[dict[str, Any]] = services_of(svc.app).repo.write_events(evs)
    for alert in alerts:
        services_of(svc.app).hub.publish_alert(alert)
    return alerts


def episode(mmsi: int, zone: str = "alpha") -> Event:
    lon = 12.2 if zone == "alpha" else 13.2
    return Event(EventKind.LOITERING, mmsi, 1_780_000_000_000, None, 35.2, lon, Severity.MEDIUM,
                 zone=zone)  # fmt: skip


def seen(got: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(e["data"]["mmsi"], e["data"]["state"]) for e in got]


def resume(svc: Service, last_id: str, n: int, then: list[int], role: str = "admin") -> Any:
    """Reconnect from ``last_id``, publish live alerts for ``then`` MMSIs, read ``n`` events."""
    headers = {**svc.headers(role), "Last-Event-ID": last_id}
    with stream(svc, role, headers=headers) as resp:
        lines = opened(resp)  # subscribed: what is published from here on is live
        for mmsi in then:
            svc.publish_alert(mmsi=mmsi, state="live")
        got = events(lines, n)
    ids = [int(e["id"]) for e in got]
    assert ids == sorted(set(ids)) and ids[0] > int(last_id), ids  # one clock, increasing
    return got


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def test_resuming_across_a_restart_replays_stored_alerts_with_ids_exactly_once(
    backend: str, tmp_path: Path
) -> None:
    url = None
    if backend == "postgis":
        url = create_database("mare_sse")
        open_store(url, upgrade=True).close()
    try:
        with running(tmp_path, url) as a:
            with stream(a) as resp:
                lines = opened(resp)
                first = store_and_publish(a, [episode(501000001), episode(501000002)])
                before = events(lines, 2)
            assert seen(before) == [(501000001, "new"), (501000002, "new")]
            # while the client is away: created alerts, and an update of one it has already
            store_and_publish(a, [episode(501000003), episode(501000004, "beta")])
            with a.client("officer") as c:
                assert c.post(f"/api/v1/alerts/{first[0]['id']}/acknowledge").status_code == 200
        with running(tmp_path, url) as b:  # a restart: the hub's ring starts empty
            with b.client("officer") as c:  # updated after the restart: in the new ring
                assert c.post(f"/api/v1/alerts/{first[1]['id']}/acknowledge").status_code == 200
            after = resume(b, before[-1]["id"], 5, [501000009])
            assert seen(after) == [
                (501000003, "new"),  # from the store ...
                (501000004, "new"),
                (501000001, "acknowledged"),  # ... its latest version only
                (501000002, "acknowledged"),  # from the ring: not again from the store
                (501000009, "live"),
            ]
            # a second reconnect from within the stored part: the rest, nothing twice
            again = resume(b, after[1]["id"], 4, [501000010])
            assert again[:3] == after[2:] and seen(again[3:]) == [(501000010, "live")]
            # from within the ring part
            ring = resume(b, after[3]["id"], 3, [501000011])
            assert ring[:2] == [after[4], again[3]] and seen(ring[2:]) == [(501000011, "live")]
            # a liaison's resumption: the same ids, less the other zones' alerts, stored or not
            sent = [*after, again[3], ring[2]]
            scoped = resume(b, before[-1]["id"], 7, [501000012], "liaison")
            assert [e["id"] for e in scoped[:6]] == [
                e["id"] for e in sent if e["data"]["zone"] == "alpha"
            ]
            assert seen(scoped[6:]) == [(501000012, "live")]
    finally:
        if url is not None:
            drop_database(url)


def test_a_liaison_stream_carries_only_its_zones(service: Service) -> None:
    with stream(service, "liaison") as resp:
        lines = opened(resp)
        service.publish_alert(mmsi=304000001, zone="beta")
        service.publish_alert(mmsi=304000002, zone=None, kind="encounter")
        service.publish_alert(mmsi=304000003, zone="alpha")
        got = events(lines, 1)
    assert got[0]["data"]["mmsi"] == 304000003
    # the server notices the client left and drops its subscription
    until(lambda: services_of(service.app).hub.clients().get("sse", 0) == 0)


async def test_a_reader_the_ring_left_behind_is_refilled_from_the_store(tmp_path: Path) -> None:
    """In one process: a ring of 3, so the store answers for what it evicted, same ids."""
    from app.api.push.seq_recorder import attach
    from app.api.push.sse import events as sse_events
    from app.live.hub import Hub
    from app.store.repo import Repo

    repo = Repo.open(f"sqlite:///{tmp_path / 'mare.sqlite'}")
    hub = Hub(alert_ring_size=3)
    recorder = attach(hub, repo)

    def publish(mmsis: list[int]) -> list[dict[str, Any]]:
        alerts: list[dict[str, Any]] = repo.write_events([episode(m) for m in mmsis])
        for alert in alerts:  # published before the recorder wrote their ids: it must catch up
            hub.publish_alert(alert)
        return alerts

    async def read(last_id: int | None, n: int, between: Any = None) -> list[tuple[int, int, str]]:
        sub = hub.subscribe("sse", alerts_after=last_id, vessels=False)
        stream = sse_events(hub, sub, last_id)
        assert (await anext(stream)).startswith(b"retry:")
        if between is not None:
            between()  # published while the stream is open but not read: more than a ring
        got: list[tuple[int, int, str]] = []
        async with asyncio.timeout(20):
            while len(got) < n:
                text = (await anext(stream)).decode()
                if text.startswith(":"):
                    continue
                fields = dict(line.split(": ", 1) for line in text.strip().split("\n"))
                alert = json.loads(fields["data"])
                got.append((int(fields["id"]), alert["mmsi"], alert["state"]))
        await stream.aclose()
        return got

    try:
        start = hub.alert_seq
        first = publish([601000001 + i for i in range(8)])
        everything = await read(start, 8)
        assert [m for _, m, _ in everything] == [a["mmsi"] for a in first]
        # an update of an early alert while the client is away: in the ring, not the store
        acked = repo.acknowledge(first[2]["id"], "officer1")
        hub.publish_alert(acked)
        resumed = await read(everything[1][0], 6)
        ids = [i for i, _, _ in resumed]
        assert ids == sorted(set(ids)) and ids[:5] == [i for i, _, _ in everything[3:]]
        assert resumed[5][1:] == (601000003, "acknowledged")
        # a live reader that lets more than a ring go by is refilled, ids and all
        late = await read(None, 5, lambda: publish([602000001 + i for i in range(5)]))
        assert [m for _, m, _ in late] == [602000001 + i for i in range(5)]
        assert [i for i, _, _ in late] == sorted({i for i, _, _ in late})
    finally:
        await hub.close()
        recorder.stop()
        repo.close()
