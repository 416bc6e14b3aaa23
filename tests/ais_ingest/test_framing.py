"""Tag blocks in the whole-chunk framer: the same records and counts as the per-line framer."""

from __future__ import annotations

import random
import re
from typing import Any

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st
from pyais import encode_dict

from ais_ingest.decoder import Decoder
from ais_ingest.framing import (
    distinct_rows,
    group_tag_infos,
    plain_tag_info,
    plain_tag_infos,
    tag_info_of,
)
from ais_ingest.lineframe import TagParser
from ais_ingest.records import Batch
from ais_ingest.timestamps import nmea_checksum


def _tag(body: str, digits: str | None = None) -> str:
    return f"\\{body}*{digits if digits is not None else f'{nmea_checksum(body):02X}'}\\"


def _decode(lines: list[str], *, per_line: bool) -> tuple[Batch, dict[str, int]]:
    dec = Decoder()
    if per_line:
        dec.vector_min_lines = 10**9
    assert len(lines) >= Decoder.vector_min_lines  # else both would go line by line
    batch = Batch.concat([dec.decode(lines, 1_700_000_000_000, "feed"), dec.flush()])
    return batch, dict(dec.stats.counts)


def _spans(texts: list[str]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64], Any]:
    """Texts one a line, as the framer holds them: the bytes, and each text's first and end."""
    raw = "\n".join(texts).encode("ascii")
    blob = np.frombuffer(raw + b"\n" * 64, dtype=np.uint8)
    ends = np.cumsum([len(t) + 1 for t in texts]) - 1
    return blob, ends - np.array([len(t) for t in texts]), ends


def test_tag_blocks_of_every_shape_frame_alike_in_a_whole_chunk_and_line_by_line() -> None:
    rng = random.Random(7)
    shapes = [
        lambda i: _tag(f"s:r{i % 13},c:{1_700_000_000 + i}"),
        lambda i: _tag(f"c:{1_700_000_000 + i},s:st:{i % 5}"),
        lambda i: _tag(f"s:,c:{1_700_000_000 + i}"),
        lambda i: _tag(f"c:{1_700_000_000_000 + i * 250}"),  # milliseconds
        lambda i: _tag(f"c:{1_700_000_000 + i}.5,s:x"),
        lambda i: _tag(f"s:a*b,c:{1_700_000_000 + i}"),
        lambda i: _tag(f"s:r1,c:{1_700_000_000 + i},n:{i}"),
        lambda i: _tag(f"s:r1,c:{1_700_000_000 + i}", "00"),  # bad checksum
        lambda i: _tag(f"s:r1,c:{1_700_000_000 + i}", f"{nmea_checksum(f's:r1,c:{i}'):02x}"),
        lambda i: _tag(f"s:r1,c:{1_700_000_000 + i}", f"{nmea_checksum(f's:r1,c:{i}'):02x}"),
        lambda i: _tag(f"c:{i},s:r2", "aF"),
        lambda i: _tag(f"c:{i},s:r2", "G1"),
        lambda i: _tag(f"c:x{i},s:r2"),
        lambda i: _tag(f"g:1-1-{i},s:r2,c:{1_700_000_000 + i}"),
    ]
    lines = []
    for i in range(1200):
        msg: dict[str, str | int | float | bytes | bool] = {
            "type": 1,
            "mmsi": 247_000_000 + i % 40,
            "lat": 35 + i / 1e3,
            "lon": 12.5,
        }
        sentence = next(iter(encode_dict(msg, radio_channel="A")))
        lines.append(rng.choice(shapes)(i) + sentence)
    whole, whole_counts = _decode(lines, per_line=False)
    each, each_counts = _decode(lines, per_line=True)
    assert whole_counts == each_counts
    assert whole_counts["bad_checksum"] > 100 and whole_counts["records"] > 600
    assert list(whole.positions) == list(each.positions)


@settings(max_examples=300, deadline=None)
@given(
    station=st.text(st.sampled_from("ab1:*,- "), max_size=6),
    seconds=st.text(st.sampled_from("0123456789.e-"), min_size=0, max_size=13),
    order=st.booleans(),
    digits=st.sampled_from(["5A", "5a", "aF", "G1", "1", "123"]),
)
def test_the_plain_tag_reader_agrees_with_the_general_parser(
    station: str, seconds: str, order: bool, digits: str
) -> None:
    body = f"s:{station},c:{seconds}" if order else f"c:{seconds},s:{station}"
    text = f"{body}*{digits}"
    plain = plain_tag_info(text.encode("ascii"))
    if plain is not None:
        assert plain == tag_info_of(TagParser()(text))


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(
        st.builds(
            lambda station, seconds, digits: f"s:{station},c:{seconds}*{digits}",
            st.text(st.sampled_from("ab1:*,- "), max_size=6)
            | st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789_*,"), max_size=24),
            st.text(st.sampled_from("0123456789.e-"), min_size=8, max_size=11),
            st.sampled_from(["5A", "5a", "aF", "G1", "1", "123"]),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_the_tag_reader_of_many_texts_agrees_with_the_one_by_one(texts: list[str]) -> None:
    ok, time_ms, code, names = plain_tag_infos(*_spans(texts))
    for i, text in enumerate(texts):
        one = plain_tag_info(text.encode("ascii"))
        if ok[i]:
            assert one == (int(time_ms[i]), names[code[i]] if code[i] >= 0 else "", None)
        else:  # left to the one-by-one reader: only a time that is not ten digits may be plain
            assert one is None or not re.fullmatch(r".*,c:[0-9]{10}\*..", text)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.binary(min_size=1, max_size=20), min_size=1, max_size=30),
    width=st.integers(1, 20),
)
def test_distinct_rows_find_each_row_once(rows: list[bytes], width: int) -> None:
    mat = np.array([list(r.ljust(width, b"\0")[:width]) for r in rows], dtype=np.uint8)
    which, reps = distinct_rows(mat)
    assert (reps[which] == mat).all()  # every row is its distinct row
    assert len({bytes(r) for r in reps}) == len(reps) == len({bytes(r) for r in mat})


