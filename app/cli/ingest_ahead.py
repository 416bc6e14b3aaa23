"""``mare ingest`` of captures: a forked child decodes while this process writes the database.

In one process a capture's ingest runs its start-up, the decoding, the client's share of each
write and the waits on PostgreSQL on one core, taking turns (the AISHub capture of
`bench.cli`: ~0.6 s of start-up, ~0.7 s of decoding, ~0.5 s of staging and sending, the
writes' time in PostgreSQL on top). Forked as soon as the command knows its sources and its
decoder, before it imports the store (SQLAlchemy, psycopg: ~0.3 s), the child decodes the
captures with that very decoder while the parent imports, connects and writes: decoding takes
the second core, the parent's start-up and writes overlap it. The child runs the same
`merge_chunks` and `decode_stream` as the in-process path, so the batches, their order and the
counters are the ones decoding in process gives; it sends each batch with a copy of the
decoder's counters, and the parent's decoder takes the counters as they arrive (the summary,
``--stats`` and the untimed-capture warning read them).

Stopping: the child ignores SIGINT and SIGTERM (a terminal's Ctrl-C reaches the whole process
group); the parent decides, and asks the child to stop taking input with SIGUSR1 (`stop`),
after which the child decodes what it has read and ends, so a graceful stop loses no line that
reached the process, as in process.
"""

from __future__ import annotations

import asyncio
import glob
import os
import pickle
import signal
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ais_ingest.decoder import Decoder
from ais_ingest.errors import IngestError
from ais_ingest.records import Batch
from ais_ingest.sources import SourceSpec, merge_chunks
from ais_ingest.stream import decode_stream
from app.cli.child_pipe import AHEAD_MIN_BYTES, Child, ChildEnded, ToParent, can_fork_ahead

#: Batches the child may hold decoded before the parent takes them (memory stays bounded: a
#: file batch of 100k lines is ~5 MB pickled).
AHEAD_BATCHES = 2


def worth_ahead(specs: Sequence[SourceSpec]) -> bool:
    """Whether to decode in a child: every source a capture read at full speed, big enough.

    Live and paced sources keep the in-process path: their batches are small and wait on
    their input, not on the CPU. Two cores and ``fork`` are needed (the child inherits the
    decoder and imports nothing).
    """
    if not can_fork_ahead():
        return False
    if not specs or any(s.kind != "file" or s.speed for s in specs):
        return False
    total = 0
    for spec in specs:
        for pattern in spec.paths:
            names = glob.glob(pattern) if glob.has_magic(pattern) else [pattern]
            for name in names:
                try:
                    total += os.stat(name).st_size
                except OSError:
                    return False  # in process, the source says what is wrong in its words
    return total >= AHEAD_MIN_BYTES


class AheadDecoding:
    """The child decoding ``specs`` with ``decoder``, and its batches in order (`batches`)."""

    def __init__(
        self,
        specs: Sequence[SourceSpec],
        decoder: Decoder,
        *,
        batch_size: int,
        batch_seconds: float,
    ) -> None:
        self.decoder = decoder
        job = _Job(list(specs), decoder, batch_size, batch_seconds)
        self._child = Child(_child, (job,), what="decoding", depth=AHEAD_BATCHES)

    def stop(self) -> None:
        """Ask the child to take no more input; what it has read still comes (graceful stop)."""
        if self._child.pid is not None and self._child.process.exitcode is None:
            os.kill(self._child.pid, signal.SIGUSR1)

    def batches(self) -> Iterator[Batch]:
        """Yield the child's batches in order; raise its error as it was raised there."""
        while True:
            try:
                kind, item, stats = self._child.receive()
            except ChildEnded as exc:  # killed, or it ended without a word: an ingest error
                raise IngestError(str(exc)) from None
            if stats is not None:
                self.decoder.stats = stats
            if kind == "error":
                raise item
            if kind == "end":
                break
            yield item
        self._child.join()

    def close(self) -> None:
        """Stop the child if it still runs and close the pipe.

        By SIGKILL: the child ignores SIGTERM (`Child.close`'s), so a parent that failed before
        taking every batch (a database behind its schema, unreachable) waited on it for ever.
        """
        if self._child.pid is not None and self._child.process.exitcode is None:
            os.kill(self._child.pid, signal.SIGKILL)
        self._child.close()


@dataclass(frozen=True)
class _Job:
    """What the child decodes and how."""

    specs: list[SourceSpec]
    decoder: Decoder
    batch_size: int
    batch_seconds: float


def _child(parent: ToParent, job: _Job) -> None:
    """Decode in the forked child; send each batch with the counters after it, then the end.

    A message is pickled as it is sent: the counters are those after its batch. A parent
    killed without its cleanup breaks the pipe: the child then stops.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        asyncio.run(_decode(parent, job))
        parent.send(("end", None, job.decoder.stats))  # dropped if the parent is gone
    except Exception as exc:  # noqa: BLE001 - raised in the parent as it was raised here
        parent.send(("error", _sendable(exc), job.decoder.stats))


async def _decode(parent: ToParent, job: _Job) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, stop.set)
    chunks = merge_chunks(job.specs, stop=stop)
    dec = job.decoder
    stream = decode_stream(chunks, dec, batch_size=job.batch_size, batch_seconds=job.batch_seconds)
    async for batch in stream:
        if not parent.send(("batch", batch, dec.stats)):
            return


def _sendable(exc: Exception) -> Exception:
    """Return ``exc`` if it survives pickling, else an `IngestError` with its message."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any exception that cannot cross keeps its message
        return IngestError(str(exc))
    return exc
