"""A chunk of a capture's lines kept as the bytes they were read as, lines made on demand.

The whole-chunk framer (`ais_ingest.framing.frame_chunk`) works on one byte array. Read as a
list of str, a chunk was decoded to text and split, then joined and encoded back for it: on
bench.cli's simulated capture (24 MB) 0.06 s of reading and 0.03 s of joining, against 0.02 s
to read the bytes and find the line ends. A `LineBlock` is a sequence of str for whatever
reads lines one at a time (the per-line framer, the multipart assembler, the relay's raw
lines: a few lines in a hundred), each made when asked for.

`read_blocks` gives the lines `ais_ingest.decoder.read_chunks` gives (universal newlines, a
byte that is not ASCII read as U+FFFD), in the same chunks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import overload

import numpy as np
import numpy.typing as npt

from ais_ingest.packed import open_packed

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]

#: Bytes read at a time (`whole_lines`).
READ_BLOCK = 1 << 20
_NL = ord("\n")
_REPLACED = ord("?")  # what `str.encode("ascii", "replace")` makes of U+FFFD


class LineBlock(Sequence[str]):
    """Lines ``data[lo:ends[-1]]``, each ended by a line feed at ``ends[i]`` (CR already gone).

    ``data`` may hold more before ``lo`` and after the last line (`read_blocks` cuts chunks
    out of what it read without copying them).
    """

    __slots__ = ("data", "lo", "ends", "_ends")

    def __init__(self, data: bytes, lo: int, ends: I64) -> None:
        self.data = data
        self.lo = lo
        self.ends = ends
        self._ends: list[int] | None = None  # `ends` as Python ints, for line by line reads

    def __len__(self) -> int:
        return int(self.ends.size)

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        ends = self._ends
        if ends is None:
            ends = self._ends = [self.lo - 1, *self.ends.tolist()]
        if i < 0:
            i += len(ends) - 1
        if not 0 <= i < len(ends) - 1:
            raise IndexError("line number out of range")
        return self.data[ends[i] + 1 : ends[i + 1]].decode("ascii", "replace")

    @property
    def nbytes(self) -> int:
        """Bytes of the lines, a line feed each (the characters and ends of their str lines)."""
        return int(self.ends[-1]) + 1 - self.lo if self.ends.size else 0

    def starts(self) -> I64:
        """Where each line starts, counted from the first line's start."""
        starts = np.empty(self.ends.size, dtype=np.int64)
        if starts.size:
            starts[0] = 0
            starts[1:] = self.ends[:-1] + 1 - self.lo
        return starts

    def padded(self, pad: int) -> U8:
        """Return the lines joined by line feeds (no last one), then ``pad`` or more of them.

        The byte array `ais_ingest.framing.frame_chunk` frames, as it made it of str lines:
        the same length and bytes (a byte that is not ASCII as ``?``, as its str encoded).
        """
        hi = int(self.ends[-1]) if self.ends.size else self.lo
        size = hi - self.lo
        raw = np.empty(size + pad + (-size % 8), dtype=np.uint8)
        raw[:size] = np.frombuffer(self.data, dtype=np.uint8, count=size, offset=self.lo)
        raw[size:] = _NL
        if not self.data.isascii():
            raw[:size][raw[:size] >= 0x80] = _REPLACED
        return raw

    def nonascii_lines(self) -> npt.NDArray[np.intp]:
        """Line numbers of the lines holding a byte that is not ASCII."""
        hi = int(self.ends[-1]) if self.ends.size else self.lo
        raw = np.frombuffer(self.data, dtype=np.uint8, count=hi - self.lo, offset=self.lo)
        at = np.flatnonzero(raw >= 0x80) + self.lo
        return np.unique(np.searchsorted(self.ends, at))


def _line_ends(data: bytes, offset: int) -> I64:
    ends: I64 = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == _NL) + offset
    return ends


def _normalized(data: bytes) -> bytes:
    """Return ``data`` with its CRLF and lone CR line ends made line feeds."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data


def whole_lines(path: str | Path, block: int = READ_BLOCK) -> Iterator[bytes]:
    """Yield a capture's bytes a read at a time, cut after its last whole line in the read.

    Plain or packed (`open_packed`). Each piece ends with a line end (CR, LF or CRLF, a CRLF
    never split between two pieces); a last line without one gets a line feed.
    """
    with open_packed(path) as fh:
        rest: list[bytes] = []
        while chunk := fh.read(block):
            # The last line end that cannot be the CR of a CRLF split across two reads.
            cut = max(chunk.rfind(b"\n"), chunk.rfind(b"\r", 0, len(chunk) - 1))
            if cut < 0:
                rest.append(chunk)
                continue
            yield b"".join([*rest, chunk[: cut + 1]]) if rest else chunk[: cut + 1]
            rest = [chunk[cut + 1 :]]
        tail = b"".join(rest)
    if tail:
        yield tail + b"\n"


def read_blocks(
    path: str | Path, size: int, *, first: int | None = None, block: int = READ_BLOCK
) -> Iterator[LineBlock]:
    """Yield a capture's lines in blocks of ``size`` lines (the last one shorter).

    ``first``: the first block's size, when it differs. Plain or packed (`open_packed`).
    """
    held = _Held()
    want = size if first is None else first
    for raw in whole_lines(path, block):
        held.add(raw)
        while len(held.ends) >= want:
            yield held.take(want)
            want = size
    while len(held.ends):
        yield held.take(want)
        want = size


class _Held:
    """Lines read and not yet handed out: ``data[lo:]``, their ends (positions in ``data``)."""

    def __init__(self) -> None:
        self.data = b""
        self.lo = 0
        self.ends: I64 = np.zeros(0, dtype=np.int64)

    def add(self, raw: bytes) -> None:
        """Take whole lines as read (CR, LF or CRLF ends); what is held moves to the front."""
        raw = _normalized(raw)
        ends = _line_ends(raw, len(self.data) - self.lo)
        self.ends = np.concatenate([self.ends - self.lo, ends]) if len(self.ends) else ends
        self.data = self.data[self.lo :] + raw if self.lo < len(self.data) else raw
        self.lo = 0

    def take(self, n: int) -> LineBlock:
        """Hand out the first ``n`` lines held (or all, if fewer), without copying them."""
        out = LineBlock(self.data, self.lo, self.ends[:n])
        self.lo = int(out.ends[-1]) + 1
        self.ends = self.ends[n:]
        return out
