r"""Whole-chunk framing of the common sentence shape, with numpy instead of per-line str work.

Nearly every line of a real feed is one sentence, bare or behind a tag block::

    \s:station,c:1700000000*hh\!AIVDM,1,1,,A,<payload>,0*hh

`frame_chunk` joins a chunk into one byte array and checks that shape for every line at once:
the sentence header by fixed offsets (a one-character sequence id and channel at most), the
payload by its alphabet (six-bit characters cannot be ``,`` or ``*``, so no delimiter search is
needed), both checksums with one prefix-XOR. Rows of that shape come back as arrays (payload
span, first 28 payload bytes, fill, event time, station, checksum verdict, fragment numbers);
single-part payloads never become Python strings. A tag block may tie a multipart message's
sentences by an NMEA 4.10 group (``g:1-2-17,s:..,c:..`` then ``g:2-2-17``): such a row is a
fragment of its group, numbered by it, as the per-line framer takes it (a group of one is that
framer's). Every other line (logger timestamps, receiver metadata, odd fields or characters,
anything malformed) is listed as irregular, for the per-line framer, which decides it exactly
as before. What counts as regular
is deliberately narrow: for such a line both framers must agree on every field, and the
equivalence tests check that they do.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ais_ingest.fastpath import PAYLOAD_CHARS
from ais_ingest.lineblock import LineBlock
from ais_ingest.timestamps import TagBlock

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]

#: Longest tag block and payload taken by the whole-chunk framer; longer ones are irregular.
MAX_TAG_CHARS = 120
MAX_PAYLOAD_CHARS = 90
_PAD = max(MAX_TAG_CHARS, MAX_PAYLOAD_CHARS) + 16  # windows past a line's end stay inside

_BANG, _STAR, _COMMA, _BACKSLASH, _NL = (ord(c) for c in "!*,\\\n")

# Hex digit values: upper-case (with digits) and lower-case (with digits) apart, because the
# per-line framer takes "3F" and "3f" but not "aF" (NMEA writes upper case).
_HEX_UPPER = np.full(256, 255, dtype=np.uint8)
_HEX_LOWER = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate("0123456789ABCDEF"):
    _HEX_UPPER[ord(_c)] = _i
    _HEX_LOWER[ord(_c.lower())] = _i
_HEX_ANY = np.minimum(_HEX_UPPER, _HEX_LOWER)  # a tag block's checksum may mix them ("aF")
_IS_DIGIT = np.zeros(256, dtype=np.bool_)
_IS_DIGIT[ord("0") : ord("9") + 1] = True
# Payload bytes of a regular row: the six-bit armouring alphabet (0 is the matrices' padding).
_PAYLOAD_OK = np.zeros(256, dtype=np.bool_)
_PAYLOAD_OK[[0, *range(48, 88), *range(96, 120)]] = True
# A one-character talker, sequence id or channel: anything but the delimiters around it.
_FIELD_OK = np.ones(256, dtype=np.bool_)
_FIELD_OK[[_COMMA, _STAR, _NL, 0]] = False
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)], dtype=np.uint64)

#: What a tag block text gives a regular row: event time (ms, None: none), station ("": none)
#: and NMEA 4.10 group (part, parts, id; None: none); None when the line must go to the
#: per-line framer (a malformed tag block). Its checksum is checked here, for every row at once.
TagInfo = tuple[int | None, str, tuple[int, int, str] | None] | None


@dataclass(slots=True)
class FramedChunk:
    """The regular rows of a chunk (arrays in line order) and the irregular line numbers.

    A regular row is one sentence: single-part (``total == 1``) or a multipart fragment.
    """

    blob: U8  # the chunk's lines joined by "\n", ASCII, padded
    starts: I64  # where each line of the chunk starts in ``blob``
    rows: npt.NDArray[np.intp]  # line number of each regular row
    sent: I64  # position of the sentence's '!' in ``blob``
    start: I64  # payload start in ``blob``
    length: I64  # payload length (>= 1)
    head: U8  # (n, 28) first payload bytes, zero-padded
    fill: I64  # fill bits digit (0-9)
    total: I64  # fragment count (1-9)
    num: I64  # fragment number (1-total)
    seq_at: I64  # position of the one-character sequence id, -1 if empty
    channel_at: I64  # position of the one-character channel, -1 if empty
    time_ms: I64  # event time
    name_code: I64  # index of the tag block's ``s:`` station in ``names``, -1 if none
    names: list[str]  # station names of this chunk's tag blocks
    #: Index of the row's tag block group (``g:``) id in ``group_ids``, -1 if none; a grouped
    #: row's ``num`` and ``total`` are its group's, as the per-line framer takes them.
    group_code: I64
    group_ids: list[str]
    source: str | Sequence[str]  # the chunk's source (one, or one per line)
    ok: npt.NDArray[np.bool_]  # sentence checksum and tag block checksum both right
    irregular: npt.NDArray[np.intp]  # line numbers for the per-line framer
    #: Rows whose tag block gives the placeholder checksum ``*00`` (`placeholder_tags`), taken
    #: on their sentence's own checksum: ``ok`` counts them right.
    unchecked: int = 0

    def stations(self, index: npt.NDArray[np.intp]) -> list[str]:
        """Return the station of rows ``index``: the tag block's ``s:``, else the source."""
        code = self.name_code[index]
        source = self.source
        named = code >= 0
        if isinstance(source, str):
            if not named.any():
                return [source] * index.size
            table = np.array([*self.names, source], dtype=object)
            return table[np.where(named, code, len(self.names))].tolist()  # type: ignore[no-any-return]
        out = np.asarray(source, dtype=object)[self.rows[index]]
        if named.any():
            out[named] = np.array(self.names, dtype=object)[code[named]]
        return out.tolist()  # type: ignore[no-any-return]


