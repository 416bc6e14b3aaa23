"""A Content-Security-Policy for the API docs pages, so they ask nothing of the internet.

Swagger UI and ReDoc come from the ``fastapi-offline`` package (served by the app itself), but
ReDoc's page still points an image at its vendor's CDN. In an air-gapped room that is a failed
request at best and a beacon at worst; this policy lets the browser load only what the service
serves (inline script and style are what both pages are made of).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'; "
    "font-src 'self' data:; frame-ancestors 'none'"
)


class DocsPolicy:
    """ASGI middleware adding `POLICY` to the docs pages' responses (nothing else is touched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") not in DOCS_PATHS:
            await self.app(scope, receive, send)
            return

        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"content-security-policy", POLICY.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_policy)
