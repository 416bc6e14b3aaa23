"""Captures read a block at a time give the lines a text file with universal newlines gives."""

from __future__ import annotations

import gzip
import random
import tempfile
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ais_ingest.decoder import Decoder, read_chunks, read_lines
from ais_ingest.framing import FramedChunk
from ais_ingest.lineblock import read_blocks

PIECES = [b"!AIVDM,1", b"x", b"\r", b"\n", b"\r\n", b"\xff", b"\x0b", b"\x1c", b"\x85", b" "]


T0 = 1_700_000_000_000


def _line_pool() -> list[bytes]:
    """Real lines (bare, tag blocks, multipart), and some broken: a NUL, a byte not ASCII, cut."""
    real: list[bytes] = []
    for name in ("aishub/aishub_2015_3min.nmea", "libais/tagblock.nmea", "gpsd/sample.aivdm"):
        real += Path("tests/data/ais", name).read_bytes().splitlines()[:300]
    rnd = random.Random(5)
    broken = []
    for line in rnd.sample(real, 60):
        k = rnd.randrange(len(line) + 1)
        broken += [line[:k] + b"\x00" + line[k:], line[:k] + b"\xff" + line[k:], line[:k]]
    return real + broken


LINES = _line_pool()


def _as_text_file(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="ascii", errors="replace", newline=None) as fh:
        return [line.rstrip("\n") for line in fh]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=60),
    st.integers(1, 9),
    st.integers(1, 6),
    st.booleans(),
    st.one_of(st.none(), st.integers(1, 6)),
)
def test_blocks_split_anywhere_give_the_text_files_lines(
    pieces: list[bytes], block: int, size: int, gz: bool, first: int | None
) -> None:
    """CR, LF and CRLF (also split across blocks), non-ASCII bytes, no final line end; the
    chunks of ``size`` lines after a ``first`` one of its own size."""
    data = b"".join(pieces)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("c.nmea.gz" if gz else "c.nmea")
        path.write_bytes(gzip.compress(data) if gz else data)
        want = _as_text_file(path)
        chunks = list(read_chunks(path, size, first=first, block=block))
        assert [line for chunk in chunks for line in chunk] == want
        sizes = [first or size] + [size] * (len(chunks) - 1)
        assert all(len(c) == n for c, n in zip(chunks[:-1], sizes, strict=False)) and all(chunks)
        assert not chunks or len(chunks[-1]) <= sizes[len(chunks) - 1]
        assert list(read_lines(path)) == want


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=60),
    st.integers(1, 9),
    st.integers(1, 6),
    st.one_of(st.none(), st.integers(1, 6)),
)
def test_line_blocks_hold_the_chunks_read_as_text(
    pieces: list[bytes], block: int, size: int, first: int | None
) -> None:
    """The same lines in the same chunks; each block's bytes count its lines and their ends."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.nmea"
        path.write_bytes(b"".join(pieces))
        chunks = list(read_chunks(path, size, first=first, block=block))
        blocks = list(read_blocks(path, size, first=first, block=block))
    assert [list(b) for b in blocks] == chunks
    assert [b.nbytes for b in blocks] == [sum(map(len, c)) + len(c) for c in chunks]
    for b, c in zip(blocks, chunks, strict=True):
        assert b[-1] == c[-1] and b[1:3] == c[1:3]
        with pytest.raises(IndexError):
            b[len(c)]


def _framed_fields(fr: FramedChunk | None) -> dict[str, object]:
    assert fr is not None
    out: dict[str, object] = {}
    for f in fields(fr):
        v = getattr(fr, f.name)
        out[f.name] = v.tolist() if isinstance(v, np.ndarray) else v
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(LINES), min_size=400, max_size=900), st.randoms())
def test_a_block_frames_and_decodes_as_its_lines(lines: list[bytes], rnd: random.Random) -> None:
    """Real sentences, tagged or not, multipart, broken, with NULs and bytes that are not ASCII:
    framed from the block's bytes or from its str lines, the same arrays; decoded, the same."""
    data = b"".join(line + rnd.choice([b"\n", b"\r\n"]) for line in lines)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.nmea"
        path.write_bytes(data)
        (block,) = read_blocks(path, len(lines))
        (chunk,) = read_chunks(path, len(lines))
    a, b = Decoder(), Decoder()
    assert _framed_fields(a.frame(block, T0, "feed")) == _framed_fields(b.frame(chunk, T0, "feed"))
    got, want = a.decode(block, T0, "feed"), b.decode(chunk, T0, "feed")
    assert repr(got.records()) == repr(want.records())  # (repr: NaN is no value of its own)
    assert a.stats.as_dict() == b.stats.as_dict()
