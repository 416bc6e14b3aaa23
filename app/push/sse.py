"""``/api/v1/alerts/stream``: alerts as Server-Sent Events, resumable with ``Last-Event-ID``.

Each event is ``event: alert`` / ``id: <seq>`` / ``data: <Alert JSON>``, ``seq`` being the hub's
alert sequence id. A client that reconnects with ``Last-Event-ID`` (the header ``EventSource``
sends by itself, or ``?last_event_id=`` for a client that must open a new connection, e.g. with
a fresh ticket) gets every alert it missed: from the hub's ring when the ring still reaches
back that far, else first from the store (`Hub.alert_history`, events without an id so that
the resume point stays put), then from the ring.

Auth is the bearer header, or ``?ticket=`` (single use, 60 s) for a browser's ``EventSource``,
which cannot set headers. A liaison gets only alerts of its zones. The identity stays checked
while the stream is open (`app.push.stream_auth`): a revoked or expired token ends the stream, a
liaison whose zones change gets alerts of its new zones. A comment line every
``HEARTBEAT_SECONDS`` keeps proxies from closing an idle stream and notices a client that left.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.errors import Unauthorized
from app.auth.models import ALL_ROLES, User
from app.deps import RoleGate
from app.hub import AlertEntry, Hub, HubClosed, Subscription
from app.push.stream_auth import StreamGuard, alert_filter_for, stream_auth

router = APIRouter(tags=["alerts"])

HEARTBEAT_SECONDS = 15.0
#: What ``EventSource`` waits before reconnecting, told to it in the first frame.
RETRY_MS = 3000

_bearer = HTTPBearer(auto_error=False, description="A login token or an API token.")


async def stream_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ticket: Annotated[str | None, Query(description="Stream ticket (single use).")] = None,
) -> User:
    """Return the user of the bearer header or of a stream ticket; 401 otherwise."""
    from app.auth.service import user_from_ticket, user_from_token

    user: User | None = None
    if credentials is not None and credentials.scheme.lower() == "bearer":
        user = await user_from_token(credentials.credentials, request)
    elif ticket:
        user = await user_from_ticket(ticket, request)
    else:
        raise Unauthorized("a bearer token or a stream ticket (?ticket=) is required")
    if user is None:
        raise Unauthorized("the token or ticket is unknown, used, expired or revoked")
    return user


class StreamGate(RoleGate):
    """`RoleGate` over `stream_user` (bearer or ticket) instead of the bearer-only user."""

    def __call__(self, user: Annotated[User, Depends(stream_user)]) -> User:
        return super().__call__(user)


def frame(entry: AlertEntry) -> bytes:
    """Return one SSE event for an alert."""
    data = json.dumps(entry.alert, separators=(",", ":"))
    return f"id: {entry.seq}\nevent: alert\ndata: {data}\n\n".encode()


def parse_last_id(header: str | None, query: str | None) -> int | None:
    """Return the resume point (header first), None when absent or not one of our ids."""
    for value in (header, query):
        if value is not None and value.strip().isdigit():
            return int(value.strip())
    return None


async def events(
    hub: Hub, sub: Subscription, user: User, last_id: int | None, guard: StreamGuard | None = None
) -> AsyncIterator[bytes]:
    """Yield the stream: retry hint, missed alerts, then live alerts and heartbeats.

    ``guard`` re-checks the identity meanwhile: it closes ``sub`` (ending the stream) when the
    token is revoked or expires, and narrows or widens the alert filter when the scope changes.
    """
    zones = user.zone_scope
    watch = None if guard is None else asyncio.ensure_future(guard.run(sub))
    try:
        yield f"retry: {RETRY_MS}\n\n".encode()
        if last_id is not None:
            ring, complete = hub.alerts_since(last_id)
            if not complete and hub.alert_history is not None:
                in_ring = {e.alert.get("id") for e in ring}
                for alert in await hub.alert_history(last_id):
                    if alert.get("id") in in_ring and alert.get("id") is not None:
                        continue
                    if zones is None or alert.get("zone") in zones:
                        data = json.dumps(alert, separators=(",", ":"))
                        yield f"event: alert\ndata: {data}\n\n".encode()
        while True:
            for entry in sub.take_alerts():
                yield frame(entry)
                hub.observe_latency("sse_alert", _since(entry))
            if not await sub.wait(HEARTBEAT_SECONDS):
                yield b": keepalive\n\n"
    except HubClosed:
        return
    finally:
        sub.close()
        if watch is not None:
            watch.cancel()


def _since(entry: AlertEntry) -> float:
    import time

    return time.monotonic() - entry.at


@router.get(
    "/api/v1/alerts/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "SSE stream"}},
)
async def alert_stream(
    request: Request,
    user: Annotated[User, Depends(StreamGate(*ALL_ROLES))],
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    last_event_id_query: Annotated[
        str | None, Query(alias="last_event_id", description="Resume point for a new connection.")
    ] = None,
) -> StreamingResponse:
    """Alerts as they happen (liaison: its zones only), resumable with ``Last-Event-ID``."""
    hub: Hub = request.app.state.hub
    last_id = parse_last_id(last_event_id, last_event_id_query)
    if last_id is not None:
        last_id = min(last_id, hub.alert_seq)  # an id from a clock ahead of ours
    sub = hub.subscribe(
        "sse", alert_filter=alert_filter_for(user), alerts_after=last_id, vessels=False
    )
    guard = StreamGuard(stream_auth(request.app), user)
    return StreamingResponse(
        events(hub, sub, user, last_id, guard),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
