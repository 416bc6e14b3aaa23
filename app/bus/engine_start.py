"""A partition's engine when a worker takes the partition: from its snapshot, or new.

A snapshot that restores gives the engine and the sequence of the last record message it
includes; the consumer starts right after it. Without one (none yet, or one this release
cannot read, which is set aside with a warning as the single process does):

- while the records stream still holds the feed from its first message, the new engine takes
  all of it again and learns exactly what it had (coverage included);
- once the stream has let the oldest records go (its age limit, a purge), replaying what is
  left would learn part of the feed twice over the coverage kept, and the rest not at all. The
  engine starts empty, as the single process does without a snapshot, but for the receiver
  coverage the partitions learnt (`app.bus.snapshots.latest_coverage`), and the consumer
  starts after the record message that coverage includes. Without it the partition would be
  blind at the edge of coverage for a day, calling every vessel that sails out of range dark.

Every snapshot writes the partition's learnt coverage beside it (`save`).
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from nats.js.kv import KeyValue

from app.bus import snapshots
from app.bus.subjects import Layout
from app.pipeline.snapshot import coverage_blob
from geo.alert_rules import AlertRules, parse_rules
from geo.engine import Engine, SnapshotError
from geo.errors import AlertRulesError, CoverageMapError

log = logging.getLogger("app.bus.engine")


@dataclass
class EngineFactory:
    """What a partition's engine is made of: a new one, or one from a snapshot blob."""

    new: Callable[[], Engine]
    restore: Callable[[bytes], Engine]
    rules: AlertRules


@dataclass
class Resumed:
    """A partition's engine at the start, and where its consumer starts."""

    engine: Engine
    #: The last record message the engine includes: the consumer starts after it (0: all).
    seq: int
    #: The rules in force at ``seq``.
    rules: AlertRules
    #: The snapshot the engine was restored from (its shared encounters); None when new.
    blob: bytes | None = None


async def resume(
    js: JetStreamContext, kv: KeyValue, layout: Layout, partition: int, factory: EngineFactory
) -> Resumed:
    """Return the partition's engine from its snapshot, or a new one (module docstring)."""
    rules = factory.rules
    try:
        snap = await snapshots.load(kv, partition)
    except (snapshots.SnapshotMissing, ValueError, KeyError, zlib.error) as exc:
        log.warning("partition %d: snapshot unusable (%s); starting without it", partition, exc)
        snap = None
    if snap is not None:
        try:
            if snap.rules is not None:
                rules = parse_rules(snap.rules)
            return Resumed(factory.restore(snap.blob), snap.seq, rules, snap.blob)
        except (SnapshotError, AlertRulesError, KeyError, TypeError, ValueError) as exc:
            log.warning("partition %d: snapshot at message %d unusable (%s); starting empty",
                        partition, snap.seq, exc)  # fmt: skip
    engine = factory.new()
    if await _whole_feed_kept(js, layout):
        return Resumed(engine, 0, rules)
    cover = await snapshots.latest_coverage(kv, layout.partitions, partition)
    if cover is None:
        return Resumed(engine, 0, rules)
    try:
        hours = engine.coverage.add_hours(json.loads(cover.doc))
    except (CoverageMapError, ValueError) as exc:
        log.warning("partition %d: learnt coverage unusable (%s); learning afresh", partition, exc)
        return Resumed(factory.new(), 0, rules)
    log.info("partition %d: %d hours of coverage learnt before (partition %d, message %d)",
             partition, hours, cover.partition, cover.seq)  # fmt: skip
    return Resumed(engine, cover.seq, rules)


async def _whole_feed_kept(js: JetStreamContext, layout: Layout) -> bool:
    """Whether the records stream still holds its first message (nothing aged out or purged)."""
    try:
        info = await js.stream_info(layout.records_stream)
    except NotFoundError:
        return True
    return info.state.first_seq <= 1


def packed(engine: Engine, partition: int, seq: int, rules: AlertRules) -> list[snapshots.Packed]:
    """Return the partition's snapshot at ``seq`` and the coverage it has learnt, packed.

    All the CPU of a snapshot, so that it can be done in a forked child (`write` is the I/O).
    """
    snap = snapshots.PartitionSnapshot(seq, engine.snapshot(), rules.to_dict())
    cover = snapshots.LearntCoverage(partition, seq, engine.now_ms(), coverage_blob(engine))
    return [snapshots.pack(partition, snap), snapshots.pack_coverage(cover)]


async def write(kv: KeyValue, packs: list[snapshots.Packed]) -> None:
    """Write a `packed` snapshot: the snapshot, then the coverage beside it."""
    for p in packs:
        await snapshots.put(kv, p)
