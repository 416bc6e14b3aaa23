"""Types 9, 19, 24 and 27 decoded a batch at a time: what pyais gives, pyais left unimported."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import astuple
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from pyais import encode_dict

from ais_ingest.decode import (
    DecodeFailure,
    StaticMerger,
    UnsupportedType,
    decode_message,
    predecode,
)
from tests.ais_ingest.test_fastpath import ALPHABET, CAPTURES, single_payloads


def _pyais(payload: str, fill: int) -> tuple[list[tuple[object, ...]], ...] | None:
    try:
        pos, sta = decode_message(payload, fill, 7, "s", StaticMerger())
    except (DecodeFailure, UnsupportedType):
        return None
    return [astuple(p) for p in pos], [astuple(s) for s in sta]


def _fast(payload: str, fill: int) -> tuple[list[tuple[object, ...]], ...] | None:
    (done,) = predecode([(0, payload, fill, 7, "s", 1)])
    if done is None:
        return None
    return [astuple(p) for p in done[0]], [astuple(s) for s in done[1]]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from("9H"),
    st.text(ALPHABET + "~:", min_size=22, max_size=31),
    st.integers(0, 9),
)
def test_types_9_and_24_equal_pyais_on_arbitrary_bits(head: str, tail: str, fill: int) -> None:
    """Any length, fill and characters: the same records, or left to pyais (None)."""
    payload = head + tail
    fast = _fast(payload, fill)
    want = _pyais(payload, fill)
    if fast is not None:
        assert fast == want, payload
    standard = len(payload) == 28 and fill == 0 and all(c in ALPHABET for c in payload)
    part = (ord(payload[6]) - 48 - (8 if ord(payload[6]) > 88 else 0)) >> 2 & 3
    if standard and (head == "9" or part <= 1):
        assert fast is not None


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["C", "K"]),
    st.text(ALPHABET + "~:", min_size=10, max_size=60),
    st.integers(0, 9),
)
def test_types_19_and_27_equal_pyais_on_arbitrary_bits(head: str, tail: str, fill: int) -> None:
    """Any length, fill and characters: the same records, or left to pyais (None)."""
    payload = head + tail
    fast = _fast(payload, fill)
    if fast is not None:
        assert fast == _pyais(payload, fill), payload
    standard = len(payload) >= (52 if head == "C" else 16) and fill == 0
    if standard and all(c in ALPHABET for c in payload):
        assert fast is not None


def test_types_9_19_24_and_27_equal_pyais_on_every_capture() -> None:
    n = {"9H": 0, "C": 0, "K": 0}
    for path in CAPTURES:
        for heads, length in (("9H", 27), ("9H", 28), ("C", 52), ("K", 16), ("K", 28)):
            for payload in single_payloads(path, heads, length):
                fill = 2 if length == 27 else 0
                assert _fast(payload, fill) == _pyais(payload, fill), payload
                n[heads] += 1
    assert n["9H"] > 100 and n["C"] > 100 and n["K"] >= 3


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 999_999_999),
    st.floats(-180, 180),
    st.floats(-90, 90),
    st.integers(0, 63),
    st.integers(0, 511),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789", max_size=20),
    st.integers(0, 255),
)
def test_types_19_and_27_made_by_pyais_equal_pyais(
    mmsi: int, lon: float, lat: float, speed: int, course: int, name: str, ship_type: int
) -> None:
    """Reports encoded with any field values (not available ones included) read alike."""
    messages: list[dict[str, str | int | float | bytes | bool]] = [
        {"type": 19, "mmsi": mmsi, "lon": lon, "lat": lat, "speed": speed / 2, "course": course,
         "heading": course, "shipname": name, "ship_type": ship_type, "to_bow": speed},
        {"type": 27, "mmsi": mmsi, "lon": lon, "lat": lat, "speed": speed, "course": course,
         "status": speed % 16},
    ]  # fmt: skip
    for msg in messages:
        (line,) = encode_dict(msg)
        fields = line.split(",")
        payload, fill = fields[5], int(fields[6].split("*")[0])
        fast = _fast(payload, fill)
        assert fast is not None
        assert fast == _pyais(payload, fill)


_PROBE = """
import sys
from ais_ingest.decoder import Decoder, read_chunks
dec = Decoder()
n = sum(len(dec.decode(c, 0, "x")) for c in read_chunks(sys.argv[1], 8192))
print(n, dec.stats.counts["records"], "pyais" in sys.modules)
"""


def test_a_capture_of_the_fast_types_is_decoded_without_importing_pyais(tmp_path: Path) -> None:
    messages: list[dict[str, str | int | float | bytes | bool]] = [
        {"type": 9, "mmsi": 247000001, "lat": 35.5, "lon": 12.25, "speed": 140, "course": 90.5},
        {"type": 24, "mmsi": 247000002, "partno": 0, "shipname": "AIRONE"},
        {"type": 24, "mmsi": 247000002, "partno": 1, "callsign": "IABC", "ship_type": 37},
        {"type": 1, "mmsi": 247000003, "lat": 35.0, "lon": 12.0},
        {"type": 19, "mmsi": 247000004, "lat": 35.1, "lon": 12.1, "shipname": "GABBIANO"},
        {"type": 27, "mmsi": 247000005, "lat": 35.2, "lon": 12.2, "speed": 9},
    ]
    lines = [line for msg in messages for line in encode_dict(msg)]
    capture = tmp_path / "c.nmea"
    capture.write_text("\n".join(lines) + "\n")
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(capture)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    # a type 19 is two records: its position and its static report
    assert out.stdout.split() == ["7", "6", "False"]
