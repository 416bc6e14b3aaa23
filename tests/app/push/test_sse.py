from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from app.push.sse import parse_last_id
from geo.events import Event, EventKind, Severity
from tests.app.push.conftest import Service, until


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


def test_resuming_from_before_the_ring_replays_stored_alerts(service: Service) -> None:
    stored = service.app.state.repo.write_events(
        [
            Event(EventKind.LOITERING, 303000001, 1_780_000_000_000, None, 35.2, 12.2,
                  Severity.MEDIUM, zone="alpha"),
            Event(EventKind.ZONE_ENTRY, 303000002, 1_780_000_000_000, None, 35.2, 13.2,
                  Severity.HIGH, zone="beta"),
        ]
    )  # fmt: skip
    assert all(a["id"] is not None for a in stored)
    with stream(service, "liaison", headers={**service.headers("liaison"), "Last-Event-ID": "1"}
                ) as resp:  # fmt: skip
        got = events(opened(resp), 1)[0]
    assert got["data"]["mmsi"] == 303000001 and "id" not in got


def test_a_liaison_stream_carries_only_its_zones(service: Service) -> None:
    with stream(service, "liaison") as resp:
        lines = opened(resp)
        service.publish_alert(mmsi=304000001, zone="beta")
        service.publish_alert(mmsi=304000002, zone=None, kind="encounter")
        service.publish_alert(mmsi=304000003, zone="alpha")
        got = events(lines, 1)
    assert got[0]["data"]["mmsi"] == 304000003
    # the server notices the client left and drops its subscription
    until(lambda: service.app.state.hub.clients().get("sse", 0) == 0)
