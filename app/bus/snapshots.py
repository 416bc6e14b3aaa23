"""Engine state per partition in JetStream's key-value store.

A snapshot is the engine's own (`geo.engine.Engine.snapshot`), compressed, with the stream
sequence of the last record message it has taken in: a worker that takes the partition over
restores it and asks the stream for everything after that sequence (`app.bus.engine_worker`).

A value is at most NATS's largest message (1 MiB by default), and a partition's state with tens
of thousands of vessels is more, so a snapshot is written in chunks under a new generation's
keys first and its header (``p<k>``) last: the header is the commit, so a worker killed while
writing leaves the previous snapshot whole, and the old generation's chunks are deleted after.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from typing import Any

from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

#: Bytes per chunk: under NATS's default largest message (1 MiB) with room for the headers.
CHUNK_BYTES = 512 * 1024


class SnapshotMissing(Exception):
    """A header names chunks that are gone (deleted by hand, or a bucket limit)."""


@dataclass(frozen=True, slots=True)
class PartitionSnapshot:
    """An engine snapshot, the last record sequence it includes and the rules then in force.

    ``rules`` is the alert rules document the partition triaged with at ``seq``
    (`app.bus.rules_update`); None in a snapshot from before rules travelled on the bus.
    """

    seq: int
    blob: bytes
    rules: dict[str, Any] | None = None


def _header_key(partition: int) -> str:
    return f"p{partition}"


def _chunk_key(partition: int, gen: int, i: int) -> str:
    return f"p{partition}.g{gen}.c{i}"


async def load(kv: KeyValue, partition: int) -> PartitionSnapshot | None:
    """Return the partition's latest snapshot, or None when it has none yet."""
    try:
        entry = await kv.get(_header_key(partition))
    except KeyNotFoundError:
        return None
    if entry.value is None:
        return None
    head = json.loads(entry.value)
    parts = []
    for i in range(int(head["chunks"])):
        try:
            chunk = await kv.get(_chunk_key(partition, int(head["gen"]), i))
        except KeyNotFoundError as exc:
            raise SnapshotMissing(f"partition {partition}: chunk {i} is gone") from exc
        parts.append(chunk.value or b"")
    packed = b"".join(parts)
    if hashlib.sha256(packed).hexdigest() != head["sha256"]:
        raise SnapshotMissing(f"partition {partition}: snapshot does not match its digest")
    return PartitionSnapshot(int(head["seq"]), zlib.decompress(packed), head.get("rules"))


async def save(kv: KeyValue, partition: int, snap: PartitionSnapshot) -> int:
    """Write a snapshot (chunks, then the header); return its size compressed, in bytes."""
    packed = zlib.compress(snap.blob, 1)
    old: dict[str, int] | None = None
    try:
        entry = await kv.get(_header_key(partition))
        if entry.value is not None:
            old = json.loads(entry.value)
    except KeyNotFoundError:
        pass
    gen = (old["gen"] + 1) if old else 1
    chunks = [packed[i : i + CHUNK_BYTES] for i in range(0, len(packed), CHUNK_BYTES)] or [b""]
    for i, chunk in enumerate(chunks):
        await kv.put(_chunk_key(partition, gen, i), chunk)
    head: dict[str, Any] = {
        "seq": snap.seq,
        "gen": gen,
        "chunks": len(chunks),
        "sha256": hashlib.sha256(packed).hexdigest(),
    }
    if snap.rules is not None:
        head["rules"] = snap.rules
    await kv.put(_header_key(partition), json.dumps(head).encode())
    if old:
        for i in range(int(old["chunks"])):
            try:
                await kv.delete(_chunk_key(partition, int(old["gen"]), i))
            except KeyNotFoundError:
                pass
    return len(packed)
