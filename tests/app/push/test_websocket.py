from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from datetime import datetime
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.api.push.websocket import ProtocolError, parse_subscribe
from app.api.services import services_of
from tests.app.push.conftest import Service, position, vessel

BOX = [12.0, 35.0, 12.5, 35.5]


async def open_ws(svc: Service, role: str = "admin", **kw: Any) -> ClientConnection:
    ws = await connect(f"ws://127.0.0.1:{svc.port}/api/v1/live", **kw)
    await ws.send(json.dumps({"type": "auth", "token": svc.tokens[role]}))
    return ws


async def recv(ws: ClientConnection, kind: str, seconds: float = 10.0) -> dict[str, Any]:
    """Return the next message of ``kind`` (others are skipped)."""
    async with asyncio.timeout(seconds):
        while True:
            msg = json.loads(await ws.recv())
            if msg["type"] == kind:
                return msg  # type: ignore[no-any-return]


async def subscribe(
    ws: ClientConnection, bbox: list[float] | None, rate: float = 10.0
) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "subscribe", "bbox": bbox, "max_rate_hz": rate}))
    return await recv(ws, "snapshot")


def test_parse_subscribe_checks_bbox_and_clamps_rate() -> None:
    assert parse_subscribe({"bbox": BOX, "max_rate_hz": 100}) == (tuple(BOX), 10.0)
    assert parse_subscribe({"bbox": None}) == (None, 1.0)
    for bad in (
        {"bbox": [1, 2, 3]},
        {"bbox": [0, 50, 1, 40]},
        {"bbox": ["a", 0, 1, 1]},
        {"max_rate_hz": 0},
        {"max_rate_hz": "fast"},
    ):
        with pytest.raises(ProtocolError):
            parse_subscribe(bad)


async def test_bad_token_gets_an_error_then_close_4401(service: Service) -> None:
    async with connect(f"ws://127.0.0.1:{service.port}/api/v1/live") as ws:
        await ws.send(json.dumps({"type": "auth", "token": "mare_t_nope"}))
        msg = json.loads(await ws.recv())
        assert msg["type"] == "error"
        with pytest.raises(ConnectionClosed) as info:
            await ws.recv()
        assert info.value.rcvd is not None and info.value.rcvd.code == 4401
    async with connect(f"ws://127.0.0.1:{service.port}/api/v1/live") as ws:
        await ws.send(json.dumps({"type": "subscribe", "bbox": None}))
        assert json.loads(await ws.recv())["type"] == "error"


async def test_snapshot_in_bbox_then_diffs_with_upserts_and_removes(service: Service) -> None:
    service.publish_vessels([vessel(201000001, 12.1, 35.1), vessel(201000002, 14.0, 36.0)])
    async with await open_ws(service) as ws:
        snap = await subscribe(ws, BOX)
        mmsis = {v["mmsi"] for v in snap["vessels"]}
        assert 201000001 in mmsis and 201000002 not in mmsis
        service.publish_vessels([vessel(201000001, 12.2, 35.2), vessel(201000002, 14.1, 36.0)])
        diff = await recv(ws, "diff")
        assert [v["mmsi"] for v in diff["upsert"]] == [201000001]
        assert diff["upsert"][0]["lon"] == 12.2 and diff["remove"] == []
        assert diff["time"].endswith("Z")
        service.publish_vessels([vessel(201000001, 13.9, 35.2)])
        diff = await recv(ws, "diff")
        assert diff["upsert"] == [] and diff["remove"] == [201000001]
        await ws.send(json.dumps({"type": "hello"}))
        assert "unknown" in (await recv(ws, "error"))["message"]


async def test_diffs_respect_the_client_rate(service: Service) -> None:
    async with await open_ws(service) as ws:
        await subscribe(ws, [0.0, 0.0, 1.0, 1.0], rate=1.0)
        for i in range(5):
            service.publish_vessels([vessel(202000001, 0.5, 0.1 * i)])
            await asyncio.sleep(0.05)
        # Five states within a quarter of a second: one diff with the newest state, or, on a
        # machine so loaded that the states spread over more than a second, diffs 3/4 of a
        # period apart by the server's clock (the time each diff was made), never one per
        # state as an unthrottled sender would give.
        diffs = [await recv(ws, "diff")]
        while diffs[-1]["upsert"][0]["lat"] != pytest.approx(0.4):
            diffs.append(await recv(ws, "diff"))
        made = [datetime.fromisoformat(d["time"]).timestamp() for d in diffs]
        assert all(b - a >= 0.7 for a, b in zip(made, made[1:], strict=False))  # 3/4 period
        assert len(diffs) < 5
        with pytest.raises(TimeoutError):
            await recv(ws, "diff", seconds=0.3)


