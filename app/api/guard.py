"""Requests refused before routing: bodies over a size limit, NUL characters anywhere.

Both checks run ahead of authentication on purpose. A body is read into memory by whatever
handles it (JSON parsing, a zone import), so without a limit one unauthenticated 100 MB
``POST /auth/login`` costs the service half a gigabyte and slows every other request; the
limit is checked on ``Content-Length`` before a byte is read, and again while a chunked body
arrives. NUL characters are refused because PostgreSQL text cannot hold them (the driver
raised, the API answered 500) while SQLite stores them: refusing them here gives both
backends the same answer, a 422 that names the problem, for paths, query strings and bodies.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Paths served before anyone signs in carry small bodies (a username and a password).
SMALL_BODY_PATHS = ("/api/v1/auth/",)
SMALL_BODY_BYTES = 64 * 1024


class BodyTooLarge(Exception):
    """The request's body is over the limit of its path."""


def has_nul(value: Any) -> bool:
    """Return whether a parsed JSON value holds a NUL in any string, key or value."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def body_has_nul(body: bytes, content_type: str) -> bool:
    """Return whether a body carries a NUL, raw or as a JSON escape (backslash-u-0000)."""
    if b"\x00" in body:
        return True
    if b"\\u0000" not in body or "json" not in content_type:
        return False
    try:
        return has_nul(json.loads(body))
    except ValueError:  # not JSON after all: the route's own parsing answers
        return False


class RequestGuard:
    """ASGI middleware: 413 over ``max_body`` bytes, 422 for NUL in path, query or body."""

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    def limit(self, path: str) -> int:
        """Return the body limit of a path."""
        if path.startswith(SMALL_BODY_PATHS):
            return min(self.max_body, SMALL_BODY_BYTES)
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        query: bytes = scope.get("query_string", b"")
        if "\x00" in path or b"%00" in query or b"\x00" in query:
            await refuse(send, 422, "invalid_request", "NUL characters are not accepted")
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        limit = self.limit(path)
        declared = headers.get(b"content-length", b"")
        if declared.strip().isdigit() and int(declared) > limit:
            await refuse(send, 413, "too_large", f"the request body is over {limit} bytes")
            return
        if b"content-length" not in headers and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body (GET, DELETE ...)
            return
        try:
            body = await read_body(receive, limit)
        except BodyTooLarge:
            await refuse(send, 413, "too_large", f"the request body is over {limit} bytes")
            return
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if body_has_nul(body, content_type):
            await refuse(send, 422, "invalid_request", "NUL characters are not accepted")
            return
        await self.app(scope, replay(body, receive), send)


async def read_body(receive: Receive, limit: int) -> bytes:
    """Return the whole body; `BodyTooLarge` as soon as it passes ``limit``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: nothing to handle
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """Return a ``receive`` that gives ``body`` once, then the client's own messages."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


async def refuse(send: Send, status: int, code: str, message: str) -> None:
    """Answer with the API's error shape (docs/api.md) and close."""
    payload = json.dumps({"error": code, "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
