"""``/api/v1/live``: the live picture over a WebSocket (docs/api.md, Live WebSocket).

Protocol: the first client message authenticates (``{"type":"auth","token"|"ticket":...}``;
tokens never travel in URLs); a bad one gets ``{"type":"error"}`` and close code 4401. Alerts
flow from then on. The identity stays checked while connected (`app.api.push.stream_auth`): a token
revoked or expired, or a user removed, gets the same error and 4401; a liaison whose zones
change gets alerts of its new zones and a fresh ``snapshot`` of what it may now see.
``{"type":"subscribe","bbox":...,"max_rate_hz":...}`` (any time, again to change the view)
answers with a ``snapshot`` of the vessels in view, then ``diff`` messages at most
``max_rate_hz`` times a second carrying only what changed since the last message.

Each client is one hub `Subscription` read by its own task, so a client that reads slowly only
holds up its own sends (uvicorn's send waits while the socket's buffers are full, a few MB):
meanwhile its vessel changes coalesce in the hub to the newest state per vessel, and its alerts
wait in the hub's ring. A liaison gets only alerts of its zones and only the vessels bearing
such alerts; a vessel that comes to bear one while connected is sent at the next diff.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketState

from app.api.push.stream_auth import StreamGuard, alert_filter_for
from app.api.services import services_of
from app.auth.scope import Scope
from app.auth.service import user_from_ticket, user_from_token
from app.identity import User
from app.live.hub import Hub, HubClosed, Subscription
from app.live.picture import public
from geo.bbox import Bbox, make_bbox

router = APIRouter(tags=["live"])

#: Close code for bad or missing auth (docs/api.md): 4000 + the HTTP status it stands for.
CLOSE_UNAUTHORIZED = 4401
#: How long a connection may stay silent before its auth message.
AUTH_SECONDS = 10.0
#: Diff rate bounds: at least one every 10 minutes, at most 10 per second (a browser cannot
#: draw more, and the diff budget is per client).
MIN_RATE_HZ = 1 / 600
MAX_RATE_HZ = 10.0
DEFAULT_RATE_HZ = 1.0


class ProtocolError(Exception):
    """A client message that does not follow the protocol (answered with an error message)."""


def parse_subscribe(msg: dict[str, Any]) -> tuple[Bbox | None, float]:
    """Return the bbox and rate of a subscribe message, or raise `ProtocolError`."""
    raw = msg.get("bbox")
    bbox: Bbox | None = None
    if raw is not None:
        if not isinstance(raw, list | tuple) or len(raw) != 4:
            raise ProtocolError("bbox must be [minLon, minLat, maxLon, maxLat] or null")
        try:
            a, b, c, d = (float(x) for x in raw)
        except (TypeError, ValueError):
            raise ProtocolError("bbox must be four numbers") from None
        try:
            bbox = make_bbox(a, b, c, d)
        except ValueError as exc:
            raise ProtocolError(str(exc)) from None
    rate = msg.get("max_rate_hz", DEFAULT_RATE_HZ)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not math.isfinite(rate):
        raise ProtocolError("max_rate_hz must be a number")
    if rate <= 0:
        raise ProtocolError("max_rate_hz must be positive")
    return bbox, min(max(float(rate), MIN_RATE_HZ), MAX_RATE_HZ)


def now_iso() -> str:
    """Return the wall clock as the contract's ISO 8601 UTC with ``Z`` (milliseconds)."""
    return iso(time.time())


def iso(epoch: float) -> str:
    """Return epoch seconds as the contract's ISO 8601 UTC with ``Z`` (milliseconds)."""
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def next_diff_at(sent: float, rate: float) -> float:
    """Return when the diff after one sent at ``sent`` may go, at ``rate`` diffs a second.

    At most one diff per slot of a ``rate`` Hz grid (monotonic clock), so a client stays within
    ``rate`` diffs a second, and two diffs at least 3/4 of a period apart. Within those bounds a
    diff goes as soon as the hub has changes: with the pipeline publishing about once a period,
    each publication goes out at once instead of waiting for the client's next tick (up to a
    period). Clients woken by one publication read the same changes, so clients with one view
    get byte-identical diffs: the hub collects them once and `app.api.push.deflate` compresses them
    once.
    """
    return max(sent + 0.75 / rate, (math.floor(sent * rate) + 1) / rate)


async def authenticate(ws: WebSocket, msg: dict[str, Any]) -> User | None:
    """Return the user of an auth message (token or single-use ticket), None if not valid."""
    if msg.get("type") != "auth":
        return None
    token, ticket = msg.get("token"), msg.get("ticket")
    if isinstance(token, str) and token:
        return await user_from_token(token, services_of(ws.app).auth)
    if isinstance(ticket, str) and ticket:
        return await user_from_ticket(ticket, services_of(ws.app).auth)
    return None


async def liaison_mmsis(ws: WebSocket, user: User) -> set[int] | None:
    """Return the MMSIs bearing an alert of a liaison's zones (None: unscoped user)."""
    repo = services_of(ws.app).repo
    return await run_in_threadpool(Scope.of(user).mmsis, repo)


def live_vessels(ws: WebSocket) -> list[dict[str, Any]] | None:
    """Return every vessel of the live picture as Vessel JSON."""
    live = services_of(ws.app).live

    return [public(v) for v in live.all()]


