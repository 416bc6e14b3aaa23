"""Open WebSocket and SSE streams re-check their token and scope (app.api.push.stream_auth)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.api.push import stream_auth
from app.api.services import services_of
from app.auth.tokens import API_PREFIX, hash_token, new_token
from app.identity import Role, User
from app.wallclock import utcnow
from tests.app.push.conftest import Service

PASSWORD = "correct horse battery"


def new_user(svc: Service, name: str, role: Role, zones: list[str] | None = None) -> User:
    services_of(svc.app).auth.create_user(name, PASSWORD, role, zones)
    return User(name, role, tuple(zones) if zones else None)


def api_token(svc: Service, owner: User, seconds: float | None = None) -> tuple[str, str]:
    """Return a new API token of ``owner`` and its id; ``seconds``: expiring that soon."""
    if seconds is None:
        token, row = services_of(svc.app).auth.create_api_token(owner, "stream tests", None, 1)
        return token, str(row.id)
    token = new_token(API_PREFIX)
    row = services_of(svc.app).repo.add_token(
        username=owner.username,
        name="short",
        kind="api",
        role=None,
        token_hash=hash_token(token),
        expires_at=utcnow() + timedelta(seconds=seconds),
    )
    return token, str(row.id)


async def open_ws(svc: Service, token: str) -> ClientConnection:
    ws = await connect(f"ws://127.0.0.1:{svc.port}/api/v1/live")
    await ws.send(json.dumps({"type": "auth", "token": token}))
    await ws.send(json.dumps({"type": "subscribe", "bbox": None, "max_rate_hz": 10}))
    await recv(ws, "snapshot")  # authenticated and subscribed
    return ws


async def recv(ws: ClientConnection, kind: str) -> dict[str, Any]:
    async with asyncio.timeout(20):
        while True:
            msg = json.loads(await ws.recv())
            if msg["type"] == kind:
                return msg  # type: ignore[no-any-return]


async def ws_closed(ws: ClientConnection) -> tuple[int, list[dict[str, Any]]]:
    """Read until the server closes; return the close code and the errors sent before."""
    errors: list[dict[str, Any]] = []
    async with asyncio.timeout(20):
        with pytest.raises(ConnectionClosed) as info:
            while True:
                msg = json.loads(await ws.recv())
                if msg["type"] == "error":
                    errors.append(msg)
    assert info.value.rcvd is not None
    return info.value.rcvd.code, errors


class SseStream:
    """An open SSE stream read in the background: its alert events, and whether it ended."""

    def __init__(self, resp: httpx.Response) -> None:
        self.alerts: list[dict[str, Any]] = []
        self.ended = asyncio.Event()
        self.got = asyncio.Event()
        self._task = asyncio.ensure_future(self._read(resp))

    async def _read(self, resp: httpx.Response) -> None:
        try:
            async for line in resp.aiter_lines():
                if line.startswith("data:"):
                    self.alerts.append(json.loads(line[5:]))
                    self.got.set()
        finally:
            self.ended.set()

    async def wait_ended(self) -> None:
        async with asyncio.timeout(20):
            await self.ended.wait()

    async def wait_alert(self) -> dict[str, Any]:
        async with asyncio.timeout(20):
            while not self.alerts:
                self.got.clear()
                await self.got.wait()
        return self.alerts.pop(0)


@asynccontextmanager
async def open_sse(svc: Service, token: str) -> AsyncIterator[SseStream]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=svc.base, timeout=30) as client,
        client.stream("GET", "/api/v1/alerts/stream", headers=headers) as resp,
    ):
        assert resp.status_code == 200
        stream = SseStream(resp)
        yield stream
        stream._task.cancel()


async def admin(svc: Service, method: str, path: str, **kw: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=svc.base, headers=svc.headers(), timeout=30) as c:
        return await c.request(method, path, **kw)


async def sse_subscribed(svc: Service, n: int) -> None:
    """Wait until ``n`` SSE streams hold a hub subscription (the stream is live)."""
    async with asyncio.timeout(20):
        while services_of(svc.app).hub.clients().get("sse", 0) < n:
            await asyncio.sleep(0.02)


async def test_revoking_a_token_ends_its_open_websocket_and_sse_stream(service: Service) -> None:
    owner = new_user(service, "revoked1", Role.OFFICER)
    token, token_id = api_token(service, owner)
    other, _ = api_token(service, owner)  # another token of the same user keeps working
    ws = await open_ws(service, token)
    ws_other = await open_ws(service, other)
    async with open_sse(service, token) as sse:
        await sse_subscribed(service, 1)
        r = await admin(service, "DELETE", f"/api/v1/tokens/{token_id}")
        assert r.status_code == 204
        code, errors = await ws_closed(ws)
        assert code == 4401 and "revoked" in errors[-1]["message"]
        await sse.wait_ended()
    service.publish_alert(mmsi=401000001)
    assert (await recv(ws_other, "alert"))["alert"]["mmsi"] == 401000001
    await ws_other.close()


async def test_a_token_revoked_by_another_process_ends_streams_within_the_recheck(
    service: Service,
) -> None:
    owner = new_user(service, "revoked2", Role.ANALYST)
    token, token_id = api_token(service, owner)
    ws = await open_ws(service, token)
    async with open_sse(service, token) as sse:
        await sse_subscribed(service, 1)
        # straight in the store, as the mare CLI would: this process hears nothing of it
        assert services_of(service.app).repo.revoke_token(token_id, utcnow())
        code, _ = await ws_closed(ws)  # at the next periodic check (RECHECK_S)
        await sse.wait_ended()
    assert code == 4401


async def test_an_expiring_token_ends_its_streams_at_expiry(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = new_user(service, "expiring1", Role.OFFICER)
    token, _ = api_token(service, owner, seconds=3600.0)
    row_expiry = utcnow() + timedelta(seconds=3600.0)  # taken after the row's: bounds it
    ws = await open_ws(service, token)
    async with open_sse(service, token) as sse:
        await sse_subscribed(service, 1)
        service.publish_alert(mmsi=402000001)  # alive until then
        assert (await recv(ws, "alert"))["alert"]["mmsi"] == 402000001
        assert (await sse.wait_alert())["mmsi"] == 402000001
        # The streams' clock jumps to one second before the expiry (however long the set-up
        # took on a loaded machine) and the guards are woken to re-read it: each must wait
        # out that second and end its stream at the deadline, not at the next period.
        skew = row_expiry - utcnow() - timedelta(seconds=1.0)

        def streams_clock() -> datetime:
            return utcnow() + skew

        monkeypatch.setattr(stream_auth, "utcnow", streams_clock)
        services_of(service.app).identities_changed()
        code, errors = await ws_closed(ws)
        await sse.wait_ended()
    assert code == 4401 and "expired" in errors[-1]["message"]
    assert streams_clock() >= row_expiry - timedelta(seconds=0.1)  # not before it


async def test_a_liaison_whose_zones_change_gets_the_new_scope_on_open_streams(
    service: Service,
) -> None:
    owner = new_user(service, "liaison9", Role.LIAISON, ["alpha"])
    token, _ = api_token(service, owner)
    ws = await open_ws(service, token)
    async with open_sse(service, token) as sse:
        await sse_subscribed(service, 1)
        service.publish_alert(mmsi=403000001, zone="beta")
        service.publish_alert(mmsi=403000002, zone="alpha")
        assert (await recv(ws, "alert"))["alert"]["mmsi"] == 403000002
        assert (await sse.wait_alert())["mmsi"] == 403000002
        r = await admin(service, "PATCH", "/api/v1/users/liaison9", json={"zones": ["beta"]})
        assert r.status_code == 200 and r.json()["zones"] == ["beta"]
        await recv(ws, "snapshot")  # the WebSocket was rescoped: a snapshot of the new view
        hub = services_of(service.app).hub
        async with asyncio.timeout(20):  # the SSE stream's filter follows the same check
            while not all(
                s.alert_filter is not None and s.alert_filter({"zone": "beta"})
                for s in hub.subscriptions("sse")
            ):
                await asyncio.sleep(0.02)
        service.publish_alert(mmsi=403000003, zone="alpha")
        service.publish_alert(mmsi=403000004, zone="beta")
        assert (await recv(ws, "alert"))["alert"]["mmsi"] == 403000004
        assert (await sse.wait_alert())["mmsi"] == 403000004
    await ws.close()
