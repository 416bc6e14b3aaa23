"""Flow control for WebSocket sends, which uvicorn does not provide.

Measured with uvicorn 0.54 (both its ``websockets`` implementations): ``send`` never waits
for a client that stops reading; every message piles up in the transport's buffer (100 MB in
two seconds in our test), so one stuck dashboard could exhaust the server's memory. ASGI has no
way to see that buffer, so `find_transport` looks for the connection's transport behind the
ASGI ``send`` callable (the server protocol's bound method, possibly wrapped in closures by
Starlette), and `Backlog.drained` waits while more than ``limit`` bytes are queued. Meanwhile
the hub coalesces the client's vessel changes and keeps its alerts in the ring. Where no
transport can be found (another server), sends are not throttled.
"""

from __future__ import annotations

import asyncio
from typing import Any

#: Bytes queued for one client before its sends wait: a few diffs of a busy area.
BACKLOG_LIMIT = 512 * 1024
POLL_SECONDS = 0.02


def find_transport(send: Any, depth: int = 0) -> Any | None:
    """Return the asyncio transport behind an ASGI ``send`` callable, if one can be found."""
    owner = getattr(send, "__self__", None)
    transport = getattr(owner, "transport", None)
    if transport is not None and hasattr(transport, "get_write_buffer_size"):
        return transport
    if depth >= 8:
        return None
    for cell in getattr(send, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:
            continue
        if callable(value):
            found = find_transport(value, depth + 1)
            if found is not None:
                return found
    return None


class Backlog:
    """Waits for a client's transport buffer to drain below a limit."""

    def __init__(self, send: Any, limit: int = BACKLOG_LIMIT) -> None:
        self.transport = find_transport(send)
        self.limit = limit

    def queued(self) -> int:
        """Return the bytes waiting in the transport (0 when unknown)."""
        t = self.transport
        return 0 if t is None else int(t.get_write_buffer_size())

    async def drained(self) -> None:
        """Return once the client has taken enough of what was sent (or the link closed)."""
        t = self.transport
        while t is not None and not t.is_closing() and self.queued() > self.limit:
            await asyncio.sleep(POLL_SECONDS)
