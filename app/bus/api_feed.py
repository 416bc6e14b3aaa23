"""What an API node (``mare serve --api-only``) hears from the bus: vessels and stored alerts.

An API node has no engine of its own to feed its hub: the store worker tells it, after
storage, which vessels changed (core NATS: a lost update is repaired by the next one) and which
alerts it stored (a JetStream stream read by an ordered consumer, which NATS restarts at the
right place after a reconnect, so no alert is skipped). Alerts arrive numbered by the store
worker, the one numbering every API node shares, and the number is on the stored row, so a
client that reconnects to *another* node with ``Last-Event-ID`` resumes where it was (from that
node's ring, or from the store for older numbers).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from app.bus.connect import connect, ensure_layout
from app.bus.subjects import Layout
from app.live.hub import Hub
from app.live.picture import LivePicture

log = logging.getLogger("app.bus.api")


class ApiFeed:
    """Feeds an API node's live picture and hub from the bus."""

    def __init__(self, url: str, layout: Layout, hub: Hub, live: LivePicture) -> None:
        self.url = url
        self.layout = layout
        self.hub = hub
        self.live = live
        self.nc: Client | None = None
        self.alerts = 0
        self.vessel_updates = 0

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

    async def stop(self) -> None:
        if self.nc is not None:
            await self.nc.close()
            self.nc = None

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
