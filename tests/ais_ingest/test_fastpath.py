"""The vectorised fast path gives exactly what pyais gives, message by message."""

from __future__ import annotations

import math
from dataclasses import astuple

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ais_ingest.decode import StaticMerger, decode_message
from ais_ingest.decoder import read_lines
from ais_ingest.fastpath import decode_position_chars, decode_positions, decode_type5
from ais_ingest.records import PositionReport, StaticReport

ALPHABET = "".join(chr(c) for c in [*range(48, 88), *range(96, 120)])
CAPTURES = [
    "tests/data/ais/gpsd/sample.aivdm",
    "tests/data/ais/libais/typeexamples.nmea",
    "tests/data/ais/pyais/nmea_data_sample.txt",
    "tests/data/ais/aishub/aishub_2015_3min.nmea",
]


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, abs_tol=1e-9) or (math.isnan(a) and math.isnan(b))
    return a == b


def check_positions(payloads: list[str]) -> None:
    cols, ok = decode_positions(
        payloads, np.zeros(len(payloads), dtype=np.int64), [""] * len(payloads)
    )
    assert ok.all()
    for i, payload in enumerate(payloads):
        (want,), _ = decode_message(payload, 0, 0, "", StaticMerger())
        have: PositionReport = cols.report(i)
        assert all(same(x, y) for x, y in zip(astuple(want), astuple(have), strict=True)), (
            payload,
            want,
            have,
        )


def check_type5(payloads: list[str]) -> None:
    reports, ok = decode_type5(payloads, [0] * len(payloads), [""] * len(payloads))
    assert ok.all()
    for payload, have in zip(payloads, reports, strict=True):
        _, (want,) = decode_message(payload, 2, 0, "", StaticMerger())
        assert isinstance(have, StaticReport)
        assert astuple(want) == astuple(have), (payload, want, have)


def single_payloads(path: str, heads: str, length: int) -> list[str]:
    out = []
    for line in read_lines(path):
        i = line.find("!")
        parts = line[i:].split("*")[0].split(",")
        if (
            len(parts) == 7
            and parts[1] == "1"
            and parts[5][:1] in heads
            and len(parts[5]) == length
        ):
            out.append(parts[5])
    return out


def test_fast_positions_equal_pyais_on_every_capture() -> None:
    for path in CAPTURES:
        payloads = single_payloads(path, "123B", 28)
        assert payloads or "typeexamples" in path
        check_positions(payloads[:20000])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("123B"), st.text(ALPHABET, min_size=27, max_size=27)),
        min_size=1,
        max_size=40,
    )
)
def test_fast_positions_equal_pyais_on_arbitrary_bits(rows: list[tuple[str, str]]) -> None:
    check_positions([head + tail for head, tail in rows])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(ALPHABET, min_size=70, max_size=70), min_size=1, max_size=10))
def test_fast_type5_equals_pyais_on_arbitrary_bits(tails: list[str]) -> None:
    check_type5(["5" + t for t in tails])


def test_invalid_characters_are_flagged_not_decoded() -> None:
    cols, ok = decode_positions(
        ["1" + "~" * 27, "1" + "0" * 27], np.zeros(2, dtype=np.int64), ["", ""]
    )
    assert ok.tolist() == [False, True]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("123B"), st.text(ALPHABET, min_size=24, max_size=27)),
        min_size=1,
        max_size=40,
    )
)
def test_checked_byte_matrix_path_equals_the_string_path(rows: list[tuple[str, str]]) -> None:
    """The framer's path (bytes known valid, short rows zero-padded) decodes the same values."""
    payloads = [head + tail for head, tail in rows]
    n = len(payloads)
    chars = np.full((n, 28), ord("0"), dtype=np.uint8)
    for i, p in enumerate(payloads):
        chars[i, : len(p)] = np.frombuffer(p.encode(), dtype=np.uint8)
    times = np.arange(n, dtype=np.int64)
    have, ok = decode_position_chars(chars, times, ["s"] * n, checked=True)
    want, _ = decode_positions(payloads, times, ["s"] * n)
    assert ok.all()
    for i in range(n):
        assert all(
            same(x, y)
            for x, y in zip(astuple(want.report(i)), astuple(have.report(i)), strict=True)
        )
