"""Real servers for the push tests: uvicorn on 127.0.0.1 in a thread, and a webhook receiver."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from app.api.push.deflate import SharedDeflateProtocol


@contextmanager
def serve(app: Any) -> Iterator[int]:
    """Run ``app`` under a real uvicorn on a free port of 127.0.0.1; yield the port."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, log_level="warning", lifespan="on", ws=SharedDeflateProtocol)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A minimal ASGI webhook receiver: records every request, answers from a script."""

    #: Status codes to answer in turn; the last one repeats.
    script: list[int] = field(default_factory=lambda: [200])
    got: list[Received] = field(default_factory=list)
    redirect_to: str | None = None
    #: Seconds each answer takes (a slow receiver); requests in flight now and at most.
    delay: float = 0.0
    in_flight: int = 0
    most_in_flight: int = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.got.append(Received(scope["path"], headers, body))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        status = self.script[min(len(self.got), len(self.script)) - 1]
        extra = []
        if self.redirect_to is not None:
            status = 307
            extra = [(b"location", self.redirect_to.encode())]
        await send({"type": "http.response.start", "status": status, "headers": extra})
        await send({"type": "http.response.body", "body": b"ok"})
