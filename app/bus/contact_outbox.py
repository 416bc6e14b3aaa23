"""An API node's stored contacts on their way to the bus, without holding the client up.

``POST /api/v1/contacts`` on an API node answers 202 once the contacts and the POST are
stored (`app.store.contact_posts`): the store is the durable record. Publishing them
(`app.bus.contacts.publish_contacts`, retried until JetStream takes them) goes on in the
background (`send`), and the POST is marked sent after. What a node did not send -- it died
first, or NATS was away past its stop -- is sent by any API node: each looks for POSTs left
unsent for `SWEEP_S` every `SWEEP_S` (`sweep`). A POST is published under its own message id,
so one sent twice within the contacts stream's duplicate window is kept once
(`app.bus.connect.CONTACTS_DUPLICATE_WINDOW_S`); a contact given twice after it is one
pending contact still (fusion keys stored contacts by id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from nats.js import JetStreamContext

from app.bus.contacts import publish_contacts
from app.bus.subjects import Layout
from app.store.contact_posts import Posted
from app.wallclock import now_ms
from geo.contacts import Contact

log = logging.getLogger("app.bus.contacts")

#: Seconds between two looks for POSTs left unsent, and how old one is before a node takes it.
SWEEP_S = 60.0


class ContactOutbox:
    """Send stored contacts to the bus in the background (module docstring)."""

    def __init__(
        self,
        js: JetStreamContext,
        layout: Layout,
        unsent: Callable[[int], list[Posted]],
        mark_sent: Callable[[int, int], None],
    ) -> None:
        self.js = js
        self.layout = layout
        self.unsent = unsent
        self.mark_sent = mark_sent
        self.sent = 0
        self._tasks: dict[int | None, asyncio.Task[None]] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._anonymous = 0

    def send(self, post: int | None, contacts: list[Contact]) -> None:
        """Publish contacts in the background; ``post`` (a stored POST's id) is marked sent."""
        if post is not None and post in self._tasks:
            return  # on its way already
        key: int | None = post
        if post is None:  # a radar feed's contacts: no POST to mark, nothing to sweep
            self._anonymous -= 1
            key = self._anonymous
        task = asyncio.create_task(self._send(post, contacts), name=f"contacts-{key}")
        self._tasks[key] = task
        task.add_done_callback(lambda _t: self._tasks.pop(key, None))

    async def _send(self, post: int | None, contacts: list[Contact]) -> None:
        msg_id = f"{self.layout.prefix}:post:{post}" if post is not None else None
        await publish_contacts(self.js, self.layout, contacts, msg_id)
        self.sent += len(contacts)
        if post is not None:
            try:
                await asyncio.to_thread(self.mark_sent, post, now_ms())
            except Exception as exc:  # the store away: a sweep sends it again, JetStream drops it
                log.warning("contacts of POST %d sent, not marked so: %s", post, exc)

    def start(self) -> None:
        """Look for POSTs left unsent every `SWEEP_S` (the first look at once)."""
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="contacts-sweep")

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception as exc:  # the store away: the next look
                log.warning("unsent contacts not read: %s", exc)
            await asyncio.sleep(SWEEP_S)

    async def sweep(self) -> int:
        """Send the POSTs left unsent for `SWEEP_S`; return how many were taken up."""
        posts = await asyncio.to_thread(self.unsent, now_ms() - int(SWEEP_S * 1000))
        for p in posts:
            log.info("contacts of POST %d left unsent: sending them", p.id)
            self.send(p.id, p.contacts)
        return len(posts)

    async def sending(self) -> None:
        """Wait until what is on its way now is sent (tests, and a node stopping gently)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def stop(self) -> None:
        """Stop sending: what is not sent yet is a sweep's (of this node or another)."""
        tasks = [t for t in (self._sweeper, *self._tasks.values()) if t is not None]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