class LiveSession:
    """One authenticated client: reads its messages, sends alerts, snapshot and diffs."""

    def __init__(self, ws: WebSocket, hub: Hub, user: User, allowed: set[int] | None) -> None:
        self.ws = ws
        self.hub = hub
        self.user = user
        self.allowed = allowed
        self.sub: Subscription = hub.subscribe("websocket", alert_filter=alert_filter_for(user))
        self.subscribed = False
        self.want_snapshot = False
        self.rate = DEFAULT_RATE_HZ
        self.next_diff = 0.0
        self.errors: list[str] = []

    def vessel_filter(self) -> Callable[[dict[str, Any]], bool] | None:
        allowed = self.allowed
        if allowed is None:
            return None
        return lambda v: int(v["mmsi"]) in allowed

    async def read_loop(self) -> None:
        """Apply subscribe messages as they come; end when the client leaves."""
        while True:
            text = await self.ws.receive_text()
            try:
                msg = json.loads(text)
                if not isinstance(msg, dict):
                    raise ProtocolError("messages are JSON objects")
                kind = msg.get("type")
                if kind == "subscribe":
                    bbox, self.rate = parse_subscribe(msg)
                    self.sub.set_view(bbox, self.vessel_filter())
                    self.subscribed = True
                    self.want_snapshot = True
                elif kind == "auth":
                    raise ProtocolError("already authenticated")
                else:
                    raise ProtocolError(f"unknown message type {kind!r}")
            except (ValueError, ProtocolError) as exc:
                self.errors.append(str(exc) if isinstance(exc, ProtocolError) else "bad JSON")
            self.sub.poke()

    async def send(self, obj: dict[str, Any]) -> None:
        await self.send_text(json.dumps(obj, separators=(",", ":")))

    async def send_text(self, text: str) -> None:
        await self.ws.send_text(text)

    async def send_loop(self) -> None:
        """Send what the hub has for this client, diffs throttled to its rate."""
        sub = self.sub
        while True:
            while self.errors:
                await self.send({"type": "error", "message": self.errors.pop(0)})
            for entry in sub.take_alerts():
                self._reveal(entry.alert)
                await self.send({"type": "alert", "alert": entry.alert})
                self.hub.observe_latency("websocket_alert", time.monotonic() - entry.at)
            timeout: float | None = None
            if self.want_snapshot:
                self.want_snapshot = False
                vessels = sub.snapshot(live_vessels(self.ws))
                await self.send({"type": "snapshot", "vessels": vessels})
                self.next_diff = next_diff_at(time.monotonic(), self.rate)
            elif self.subscribed and sub.has_vessel_changes():
                now = time.monotonic()
                if now >= self.next_diff:
                    diff = sub.take_diff()
                    if diff.upsert or diff.remove:
                        # vessels were encoded and joined once in the hub for all clients
                        await self.send_text(
                            f'{{"type":"diff","time":"{iso(diff.made)}",'
                            f'"upsert":[{diff.upsert_joined}],'
                            f'"remove":[{",".join(map(str, diff.remove))}]}}'
                        )
                        if diff.oldest is not None:
                            sent = time.monotonic()
                            self.hub.observe_latency("websocket_vessels", sent - diff.oldest)
                        self.next_diff = next_diff_at(now, self.rate)
                    continue
                timeout = self.next_diff - now
            if self.errors or self.want_snapshot:
                continue
            await sub.wait(timeout, vessels=False)

    async def rescope(self, user: User) -> None:
        """Apply a changed scope (a liaison's zones, a role): a new snapshot of the new view.

        The hub subscription's alert filter was changed already (`StreamGuard`).
        """
        allowed = await liaison_mmsis(self.ws, user)
        self.user, self.allowed = user, allowed
        if self.subscribed:
            self.sub.set_view(self.sub.bbox, self.vessel_filter())
            self.want_snapshot = True
        self.sub.poke()

    def _reveal(self, alert: dict[str, Any]) -> None:
        """Make the vessels of a liaison's alert visible to that liaison from now on."""
        if self.allowed is None:
            return
        for key in ("mmsi", "other_mmsi"):
            m = alert.get(key)
            if isinstance(m, int) and m not in self.allowed:
                self.allowed.add(m)
                self.sub.reveal.add(m)


@router.websocket("/api/v1/live")
async def live(ws: WebSocket) -> None:
    """Live vessels and alerts; see the module docstring for the protocol."""
    await ws.accept()
    try:
        async with asyncio.timeout(AUTH_SECONDS):
            first = await ws.receive_text()
        msg = json.loads(first)
        user = await authenticate(ws, msg) if isinstance(msg, dict) else None
    except (TimeoutError, ValueError):
        user = None
    except WebSocketDisconnect:
        return
    if user is None:
        await _reject(ws, "authentication failed: send {type: auth, token|ticket} first")
        return
    hub = services_of(ws.app).hub
    try:
        session = LiveSession(ws, hub, user, await liaison_mmsis(ws, user))
    except HubClosed:
        await ws.close(1001)
        return
    guard = StreamGuard(services_of(ws.app).streams(), user, session.rescope)
    tasks = [
        asyncio.ensure_future(session.read_loop()),
        asyncio.ensure_future(session.send_loop()),
        asyncio.ensure_future(guard.run(session.sub)),  # closes the subscription if revoked
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        session.sub.close()
        if guard.ended is not None and ws.application_state is WebSocketState.CONNECTED:
            await _reject(ws, f"{guard.ended}: authenticate again")
        elif ws.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await ws.close(1001 if hub.closed else 1000)


async def _reject(ws: WebSocket, message: str) -> None:
    with contextlib.suppress(Exception):
        await ws.send_text(json.dumps({"type": "error", "message": message}))
        await ws.close(CLOSE_UNAUTHORIZED)
