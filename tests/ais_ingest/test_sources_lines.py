"""Line splitting, event times for pacing, and the pacing rule, without sockets or clocks."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ais_ingest.sources import LineSplitter, Pacer, line_event_time
from ais_ingest.sources.lines import split_datagram

SENTENCE = "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23"


def _split_all(chunks: list[bytes], max_line: int = 4096) -> list[str]:
    splitter = LineSplitter(max_line)
    out: list[str] = []
    for chunk in chunks:
        out.extend(splitter.feed(chunk))
    out.extend(splitter.flush())
    return out


def test_crlf_lf_cr_and_unterminated_last_line() -> None:
    data = b"a\r\nb\nc\rd"
    assert _split_all([data]) == ["a", "b", "c", "d"]


def test_crlf_split_between_reads_is_one_line_ending() -> None:
    assert _split_all([b"a\r", b"\nb\r", b"\n"]) == ["a", "b"]


def test_line_split_across_reads_is_rejoined() -> None:
    half = len(SENTENCE) // 2
    chunks = [SENTENCE[:half].encode(), SENTENCE[half:].encode() + b"\r\n"]
    assert _split_all(chunks) == [SENTENCE]


def test_empty_lines_are_kept_so_counts_match_the_file() -> None:
    assert _split_all([b"a\n\nb\n"]) == ["a", "", "b"]


def test_non_ascii_bytes_become_replacement_characters() -> None:
    assert _split_all([b"\xff!AIVDM\x80\n"]) == ["\ufffd!AIVDM\ufffd"]


def test_over_long_garbage_is_cut_and_the_stream_goes_on() -> None:
    splitter = LineSplitter(max_line=100)
    out: list[str] = []
    for _ in range(1000):  # 1 MB of garbage without a newline
        out.extend(splitter.feed(b"x" * 1000))
        assert len(splitter._pending) <= 100  # memory stays bounded
    out.extend(splitter.feed(b"tail\n" + SENTENCE.encode() + b"\n"))
    assert out == ["x" * 100, SENTENCE]
    assert splitter.truncated == 1


def test_over_long_terminated_line_in_one_read_is_cut() -> None:
    splitter = LineSplitter(max_line=10)
    assert splitter.feed(b"y" * 50 + b"\nok\n") == ["y" * 10, "ok"]
    assert splitter.truncated == 1


def test_datagram_lines_need_no_final_newline() -> None:
    assert split_datagram(b"a\r\nb") == ["a", "b"]
    assert split_datagram(b"a\r\n") == ["a"]


@settings(max_examples=100, deadline=None)
@given(
    lines=st.lists(st.text(alphabet="!AIVDM,0123*\\:x", max_size=30), max_size=20),
    ending=st.sampled_from(["\n", "\r\n", "\r"]),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=10),
)
def test_any_chunking_gives_the_same_lines(lines: list[str], ending: str, cuts: list[int]) -> None:
    # One ending style per stream: a lone CR followed by an empty LF line *is* a CRLF.
    text = "".join(line + ending for line in lines)
    data = text.encode()
    points = sorted({c % (len(data) + 1) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert _split_all(chunks) == lines


@settings(max_examples=100, deadline=None)
@given(chunks=st.lists(st.binary(max_size=300), max_size=20))
def test_arbitrary_bytes_never_raise_and_lines_stay_capped(chunks: list[bytes]) -> None:
    for line in _split_all(chunks, max_line=64):
        assert len(line) <= 64
        assert "\n" not in line and "\r" not in line


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("\\s:rORBCOMM000,c:1418172113*5C\\" + SENTENCE, 1418172113.0),
        ("\\c:1418172113250,s:x*00\\" + SENTENCE, 1418172113.25),
        ("\\g:1-2-73,c:1418172113.5*00\\" + SENTENCE, 1418172113.5),
        ("\\s:station*00\\" + SENTENCE, None),
        ("2014-12-10T00:41:53Z " + SENTENCE, 1418172113.0),
        ("2014-12-10 00:41:53.5 " + SENTENCE, 1418172113.5),
        ("2014-12-10T01:41:53+01:00;" + SENTENCE, 1418172113.0),
        ("1418172113 " + SENTENCE, 1418172113.0),
        ("1418172113.75," + SENTENCE, 1418172113.75),
        ("1418172113000\t" + SENTENCE, 1418172113.0),
        ("2014-12-10T00:41:53Z \\c:1*00\\" + SENTENCE, 1418172113.0),
        ("garbage \\c:1418172113*00\\" + SENTENCE, 1418172113.0),
        (SENTENCE + ",d-109,S2105,t050056.00,T56.137,r003669946,1325394060", 1325394060.0),
        (SENTENCE + ",b003669952", None),
        (SENTENCE, None),
        ("", None),
        ("no sentence at all", None),
        ("\\c:nonsense*00\\" + SENTENCE, None),
        ("\\c:1418172113", None),
    ],
)
def test_line_event_time_reads_tag_blocks_and_timestamps(line: str, expected: float | None) -> None:
    assert line_event_time(line) == expected


def test_pacer_spaces_lines_by_event_time_over_speed() -> None:
    pacer = Pacer(10.0)
    assert pacer.delay(1000.0, now=50.0) == 0.0  # anchors
    assert pacer.delay(1010.0, now=50.0) == pytest.approx(1.0)
    assert pacer.delay(None, now=51.0) == 0.0  # no time: right after the previous one
    assert pacer.delay(1020.0, now=51.0) == pytest.approx(1.0)
    assert pacer.delay(1020.0, now=60.0) == 0.0  # late lines go at once


def test_pacer_lines_before_any_time_are_not_held() -> None:
    pacer = Pacer(2.0)
    assert pacer.delay(None, now=0.0) == 0.0
    assert pacer.delay(100.0, now=0.0) == 0.0
    assert pacer.delay(104.0, now=0.0) == pytest.approx(2.0)


def test_pacer_small_step_back_is_early_and_big_step_back_reanchors() -> None:
    pacer = Pacer(1.0)
    pacer.delay(1000.0, now=0.0)
    assert pacer.delay(1005.0, now=0.0) == pytest.approx(5.0)
    assert pacer.delay(998.0, now=5.0) == 0.0  # a station with a slow clock
    assert pacer.delay(100.0, now=5.0) == 0.0  # next capture starts earlier: new anchor
    assert pacer.delay(103.0, now=5.0) == pytest.approx(3.0)


def test_pacer_rejects_non_positive_speed() -> None:
    with pytest.raises(ValueError):
        Pacer(0.0)


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.one_of(
        st.text(max_size=40),
        st.datetimes().map(lambda d: d.isoformat()),
        st.floats(allow_nan=True).map(str),
        st.text(alphabet="0123456789-:T.Z+ ", max_size=40),
    ),
    sep=st.sampled_from([" ", ",", "", "\\c:", "\\s:x,c:"]),
    tail=st.text(max_size=40),
)
def test_line_event_time_never_raises(prefix: str, sep: str, tail: str) -> None:
    for line in (prefix + sep + SENTENCE + tail, sep + prefix + "*00\\" + SENTENCE, prefix):
        when = line_event_time(line)
        assert when is None or math.isfinite(when)