def _gather(blob: U8, pos: I64, width: int) -> U8:
    """Return the ``width`` bytes from each position as an (n, width) matrix (a copy).

    Indexing a strided ``S{width}`` view copies each span in one go, several times faster than
    a two-dimensional fancy index.
    """
    spans = np.ndarray((blob.size - width + 1,), dtype=f"S{width}", buffer=blob, strides=(1,))
    return spans[pos].view(np.uint8).reshape(-1, width)


def payload_matrix(blob: U8, start: I64, length: I64, width: int, pad: int) -> U8:
    """Payload bytes as an (n, width) matrix: cut at ``width``, short rows filled with ``pad``."""
    mat = _gather(blob, start, width)
    short = np.flatnonzero(length < width)
    if short.size:
        sub = mat[short]
        sub[np.arange(width) >= length[short, None]] = pad
        mat[short] = sub
    return mat


def _valid_payload(mat: U8) -> npt.NDArray[np.bool_]:
    """Rows whose bytes are all six-bit characters (48-87, 96-119) or padding (0)."""
    x = mat - np.uint8(48)  # wraps: the two ranges become 0-39 and 48-71
    bad = (x >= 40) & ((x - np.uint8(48)) >= 24) & (mat != 0)
    return np.asarray(~bad.any(axis=1))


def _run_heads(blob: U8, first: I64, length: I64) -> tuple[npt.NDArray[np.intp], I64]:
    """Group consecutive rows with the same text; return each row's group and each group's row.

    Tag blocks repeat in runs (one station, one second), so comparing each row with the one
    before finds the few distinct texts without sorting or hashing.
    """
    width = int(length.max())
    texts = payload_matrix(blob, first, length, width, 0).view(f"S{width}").ravel()
    same = np.empty(texts.size, dtype=np.bool_)
    same[0] = False
    same[1:] = texts[1:] == texts[:-1]
    return np.cumsum(~same) - 1, np.flatnonzero(~same)


_PLAIN_TAIL = 16  # ",c:" ten digits "*hh" end a plain tag text
_DELIMITER = np.zeros(256, dtype=np.bool_)
_DELIMITER[[_COMMA, _STAR]] = True
_TENS_F = 10.0 ** np.arange(9, -1, -1)


