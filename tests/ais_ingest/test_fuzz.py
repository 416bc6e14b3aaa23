"""Bad input never raises, and the counters always add up to the lines given."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ais_ingest.decoder import Decoder, read_lines
from ais_ingest.dedupe import Deduplicator, payload_key
from ais_ingest.records import POSITION_COLUMNS, Batch
from ais_ingest.timestamps import nmea_checksum
from tests.ais_ingest.reference_decoder import ReferenceDecoder, ReferenceDeduplicator

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


# ---------------------------------------------------------------- equivalence with the reference
def _pool() -> tuple[list[str], list[list[str]]]:
    """Real sentences: single-part ones of many types and multipart messages (all fragments)."""
    singles: list[str] = []
    multis: list[list[str]] = []
    pending: list[str] = []
    for path in ("tests/data/ais/gpsd/sample.aivdm", "tests/data/ais/aishub/aishub_2015_3min.nmea"):
        for line in read_lines(path):
            if not line.startswith("!"):
                continue
            parts = line.split(",")
            if parts[1] == "1":
                if len(singles) < 400:
                    singles.append(line)
            elif parts[2] == "1":
                pending = [line]
            elif pending and parts[2] == str(len(pending) + 1):
                pending.append(line)
                if len(pending) == int(parts[1]) and len(multis) < 60:
                    multis.append(pending)
                    pending = []
    return singles[::4] + singles[-20:], multis


SINGLES, MULTIS = _pool()
T0 = 1_700_000_000


def _cs(body: str) -> str:
    return f"{nmea_checksum(body):02X}"


def _resum(sentence: str) -> str:
    body = sentence[1:].split("*")[0]
    return f"{sentence[0]}{body}*{_cs(body)}"


@st.composite
def _line_group(draw: st.DrawFn) -> list[str]:
    """One message as it may appear on a feed: one line, or its fragments, dressed variously."""
    if draw(st.integers(0, 9)) == 0:
        sentences = list(draw(st.sampled_from(MULTIS)))
    else:
        sentences = [draw(st.sampled_from(SINGLES))]
    style = draw(st.sampled_from(["bare", "tag", "tag", "tag", "tagms", "group", "iso", "uscg"]))
    station = draw(st.sampled_from(["", "r1", "r2", "r3"]))
    t = T0 + draw(st.integers(-3, 30))
    talker = draw(st.sampled_from(["AI", "AI", "AI", "BS", "AB"]))
    kind = draw(st.sampled_from(["VDM", "VDM", "VDM", "VDO"]))
    gid = draw(st.integers(1, 3))
    out = []
    for i, s in enumerate(sentences):
        if talker != "AI" or kind != "VDM":
            s = _resum(f"!{talker}{kind}{s[6:]}")
        if draw(st.integers(0, 8)) == 0:  # an odd field, with a right checksum
            fields = s.split("*")[0].split(",")
            k = draw(st.integers(0, len(fields) - 1))
            fields[k] = draw(
                st.sampled_from(["", "0", "1", "2", "9", "01", "A", "!AIVDX", "!AIVD"])
            )
            s = _resum(",".join(fields) if fields[0][:1] == "!" else "!" + ",".join(fields))
        if style in ("tag", "tagms", "group"):
            fields = [f"s:{station}"] if station else []
            if draw(st.integers(0, 5)):
                fields.append(
                    f"c:{t * 1000 + draw(st.integers(0, 999))}" if style == "tagms" else f"c:{t}"
                )
            if style == "group":
                fields.insert(0, f"g:{i + 1}-{len(sentences)}-{gid}")
            body = ",".join(fields) or "c:1"
            s = f"\\{body}*{_cs(body)}\\{s}"
        elif style == "iso":
            s = f"2023-11-14T22:{13 + (t - T0) // 60:02d}:{(t - T0) % 60:02d}Z {s}"
        elif style == "uscg":
            s = f"{s},b003669702,{t}" + (f",r{station}" if station else "")
        out.append(s)
    if draw(st.integers(0, 12)) == 0:  # corruption of one line
        k = draw(st.integers(0, len(out) - 1))
        line = list(out[k])
        pos = draw(st.integers(0, len(line) - 1))
        line[pos] = draw(st.sampled_from("!*,\\0A@~z9 \x00é\t"))
        out[k] = "".join(line)
    return out


@st.composite
def _feed(
    draw: st.DrawFn,
) -> tuple[list[str], list[int], list[int | list[int]], list[str | list[str]]]:
    groups = draw(st.lists(_line_group(), min_size=1, max_size=60))
    if draw(st.booleans()):  # interleave some fragments of different messages
        draw(st.randoms()).shuffle(groups)
    lines = [line for g in groups for line in g]
    if draw(st.integers(0, 4)) == 0:
        lines += draw(st.lists(st.text(max_size=40), max_size=5))
    cuts = sorted(draw(st.lists(st.integers(0, len(lines)), max_size=6)))
    bounds = [0, *cuts, len(lines)]
    sizes = [b - a for a, b in zip(bounds, bounds[1:], strict=False)]
    rx: list[int | list[int]] = []
    src: list[str | list[str]] = []
    for i, n in enumerate(sizes):
        base = (T0 + 5 * i) * 1000
        if draw(st.booleans()):
            rx.append(base)
        else:
            rx.append([base + draw(st.integers(-20_000, 20_000)) for _ in range(n)])
        src.append(
            draw(st.sampled_from(["", "feedA", "feedB"]))
            if draw(st.booleans())
            else [draw(st.sampled_from(["feedA", "feedB"])) for _ in range(n)]
        )
    return lines, sizes, rx, src


def _same_batch(a: Batch, b: Batch) -> None:
    pa, pb = a.positions, b.positions
    for name in POSITION_COLUMNS:
        np.testing.assert_array_equal(getattr(pa, name), getattr(pb, name), err_msg=name)
    assert pa.source == pb.source
    assert a.statics == b.statics


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(_feed(), st.sampled_from([0, 1, 5, 10]), st.booleans(), st.sampled_from([1, 1, 2, 24]))
def test_decoder_equals_the_sequential_reference_on_mixed_feeds_in_random_chunks(
    feed: tuple[list[str], list[int], list[int | list[int]], list[str | list[str]]],
    dedupe_seconds: int,
    expire: bool,
    vector_min_lines: int,
) -> None:
    lines, sizes, rx, src = feed
    new = Decoder(dedupe_seconds=dedupe_seconds)
    new.vector_min_lines = vector_min_lines  # mostly: every chunk through the whole-chunk framer
    ref = ReferenceDecoder(dedupe_seconds=dedupe_seconds)
    start = 0
    for n, r, s in zip(sizes, rx, src, strict=True):
        chunk = lines[start : start + n]
        start += n
        _same_batch(new.decode(chunk, r, s), ref.decode(chunk, r, s))
        assert new.stats.as_dict() == ref.stats.as_dict()
        if expire:
            now = (T0 + 10) * 1000 + start * 100
            new.expire(now)
            ref.expire(now)
            assert new.stats.as_dict() == ref.stats.as_dict()
    new.flush()
    ref.flush()
    assert new.stats.as_dict() == ref.stats.as_dict()
    assert new.stats.unchecked_tags == ref.stats.unchecked_tags
    assert new.stats.accounted == len(lines)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("abcdefg"), st.integers(0, 60)), max_size=80),
    st.lists(st.integers(0, 80), max_size=5),
    st.sampled_from([0, 1, 5, 10, 25]),
    st.sampled_from([0, 0, 3, 10**9]),
)
def test_batched_dedupe_equals_the_sequential_rule(
    events: list[tuple[str, int]], cuts: list[int], window: int, sequential_below: int
) -> None:
    """Times jump back and forth (several stations' clocks), so entries expire out of order.

    Batches go through the vectorised path, the one-by-one path, or a mix (both share state).
    """
    ref = ReferenceDeduplicator(window)
    want = [ref.is_duplicate(p, t) for p, t in events]
    new = Deduplicator(window)
    new.sequential_below = sequential_below
    have: list[bool] = []
    bounds = [0, *sorted(c for c in cuts if c <= len(events)), len(events)]
    for a, b in zip(bounds, bounds[1:], strict=False):
        part = events[a:b]
        times = np.array([t for _, t in part], dtype=np.int64)
        have += new.duplicates([payload_key(p) for p, _ in part], times).tolist()
    assert have == want
    assert len(new) == len(ref)


def _tagged(lines: list[str]) -> list[str]:
    """Give lines tag blocks as an aggregator would: rotating stations, a second per 470 lines."""
    out = []
    for i, line in enumerate(lines):
        body = f"s:r{(i // 1000) % 7},c:{T0 + i // 470}"
        out.append(f"\\{body}*{_cs(body)}\\{line}")
    return out


@pytest.mark.slow
def test_decoder_equals_the_reference_on_every_capture() -> None:
    """Whole captures in 8192-line chunks: the shapes real feeds have, at the bench's chunking."""
    captures = [
        "tests/data/ais/aishub/aishub_2015_3min.nmea",
        "tests/data/ais/pyais/nmea_data_sample.txt",
        "tests/data/ais/gpsd/sample.aivdm",
        "tests/data/ais/libais/tagblock.nmea",
        "tests/data/ais/libais/typeexamples.nmea",
    ]
    feeds = [list(read_lines(path)) for path in captures]
    feeds.append(_tagged(feeds[0]))
    for lines in feeds:
        new, ref = Decoder(), ReferenceDecoder()
        for i in range(0, len(lines), 8192):
            chunk = lines[i : i + 8192]
            _same_batch(new.decode(chunk, T0 * 1000, "cap"), ref.decode(chunk, T0 * 1000, "cap"))
        assert new.stats.as_dict() == ref.stats.as_dict()
