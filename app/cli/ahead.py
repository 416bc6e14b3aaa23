"""Captures decoded chunk by chunk, in this process or a step ahead in a forked one.

`mare detect` decodes a chunk, then runs the engine on it: on the simulated capture of
`bench.cli` 0.7 s of decoding and 1.2 s of engine taking turns on one core. With a second
core the decoding can run beside the engine: a child forked after the command has built its
decoder decodes with that very decoder (settings and state) and sends each chunk's batch with
the decoder's counters, up to `AHEAD_BATCHES` ahead; the parent's decoder takes the counters
as they arrive, so whatever reads them (the untimed-capture check, the summary, ``--stats``)
reads what decoding in process would have given. Batches and their order are the same either
way: the engine sees the same input and gives the same events.

The child also works out a batch's zone membership (with the rest of the engine's per-batch
work that reads the batch alone: its MMSIs, its stations) when given the engine's `ZoneLookup`
(`geo.membership`: it needs no engine state) unless the parent is waiting for a batch
(`ToParent.parent_waiting`): the parent passes it to `Engine.process` with the batch, and the
engine works out the others itself. So the work goes to whichever process has time for it, and
the events are the same whoever did it (callgrind, bench.cli's simulated capture: with the child
doing every batch's, the parent ran 10.1 G instructions and the child 10.8 G). Static reports
travel as tuples: unpickling the simulated capture's 9.4k dataclasses cost the parent 0.04 s,
building them from tuples a fifth of that.

Once it has sent its last batch the child is idle (~0.1 s before the parent's engine is done,
bench.cli's captures): asked to (``render``), it imports rich meanwhile and renders the
summary the parent sends it (`Decoding.render`, `app.cli.detect_summary`), so that the
parent, the process the run waits for, need not import rich to print it.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Protocol

from ais_ingest.decoder import Decoder
from ais_ingest.lineblock import read_blocks
from ais_ingest.records import Batch, StaticReport
from ais_ingest.stats import IngestStats
from app.cli.child_pipe import Child, ChildEnded, ToParent
from app.cli.detect_summary import DetectSummary, prepare, said
from geo.membership import Membership, ZoneLookup

#: Lines per decode call (and per engine call). Twice `mare decode`'s: half as many batches,
#: each with its fixed costs in both processes (bench.cli, best of 25 interleaved: 1.103 ->
#: 1.027 s on the real capture, 0.989 -> 0.927 s on the simulated one, 8-10 % less CPU).
CHUNK_LINES = 16384
#: Lines of a capture's first chunk: the engine waits for it, then finds the next ones ready.
FIRST_CHUNK_LINES = 4096
#: Batches the child may hold decoded before the parent takes them (memory stays bounded).
AHEAD_BATCHES = 4
_static_values = operator.attrgetter(*(f.name for f in fields(StaticReport)))


class Clock(Protocol):
    """Receive times of a capture's lines (`app.cli.timing.CaptureClock`)."""

    def received(self, first: int, count: int) -> int | list[int]: ...


@dataclass(frozen=True, slots=True)
class Decoded:
    """One chunk's batch: which capture, how many lines and bytes (with line ends) it read.

    After a capture's last chunk comes its end: the same ``capture``, no lines, no batch. The
    last item of a run is the decoder's flush: ``capture`` -1, no lines. ``membership``: the
    batch's zone membership, when the decoding process worked it out.
    """

    capture: int
    lines: int
    nbytes: int
    batch: Batch | None
    membership: Membership | None = None


