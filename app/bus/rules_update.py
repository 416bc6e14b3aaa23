"""New alert rules from an API node to the engine workers, at one place in the record stream.

An admin saves rules on an API node (``PUT /api/v1/alert-rules``); the node stores them (a
worker that starts later reads them there, `app.bus.setup`) and publishes them as a ``rules``
record message to every partition's subject (`app.bus.messages`). An engine worker triages with
them from that message on: the change sits at a fixed place in each partition's stream, which
JetStream keeps, so a worker that restores an older snapshot and reads the stream again changes
its rules at the same place and decides the same events the same way. The rules in force are
saved with each snapshot (`app.bus.snapshots`) for the same reason.

The node publishes to the partitions one after the other while ingest goes on, so two partitions
may take the change one ingest step apart (milliseconds of feed); each partition's place is fixed
once written. Ingest could sequence it as a step of its own, at the cost of ingest watching the
store; not done.

Chosen over a key-value entry that workers watch: a watch fires at a wall-clock moment, between
whatever messages the worker happens to be handling, and a replay could not tell where that was.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from nats.js import JetStreamContext

from app.bus import messages
from app.bus.connect import retrying
from app.bus.subjects import Layout


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
    """Publish ``document`` to every partition as one step; return the step's name.

    Each save is its own step (a new id), so saving rules A, then B, then A again within the
    stream's duplicate window is three changes, not two.
    """
    step = f"rules-{uuid.uuid4().hex}"
    body = encode_rules(document)
    for p in range(layout.partitions):
        headers = {
            messages.KIND: "rules",
            messages.STEP: step,
            messages.MSG_ID: f"{layout.prefix}:{step}:{p}",
        }
        subject = layout.records_subject(p)

        async def pub(subject: str = subject, headers: dict[str, str] = headers) -> None:
            await js.publish(subject, body, headers=headers, timeout=5.0)

        await retrying(pub, f"rules to partition {p}")
    return step
