"""``mare decode`` of captures: a forked child frames chunks while this process decodes them.

Of `mare decode`'s work on bench.cli's simulated capture (~0.65 s of CPU after start-up),
framing the chunks (`Decoder.frame`: the whole-chunk framer's numpy passes, ~0.23 s) needs no
decoder state but caches; the rest (multipart, dedupe, routing, decoding, writing) is stateful
and stays here (`Decoder.decode_framed`). With a second core a child forked after the command
has built its decoder reads and frames up to `AHEAD_CHUNKS` chunks ahead: the same chunks,
framed by the same code with the same receive times and sources, so the records, their order
and the counters are those of decoding in process. It costs ~0.1 s more CPU (sending each
framing, reading the file twice), so it pays only with a core free.

A read error is raised here as in process (this process reads the lines itself). The child
ignores Ctrl-C (the terminal sends it to the whole process group): this process decides, and
closing the iterator stops the child; a parent killed outright breaks the child's pipe, and the
child ends (`app.cli.child_pipe`).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ais_ingest.decoder import Decoder
from ais_ingest.framing import FramedChunk, chunk_blob
from ais_ingest.lineblock import LineBlock, read_blocks
from app.cli.child_pipe import Child, ToParent

#: Lines per chunk, as `mare decode` has always decoded them.
CHUNK_LINES = 8192
#: Chunks the child may hold framed before this process takes them (~1.3 MB each pickled).
AHEAD_CHUNKS = 4
_NO_BLOB = np.zeros(0, dtype=np.uint8)


class Chunk(NamedTuple):
    """One chunk of capture ``capture``: its lines and their framing (None: line by line).

    After a capture's last chunk comes its end: the same ``capture``, ``lines`` None.
    """

    capture: int
    lines: LineBlock | None
    framed: FramedChunk | None


def framed_chunks(
    captures: Sequence[Path],
    received_ms: Sequence[int],
    decoder: Decoder,
    *,
    ahead: bool = False,
) -> Iterator[Chunk]:
    """Yield the captures' chunks in order, framed, each capture followed by its end.

    ``received_ms``: each capture's receive time for lines without a time of their own, as
    `Decoder.decode_framed` is then given it (the source is the capture's file name).
    ``ahead``: framed in a forked child (module docstring). This process reads the lines too:
    reading is cheaper than receiving them (0.035 s for the simulated capture as str lines,
    against 0.08 s to pickle and unpickle them; read as bytes, `ais_ingest.lineblock`, less),
    and so is copying them into the framing's byte array.
    """
    if not ahead:
        for i, path in enumerate(captures):
            for lines in read_blocks(path, CHUNK_LINES):
                yield Chunk(i, lines, decoder.frame(lines, received_ms[i], path.name))
            yield Chunk(i, None, None)
        return
    child = Child(_child, (captures, received_ms, decoder), what="framing", depth=AHEAD_CHUNKS)
    try:
        for i, path in enumerate(captures):
            for lines in read_blocks(path, CHUNK_LINES):
                framed = _receive(child)
                if framed is not None:
                    framed.blob = chunk_blob(lines)
                yield Chunk(i, lines, framed)
            yield Chunk(i, None, None)
        child.join()
    finally:
        child.close()


def _receive(child: Child) -> FramedChunk | None:
    """Return the child's next framing; raise its error as it was raised there."""
    kind, item = child.receive()
    if kind == "error":
        raise item
    framed: FramedChunk | None = item
    return framed


def _child(
    parent: ToParent,
    captures: Sequence[Path],
    received_ms: Sequence[int],
    decoder: Decoder,
) -> None:
    """Frame in the forked child; send each chunk's framing (its byte array left out)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for path, rx_ms in zip(captures, received_ms, strict=True):
            for lines in read_blocks(path, CHUNK_LINES):
                framed = decoder.frame(lines, rx_ms, path.name)
                if framed is not None:
                    framed = replace(framed, blob=_NO_BLOB)
                if not parent.send(("chunk", framed)):
                    return
    except (OSError, EOFError) as exc:
        parent.send(("error", exc))
