"""Types 9 and 24 decoded a batch at a time: what pyais gives, and pyais left unimported."""

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


def test_types_9_and_24_equal_pyais_on_every_capture() -> None:
    n = 0
    for path in CAPTURES:
        for length in (27, 28):
            for payload in single_payloads(path, "9H", length):
                fill = 2 if length == 27 else 0
                assert _fast(payload, fill) == _pyais(payload, fill), payload
                n += 1
    assert n > 100


_PROBE = """
import sys
from ais_ingest.decoder import Decoder, read_chunks
dec = Decoder()
n = sum(len(dec.decode(c, 0, "x")) for c in read_chunks(sys.argv[1], 8192))
print(n, dec.stats.counts["records"], "pyais" in sys.modules)
"""


def test_a_capture_of_types_9_and_24_is_decoded_without_importing_pyais(tmp_path: Path) -> None:
    messages: list[dict[str, str | int | float | bytes | bool]] = [
        {"type": 9, "mmsi": 247000001, "lat": 35.5, "lon": 12.25, "speed": 140, "course": 90.5},
        {"type": 24, "mmsi": 247000002, "partno": 0, "shipname": "AIRONE"},
        {"type": 24, "mmsi": 247000002, "partno": 1, "callsign": "IABC", "ship_type": 37},
        {"type": 1, "mmsi": 247000003, "lat": 35.0, "lon": 12.0},
    ]
    lines = [line for msg in messages for line in encode_dict(msg)]
    capture = tmp_path / "c.nmea"
    capture.write_text("\n".join(lines) + "\n")
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(capture)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["4", "4", "False"]