def plain_tag_infos(
    blob: U8, first: I64, end: I64
) -> tuple[npt.NDArray[np.bool_], I64, I64, list[str]]:
    """`plain_tag_info` of many tag texts (``blob[first:end]``) at once, for ten-digit times.

    Returns which texts are of the form ``s:<station>,c:<ten digits>*hh`` (a station without
    ``,`` or ``*``), their times in ms, and an index of their station into the returned names
    (-1 for an empty one), the names in byte order. Every other text is for `plain_tag_info`
    one by one; a feed of many stations has a new text every second per station, so this is
    most of a chunk's texts.
    """
    n = first.size
    ok = (end - first >= 2 + _PLAIN_TAIL) & (blob[first] == ord("s"))
    ok &= blob[first + 1] == ord(":")
    tail = _gather(blob, end - _PLAIN_TAIL, _PLAIN_TAIL)
    ok &= (tail[:, 0] == _COMMA) & (tail[:, 1] == ord("c")) & (tail[:, 2] == ord(":"))
    digits = tail[:, 3:13] - np.uint8(48)  # wraps: a byte that is no digit becomes 10 or more
    ok &= (digits.max(axis=1) < 10) & (tail[:, 13] == _STAR)
    ok &= (_HEX_ANY[tail[:, 14]] != 255) & (_HEX_ANY[tail[:, 15]] != 255)
    # In floats for the BLAS product: exact, every partial sum an integer below 1e10 < 2**53.
    time_ms = (digits @ _TENS_F).astype(np.int64) * 1000
    code = np.full(n, -1, dtype=np.int64)
    names: list[str] = []
    rows = np.flatnonzero(ok)
    if rows.size:
        s_len = end[rows] - _PLAIN_TAIL - first[rows] - 2
        width = max(int(s_len.max()), 1)
        mat = payload_matrix(blob, first[rows] + 2, s_len, width, 0)
        which, reps = distinct_rows(mat)
        # A station holds no ',' or '*': checked on the few distinct ones.
        clean: npt.NDArray[np.bool_] = np.asarray(~_DELIMITER[reps].any(axis=1))
        keep = clean[which]
        ok[rows[~keep]] = False
        rows, which = rows[keep], which[keep]
        station = reps.view(f"S{width}").ravel().tolist()  # trailing NULs go, as numpy's
        kept = sorted(np.flatnonzero(clean).tolist(), key=station.__getitem__)
        rank = np.full(len(station), -1, dtype=np.int64)
        rank[kept] = np.arange(len(kept))
        names = [station[i].decode("ascii") for i in kept]
        code[rows] = rank[which]
        if names and names[0] == "":  # "s:," names no station
            code[rows] -= 1
            names = names[1:]
    return ok, time_ms, code, names


#: Longest group id `group_tag_infos` reads (``g:1-2-<id>``); longer ones go one by one.
_GROUP_ID_CHARS = 12


def group_tag_infos(
    blob: U8, first: I64, end: I64
) -> tuple[npt.NDArray[np.bool_], I64, list[str], npt.NDArray[np.bool_], I64, I64, list[str]]:
    """`tag_info_of` of many NMEA 4.10 group tag texts at once, of the two common shapes.

    ``g:<part>-<parts>-<id>*hh`` (a message's later sentences) and ``g:<part>-<parts>-<id>,``
    followed by a plain ``s:<station>,c:<ten digits>*hh`` (its first, `plain_tag_infos`),
    one-digit parts and an id of at most `_GROUP_ID_CHARS` characters with no ``-``. A feed
    that groups its multipart messages so sends every other line of them (`bench.engine`'s
    simulated one: 7.5k lines), which the general parser took one by one.

    Returns which texts are of these shapes, each one's (part, parts) and group id, whether
    it gives a time and which, and its station as an index into the returned names (-1 none).
    """
    n = first.size
    head = _gather(blob, first, 6 + _GROUP_ID_CHARS + 1)
    ok = (end - first >= 9) & (head[:, 0] == ord("g")) & (head[:, 1] == ord(":"))
    ok &= _IS_DIGIT[head[:, 2]] & (head[:, 3] == ord("-"))
    ok &= _IS_DIGIT[head[:, 4]] & (head[:, 5] == ord("-"))
    parts = np.stack([head[:, 2], head[:, 4]], axis=1).astype(np.int64) - 48
    # The id runs to the first ',' or '*' (within the window); it must hold no '-' either.
    ends_id = _DELIMITER[head[:, 6:]]
    id_len = np.where(ends_id.any(axis=1), ends_id.argmax(axis=1), -1)
    ok &= id_len >= 1
    ok &= ~((head[:, 6:] == ord("-")) & (np.arange(_GROUP_ID_CHARS + 1) < id_len[:, None])).any(
        axis=1
    )
    after = first + 6 + id_len  # the ',' or '*' that ends the id
    star_end = ok & (after == end - 3) & (blob[np.minimum(after, blob.size - 1)] == _STAR)
    star_end &= (_HEX_ANY[blob[end - 2]] != 255) & (_HEX_ANY[blob[end - 1]] != 255)
    comma = ok & (blob[np.minimum(after, blob.size - 1)] == _COMMA)
    rest = np.flatnonzero(comma)
    has_time = np.zeros(n, dtype=np.bool_)
    time_ms = np.zeros(n, dtype=np.int64)
    code = np.full(n, -1, dtype=np.int64)
    names: list[str] = []
    with_rest = np.zeros(n, dtype=np.bool_)
    if rest.size:
        plain, r_time, r_code, names = plain_tag_infos(blob, after[rest] + 1, end[rest])
        at = rest[plain]
        with_rest[at] = True
        has_time[at] = True
        time_ms[at] = r_time[plain]
        code[at] = r_code[plain]
    ok &= star_end | with_rest
    rows = np.flatnonzero(ok)
    ids: list[str] = []
    if rows.size:
        width = int(id_len[rows].max())
        mat = payload_matrix(blob, first[rows] + 6, id_len[rows], width, 0)
        ids = [x.decode("ascii") for x in mat.view(f"S{width}").ravel().tolist()]
    return ok, parts, ids, has_time, time_ms, code, names


