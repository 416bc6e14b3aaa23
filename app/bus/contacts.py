"""Contacts (sightings, radar, satellite detections) on their way to the engine workers.

Whoever stores contacts with the bus on -- an API node (``POST /api/v1/contacts``, a radar
feed) or ``mare contacts import`` -- publishes them, with their store ids, on the contacts
subject (stream ``<P>_CONTACTS``). They do not go to the partitions from there: ingest, the
one authority on the order of steps, takes them in (`pump_contacts`) and publishes each
message as one step of its sequence to *every* partition (`BusPublisher.contacts`), between
two batches. So every partition adds the same contacts at the same point of the feed, a
replay after a restart adds them at that point again, and every partition's fusion -- which is
replicated, `app.bus.shared_fusion` -- fuses each contact at the same slice close, on event
time. A contacts message is acked once every partition's step is confirmed; one taken twice
(ingest killed between the two) is dropped by JetStream's duplicate window, and a contact
that still came twice is one pending contact (fusion keys stored contacts by id).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

from app.bus import messages
from app.bus.codec import CodecError, decode_contacts, encode_contacts
from app.bus.connect import RETRY_S, retrying
from app.bus.subjects import Layout
from geo.contacts import Contact

#: Gives contacts to every partition as one step, named by a key (`BusPublisher.contacts`).
Give = Callable[[list[Contact], str], Awaitable[None]]
#: Gives a rules message's body to every partition as one step (`BusPublisher.rules`).
GiveRules = Callable[[bytes, str], Awaitable[None]]

log = logging.getLogger("app.bus.contacts")

#: Contacts per message at most: about 250 bytes each, well under NATS's 1 MiB.
PER_MESSAGE = 1000
#: Ingest's durable consumer of the contacts stream.
CONSUMER = "ingest-contacts"


async def publish_contacts(
    js: JetStreamContext, layout: Layout, contacts: Sequence[Contact], msg_id: str | None = None
) -> None:
    """Publish stored contacts for the engines (retried until JetStream takes them).

    ``msg_id`` names the publication (a stored POST's, `app.bus.contact_outbox`): sent again
    within the contacts stream's duplicate window, JetStream keeps the first only.
    """
    items = list(contacts)
    for i in range(0, len(items), PER_MESSAGE):
        payload = encode_contacts(items[i : i + PER_MESSAGE])
        headers = {messages.MSG_ID: f"{msg_id}:{i // PER_MESSAGE}"} if msg_id else None

        async def pub(payload: bytes = payload, headers: dict[str, str] | None = headers) -> None:
            await js.publish(layout.contacts_subject, payload, timeout=5.0, headers=headers)

        await retrying(pub, "contacts")


async def pump_contacts(
    js: JetStreamContext,
    layout: Layout,
    give: Give,
    stop: asyncio.Event,
    bad: Callable[[], None] = lambda: None,
    rules: GiveRules | None = None,
) -> None:
    """Give the contacts published on the bus to every partition, in ingest's steps.

    ``bad`` is told of each message that is not contacts (logged and skipped). Alert rules
    saved on an API node come in the same stream (`app.bus.rules_update`): ``rules`` gives
    each to every partition as one step, in the stream's order with the contacts.
    """
    cfg = ConsumerConfig(durable_name=CONSUMER, ack_policy=AckPolicy.EXPLICIT, ack_wait=60.0)
    await retrying(lambda: js.add_consumer(layout.contacts_stream, cfg), "contacts consumer")
    sub = await retrying(
        lambda: js.pull_subscribe_bind(CONSUMER, stream=layout.contacts_stream), "contacts"
    )
    while not stop.is_set():
        try:
            msgs = await sub.fetch(16, timeout=0.5)
        except (nats.errors.TimeoutError, TimeoutError):
            continue
        except (nats.errors.Error, OSError) as exc:
            log.debug("contacts: fetch failed: %s", exc)
            await asyncio.sleep(RETRY_S)
            continue
        for msg in msgs:
            if msg.subject == layout.rules_subject:
                if rules is not None:
                    await rules(msg.data, str(msg.metadata.sequence.stream))
                await retrying(msg.ack, "rules ack")
                continue
            try:
                contacts = decode_contacts(msg.data)
            except CodecError as exc:  # counted and skipped, never a stuck feed
                bad()
                log.error("contacts message %d skipped: %s", msg.metadata.sequence.stream, exc)
                contacts = []
            await give(contacts, str(msg.metadata.sequence.stream))
            await retrying(msg.ack, "contacts ack")
