"""Batches and triaged events as bytes on the bus.

A batch travels as its numpy columns, raw, behind a small JSON header (the column layout, the
receiving stations, the static reports): no per-record Python on either side, which is the
budget the decoder and the engine spend carefully (STYLE habit 5). Columns keep their dtypes,
so a batch decoded from the bus is the batch that was encoded, NaNs and -1 codes included.

Events travel as the engine's own snapshot form (`geo.engine.event_to_state`) with the rules'
decision and the situation, so the store worker writes exactly what one process would. An
event message may carry more beside them (``extra``): what contact fusion made of stored
contacts, and the dark targets its partition owns (`app.bus.engine_worker`). Contacts travel
in their snapshot form (`geo.contacts.Contact.to_state`).
"""

from __future__ import annotations

import json
import struct
from dataclasses import asdict
from typing import Any

import numpy as np

from ais_ingest.records import POSITION_COLUMNS, Batch, PositionColumns, StaticReport
from geo.alert_rules import Decision
from geo.contacts import Contact
from geo.engine import event_from_state, event_to_state
from geo.events import Severity
from geo.triage import Triaged

_LEN = struct.Struct(">I")


class CodecError(ValueError):
    """Bytes that are not a batch or an event list of this format."""


def encode_batch(batch: Batch, clock: dict[str, Any] | None = None) -> bytes:
    """Return ``batch`` as bytes (see the module docstring), with ingest's ``clock`` if given.

    The clock is what ingest, the one authority on event time, says of the batch's records
    (their slices, the event time reached; `app.bus.ingest_worker`).
    """
    pos = batch.positions
    sources = sorted(set(pos.source))
    index = {s: i for i, s in enumerate(sources)}
    header: dict[str, Any] = {
        "n": len(pos),
        "sources": sources,
        "statics": [asdict(s) for s in batch.statics],
    }
    if clock is not None:
        header["clock"] = clock
    parts = [np.ascontiguousarray(getattr(pos, name)).tobytes() for name in POSITION_COLUMNS]
    src = np.fromiter((index[s] for s in pos.source), dtype=np.int32, count=len(pos.source))
    head = json.dumps(header, separators=(",", ":")).encode()
    return b"".join([_LEN.pack(len(head)), head, *parts, src.tobytes()])


def decode_batch(data: bytes) -> Batch:
    """Inverse of `encode_batch` (`CodecError` on bytes that are not one)."""
    return decode_clocked(data)[0]


def decode_clocked(data: bytes) -> tuple[Batch, dict[str, Any] | None]:
    """Inverse of `encode_batch`: the batch and ingest's clock (None when it has none)."""
    try:
        (hlen,) = _LEN.unpack_from(data, 0)
        header = json.loads(data[4 : 4 + hlen])
        n = int(header["n"])
        off = 4 + hlen
        cols: dict[str, Any] = {}
        for name, (dtype, _) in POSITION_COLUMNS.items():
            size = np.dtype(dtype).itemsize * n
            cols[name] = np.frombuffer(data, dtype=dtype, count=n, offset=off).copy()
            off += size
        src = np.frombuffer(data, dtype=np.int32, count=n, offset=off)
        if off + 4 * n != len(data):
            raise CodecError("batch: trailing or missing bytes")
        names: list[str] = header["sources"]
        pos = PositionColumns(**cols, source=[names[i] for i in src.tolist()])
        statics = [StaticReport(**s) for s in header["statics"]]
        clock = header.get("clock")
    except (ValueError, KeyError, TypeError, IndexError, struct.error) as exc:
        if isinstance(exc, CodecError):
            raise
        raise CodecError(f"not a batch: {exc}") from exc
    return Batch(pos, statics), clock


def triaged_to_state(t: Triaged) -> dict[str, Any]:
    """Return a triaged event as JSON-ready data."""
    d = t.decision
    return {
        "event": event_to_state(t.event),
        "alert": d.alert,
        "rule": d.rule,
        "severity": d.severity.value,
        "situation": t.situation,
    }


def triaged_from_state(obj: dict[str, Any]) -> Triaged:
    """Inverse of `triaged_to_state`."""
    decision = Decision(bool(obj["alert"]), obj["rule"], Severity(obj["severity"]))
    return Triaged(event_from_state(obj["event"]), decision, str(obj["situation"]))


def encode_events(events: list[Triaged], extra: dict[str, Any] | None = None) -> bytes:
    """Return triaged events as one JSON document (an object with ``extra``'s keys if given)."""
    body: Any = [triaged_to_state(t) for t in events]
    if extra:
        body = {**extra, "events": body}
    return json.dumps(body, separators=(",", ":")).encode()


def decode_events(data: bytes) -> list[Triaged]:
    """Inverse of `encode_events`: the events (`CodecError` on anything else)."""
    return decode_event_message(data)[0]


def decode_event_message(data: bytes) -> tuple[list[Triaged], dict[str, Any]]:
    """Inverse of `encode_events`: the events and the extra (empty when none)."""
    try:
        body = json.loads(data)
        extra: dict[str, Any] = {}
        if isinstance(body, dict):
            extra = {k: v for k, v in body.items() if k != "events"}
            body = body["events"]
        return [triaged_from_state(o) for o in body], extra
    except (ValueError, KeyError, TypeError) as exc:
        raise CodecError(f"not an event list: {exc}") from exc


def encode_contacts(contacts: list[Contact]) -> bytes:
    """Return contacts as one JSON document."""
    return json.dumps([c.to_state() for c in contacts], separators=(",", ":")).encode()


def decode_contacts(data: bytes) -> list[Contact]:
    """Inverse of `encode_contacts` (`CodecError` on anything else)."""
    try:
        return [Contact.from_state(o) for o in json.loads(data)]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CodecError(f"not a contact list: {exc}") from exc
