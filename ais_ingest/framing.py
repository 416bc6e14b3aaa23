r"""Whole-chunk framing of the common sentence shape, with numpy instead of per-line str work.

Nearly every line of a real feed is one single-part sentence, bare or behind a tag block::

    \s:station,c:1700000000*hh\!AIVDM,1,1,,A,<payload>,0*hh

`frame_chunk` joins a chunk into one byte array, finds the delimiters of every line at once
(``np.flatnonzero`` and ``np.searchsorted`` over the positions of ``\`` ``!`` ``*`` ``,``), checks
the shape by field offsets and verifies both checksums with one prefix-XOR. Rows of that shape
come back as arrays (payload span, fill, event time, station, checksum verdict) and never become
Python strings; every other line (multipart, ``g:`` groups, logger timestamps, receiver metadata,
odd fields, non-ASCII, anything malformed) is listed as irregular, for the per-line framer, which
decides it exactly as before. What counts as regular is deliberately narrow: for such a line
both framers must agree on every field, and the equivalence tests check that they do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ais_ingest.timestamps import TagBlock

I64 = npt.NDArray[np.int64]

#: Longest tag block and payload taken by the whole-chunk framer; longer ones are irregular.
MAX_TAG_CHARS = 120
MAX_PAYLOAD_CHARS = 90

_BANG, _STAR, _COMMA, _BACKSLASH = (ord(c) for c in "!*,\\")

# Hex digit values: upper-case (with digits) and lower-case (with digits) apart, because the
# per-line framer takes "3F" and "3f" but not "aF" (NMEA writes upper case).
_HEX_UPPER = np.full(256, 255, dtype=np.uint8)
_HEX_LOWER = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate("0123456789ABCDEF"):
    _HEX_UPPER[ord(_c)] = _i
    _HEX_LOWER[ord(_c.lower())] = _i
_IS_DIGIT = np.zeros(256, dtype=np.bool_)
_IS_DIGIT[ord("0") : ord("9") + 1] = True

#: What a tag block text gives a regular row: (tag checksum right, time_ms or None, station);
#: None when the line must go to the per-line framer (malformed tag, or a ``g:`` group).
TagInfo = tuple[bool, int | None, str] | None


@dataclass(slots=True)
class FramedChunk:
    """The regular rows of a chunk (arrays in line order) and the irregular line numbers."""

    blob: npt.NDArray[np.uint8]  # the chunk's lines joined by "\n", ASCII
    rows: npt.NDArray[np.intp]  # line number of each regular row
    start: I64  # payload start in ``blob``
    length: I64  # payload length (>= 1)
    fill: I64  # fill bits digit (0-9)
    time_ms: I64  # event time
    station: npt.NDArray[np.object_]  # station (tag ``s:``) or the line's source (str)
    ok: npt.NDArray[np.bool_]  # sentence checksum and tag block checksum both right
    irregular: npt.NDArray[np.intp]  # line numbers for the per-line framer


def _run_ids(
    blob: npt.NDArray[np.uint8], first: I64, length: I64
) -> tuple[npt.NDArray[np.intp], list[bytes]]:
    """Group consecutive rows with the same text; return each row's group and the texts.

    Tag blocks repeat in runs (one station, one second), so comparing each row with the one
    before finds the few distinct texts without sorting or hashing.
    """
    width = int(length.max())
    cols = np.arange(width)
    idx = first[:, None] + cols
    mat = np.where(cols < length[:, None], blob[np.minimum(idx, blob.size - 1)], 0).astype(np.uint8)
    same = np.empty(len(first), dtype=np.bool_)
    same[0] = False
    if len(first) > 1:
        same[1:] = (mat[1:] == mat[:-1]).all(axis=1)
    heads = np.flatnonzero(~same)
    texts = np.ascontiguousarray(mat[heads]).view(f"S{width}").ravel().tolist()
    return np.cumsum(~same) - 1, texts


def frame_chunk(
    lines: Sequence[str],
    received_ms: int | Sequence[int],
    source: str | Sequence[str],
    tag_info: Callable[[bytes], TagInfo],
) -> FramedChunk:
    """Frame the regular rows of ``lines`` at once; see the module docstring.

    ``tag_info`` maps a tag block's text (between the backslashes) to what a regular row needs
    from it (callers cache it: a station's lines within one second share it).
    """
    n = len(lines)
    text = "\n".join(lines)
    lens = np.fromiter(map(len, lines), dtype=np.int64, count=n)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lens[:-1] + 1, out=starts[1:])
    ends = starts + lens
    regular = np.ones(n, dtype=np.bool_)
    if text.isascii():
        raw = text.encode("ascii")
    else:  # a non-ASCII line keys dedupe differently once encoded: the per-line path takes it
        raw = text.encode("ascii", "replace")
        regular &= np.fromiter(map(str.isascii, lines), dtype=np.bool_, count=n)
    pad = 8  # reads a few bytes past a line's end stay inside the array
    blob = np.frombuffer(raw + b"\n" * pad, dtype=np.uint8)
    if b"\x00" in raw:  # NUL would vanish from the fixed-width texts used as keys
        nul = np.flatnonzero(blob == 0)
        regular[np.searchsorted(starts, nul, side="right") - 1] = False

    def after(chars: I64, pos: I64) -> I64:
        """Position of the first delimiter at or after ``pos`` (past the end if none)."""
        i = np.searchsorted(chars, pos)
        return np.append(chars, blob.size)[i]

    head = blob[starts]
    tagged = head == _BACKSLASH
    regular &= tagged | (head == _BANG)
    # Tag block: from the first backslash to the next one.
    sent = starts.copy()
    if tagged.any():
        back = np.flatnonzero(blob == _BACKSLASH)
        t_end = after(back, starts + 1)
        tag_len = t_end - starts - 1
        regular &= ~tagged | ((t_end < ends) & (tag_len >= 4) & (tag_len <= MAX_TAG_CHARS))
        sent = np.where(tagged, t_end + 1, starts)
        regular &= blob[np.minimum(sent, blob.size - 1)] == _BANG
    # Sentence: '!' ... first '*' two hex digits, line end.
    stars = np.flatnonzero(blob == _STAR)
    star = after(stars, sent)
    regular &= star + 3 == ends
    # Exactly six commas between '!' and '*', at the offsets of "!ccVDM,1,1,s,c,p,f".
    commas = np.flatnonzero(blob == _COMMA)
    k0 = np.searchsorted(commas, sent)
    regular &= np.searchsorted(commas, star) - k0 == 6
    rows = np.flatnonzero(regular)
    if rows.size:
        p = sent[rows]
        c = commas[np.minimum(k0[rows, None] + np.arange(6), commas.size - 1)]
        b = blob
        shape = (
            (c[:, 0] == p + 6)
            & (b[p + 3] == ord("V"))
            & (b[p + 4] == ord("D"))
            & ((b[p + 5] == ord("M")) | (b[p + 5] == ord("O")))
            & (c[:, 1] == c[:, 0] + 2)
            & (b[c[:, 0] + 1] == ord("1"))
            & (c[:, 2] == c[:, 1] + 2)
            & (b[c[:, 1] + 1] == ord("1"))
            & (c[:, 5] > c[:, 4] + 1)
            & (c[:, 5] - c[:, 4] - 1 <= MAX_PAYLOAD_CHARS)
            & (c[:, 5] + 2 == star[rows])
            & _IS_DIGIT[b[c[:, 5] + 1]]
        )
        s = star[rows]
        hi_u, lo_u = _HEX_UPPER[b[s + 1]], _HEX_UPPER[b[s + 2]]
        hi_l, lo_l = _HEX_LOWER[b[s + 1]], _HEX_LOWER[b[s + 2]]
        upper = (hi_u != 255) & (lo_u != 255)
        shape &= upper | ((hi_l != 255) & (lo_l != 255))
        keep = np.flatnonzero(shape)
        rows, p, c, s = rows[keep], p[keep], c[keep], s[keep]
        given = np.where(upper[keep], hi_u[keep] * 16 + lo_u[keep], hi_l[keep] * 16 + lo_l[keep])
        regular[:] = False
        regular[rows] = True
    else:
        p = c = s = given = np.zeros(0, dtype=np.int64)
    # Event time and station: the tag block's, else the line's receive time and source.
    if isinstance(received_ms, int):
        time_ms = np.full(rows.size, received_ms, dtype=np.int64)
    else:
        time_ms = np.asarray(received_ms, dtype=np.int64)[rows]
    if isinstance(source, str):
        station_arr = np.full(rows.size, source, dtype=object)
    else:
        station_arr = np.asarray(source, dtype=object)[rows]
    tag_ok = np.ones(rows.size, dtype=np.bool_)
    tag_rows = np.flatnonzero(tagged[rows]) if rows.size else rows
    if tag_rows.size:
        first = starts[rows[tag_rows]] + 1
        run, texts = _run_ids(blob, first, sent[rows[tag_rows]] - first - 1)
        infos = [tag_info(t) for t in texts]
        usable = np.array([i is not None for i in infos], dtype=np.bool_)
        run_ok = np.array([i is not None and i[0] for i in infos], dtype=np.bool_)
        run_time = np.array([-1 if i is None or i[1] is None else i[1] for i in infos])
        has_time = np.array([i is not None and i[1] is not None for i in infos])
        run_station = np.array([None if i is None or not i[2] else i[2] for i in infos], object)
        tag_ok[tag_rows] = run_ok[run]
        timed = has_time[run]
        time_ms[tag_rows[timed]] = run_time[run[timed]]
        named = run_station[run]
        has_name = named != None  # noqa: E711 - elementwise over an object array
        station_arr[tag_rows[has_name]] = named[has_name]
        bad = tag_rows[~usable[run]]
        if bad.size:  # malformed tag or ``g:`` group: the per-line framer decides
            regular[rows[bad]] = False
            keep = np.ones(rows.size, dtype=np.bool_)
            keep[bad] = False
            rows, p, c, s, given = rows[keep], p[keep], c[keep], s[keep], given[keep]
            time_ms, station_arr, tag_ok = time_ms[keep], station_arr[keep], tag_ok[keep]
    # Sentence checksums: XOR of the bytes between '!' and '*' from one prefix-XOR array.
    px = np.bitwise_xor.accumulate(blob)
    body_ok = (px[s - 1] ^ px[p]) == given if rows.size else np.zeros(0, dtype=np.bool_)
    start = c[:, 4] + 1 if rows.size else np.zeros(0, dtype=np.int64)
    return FramedChunk(
        blob=blob,
        rows=rows,
        start=start,
        length=c[:, 5] - start if rows.size else np.zeros(0, dtype=np.int64),
        fill=blob[c[:, 5] + 1].astype(np.int64) - ord("0")
        if rows.size
        else np.zeros(0, dtype=np.int64),
        time_ms=time_ms,
        station=station_arr,
        ok=body_ok & tag_ok,
        irregular=np.flatnonzero(~regular),
    )


def tag_info_of(tag: tuple[str, int, TagBlock] | None) -> TagInfo:
    """Return what a regular row takes from a parsed tag block (see `TagInfo`)."""
    if tag is None or tag[2].group is not None:
        return None
    body, given, fields = tag
    computed = 0
    for ch in body.encode("ascii", "replace"):
        computed ^= ch
    return (computed == given, fields.time_ms, fields.station)


def payload_matrix(
    blob: npt.NDArray[np.uint8], start: I64, length: I64, width: int, pad: int
) -> npt.NDArray[np.uint8]:
    """Payload bytes as an (n, width) matrix: cut at ``width``, short rows filled with ``pad``."""
    cols = np.arange(width)
    idx = np.minimum(start[:, None] + cols, blob.size - 1)
    return np.where(cols < length[:, None], blob[idx], np.uint8(pad)).astype(np.uint8)
