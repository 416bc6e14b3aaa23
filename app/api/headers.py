"""Security headers on every answer, ``Cache-Control: no-store`` on the API's.

OWASP's REST Security Cheat Sheet: an API answer is data, never a page, so it may not be
framed, sniffed into HTML or run scripts (``Content-Security-Policy: default-src 'none';
frame-ancestors 'none'``); it leaks no referrer; and it is not kept by a browser or a proxy
(``no-store``), which matters most for the answers that carry a token (login, new API
tokens) and for vessel positions an operations room does not want in a shared cache. A header
a route sets itself (the dashboard's CSP, the basemap's ``max-age``) is kept.
"""

from __future__ import annotations

from app.api.guard import ASGIApp, Message, Receive, Scope, Send

#: Paths whose answers are data (the dashboard's page and static files have their own rules).
API_PREFIXES = ("/api/", "/ogc", "/metrics", "/healthz", "/readyz", "/openapi.json")

EVERY_ANSWER: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
API_ANSWERS: tuple[tuple[bytes, bytes], ...] = (
    (b"cache-control", b"no-store"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
)


class SecurityHeaders:
    """ASGI middleware adding the headers above unless the answer already has them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = EVERY_ANSWER
        if scope["path"].startswith(API_PREFIXES):
            extra = EVERY_ANSWER + API_ANSWERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
