"""Engine state per partition in JetStream's key-value store.

A snapshot is the engine's own (`geo.engine.Engine.snapshot`), compressed, with the stream
sequence of the last record message it has taken in: a worker that takes the partition over
restores it and asks the stream for everything after that sequence (`app.bus.engine_worker`).

A value is at most NATS's largest message (1 MiB by default), and a partition's state with tens
of thousands of vessels is more, so a snapshot is written in chunks under a new generation's
keys first and its header (``p<k>``) last: the header is the commit, so a worker killed while
writing leaves the previous snapshot whole, and the old generation's chunks are deleted after.

Beside it, under keys of its own (``cov<k>``), the receiver coverage the partition has learnt,
in the form the single process writes to ``var/coverage.json`` (hour by hour, stations by
name): it outlives a snapshot that cannot be read (`app.bus.engine_start`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from dataclasses import dataclass
from typing import Any

from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

log = logging.getLogger("app.bus.snapshots")

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


def _coverage_key(partition: int) -> str:
    return f"cov{partition}"


async def _load_chunked(kv: KeyValue, key: str) -> tuple[dict[str, Any], bytes] | None:
    """Return the header and the unpacked bytes written under ``key`` (`put`)."""
    try:
        entry = await kv.get(key)
    except KeyNotFoundError:
        return None
    if entry.value is None:
        return None
    head = json.loads(entry.value)
    parts = []
    for i in range(int(head["chunks"])):
        try:
            chunk = await kv.get(f"{key}.g{int(head['gen'])}.c{i}")
        except KeyNotFoundError as exc:
            raise SnapshotMissing(f"{key}: chunk {i} is gone") from exc
        parts.append(chunk.value or b"")
    packed = b"".join(parts)
    if hashlib.sha256(packed).hexdigest() != head["sha256"]:
        raise SnapshotMissing(f"{key}: does not match its digest")
    return head, zlib.decompress(packed)


@dataclass(frozen=True, slots=True)
class Packed:
    """What goes under a key, compressed already: the CPU half of a write, done apart.

    A worker packs in a forked child (`app.bus.engine_worker`), so that compressing megabytes
    holds its loop no more than serialising them does; `put` is the I/O half.
    """

    key: str
    head: dict[str, Any]
    data: bytes


def _pack(key: str, blob: bytes, head: dict[str, Any]) -> Packed:
    return Packed(key, head, zlib.compress(blob, 1))


async def put(kv: KeyValue, packed: Packed) -> int:
    """Write ``packed`` in chunks under a new generation, then its header; return the size."""
    key, data = packed.key, packed.data
    old: dict[str, int] | None = None
    try:
        entry = await kv.get(key)
        if entry.value is not None:
            old = json.loads(entry.value)
    except KeyNotFoundError:
        pass
    gen = (old["gen"] + 1) if old else 1
    chunks = [data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)] or [b""]
    for i, chunk in enumerate(chunks):
        await kv.put(f"{key}.g{gen}.c{i}", chunk)
    head = {**packed.head, "gen": gen, "chunks": len(chunks),
            "sha256": hashlib.sha256(data).hexdigest()}  # fmt: skip
    await kv.put(key, json.dumps(head).encode())
    if old:
        for i in range(int(old["chunks"])):
            try:
                await kv.delete(f"{key}.g{int(old['gen'])}.c{i}")
            except KeyNotFoundError:
                pass
    return len(data)


async def load(kv: KeyValue, partition: int) -> PartitionSnapshot | None:
    """Return the partition's latest snapshot, or None when it has none yet."""
    got = await _load_chunked(kv, _header_key(partition))
    if got is None:
        return None
    head, blob = got
    return PartitionSnapshot(int(head["seq"]), blob, head.get("rules"))


def pack(partition: int, snap: PartitionSnapshot) -> Packed:
    """Return a snapshot packed for `put`."""
    head: dict[str, Any] = {"seq": snap.seq}
    if snap.rules is not None:
        head["rules"] = snap.rules
    return _pack(_header_key(partition), snap.blob, head)


@dataclass(frozen=True, slots=True)
class LearntCoverage:
    """A partition's learnt coverage (`geo.coverage.Coverage.hours_document`, JSON) at ``seq``.

    ``end_ms``: the engine's event time then. Every partition's map is the map of one engine
    over all vessels (`app.bus.slice_exchange`), so any partition's is the deployment's.
    """

    partition: int
    seq: int
    end_ms: int
    doc: bytes


def pack_coverage(cover: LearntCoverage) -> Packed:
    """Return a partition's learnt coverage packed for `put`, under keys of its own."""
    head = {"seq": cover.seq, "end_ms": cover.end_ms}
    return _pack(_coverage_key(cover.partition), cover.doc, head)


async def latest_coverage(kv: KeyValue, partitions: int, own: int) -> LearntCoverage | None:
    """Return partition ``own``'s learnt coverage, else the latest of the others', or None.

    Not a sum: the maps are copies of one (`LearntCoverage`). The partition's own goes first:
    its sequence is of its own record messages, where its consumer starts again; another's
    (the partition's were lost) may leave out the partition's last slice or two. One that
    cannot be read is passed over.
    """
    best: LearntCoverage | None = None
    for p in [own, *(p for p in range(partitions) if p != own)]:
        try:
            got = await _load_chunked(kv, _coverage_key(p))
        except (SnapshotMissing, ValueError, KeyError, zlib.error) as exc:
            log.warning("learnt coverage of partition %d unusable: %s", p, exc)
            continue
        if got is None:
            continue
        head, doc = got
        cover = LearntCoverage(p, int(head["seq"]), int(head["end_ms"]), doc)
        if p == own:
            return cover
        if best is None or cover.end_ms > best.end_ms:
            best = cover
    return best
