"""`Decoder.on_accepted`: the raw lines a relay may pass on, from both framing paths.

Every scenario runs twice: as a short chunk (line by line) and behind enough filler to cross
`Decoder.vector_min_lines` (the whole-chunk framer); both must hand over the same lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyais import encode_dict

from ais_ingest.decoder import Decoder, chunked, read_lines
from ais_ingest.timestamps import nmea_checksum
from tests.ais_ingest.test_fuzz import _feed

T0 = 1_700_000_000
CAPTURE = Path(__file__).resolve().parents[1] / "data/ais/aishub/aishub_2015_3min.nmea"


def encode(data: dict[str, Any], *, seq: int | None = None, channel: str = "A") -> list[str]:
    return [
        str(s)
        for s in encode_dict(
            data, talker_id="AI", sentence_type="VDM", radio_channel=channel, seq_id=seq
        )
    ]


def position(mmsi: int, lon: float = 12.5, lat: float = 35.2) -> str:
    (line,) = encode({"msg_type": 1, "mmsi": mmsi, "lon": lon, "lat": lat, "speed": 5.0})
    return line


def tag(body: str) -> str:
    return f"\\{body}*{nmea_checksum(body):02X}\\"


def multipart(payload: str, *, seq: int) -> list[str]:
    """Return ``payload`` cut into two ``!AIVDM`` fragments (what pyais will not encode)."""
    halves = (payload[:60], payload[60:])
    bodies = [f"AIVDM,2,{k},{seq},A,{half},{2 * (k - 1)}" for k, half in enumerate(halves, 1)]
    return [f"!{body}*{nmea_checksum(body):02X}" for body in bodies]


def bad_checksum(line: str) -> str:
    given = int(line[-2:], 16)
    return f"{line[:-2]}{given ^ 1:02X}"


class Collector:
    """The hook: records every call, so tests see how the lines were grouped too."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, lines: Sequence[str]) -> None:
        self.calls.append(list(lines))

    @property
    def lines(self) -> list[str]:
        return [line for call in self.calls for line in call]


#: Distinct valid positions that push a chunk over the whole-chunk framer's threshold.
FILLER = [position(211_000_000 + i, 10 + i / 1000) for i in range(Decoder.vector_min_lines)]


@pytest.fixture(params=["line_by_line", "whole_chunk"])
def filler(request: pytest.FixtureRequest) -> list[str]:
    return FILLER if request.param == "whole_chunk" else []


def decode(chunks: list[list[str]], filler: list[str], **kw: Any) -> Collector:
    """Decode ``chunks`` in turn, the filler in front of each; return what the hook got."""
    got = Collector()
    dec = Decoder(on_accepted=got, **kw)
    for i, chunk in enumerate(chunks):
        lines = filler + chunk
        assert (len(lines) >= dec.vector_min_lines) == bool(filler)
        dec.decode(lines, (T0 + i) * 1000, "feed")
    dec.flush()
    assert dec.stats.accounted == dec.stats.lines
    for call in got.calls:
        assert call  # never called with nothing
    return got


def without_filler(got: Collector, filler: list[str]) -> list[str]:
    lines = got.lines
    if filler:  # each chunk's filler comes first; it is accepted the first time only
        assert lines[: len(filler)] == filler
        lines = lines[len(filler) :]
    return lines


def test_bad_checksums_are_not_relayed(filler: list[str]) -> None:
    a, b = position(247_000_001), position(247_000_002)
    tagged = tag(f"s:r1,c:{T0}") + position(247_000_003)
    body = f"s:r1,c:{T0}"
    bad_tag = f"\\{body}*{nmea_checksum(body) ^ 1:02X}\\" + position(247_000_004)
    got = decode([[a, bad_checksum(b), tagged, bad_tag, bad_checksum(tagged)]], filler)
    assert without_filler(got, filler) == [a, tagged]


def test_duplicates_are_not_relayed_the_first_copy_is(filler: list[str]) -> None:
    a = position(247_000_011)
    heard_twice = tag(f"s:r2,c:{T0}") + a  # another station, same payload: a duplicate
    b = position(247_000_012)
    got = decode([[a, b, heard_twice], [a]], filler)
    assert without_filler(got, filler) == [a, b]


def test_a_duplicate_after_the_window_is_relayed_again(filler: list[str]) -> None:
    a = position(247_000_013)
    got = decode([[a], [a]], filler, dedupe_seconds=0.5)
    lines = got.lines
    assert lines.count(a) == 2


def test_multipart_fragments_are_relayed_once_together_at_the_last_fragment(
    filler: list[str],
) -> None:
    f1, f2 = encode({"msg_type": 5, "mmsi": 247_000_021, "shipname": "ALFA"}, seq=1)
    g1, g2 = encode({"msg_type": 5, "mmsi": 247_000_022, "shipname": "BRAVO"}, seq=2, channel="B")
    p = position(247_000_023)
    got = decode([[f1, g1, p, f2, g2, f1, f2]], filler)  # the second copy is a duplicate
    assert without_filler(got, filler) == [p, f1, f2, g1, g2]


def test_multipart_split_across_calls_is_relayed_in_the_call_that_completes_it(
    filler: list[str],
) -> None:
    f1, f2 = encode({"msg_type": 5, "mmsi": 247_000_031, "shipname": "ALFA"}, seq=3)
    p = position(247_000_032)
    got = decode([[f1], [p, f2]], filler)
    if not filler:
        assert got.calls == [[p, f1, f2]]
    assert without_filler(got, filler)[-3:] == [p, f1, f2]


