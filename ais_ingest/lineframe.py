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


def frame_lines(
    lines: Sequence[str],
    numbers: Iterable[int],
    received_ms: int | Sequence[int],
    source: str | Sequence[str],
    parse_tag: TagParser,
) -> tuple[list[Framed], list[int], list[str], list[int], int]:
    """Split lines ``numbers`` of ``lines`` into sentence parts.

    Returns the framed sentences; for those with a tag block, the index into the framed list,
    the tag block body and its given checksum (all checksums are verified at once); and the
    number of lines that are not AIS sentences (bad framing).
    """
    framed: list[Framed] = []
    append = framed.append
    tag_rows: list[int] = []
    tag_bodies: list[str] = []
    tag_given: list[int] = []
    bad = 0
    hexmap = HEX
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
        t_ms = rx_ms
        has_time = False
        station = src
        group: tuple[int, int, str] | None = None
        head = line[:1]
        if head == "!":
            rest = line
        else:
            prefix = ""
            if head == "\\":
                end = line.find("\\", 1)
                tag = parse_tag(line[1:end]) if end > 0 else None
                rest = line[end + 1 :]
                if tag is None:
                    bad += 1
                    continue
            else:  # a logger's timestamp, maybe then a tag block, before the sentence
                i = line.find("!")
                if i < 0:
                    bad += 1
                    continue
                prefix, rest = line[:i].rstrip(), line[i:]
                tag = None
                if prefix.endswith("\\"):
                    start = prefix.find("\\")
                    tag = parse_tag(prefix[start + 1 : -1]) if start < len(prefix) - 1 else None
                    if tag is None:
                        bad += 1
                        continue
                    prefix = prefix[:start]
            if tag is not None:
                tag_rows.append(len(framed))
                tag_bodies.append(tag[0])
                tag_given.append(tag[1])
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
                    if tag is not None:
                        tag_rows.pop()
                        tag_bodies.pop()
                        tag_given.pop()
                    bad += 1
                    continue
                prefix, rest = prefix + rest[:i], rest[i:]
            if prefix.strip():
                ts = parse_leading_timestamp(prefix)
                if ts is None:
                    if tag is not None:
                        tag_rows.pop()
                        tag_bodies.pop()
                        tag_given.pop()
                    bad += 1
                    continue
                if not has_time:
                    t_ms = ts
                    has_time = True
        star = rest.find("*")
        cs = hexmap.get(rest[star + 1 : star + 3]) if star > 0 else None
        if cs is None:
            if tag_rows and tag_rows[-1] == len(framed):
                tag_rows.pop()
                tag_bodies.pop()
                tag_given.pop()
            bad += 1
            continue
        tail = rest[star + 3 :]
        if tail:
            tail = tail.rstrip()
            if tail:
                if tail[0] != ",":
                    if tag_rows and tag_rows[-1] == len(framed):
                        tag_rows.pop()
                        tag_bodies.pop()
                        tag_given.pop()
                    bad += 1
                    continue
                meta_ms, meta_station = parse_trailing_metadata(tail[1:])
                if meta_ms is not None and not has_time:
                    t_ms = meta_ms
                if meta_station and station == src:
                    station = meta_station
        append((rest[1:star], cs, t_ms, station, group, line, n))
    return framed, tag_rows, tag_bodies, tag_given, bad


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
