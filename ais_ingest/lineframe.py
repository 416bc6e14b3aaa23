"""Per-line framing for the lines the whole-chunk framer leaves: every shape Mare accepts.

A line may carry an NMEA 4.10 tag block, a logger's leading timestamp (before or after the tag
block), USCG receiver metadata after the checksum, or be part of a multipart message. Each line
is split with str methods; checksums of all of them are then verified at once with numpy.
`ais_ingest.framing` handles the common shape for whole chunks and hands the rest here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from ais_ingest.timestamps import (
    TagBlock,
    parse_leading_timestamp,
    parse_tag_fields,
    parse_trailing_metadata,
    split_tag_block,
)

HEX = {f"{i:02X}": i for i in range(256)} | {f"{i:02x}": i for i in range(256)}
_TAG_CACHE_SIZE = 4096

#: One framed sentence: (body, given checksum, time_ms, station, group, line, line number).
Framed = tuple[str, int, int, str, tuple[int, int, str] | None, str, int]
Tag = tuple[str, int, TagBlock]  # tag block fields text, its given checksum, its fields


class TagParser:
    """Tag block text -> (fields text, given checksum, fields), cached.

    A station's lines within one second share one tag block, so most lookups are hits. The
    cache is cleared when full, which bounds it on a stream of ever-new times.
    """

    __slots__ = ("_cache",)

    def __init__(self) -> None:
        self._cache: dict[str, Tag | None] = {}

    def __call__(self, text: str) -> Tag | None:
        """Return the parsed tag block, or None if malformed."""
        cache = self._cache
        hit = cache.get(text)
        if hit is not None or text in cache:
            return hit
        split = split_tag_block(text)
        fields = parse_tag_fields(split[0]) if split is not None else None
        result = None if split is None or fields is None else (split[0], int(split[1], 16), fields)
        if len(cache) >= _TAG_CACHE_SIZE:
            cache.clear()
        cache[text] = result
        return result


#: One sentence of a line, framed: body, given checksum, time, whether the time is the line's
#: own, station, group, tag block, and what follows the checksum.
_Unit = tuple[str, int, int, bool, str, tuple[int, int, str] | None, Tag | None, str]


def _frame_unit(text: str, rx_ms: int, src: str, parse_tag: TagParser) -> _Unit | None:
    """Frame the sentence ``text`` starts with; None when it is none (bad framing)."""
    t_ms = rx_ms
    has_time = False
    station = src
    group: tuple[int, int, str] | None = None
    tag: Tag | None = None
    head = text[:1]
    if head == "!":
        rest = text
    else:
        prefix = ""
        if head == "\\":
            end = text.find("\\", 1)
            tag = parse_tag(text[1:end]) if end > 0 else None
            rest = text[end + 1 :]
            if tag is None:
                return None
        else:  # a logger's timestamp, maybe then a tag block, before the sentence
            i = text.find("!")
            if i < 0:
                return None
            prefix, rest = text[:i].rstrip(), text[i:]
            if prefix.endswith("\\"):
                start = prefix.find("\\")
                tag = parse_tag(prefix[start + 1 : -1]) if start < len(prefix) - 1 else None
                if tag is None:
                    return None
                prefix = prefix[:start]
        if tag is not None:
            fields = tag[2]
            if fields.time_ms is not None:
                t_ms = fields.time_ms
                has_time = True
            if fields.station:
                station = fields.station
            if fields.group is not None:  # a group id is only unique within one feed
                num, total, gid = fields.group
                group = (num, total, f"{src}\x1f{gid}")
        if rest[:1] != "!":
            i = rest.find("!")
            if i < 0:
                return None
            prefix, rest = prefix + rest[:i], rest[i:]
        if prefix.strip():
            ts = parse_leading_timestamp(prefix)
            if ts is None:
                return None
            if not has_time:
                t_ms = ts
                has_time = True
    star = rest.find("*")
    cs = HEX.get(rest[star + 1 : star + 3]) if star > 0 else None
    if cs is None:
        return None
    return rest[1:star], cs, t_ms, has_time, station, group, tag, rest[star + 3 :]


def frame_lines(
    lines: Sequence[str],
    numbers: Iterable[int],
    received_ms: int | Sequence[int],
    source: str | Sequence[str],
    parse_tag: TagParser,
) -> tuple[list[Framed], list[int], list[str], list[int], int, int]:
    """Split lines ``numbers`` of ``lines`` into sentence parts.

    Returns the framed sentences; for those with a tag block, the index into the framed list,
    the tag block body and its given checksum (all checksums are verified at once); the
    number of lines that are not AIS sentences, or not all (bad framing); and the number of
    sentences that followed another on its line.

    Spire's satellite feed (ais-tools' ``spire-test.nmea``) writes a multipart message's
    parts on one line, each with its tag block (or only a group tag): each sentence of such
    a line is framed on its own and counted as a line, the parts after the first taking the
    first's time, station and way of numbering parts where they do not give their own.
    """
    framed: list[Framed] = []
    append = framed.append
    tag_rows: list[int] = []
    tag_bodies: list[str] = []
    tag_given: list[int] = []
    bad = joined = 0
    per_line = not isinstance(received_ms, int)
    rx_ms = received_ms if isinstance(received_ms, int) else 0
    per_source = not isinstance(source, str)
    src = source if isinstance(source, str) else ""
    for n in numbers:
        line = lines[n]
        if per_line:
            rx_ms = received_ms[n]  # type: ignore[index]
        if per_source:
            src = source[n]
        unit = _frame_unit(line, rx_ms, src, parse_tag)
        if unit is None:
            bad += 1
            continue
        body, cs, t_ms, has_time, station, group, tag, tail = unit
        if tail[:1] in ("\\", "!"):  # more sentences on the line
            units = _joined(line, unit, rx_ms, src, parse_tag)
            if units is None:
                bad += 1  # the line, once: a sentence of it is none
                continue
            joined += len(units) - 1
            for body, cs, t_ms, station, group, tag, own in units:
                if tag is not None:
                    tag_rows.append(len(framed))
                    tag_bodies.append(tag[0])
                    tag_given.append(tag[1])
                append((body, cs, t_ms, station, group, own, n))
            continue
        if tail:
            tail = tail.rstrip()
            if tail:
                if tail[0] != ",":
                    bad += 1
                    continue
                meta_ms, meta_station = parse_trailing_metadata(tail[1:])
                if meta_ms is not None and not has_time:
                    t_ms = meta_ms
                if meta_station and station == src:
                    station = meta_station
        if tag is not None:
            tag_rows.append(len(framed))
            tag_bodies.append(tag[0])
            tag_given.append(tag[1])
        append((body, cs, t_ms, station, group, line, n))
    return framed, tag_rows, tag_bodies, tag_given, bad, joined


_Joined = tuple[str, int, int, str, tuple[int, int, str] | None, Tag | None, str]


def _joined(
    line: str, lead: _Unit, rx_ms: int, src: str, parse_tag: TagParser
) -> list[_Joined] | None:
    """Frame every sentence of a line that holds several (`frame_lines`); None if one is none.

    Each is returned with its own text; the ones after the first take the first's time and
    station when their tag block gives none, and number their parts as the first does.
    """
    out: list[_Joined] = []
    _body, _cs, t0, _own_time, station0, group0, _tag, _rest = lead
    unit: _Unit | None = lead
    text = line
    while unit is not None:
        body, cs, t_ms, has_time, station, group, tag, tail = unit
        more = tail[:1] in ("\\", "!")
        if not more and tail.strip():
            return None  # receiver metadata belongs to single sentences
        if out:
            t_ms = t_ms if has_time else t0
            station = station0 if station == src else station
            if group0 is None:
                group = None
            elif group is None:
                group = (group0[0] + len(out), group0[1], group0[2])
        out.append((body, cs, t_ms, station, group, tag, text[: len(text) - len(tail)]))
        if not more:
            return out
        text = tail
        unit = _frame_unit(text, rx_ms, src, parse_tag)
    return None


def checksums_ok(bodies: list[str], given: list[int]) -> npt.NDArray[np.bool_]:
    """NMEA checksums of all bodies at once: XOR over each span of one prefix-XOR array."""
    data = np.frombuffer("".join(bodies).encode("ascii", "replace"), dtype=np.uint8)
    lengths = np.fromiter((len(b) for b in bodies), dtype=np.int64, count=len(bodies))
    ends = np.cumsum(lengths)
    px = np.zeros(data.size + 1, dtype=np.uint8)
    if data.size:
        np.bitwise_xor.accumulate(data, out=px[1:])
    computed = px[ends] ^ px[ends - lengths]
    return np.asarray(computed == np.asarray(given, dtype=np.uint8))