def test_fragments_that_never_make_a_message_are_not_relayed(filler: list[str]) -> None:
    f1, _ = encode({"msg_type": 5, "mmsi": 247_000_041, "shipname": "ALFA"}, seq=4)
    e1, e2 = encode({"msg_type": 5, "mmsi": 247_000_042, "shipname": "ECHO"}, seq=4)
    h1, h2 = encode({"msg_type": 5, "mmsi": 247_000_043, "shipname": "HOTEL"}, seq=5)
    k1, k2 = encode({"msg_type": 5, "mmsi": 247_000_044, "shipname": "KILO"}, seq=6)
    left = encode({"msg_type": 5, "mmsi": 247_000_045, "shipname": "LIMA"}, seq=7)[0]
    p = position(247_000_046)
    # f1 cut off by e1 (same sequence id), h2 mangled, k out of order, left never finished
    got = decode([[f1, p, e1, h1, bad_checksum(h2), k2, k1, e2], [left]], filler)
    assert without_filler(got, filler) == [p, e1, e2]


def test_tag_block_lines_and_groups_are_relayed_raw(filler: list[str]) -> None:
    f1, f2 = encode({"msg_type": 5, "mmsi": 247_000_051, "shipname": "ALFA"}, seq=6)
    grouped = [tag(f"g:1-2-42,s:r3,c:{T0}") + f1, tag("g:2-2-42") + f2]
    plain = [tag(f"s:r4,c:{T0}") + position(247_000_052)]
    got = decode([plain + grouped], filler)
    assert without_filler(got, filler) == plain + grouped


def test_valid_sentences_mare_does_not_decode_are_relayed(filler: list[str]) -> None:
    base = encode(
        {"msg_type": 4, "mmsi": 2_470_001, "year": 2026, "month": 1, "day": 2, "lon": 12.0}
    )
    binary = multipart("83cScj@0Gh" + "w" * 100, seq=8)  # a type 8 too long for one sentence
    aton = encode({"msg_type": 21, "mmsi": 992_471_001, "name": "BUOY", "lon": 12.1, "lat": 35})
    got = decode([base + binary + aton], filler)
    assert without_filler(got, filler) == base + binary + aton


def test_nothing_is_relayed_without_a_hook_and_the_hook_can_be_set_later() -> None:
    dec = Decoder()
    a = position(247_000_071)
    dec.decode([a], T0 * 1000)
    got = Collector()
    dec.on_accepted = got
    b = position(247_000_072)
    dec.decode([a, b], T0 * 1000)  # a is still a duplicate: the window does not need the hook
    assert got.calls == [[b]]


@pytest.mark.parametrize("small", [100, 383])
def test_both_framing_paths_relay_the_same_lines_from_a_real_feed(small: int) -> None:
    """The AISHub capture (multipart, duplicates) with tag blocks and mangled lines."""
    src = [line for line in read_lines(CAPTURE) if line and not line.startswith("#")][:12_000]
    lines = []
    for i, line in enumerate(src):
        if i % 97 == 0:
            line = bad_checksum(line)
        body = f"s:r{(i // 1000) % 3},c:{T0 + i // 2000}"
        lines.append(line if 5000 <= i < 6000 else tag(body) + line)
    # another station heard the first 3000 lines at the same times: duplicates
    lines += [tag(f"s:r9,c:{T0 + i // 2000}") + line for i, line in enumerate(src[:3000])]
    seen = []
    for size in (8192, small):
        got = Collector()
        dec = Decoder(on_accepted=got)
        for chunk in chunked(lines, size):
            dec.decode(chunk, T0 * 1000, "feed")
        dec.flush()
        seen.append(got.lines)
        counts = dec.stats.counts
        assert counts["duplicate"] > 0 and counts["multipart_joined"] > 0
        assert counts["bad_checksum"] >= len(src) // 97
        assert counts["decode_error"] == 0  # an empty payload would count there, unrelayed
        dropped = ("bad_framing", "bad_checksum", "duplicate", "orphan_fragment")
        assert len(got.lines) == len(lines) - sum(counts[k] for k in dropped)
    assert seen[0] == seen[1]
    assert len(seen[0]) > len(src) // 2


@settings(max_examples=150, deadline=None)
@given(_feed(), st.sampled_from([0, 5, 10]))
def test_both_framing_paths_relay_the_same_lines_from_random_feeds(
    feed: tuple[list[str], list[int], list[int | list[int]], list[str | list[str]]],
    dedupe_seconds: int,
) -> None:
    """The fuzz feeds of `test_fuzz` (every line shape, interleaved fragments, random chunks)."""
    lines, sizes, rx, src = feed
    seen = []
    for vector_min_lines in (1, 10**9):
        got = Collector()
        dec = Decoder(dedupe_seconds=dedupe_seconds, on_accepted=got)
        dec.vector_min_lines = vector_min_lines
        start = 0
        for n, r, s in zip(sizes, rx, src, strict=True):
            dec.decode(lines[start : start + n], r, s)
            start += n
        seen.append(got.lines)
        counts = dec.stats.counts
        assert len(got.lines) <= len(lines) - counts["bad_checksum"] - counts["duplicate"]
    assert seen[0] == seen[1]