class Decoding:
    """Captures decoded in chunks of `CHUNK_LINES` lines, in order, then the decoder's flush.

    ``ahead``: in a child forked here and now (module docstring), which adds each batch's
    membership in ``lookup``'s zones when given. Forked at construction, not at the first
    read, so that the command can fork as soon as the child has what it needs and build the
    rest (the engine, its imports) while the child decodes the first batches: the engine's
    first wait for a batch (~0.03 s, the child's first 8192 lines) goes. An error reading a
    capture is raised by the iteration as it was raised there; `close` (or leaving the
    ``with`` block) stops a child still running. ``render``: the child renders the summary
    `render` gives it (module docstring).
    """

    def __init__(
        self,
        captures: Sequence[Path],
        clocks: Sequence[Clock],
        decoder: Decoder,
        *,
        ahead: bool = False,
        lookup: ZoneLookup | None = None,
        render: bool = False,
    ) -> None:
        self.captures = captures
        self.clocks = clocks
        self.decoder = decoder
        #: Seconds this process waited for the child's batches (unpickling them included).
        self.waited_s = 0.0
        #: The child's CPU seconds and its `time.monotonic` when it had sent its last batch.
        self.child_cpu_s: float | None = None
        self.child_done: float | None = None
        self._render = render and ahead
        self._asked = False  # `render` asked the child: `rendered` reads its answer
        self._child = (
            Child(
                _child,
                (captures, clocks, decoder, lookup, self._render),
                what="decoding",
                depth=AHEAD_BATCHES,
                requests=self._render,
            )
            if ahead
            else None
        )

    def __iter__(self) -> Iterator[Decoded]:
        child, decoder = self._child, self.decoder
        if child is None:
            yield from _decode(self.captures, self.clocks, decoder)
            return
        while True:
            t0 = time.perf_counter()
            kind, item, stats, statics = child.receive()
            self.waited_s += time.perf_counter() - t0
            if kind == "error":
                raise item
            decoder.stats = stats
            yield _unpack(item, statics)
            if item.capture < 0:
                break
        try:  # what the child took (`--timings`); a child gone since its last batch took it away
            kind, timing, _, _ = child.receive()
            if kind == "done":
                self.child_cpu_s, self.child_done = timing
        except ChildEnded:
            self._render = False
        if not self._render:  # else it waits for `render`'s request, or `close`
            child.join()

    def render(self, summary: DetectSummary) -> None:
        """Have the child render the summary, once it has sent every batch (`rendered`).

        Nothing without a child asked to render at construction (``render``), or with a
        child gone: `rendered` then says None.
        """
        child = self._child
        if child is None or not self._render:
            return
        self._render = False
        try:
            child.ask(summary)
        except ChildEnded:
            return
        self._asked = True

    def rendered(self) -> str | None:
        """Return the child's rendering of the summary given to `render`.

        None if it made none: this process then renders it (`app.cli.detect_summary`).
        """
        child = self._child
        if child is None or not self._asked:
            return None
        self._asked = False
        try:
            kind, text, _, _ = child.receive()
        except ChildEnded:
            return None
        child.join()
        return text if kind == "text" else None

    def close(self) -> None:
        """Stop the child if it still runs (nothing to do in process)."""
        if self._child is not None:
            self._child.close()

    def __enter__(self) -> Decoding:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _decode(
    captures: Sequence[Path], clocks: Sequence[Clock], decoder: Decoder
) -> Iterator[Decoded]:
    for i, (path, clock) in enumerate(zip(captures, clocks, strict=True)):
        first = 0
        for chunk in read_blocks(path, CHUNK_LINES, first=FIRST_CHUNK_LINES):
            batch = decoder.decode(chunk, clock.received(first, len(chunk)), path.name)
            first += len(chunk)
            yield Decoded(i, len(chunk), chunk.nbytes, batch)
        yield Decoded(i, 0, 0, None)
    yield Decoded(-1, 0, 0, decoder.flush())


def _child(
    parent: ToParent,
    captures: Sequence[Path],
    clocks: Sequence[Clock],
    decoder: Decoder,
    lookup: ZoneLookup | None,
    render: bool = False,
) -> None:
    """Decode in the forked child; send each item with the counters after it, or the error.

    After the last item, what decoding took: the child's CPU and when it was done
    (`Decoding.child_cpu_s`, `Decoding.child_done`). Then, with ``render``, the summaries the
    parent asks for, rendered (`Decoding.render`). A parent that is gone (killed without its
    cleanup) ends the child at its next send.
    """
    try:
        for item in _decode(captures, clocks, decoder):
            batch = item.batch
            if lookup is not None and batch is not None and len(batch.positions):
                if not parent.parent_waiting():
                    item = replace(item, membership=lookup.of(batch.positions))
            if not parent.send(("batch", *_pack(item, decoder.stats))):  # pickled now
                return
        parent.send(("done", (time.process_time(), time.monotonic()), None, []))
        if render:  # rich imported while the parent's engine finishes, not on its time
            prepare()
            while (summary := parent.request()) is not None:
                parent.send(("text", said(summary), None, []))
    except (OSError, EOFError) as exc:
        parent.send(("error", exc, None, []))
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: the parent reports it
        pass


def _pack(item: Decoded, counters: IngestStats) -> tuple[Decoded, IngestStats, list[Any]]:
    """Return what the child sends of an item: its static reports apart, as tuples."""
    if item.batch is None or not item.batch.statics:
        return item, counters, []
    rows = [_static_values(r) for r in item.batch.statics]
    # ``static_at`` stays with the batch, for the statics `_unpack` puts back
    return (
        replace(item, batch=Batch(item.batch.positions, [], item.batch.arrivals())),
        counters,
        rows,
    )


def _unpack(item: Decoded, statics: list[Any]) -> Decoded:
    """Return the item the child sent, its static reports rebuilt (`_pack`)."""
    if not statics or item.batch is None:
        return item
    batch = Batch(item.batch.positions, [StaticReport(*r) for r in statics], item.batch.static_at)
    return replace(item, batch=batch)