async def test_alerts_and_vessels_of_a_liaison_are_scoped_to_its_zones(service: Service) -> None:
    async with await open_ws(service, "liaison") as lia, await open_ws(service) as adm:
        await subscribe(lia, None)
        await subscribe(adm, None)
        service.publish_alert(mmsi=203000001, zone="beta", kind="zone_entry")
        service.publish_alert(mmsi=203000002, zone="alpha", kind="zone_dwell")
        got = [await recv(adm, "alert"), await recv(adm, "alert")]
        assert [a["alert"]["zone"] for a in got] == ["beta", "alpha"]
        alert = await recv(lia, "alert")
        assert alert["alert"]["zone"] == "alpha" and alert["alert"]["mmsi"] == 203000002
        service.publish_vessels([vessel(203000001, 13.2, 35.2), vessel(203000002, 12.2, 35.2)])
        diff = await recv(lia, "diff")
        assert [v["mmsi"] for v in diff["upsert"]] == [203000002]
        with pytest.raises(TimeoutError):
            await recv(lia, "alert", seconds=0.3)


async def test_a_sentence_on_udp_reaches_the_websocket_as_a_vessel_update(
    service: Service,
) -> None:
    async with await open_ws(service) as ws:
        await subscribe(ws, BOX)
        await asyncio.to_thread(service.send_udp, [position(204000001, 12.25, 35.25)])
        async with asyncio.timeout(10):
            while True:
                diff = await recv(ws, "diff")
                hit = [v for v in diff["upsert"] if v["mmsi"] == 204000001]
                if hit:
                    break
        assert hit[0]["lon"] == pytest.approx(12.25, abs=1e-4)
        assert hit[0]["lat"] == pytest.approx(35.25, abs=1e-4)


def raw_ws(port: int, messages: list[dict[str, Any]]) -> socket.socket:
    """Open a WebSocket by hand, send ``messages``, and return the socket, never to be read."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /api/v1/live HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    for msg in messages:
        data = json.dumps(msg).encode()
        assert len(data) < 126
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        sock.sendall(bytes([0x81, 0x80 | len(data)]) + mask + body)
    return sock


@pytest.mark.slow
async def test_a_client_that_stops_reading_is_held_back_and_stalls_nobody(
    service: Service,
) -> None:
    hub = services_of(service.app).hub
    slow = await asyncio.to_thread(
        raw_ws,
        service.port,
        [
            {"type": "auth", "token": service.tokens["admin"]},
            {"type": "subscribe", "bbox": [20.0, 20.0, 21.0, 21.0], "max_rate_hz": 10},
        ],
    )
    fast = await open_ws(service, max_size=None)
    try:
        await subscribe(fast, [20.0, 20.0, 21.0, 21.0], rate=10.0)
        filler = "x" * 200
        rounds = 0
        # publish until the server holds the slow client's sends back (its socket buffers are
        # full: a few MB, depending on the machine) for five rounds while the fast one keeps up
        while max(s.lag for s in hub.subscriptions("websocket")) < 5:
            assert rounds < 200, "the slow client was never held back"
            r = rounds
            service.publish_vessels(
                [vessel(205000000 + i, 20.5, 20.5, note=filler, round=r) for i in range(500)]
            )
            rounds += 1
            newest = -1
            while newest < r:  # the fast client gets every round
                diff = await recv(fast, "diff")
                newest = max(v["round"] for v in diff["upsert"] if v["mmsi"] == 205000000)
        lags = sorted(s.lag for s in hub.subscriptions("websocket"))
        assert lags[0] <= 1 and lags[-1] >= 5  # the fast one is current, the slow one waits
    finally:
        slow.close()
        await fast.close()