def test_distinct_rows_tell_apart_two_rows_of_one_hash() -> None:
    """Rows of 9-16 bytes are keyed ``w0 * P ^ w1``: two rows made to share a key differ."""
    p = 0x100000001B3
    w0, w1 = 0x6F6C6C65746E6170, 0x0000000000616972  # "pantelleria" as two words
    v0 = w0 + 1
    v1 = (w0 * p ^ w1 ^ v0 * p) % (1 << 64)
    words = np.array([[w0, w1], [v0, v1], [w0, w1]], dtype="<u8")
    mat = words.view(np.uint8).reshape(3, 16)
    which, reps = distinct_rows(mat)
    assert len(reps) == 2
    assert which[0] == which[2] != which[1]
    assert (reps[which] == mat).all()


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(
        st.builds(
            lambda part, parts, gid, rest, digits: f"g:{part}-{parts}-{gid}{rest}*{digits}",
            st.text(st.sampled_from("0123456789"), min_size=1, max_size=2),
            st.text(st.sampled_from("0123456789x"), min_size=1, max_size=2),
            st.text(st.sampled_from("0123456789ab-,*:"), max_size=15),
            st.sampled_from(["", ",s:r1,c:1700000000", ",s:,c:1700000001", ",c:1700000000,s:x"])
            | st.builds(
                lambda station, seconds: f",s:{station},c:{seconds}",
                st.text(st.sampled_from("ab1:*,- "), max_size=6),
                st.text(st.sampled_from("0123456789.e-"), min_size=8, max_size=11),
            ),
            st.sampled_from(["5A", "5a", "aF", "G1", "1", "123"]),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_the_group_tag_reader_agrees_with_the_general_parser(texts: list[str]) -> None:
    shaped, parts, ids, timed, time_ms, code, names = group_tag_infos(*_spans(texts))
    at = np.cumsum(shaped) - 1
    for i, text in enumerate(texts):
        if not shaped[i]:
            continue
        station = names[code[i]] if code[i] >= 0 else ""
        t = int(time_ms[i]) if timed[i] else None
        group = (int(parts[i, 0]), int(parts[i, 1]), ids[at[i]])
        assert tag_info_of(TagParser()(text)) == (t, station, group)
    # the two shapes of a group's sentences are read here, not left to the general parser
    common = ["g:1-2-0007,s:bouri,c:1780272004*27", "g:2-2-0007*5A"]
    assert group_tag_infos(*_spans(common))[0].tolist() == [True, True]


def _grouped_lines(rng: random.Random) -> list[str]:
    """Type 5 messages in two sentences tied by tag block groups, among position reports."""
    lines: list[str] = []
    for i in range(900):
        if i % 3:
            msg: dict[str, str | int | float | bytes | bool] = {
                "type": 1, "mmsi": 247_000_000 + i % 40, "lat": 35 + i / 1e3, "lon": 12.5,
            }  # fmt: skip
            lines.append(_tag(f"s:r{i % 7},c:{1_700_000_000 + i}") + next(iter(encode_dict(msg))))
            continue
        msg = {"type": 5, "mmsi": 247_000_000 + i % 40, "shipname": f"BOAT {i}", "callsign": "X"}
        one, two = encode_dict(msg, radio_channel="B")
        gid = f"{i:04d}"
        common = f"g:1-2-{gid},s:r{i % 7},c:{1_700_000_000 + i}"
        first = rng.choice(
            [common] * 6
            + [
                f"g:1-2-{gid},c:{1_700_000_000 + i},s:r{i % 7}",  # the general parser's
                f"g:1-2-{gid}",
                f"g:1-2-{gid},s:r{i % 7},c:{1_700_000_000 + i}.5",
                f"g:1-1-{gid},s:r1,c:{1_700_000_000 + i}",  # a group of one
                f"g:0-2-{gid},s:r1,c:{1_700_000_000 + i}",  # parts out of range
            ]
        )
        second = rng.choice([f"g:2-2-{gid}"] * 8 + [f"g:2-3-{gid}", f"g:2-2-{gid}-x"])
        pair = [_tag(first) + one, _tag(second) + two]
        if rng.random() < 0.1:
            pair[1] = _tag(second, "01") + two  # a wrong tag checksum
        if rng.random() < 0.1:
            pair.reverse()  # out of order
        lines += pair
    return lines


def test_grouped_multipart_messages_frame_alike_in_a_whole_chunk_and_line_by_line() -> None:
    lines = _grouped_lines(random.Random(11))
    whole, whole_counts = _decode(lines, per_line=False)
    each, each_counts = _decode(lines, per_line=True)
    assert whole_counts == each_counts
    assert whole_counts["multipart_joined"] > 150 and whole_counts["bad_checksum"] > 10
    assert list(whole.positions) == list(each.positions)
    assert whole.statics == each.statics and len(whole.statics) > 150
    assert whole.arrivals().tolist() == each.arrivals().tolist()
    # and the whole-chunk framer took the groups of the common shapes itself
    fr = Decoder().frame(lines, 1_700_000_000_000, "feed")
    assert fr is not None and np.count_nonzero(fr.group_code >= 0) > 300
