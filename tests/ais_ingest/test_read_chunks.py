"""Captures read a block at a time give the lines a text file with universal newlines gives."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ais_ingest.decoder import read_chunks, read_lines

PIECES = [b"!AIVDM,1", b"x", b"\r", b"\n", b"\r\n", b"\xff", b"\x0b", b"\x1c", b"\x85", b" "]


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