def distinct_rows(mat: U8) -> tuple[I64, U8]:
    """Return each row's index into the distinct rows of ``mat``, and those rows.

    A chunk's tag texts name a handful of stations: each row is keyed by a 64-bit hash of
    its bytes (the bytes themselves up to eight) and every row is then compared with its
    key's first row, so a collision is found, and then ``numpy.unique`` of the rows decides.
    Sorting the rows as strings cost a third of the tag reader.
    """
    n, width = mat.shape
    words = np.zeros((n, -(-width // 8) * 8), dtype=np.uint8)
    words[:, :width] = mat
    cols = words.view("<u8")
    key = cols[:, 0].copy()
    for j in range(1, cols.shape[1]):
        key *= np.uint64(0x100000001B3)
        key ^= cols[:, j]
    _, at, which = np.unique(key, return_index=True, return_inverse=True)
    which = which.ravel()
    reps = mat[at]
    if not (reps[which] == mat).all():  # two stations of one key
        reps, which = np.unique(mat, axis=0, return_inverse=True)
        which = which.ravel()
    return which.astype(np.int64), reps


def _xor_spans(blob: U8, a: I64, b: I64) -> I64:
    """XOR of the bytes ``blob[a:b]`` of every span, eight bytes at a time.

    A prefix XOR over 64-bit words gives whole words; the bytes before ``a`` in its word and up
    to ``b`` in its word are masked in, and the eight bytes of the result folded into one.
    """
    words = blob[: blob.size // 8 * 8].view("<u8")
    px = np.zeros(words.size + 1, dtype=np.uint64)
    np.bitwise_xor.accumulate(words, out=px[1:])
    wa, wb = a // 8, b // 8
    x = px[wb] ^ px[wa] ^ (words[wa] & _LOW_BYTES[a % 8]) ^ (words[wb] & _LOW_BYTES[b % 8])
    x ^= x >> np.uint64(32)
    x ^= x >> np.uint64(16)
    x ^= x >> np.uint64(8)
    out: I64 = (x & np.uint64(255)).astype(np.int64)
    return out


def _line_starts(lines: Sequence[str], raw: bytes) -> I64:
    n = len(lines)
    starts = np.zeros(n, dtype=np.int64)
    newlines = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == _NL)
    if newlines.size == n - 1:  # no line holds a newline of its own
        starts[1:] = newlines + 1
    else:
        lens = np.fromiter(map(len, lines), dtype=np.int64, count=n)
        np.cumsum(lens[:-1] + 1, out=starts[1:])
    return starts


def _padded(raw: bytes) -> U8:
    return np.frombuffer(raw + b"\n" * (_PAD + (-len(raw) % 8)), dtype=np.uint8)


def chunk_blob(lines: Sequence[str]) -> U8:
    """Return `FramedChunk.blob` of ``lines``: cheaper to make again than to send elsewhere."""
    if isinstance(lines, LineBlock):
        return lines.padded(_PAD)
    return _padded("\n".join(lines).encode("ascii", "replace"))


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
    regular = np.ones(n, dtype=np.bool_)
    # A non-ASCII line keys dedupe differently once encoded: the per-line path takes it.
    if isinstance(lines, LineBlock):  # read as bytes: no str to join and encode again
        blob, starts, size = lines.padded(_PAD), lines.starts(), max(lines.nbytes - 1, 0)
        if not lines.data.isascii():
            regular[lines.nonascii_lines()] = False
        nul_possible = b"\x00" in lines.data
    else:
        text = "\n".join(lines)
        if text.isascii():
            raw = text.encode("ascii")
        else:
            raw = text.encode("ascii", "replace")
            regular &= np.fromiter(map(str.isascii, lines), dtype=np.bool_, count=n)
        starts, size, blob = _line_starts(lines, raw), len(raw), _padded(raw)
        nul_possible = b"\x00" in raw
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:] - 1
    ends[-1] = size
    if nul_possible:  # NUL would vanish from the fixed-width texts used as keys
        nul = np.flatnonzero(blob[:size] == 0)
        regular[np.searchsorted(starts, nul, side="right") - 1] = False
    b = blob
    first = b[starts]
    tagged = first == _BACKSLASH
    regular &= tagged | (first == _BANG)
    sent = starts
    if tagged.any():  # tag block: from the first backslash to the next one
        back = np.append(np.flatnonzero(b == _BACKSLASH), b.size)
        t_end = back[np.searchsorted(back, starts + 1)]
        tag_len = t_end - starts - 1
        regular &= ~tagged | ((t_end < ends) & (tag_len >= 4) & (tag_len <= MAX_TAG_CHARS))
        sent = np.where(regular & tagged, t_end + 1, starts)
    rows = np.flatnonzero(regular)
    # "!ccVDM,T,N,", sequence id and channel of at most one character each, then the payload;
    # ",F*hh" and the end of the line.
    p = sent[rows]
    star = ends[rows] - 3
    h = _gather(b, p, 14)
    t = _gather(b, star - 2, 5)
    total, num = h[:, 7].astype(np.int64) - 48, h[:, 9].astype(np.int64) - 48
    seq_empty = h[:, 11] == _COMMA
    chan = np.where(seq_empty, h[:, 12], h[:, 13])
    chan_end = np.where(seq_empty, h[:, 13], b[p + 14])
    chan_empty = chan == _COMMA
    start = p + 15 - seq_empty - chan_empty  # after "!ccVDM,T,N," [s] "," [c] ","
    length = star - 2 - start
    shape = (
        (h[:, 0] == _BANG)
        & _FIELD_OK[h[:, 1]]
        & _FIELD_OK[h[:, 2]]
        & (h[:, 3] == ord("V"))
        & (h[:, 4] == ord("D"))
        & ((h[:, 5] == ord("M")) | (h[:, 5] == ord("O")))
        & (h[:, 6] == _COMMA)
        & (total >= 1)
        & (total <= 9)
        & (h[:, 8] == _COMMA)
        & (num >= 1)
        & (num <= total)
        & (h[:, 10] == _COMMA)
        & (seq_empty | (_FIELD_OK[h[:, 11]] & (h[:, 12] == _COMMA)))
        & (chan_empty | (_FIELD_OK[chan] & (chan_end == _COMMA)))
        & (length >= 1)
        & (length <= MAX_PAYLOAD_CHARS)
        & (t[:, 0] == _COMMA)
        & _IS_DIGIT[t[:, 1]]
        & (t[:, 2] == _STAR)
    )
    hi_u, lo_u = _HEX_UPPER[t[:, 3]], _HEX_UPPER[t[:, 4]]
    hi_l, lo_l = _HEX_LOWER[t[:, 3]], _HEX_LOWER[t[:, 4]]
    upper = (hi_u != 255) & (lo_u != 255)
    shape &= upper | ((hi_l != 255) & (lo_l != 255))
    # Payload alphabet: the first 28 bytes (the fast path's matrix) and the rest of longer ones.
    head = payload_matrix(b, start, np.where(shape, length, 0), PAYLOAD_CHARS, 0)
    shape &= _valid_payload(head)
    longer = np.flatnonzero(shape & (length > PAYLOAD_CHARS))
    if longer.size:
        rest = payload_matrix(
            b, start[longer] + PAYLOAD_CHARS, length[longer] - PAYLOAD_CHARS, 64, 0
        )
        shape[longer] &= _valid_payload(rest)
    given = np.where(upper, hi_u.astype(np.int64) * 16 + lo_u, hi_l.astype(np.int64) * 16 + lo_l)
    # Event time and station: the tag block's, else the line's receive time and source.
    if isinstance(received_ms, int):
        time_ms = np.full(rows.size, received_ms, dtype=np.int64)
    else:
        time_ms = np.asarray(received_ms, dtype=np.int64)[rows]
    tag_ok = np.ones(rows.size, dtype=np.bool_)
    unchecked = np.zeros(rows.size, dtype=np.bool_)
    name_code = np.full(rows.size, -1, dtype=np.int64)
    names: list[str] = []
    group_code = np.full(rows.size, -1, dtype=np.int64)
    group_ids: list[str] = []
    tag_rows = np.flatnonzero(shape & tagged[rows])
    if tag_rows.size:
        t_first = starts[rows[tag_rows]] + 1
        t_star = p[tag_rows] - 4  # "*hh" ends the tag text, before the backslash at p - 1
        run, heads = _run_heads(b, t_first, t_star + 3 - t_first)
        h_first, h_end = t_first[heads], t_star[heads] + 3
        plain, run_time, run_name, names = plain_tag_infos(b, h_first, h_end)
        usable = plain.copy()
        has_time = plain.copy()
        run_group = np.full(heads.size, -1, dtype=np.int64)
        run_parts = np.zeros((heads.size, 2), dtype=np.int64)
        other = np.flatnonzero(~plain)
        if other.size:  # groups of the two common shapes, in arrays
            shaped, g_parts, g_ids, g_timed, g_time, g_code, g_names = group_tag_infos(
                b, h_first[other], h_end[other]
            )
            at = other[shaped]
            run_group[at] = len(group_ids) + np.arange(at.size)
            group_ids += g_ids
            run_parts[at] = g_parts[shaped]
            usable[at] = True
            has_time[at], run_time[at] = g_timed[shaped], g_time[shaped]
            code = g_code[shaped]
            run_name[at] = np.where(code >= 0, len(names) + code, -1)
            names = names + g_names
            other = other[~shaped]
        for r in other.tolist():  # other shapes: the general tag reader
            info = tag_info(bytes(b[h_first[r] : h_end[r]]))
            if info is None:
                continue
            usable[r] = True
            if info[0] is not None:
                has_time[r], run_time[r] = True, info[0]
            if info[1]:
                run_name[r] = len(names)
                names.append(info[1])
            if info[2] is not None:
                run_group[r] = len(group_ids)
                group_ids.append(info[2][2])
                run_parts[r] = info[2][:2]
        # A fragment of a group of several takes its parts from the group; a group of one, or
        # parts out of range, is the per-line framer's (as are its counts).
        part, parts = run_parts[:, 0], run_parts[:, 1]
        usable &= (run_group < 0) | ((1 <= part) & (part <= parts) & (parts >= 2) & (parts <= 9))
        has_name = run_name >= 0
        # Tag checksum: XOR of the fields; either case of hex digit (a usable tag has two).
        t_hex = _gather(b, t_star + 1, 2)
        t_given = _HEX_ANY[t_hex[:, 0]].astype(np.int64) * 16 + _HEX_ANY[t_hex[:, 1]]
        t_xor = _xor_spans(b, t_first, t_star)
        placeholder = placeholder_tags(t_xor, t_given)
        tag_ok[tag_rows] = (t_xor == t_given) | placeholder
        unchecked[tag_rows] = placeholder
        timed = has_time[run]
        time_ms[tag_rows[timed]] = run_time[run[timed]]
        with_name = has_name[run]
        name_code[tag_rows[with_name]] = run_name[run[with_name]]
        grouped = run_group[run] >= 0
        if grouped.any():
            at, of = tag_rows[grouped], run[grouped]
            group_code[at] = run_group[of]
            num[at], total[at] = run_parts[of, 0], run_parts[of, 1]
        shape[tag_rows] &= usable[run]  # a malformed tag block: the per-line framer's
    keep = np.flatnonzero(shape)
    regular[:] = False
    regular[rows[keep]] = True
    p, star = p[keep], star[keep]
    # Sentence checksum: XOR of the bytes between '!' and '*'.
    body_ok = _xor_spans(b, p + 1, star) == given[keep]
    return FramedChunk(
        blob=b,
        starts=starts,
        rows=rows[keep],
        sent=p,
        start=start[keep],
        length=length[keep],
        head=head[keep],
        fill=t[keep, 1].astype(np.int64) - 48,
        total=total[keep],
        num=num[keep],
        seq_at=np.where(seq_empty[keep], -1, p + 11),
        channel_at=np.where(chan_empty[keep], -1, p + 13 - seq_empty[keep]),
        time_ms=time_ms[keep],
        name_code=name_code[keep],
        names=names,
        group_code=group_code[keep],
        group_ids=group_ids,
        source=source,
        ok=body_ok & tag_ok[keep],
        irregular=np.flatnonzero(~regular),
        unchecked=int(np.count_nonzero(body_ok & unchecked[keep])),
    )


def placeholder_tags(computed: Any, given: Any) -> Any:
    """Return which tag blocks carry ``*00`` for a checksum they lack: a writer's placeholder.

    Spire's satellite feed writes ``c:1662052384,s:FM112*00`` (GFW's ais-tools test data):
    every line's tag block fails its checksum while the sentence behind it is intact. Such a tag
    is taken on its sentence's checksum (the caller still checks that), and counted; a corrupt
    tag block reads ``00`` where its checksum was in one case in 256 of the few corrupt lines.

    Examples
    --------
    >>> placeholder_tags(np.array([0x2A, 0x2A, 0]), np.array([0, 0x2A, 0])).tolist()
    [True, False, False]
    """
    return (np.asarray(given) == 0) & (np.asarray(computed) != 0)


#: The tag blocks most feeds send, station and time in whole seconds either way round
#: (``s:r3,c:1700000000*5A``): `plain_tag_info` reads them without the general parser.
_STATION_TIME = re.compile(rb"s:([^,*]*),c:([0-9]{1,10})\*[0-9A-Fa-f]{2}")
_TIME_STATION = re.compile(rb"c:([0-9]{1,10}),s:([^,*]*)\*[0-9A-Fa-f]{2}")


def plain_tag_info(text: bytes) -> tuple[int, str, None] | None:
    """Return `TagInfo` of a plain ``s:..,c:..`` tag block's text, None for any other text.

    The same as `tag_info_of` gives (asserted on real captures by the decoder's tests): up to
    ten digits of seconds are below `ais_ingest.timestamps`' milliseconds threshold, and
    their float parse is exact. One regular expression instead of the general parser: a feed
    of many stations has a new tag text every second per station.
    """
    m = _STATION_TIME.fullmatch(text)
    if m is not None:
        return (int(m[2]) * 1000, m[1].decode("ascii"), None)
    m = _TIME_STATION.fullmatch(text)
    if m is not None:
        return (int(m[1]) * 1000, m[2].decode("ascii"), None)
    return None


def tag_info_of(tag: tuple[str, int, TagBlock] | None) -> TagInfo:
    """Return what a regular row takes from a parsed tag block (see `TagInfo`)."""
    if tag is None:
        return None
    fields = tag[2]
    return (fields.time_ms, fields.station, fields.group)


def payload_keys(fr: FramedChunk, index: npt.NDArray[np.intp]) -> list[bytes]:
    """Return the payloads of rows ``index`` as `bytes` (dedupe keys), in row order.

    Most come straight from the 28-byte head matrix as ``S28`` (trailing NULs are dropped and
    payloads hold none); the few longer ones are sliced from the byte array.
    """
    length = fr.length[index]
    keys: list[bytes] = fr.head[index].view(f"S{PAYLOAD_CHARS}").ravel().tolist()
    longer = np.flatnonzero(length > PAYLOAD_CHARS)
    if longer.size:
        raw = fr.blob.data
        for i, a, m in zip(
            longer.tolist(), fr.start[index[longer]].tolist(), length[longer].tolist(), strict=True
        ):
            keys[i] = bytes(raw[a : a + m])
    return keys
