"""New alert rules from an API node to every partition at one step, and to every API node.

An admin saves rules on an API node (``PUT /api/v1/alert-rules``); the node stores them (a
worker that starts later reads them there, `app.bus.setup`) and publishes them on the rules
subject, which is in the contacts stream (`app.bus.subjects.Layout.rules_subject`):

- ingest takes them in with the contacts (`app.bus.contacts.pump_contacts`) and publishes them
  as one ``rules`` step of its sequence to every partition (`BusPublisher.rules`), between two
  batches: every partition switches at the same place of the feed, so at the same event-time
  step, and an engine worker triages with them from that message on. The place is fixed in each
  partition's stream, which JetStream keeps, so a worker that restores an older snapshot and
  reads the stream again changes its rules at the same place and decides the same events the
  same way; the rules in force are saved with each snapshot for the same reason. While ingest
  is down, they wait in the stream with the contacts;
- every API node follows the subject (`follow_rules`, from the latest message on at its start)
  and takes the rules saved last from the store, answers ``GET /api/v1/alert-rules`` and
  narrows people's streams with them at once.

Chosen over a key-value entry that workers watch: a watch fires at a wall-clock moment, between
whatever messages the worker happens to be handling, and a replay could not tell where that was.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from app.bus import messages
from app.bus.connect import retrying
from app.bus.subjects import Layout

log = logging.getLogger("app.bus.rules")


def encode_rules(document: dict[str, Any]) -> bytes:
    """Return a rules document as a record message's body (JSON, keys sorted)."""
    return json.dumps(document, sort_keys=True).encode()


def decode_rules(data: bytes) -> dict[str, Any]:
    """Return the rules document of a record message's body (``ValueError`` if it is none)."""
    obj = json.loads(data)
    if not isinstance(obj, dict):
        raise ValueError("a rules message carries a JSON object")
    return obj


async def publish_rules(js: JetStreamContext, layout: Layout, document: dict[str, Any]) -> str:
    """Publish ``document`` for ingest to give every partition as one step; return its name.

    Each save is its own message (a new id), so saving rules A, then B, then A again within the
    stream's duplicate window is three changes, not two.
    """
    step = f"rules-{uuid.uuid4().hex}"
    headers = {messages.KIND: "rules", messages.STEP: step,
               messages.MSG_ID: f"{layout.prefix}:{step}"}  # fmt: skip

    async def pub() -> None:
        await js.publish(layout.rules_subject, encode_rules(document), headers=headers,
                         timeout=5.0)  # fmt: skip

    await retrying(pub, "rules")
    return step


async def follow_rules(
    js: JetStreamContext, layout: Layout, changed: Callable[[], Awaitable[None]]
) -> None:
    """Tell ``changed`` that rules were saved on an API node: the latest save, then each.

    The store has the rules saved last (the source of truth): a node reads them there when
    told, so a save the bus missed (a 503) is never undone by an older message.
    """

    async def got(_msg: Msg) -> None:
        try:
            await changed()
        except Exception as exc:  # the store away: the next save tells it again
            log.error("alert rules not read after a save on another node: %s", exc)

    await js.subscribe(layout.rules_subject, cb=got, ordered_consumer=True,
                       deliver_policy=DeliverPolicy.LAST_PER_SUBJECT)  # fmt: skip
