"""What an API node (``mare serve --api-only``) hears from the bus: vessels, alerts, events.

An API node has no engine of its own to feed its hub: the store worker tells it, after
storage, which vessels changed (core NATS: a lost update is repaired by the next one) and which
alerts it stored (a JetStream stream read by an ordered consumer, which NATS restarts at the
right place after a reconnect, so no alert is skipped). Alerts arrive numbered by the store
worker, the one numbering every API node shares, and the number is on the stored row, so a
client that reconnects to *another* node with ``Last-Event-ID`` resumes where it was (from that
node's ring, or from the store for older numbers).

What a node answers from engine state -- a vessel's risk and its episodes, the event time that
intercepts and reach are computed at -- comes from every event the engine workers published
(the events stream, read from its start by an ordered consumer): the node's engine keeps them
in its book as the engines do (`geo.engine.Engine.remember`) and takes its event time from
them (partition 0 tells it at least every second of event time), without wall-clock drift, so
every node that has read the same events answers the same. The dark targets come with the
events too: the partition that owns a target tells its state when it changes (the event
message's extra, `app.bus.shared_fusion`), and the node answers ``/api/v1/targets`` from them
as one process answers from its fusion.

Contacts stored on a node (``POST /api/v1/contacts``, its radar feeds) go to the engine workers
through the bus in the background (`send_contacts`, `app.bus.contact_outbox`): a client is not
held up while NATS is away.

Alert rules an admin saves on a node go to the engine workers the same way (`publish_rules`,
`app.bus.rules_update`), and to every API node, which answers with them and narrows people's
streams with them from then on (``on_rules``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from app.bus import messages
from app.bus.codec import decode_event_message
from app.bus.connect import connect, ensure_layout
from app.bus.contact_outbox import ContactOutbox
from app.bus.rules_update import follow_rules, publish_rules
from app.bus.subjects import Layout
from app.bus.worker_stats import WorkerReports
from app.live.hub import Hub
from app.live.picture import LivePicture
from app.pipeline.clock import LiveClock
from app.store.contact_posts import Posted
from geo.contacts import Contact
from geo.detectors.dark_tracks import DarkTrack
from geo.engine import Engine

log = logging.getLogger("app.bus.api")


class ApiFeed:
    """Feeds an API node's live picture and hub from the bus."""

    def __init__(
        self,
        url: str,
        layout: Layout,
        hub: Hub,
        live: LivePicture,
        engine: Engine,
        clock: LiveClock,
        *,
        unsent: Callable[[int], list[Posted]] | None = None,
        mark_sent: Callable[[int, int], None] | None = None,
        on_rules: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Feed a node; what the store and the node's rules add is optional.

        ``unsent`` and ``mark_sent``: the store's POSTs of contacts (`ContactOutbox`);
        ``on_rules``: told of rules saved on any node (the latest at the start, then each).
        """
        self.url = url
        self.layout = layout
        self.hub = hub
        self.live = live
        self.engine = engine
        self.clock = clock
        self.nc: Client | None = None
        self.alerts = 0
        self.vessel_updates = 0
        self.events = 0
        #: Messages from the bus that were not what their subject carries (logged, skipped).
        self.bad = 0
        #: Every worker's counters, for this node's /metrics (`app.bus.worker_stats`).
        self.reports = WorkerReports()
        self._follow: asyncio.Task[None] | None = None
        self._posts = (unsent, mark_sent)
        self._on_rules = on_rules
        self.outbox: ContactOutbox | None = None

    async def start(self) -> None:
        """Connect and subscribe (alerts from those stored from now on)."""
        self.nc = await connect(self.url, name="mare-api")
        js = self.nc.jetstream()
        await ensure_layout(js, self.layout)
        await self.nc.subscribe(self.layout.vessels_subject, cb=self._vessels)
        await js.subscribe(
            self.layout.alerts_subject,
            cb=self._alerts,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.NEW,
        )
        await js.subscribe(
            self.layout.events_subject("*"),
            cb=self._events,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.ALL,
        )
        self._follow = asyncio.create_task(self.reports.follow(js, self.layout), name="reports")
        if self._on_rules is not None:
            await follow_rules(js, self.layout, self._on_rules)
        unsent, mark_sent = self._posts
        self.outbox = ContactOutbox(js, self.layout, unsent or (lambda _before: []),
                                    mark_sent or (lambda _post, _at: None))  # fmt: skip
        if unsent is not None:
            self.outbox.start()

    async def stop(self) -> None:
        if self.outbox is not None:
            await self.outbox.stop()
        if self._follow is not None:
            self._follow.cancel()
            await asyncio.gather(self._follow, return_exceptions=True)
            self._follow = None
        if self.nc is not None:
            await self.nc.close()
            self.nc = None

    async def publish_rules(self, document: dict[str, Any]) -> str:
        """Tell the engine workers new alert rules; return the step (`app.bus.rules_update`)."""
        if self.nc is None:
            raise RuntimeError("the bus feed is not started")
        return await publish_rules(self.nc.jetstream(), self.layout, document)

    async def _vessels(self, msg: Msg) -> None:
        try:
            entries: list[dict[str, Any]] = json.loads(msg.data)
            self.live.load(entries)
            self.hub.publish_vessels(self.live.vessels(int(e["mmsi"]) for e in entries))
            self.vessel_updates += len(entries)
        except (ValueError, KeyError, TypeError) as exc:
            log.error("vessel update from the bus skipped: %s", exc)

    async def _alerts(self, msg: Msg) -> None:
        try:
            items: list[dict[str, Any]] = json.loads(msg.data)
            for item in items:
                self.hub.publish_alert(item["alert"], seq=int(item["seq"]))
                self.alerts += 1
        except (ValueError, KeyError, TypeError) as exc:
            log.error("alerts from the bus skipped: %s", exc)

    def send_contacts(self, post: int | None, contacts: list[Contact]) -> None:
        """Send stored contacts to the engine workers in the background (`ContactOutbox`)."""
        assert self.outbox is not None, "the feed is started with the node"
        self.outbox.send(post, contacts)

    async def _events(self, msg: Msg) -> None:
        """Every event the engines published, and their event time: the node's engine book."""
        try:
            triaged, extra = decode_event_message(msg.data)
            events = [t.event for t in triaged]
            now = int((msg.headers or {}).get(messages.WATERMARK, 0))
            targets = [DarkTrack.from_state(t) for t in extra.get("targets", [])]
            gone = [int(n) for n in extra.get("gone", [])]
        except (ValueError, KeyError, TypeError) as exc:  # not an event message of ours
            self.bad += 1
            log.error("events from the bus skipped: %s", exc)
            return
        tracks = self.engine.contacts.tracks
        for tr in targets:
            tracks[tr.number] = tr
        for n in gone:
            tracks.pop(n, None)
        self.engine.remember(events)
        self.events += len(events)
        if now:
            w = self.engine.watermark
            self.engine.watermark = now if w is None else max(w, now)
            self.clock.saw(self.engine.watermark)
