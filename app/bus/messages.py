"""What a record message says besides its batch: its kind, and the event time of a tick.

Ingest publishes four kinds to every partition's subject: ``batch`` (records, with ingest's
clock in the body, `app.bus.codec`), ``tick`` (event time has passed to ``Mare-Frontier`` ms:
the live clock of `app.pipeline.clock`, decided once by ingest and recorded in the stream, so
a replay after a restart closes the same slices), ``contacts`` (sightings, radar and satellite
detections to fuse, `app.bus.contacts`) and ``flush`` (a finite input ended: close
everything, as `mare detect` does at the end). Every partition gets every message of a step
(one decoded batch, one tick, the flush), under the same ``Mare-Step``: the partitions close
the same slices at the same points and exchange what they must there (`app.bus.slice_exchange`).

An API node publishes a fifth, ``rules`` (the alert rules document an admin saved, JSON in
the body: `app.bus.rules_update`), to every partition's subject: the engine worker triages with
it from that message on, so the rules change at a fixed place in the stream and a replay after
a restart changes them at the same place.
"""

from __future__ import annotations

import json
from typing import Literal

KIND = "Mare-Kind"
FRONTIER = "Mare-Frontier"
#: On an event message: the record message (stream sequence) whose events it carries.
SOURCE_SEQ = "Mare-Source-Seq"
MSG_ID = "Nats-Msg-Id"
#: On a record message: the ingest step it belongs to (the same on every partition's message).
STEP = "Mare-Step"
#: On an event message: the engine's event time after the record message (ms), and the risk
#: scores of its vessels that changed (JSON object, MMSI -> score).
WATERMARK = "Mare-Watermark"
RISK = "Mare-Risk"
#: On a record message: when ingest published it (Unix seconds), for the lag of what follows.
SENT = "Mare-Sent"

Kind = Literal["batch", "tick", "contacts", "flush", "rules"]


def kind_of(headers: dict[str, str] | None) -> Kind:
    """Return a record message's kind (``batch`` when it says none)."""
    k = (headers or {}).get(KIND, "batch")
    if k == "tick":
        return "tick"
    if k == "flush":
        return "flush"
    if k == "contacts":
        return "contacts"
    if k == "rules":
        return "rules"
    return "batch"


def risk_of(headers: dict[str, str] | None) -> dict[int, int]:
    """Return an event message's risk scores (MMSI -> score; empty when it tells none).

    A header that is not such an object raises ``ValueError`` (the caller counts the message
    as bad).
    """
    raw = (headers or {}).get(RISK)
    if not raw:
        return {}
    try:
        return {int(m): int(s) for m, s in json.loads(raw).items()}
    except (AttributeError, TypeError) as exc:
        raise ValueError(f"{RISK}: not an object of scores") from exc
