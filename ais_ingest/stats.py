"""Counters that account for every line read, so that a capture can be checked end to end.

Each line lands in exactly one bucket: it became a record (``records``: the last line of a
message that was turned into a record), it was joined into such a message (``multipart_joined``:
the earlier fragments), or it failed for one named reason. Hence
``lines == records + multipart_joined + sum(reasons)`` always holds; the Hypothesis tests check it.
A type 19 message yields a position and a static record but counts once under ``records``.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Why a line did not become a record. Names are part of the `--stats` JSON contract.
REASONS: tuple[str, ...] = (
    "bad_checksum",  # sentence or tag block checksum does not match
    "bad_framing",  # not an AIS sentence, wrong field count, bad fragment numbers, blank line
    "orphan_fragment",  # fragment never completed, out of order, or evicted by timeout/limit
    "unsupported_type",  # a valid message of a type Mare does not turn into records (4, 8, ...)
    "decode_error",  # payload with bad characters, too short for its type, or empty
    "duplicate",  # the same payload already decoded within the dedupe window
)
BUCKETS: tuple[str, ...] = ("records", "multipart_joined", *REASONS)

#: Where the event time of each checksum-valid sentence came from (not line buckets: a
#: sentence is counted here whatever becomes of it later). ``own``: its tag block, logger
#: timestamp or receiver metadata; ``receive``: none of those, so its receive time (for a
#: capture file, the file's modification time); ``restamped``: its own time was further ahead
#: of its receipt than any sane clock is (`Decoder` ``max_ahead_seconds``), so receive time.
TIME_SOURCES: tuple[str, ...] = ("own", "receive", "restamped")


class IngestStats:
    """Line counters by outcome; ``as_dict()`` is what ``--stats FILE`` writes."""

    __slots__ = ("lines", "counts", "times", "unchecked_tags", "joined")

    def __init__(self) -> None:
        self.lines = 0
        self.counts: dict[str, int] = dict.fromkeys(BUCKETS, 0)
        self.times: dict[str, int] = dict.fromkeys(TIME_SOURCES, 0)
        #: Sentences taken although their tag block's checksum is the placeholder ``*00``
        #: (`ais_ingest.framing.placeholder_tags`): not a bucket, they are counted as any other.
        self.unchecked_tags = 0
        #: Sentences that followed another on one line (Spire writes a message's parts on
        #: one line): each is counted as a line of its own, so ``lines`` counts them too.
        self.joined = 0

    def add(self, bucket: str, n: int = 1) -> None:
        self.counts[bucket] += n

    def merge(self, others: Iterable[IngestStats]) -> None:
        for other in others:
            self.lines += other.lines
            for k, v in other.counts.items():
                self.counts[k] += v
            for k, v in other.times.items():
                self.times[k] += v
            self.unchecked_tags += other.unchecked_tags
            self.joined += other.joined

    @property
    def records(self) -> int:
        return self.counts["records"]

    @property
    def accounted(self) -> int:
        """Lines with a final outcome; equals ``lines`` once pending fragments are flushed."""
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, int]:
        return {"lines": self.lines, **self.counts}

    def report(self) -> dict[str, object]:
        """Return what ``--stats FILE`` writes: the line buckets, then objects, not buckets.

        ``event_time`` sources, ``tag_checksums`` (``placeholder``: sentences taken although
        their tag block's checksum was the placeholder ``*00``) and ``joined`` (``sentences``
        that followed another on its line, each counted in ``lines``).
        """
        return {
            **self.as_dict(),
            "event_time": dict(self.times),
            "tag_checksums": {"placeholder": self.unchecked_tags},
            "joined": {"sentences": self.joined},
        }
