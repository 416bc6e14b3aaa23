"""``/api/v1/alerts/stream``: alerts as Server-Sent Events, resumable with ``Last-Event-ID``.

Each event is ``id: <seq>`` / ``event: alert`` / ``data: <Alert JSON>``, ``seq`` being the hub's
alert sequence id: the publish time in ms, kept strictly increasing, also across restarts. A
client that reconnects with ``Last-Event-ID`` (the header ``EventSource`` sends by itself, or
``?last_event_id=`` for a client that must open a new connection, e.g. with a fresh ticket)
gets every alert published after that id, each once: from the hub's ring while it reaches back
that far, else first from the store (`Hub.alert_history`: every row carries the id of its
latest publication, `app.api.push.seq_recorder`), then from the ring. Replayed alerts carry their
ids like live ones, so a second reconnect resumes from where the first left off. An alert
published several times (created, closed, acknowledged...) is replayed once, as its latest
version, under its latest id.

Auth is the bearer header, or ``?ticket=`` (single use, 60 s) for a browser's ``EventSource``,
which cannot set headers. A liaison gets only alerts of its zones. The identity stays checked
while the stream is open (`app.api.push.stream_auth`): a revoked or expired token ends the stream, a
liaison whose zones change gets alerts of its new zones. A comment line every
``HEARTBEAT_SECONDS`` keeps proxies from closing an idle stream and notices a client that left.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.deps import RoleGate
from app.api.push.stream_auth import StreamGuard, alert_filter_for
from app.api.services import services_of
from app.auth.errors import Unauthorized
from app.auth.service import user_from_ticket, user_from_token
from app.identity import ALL_ROLES, User
from app.live.hub import AlertEntry, Hub, HubClosed, Subscription
from app.store.ids import is_digits

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
    user: User | None = None
    if credentials is not None and credentials.scheme.lower() == "bearer":
        user = await user_from_token(credentials.credentials, services_of(request.app).auth)
    elif ticket:
        user = await user_from_ticket(ticket, services_of(request.app).auth)
    else:
        raise Unauthorized("a bearer token or a stream ticket (?ticket=) is required")
    if user is None:
        raise Unauthorized("the token or ticket is unknown, used, expired or revoked")
    return user


class StreamGate(RoleGate):
    """`RoleGate` over `stream_user` (bearer or ticket) instead of the bearer-only user."""

    def __call__(self, user: Annotated[User, Depends(stream_user)]) -> User:
        return super().__call__(user)


def frame(seq: int, alert: dict[str, Any]) -> bytes:
    """Return one SSE event for an alert published under sequence id ``seq``."""
    data = json.dumps(alert, separators=(",", ":"))
    return f"id: {seq}\nevent: alert\ndata: {data}\n\n".encode()


def parse_last_id(header: str | None, query: str | None) -> int | None:
    """Return the resume point (header first), None when absent or not one of our ids."""
    for value in (header, query):
        if value is not None and is_digits(value.strip()):
            return int(value.strip())
    return None


async def events(
    hub: Hub, sub: Subscription, last_id: int | None, guard: StreamGuard | None = None
) -> AsyncGenerator[bytes, None]:
    """Yield the stream: retry hint, missed alerts, then live alerts and heartbeats.

    ``upto`` is the id up to which every alert was sent or is not for this client. Each read
    of the hub says how far back its ring still reaches (``floor``); whatever lies between
    ``upto`` and the floor comes from the store first, under the ids those alerts were
    published with, then the ring's newer ones: one clock, nothing twice, nothing skipped, on
    a resume as well as for a client that fell more than a ring behind.

    ``guard`` re-checks the identity meanwhile: it closes ``sub`` (ending the stream) when the
    token is revoked or expires, and narrows or widens the alert filter when the scope changes.
    """
    watch = None if guard is None else asyncio.ensure_future(guard.run(sub))
    try:
        yield f"retry: {RETRY_MS}\n\n".encode()
        upto = sub.alert_cursor  # the resume point, or where the subscription started
        while True:
            window = sub.take_alert_window()
            if window.floor > upto and hub.alert_history is not None:
                for seq, alert in await hub.alert_history(upto, window.floor):
                    if sub.alert_filter is None or sub.alert_filter(alert):
                        yield frame(seq, alert)
            for entry in window.entries:
                yield frame(entry.seq, entry.alert)
                hub.observe_latency("sse_alert", _since(entry))
            upto = window.head
            if not await sub.wait(HEARTBEAT_SECONDS):
                yield b": keepalive\n\n"
    except HubClosed:
        return
    finally:
        sub.close()
        if watch is not None:
            watch.cancel()


def _since(entry: AlertEntry) -> float:

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
    hub = services_of(request.app).hub
    last_id = parse_last_id(last_event_id, last_event_id_query)
    if last_id is not None:
        last_id = min(last_id, hub.alert_seq)  # an id from a clock ahead of ours
    sub = hub.subscribe(
        "sse", alert_filter=alert_filter_for(user), alerts_after=last_id, vessels=False
    )
    guard = StreamGuard(services_of(request.app).streams(), user)
    return StreamingResponse(
        events(hub, sub, last_id, guard),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
