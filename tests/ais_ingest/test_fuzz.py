"""Bad input never raises, and the counters always add up to the lines given."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ais_ingest.decoder import Decoder, read_lines

REAL = [
    line
    for path in ("tests/data/ais/gpsd/sample.aivdm", "tests/data/ais/libais/tagblock.nmea")
    for line in read_lines(path)
    if "!" in line
]


def feed(lines: list[str], chunk: int) -> Decoder:
    dec = Decoder()
    for i in range(0, len(lines), chunk):
        dec.decode(lines[i : i + chunk], 1_700_000_000_000 + i)
    dec.flush()
    assert dec.stats.lines == len(lines)
    assert dec.stats.accounted == len(lines), dec.stats.as_dict()
    return dec


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=120), max_size=30), st.integers(1, 7))
def test_arbitrary_bytes_never_raise_and_counts_add_up(raw: list[bytes], chunk: int) -> None:
    feed([b.decode("ascii", "replace").replace("\n", " ") for b in raw], chunk)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    line = draw(st.sampled_from(REAL))
    ops = draw(
        st.lists(st.tuples(st.integers(0, 200), st.sampled_from("!*,\\0A@~z9 \x00é")), max_size=4)
    )
    chars = list(line)
    for pos, ch in ops:
        if chars:
            p = pos % len(chars)
            if draw(st.booleans()):
                chars[p] = ch
            else:
                del chars[p]
    return "".join(chars)


@settings(max_examples=300, deadline=None)
@given(st.lists(mutated(), min_size=1, max_size=25), st.integers(1, 9))
def test_mutated_real_sentences_never_raise_and_counts_add_up(lines: list[str], chunk: int) -> None:
    feed(lines, chunk)
