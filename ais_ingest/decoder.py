"""From raw lines to `Batch`es: framing, checksums, multipart, dedupe, decoding, counting.

A chunk of lines is framed at once (`ais_ingest.framing`): the common shape, a single-part
sentence bare or behind a tag block, is recognised by field offsets in one byte array, its
checksums verified with one prefix-XOR, and its payloads stay numpy spans. The other lines
(multipart, logger timestamps, receiver metadata, anything odd) go through the per-line framer
(`ais_ingest.lineframe`) and the multipart assembler. Both streams then meet in line order for the
stateful steps: duplicate suppression over the whole chunk at once (`Deduplicator.duplicates`,
equal to the sequential rule), then routing: standard-length types 1-3/18 and 5 to the vectorised
decoders (single-part ones straight from the byte array, without a Python string), other record
types to pyais, the rest to a counter. Records keep arrival order; every line is counted once.

An optional ``on_accepted`` hook (the NMEA relay, `app.live.relay`) gets, per `Decoder.decode` call,
the raw lines that passed the line-level checks: well framed, checksums right (sentence and tag
block), not a duplicate. What Mare then makes of the payload does not matter: an unsupported
type (4, 8, 21, ...) or a payload pyais rejects may still mean something to a chart plotter, and
what the relay must not pass on is only what a receiver mangled or what it already sent. A
multipart message is passed on whole, its fragments together and in order, in the call where
its last fragment arrives (at that fragment's place in arrival order), once it is assembled
and not a duplicate, whether or not it then decodes; fragments that never make a message
(orphans, timed out) are never passed on, since a plotter could not use them either.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, islice
from operator import itemgetter
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ais_ingest.assembler import Assembler
from ais_ingest.decode import (
    RECORD_TYPES,
    DecodeFailure,
    Message,
    StaticMerger,
    UnsupportedType,
    decode_message,
    predecode,
)
from ais_ingest.dedupe import Deduplicator, payload_key
from ais_ingest.fastpath import (
    FAST_TYPE_CHARS,
    MIN_POSITION_CHARS,
    MIN_TYPE5_CHARS,
    decode_position_chars,
    decode_positions,
    decode_type5,
)
from ais_ingest.framing import (
    FramedChunk,
    TagInfo,
    frame_chunk,
    payload_keys,
    plain_tag_info,
    tag_info_of,
)
from ais_ingest.lineblock import READ_BLOCK, whole_lines
from ais_ingest.lineframe import TagParser, checksums_ok, frame_lines
from ais_ingest.records import (
    POSITION_COLUMNS,
    Batch,
    PositionColumns,
    PositionReport,
    StaticReport,
)
from ais_ingest.stats import IngestStats

_SENTENCE_TYPES = frozenset({"VDM", "VDO"})
_FILL_BITS = frozenset("0123456789")  # 0-5 per NMEA; gpsd accepts more, so do we
_TAG_INFO_CACHE_SIZE = 4096

# First payload byte -> message type as `ais_ingest.decode.payload_type` computes it (255: it
# raises), and which types become records; used to route single-part payloads without strings.
_PTYPE = np.full(256, 255, dtype=np.uint8)
for _b in range(256):
    _v = _b - 48
    if _v > 40:
        _v -= 8
    if 0 <= _v < 64:
        _PTYPE[_b] = _v
_RECORD = np.zeros(256, dtype=np.bool_)
_RECORD[sorted(RECORD_TYPES)] = True
_FAST_HEAD = np.zeros(256, dtype=np.bool_)
_FAST_HEAD[[ord(c) for c in FAST_TYPE_CHARS]] = True

_Message = Message  # (line number, payload, fill, time_ms, station, lines)
# A multipart fragment: (line number, key, num, total, payload, fill, time_ms, station, line).
_Fragment = tuple[int, tuple[str, ...], int, int, str, int, int, str, str]


class Decoder:
    """Stateful line decoder: feed chunks of lines, get `Batch`es; ``stats`` counts every line.

    Parameters
    ----------
    dedupe_seconds
        Window for duplicate suppression (event time); 0 disables it.
    fragment_timeout_seconds
        A multipart message not completed within this time (event time of its lines) is
        dropped and its fragments counted as orphans.
    on_accepted
        Called once per `decode` call that accepted any line, with the accepted raw lines in
        arrival order (see the module docstring); runs inline, so it must be quick and must not
        raise. None (the default) costs nothing. It may be set after construction.
    max_ahead_seconds
        For lines whose receive time is when they were heard (``clocked`` in `decode`: a live
        feed), a time of their own more than this ahead of it is impossible, a wrong or forged
        clock: such a line takes its receive time (counted, ``event_time.restamped``), so no
        sentence can carry event time past the wall clock, however many arrive. Receive time
        rather than dropping: a receiver or logger whose clock runs fast (local time written as
        UTC, an unsynchronised clock) still gives valid positions, heard now. None disables it.
    """

    #: Chunks shorter than this go line by line: numpy's fixed cost per call exceeds the gain.
    vector_min_lines = 384

    def __init__(
        self,
        *,
        dedupe_seconds: float = 10.0,
        fragment_timeout_seconds: float = 5.0,
        on_accepted: Callable[[Sequence[str]], None] | None = None,
        max_ahead_seconds: float | None = 300.0,
    ) -> None:
        self.stats = IngestStats()
        self.max_ahead_ms = None if max_ahead_seconds is None else int(max_ahead_seconds * 1000)
        self.on_accepted = on_accepted
        # Raw lines of the multipart messages assembled in this call, by their last line's
        # number; kept only while ``on_accepted`` is set.
        self._joined: dict[int, tuple[str, ...]] = {}
        self._assembler = Assembler(timeout_ms=int(fragment_timeout_seconds * 1000))
        self._dedupe = Deduplicator(int(dedupe_seconds * 1000))
        self._merger = StaticMerger()
        self._orphans_counted = 0
        self._tags = TagParser()
        self._tag_infos: dict[bytes, TagInfo] = {}

    def _tag_info(self, text: bytes) -> TagInfo:
        """Return what a regular row needs from a tag block's text (cached per text)."""
        cache = self._tag_infos
        if text in cache:
            return cache[text]
        info: TagInfo = plain_tag_info(text)
        if info is None:
            info = tag_info_of(self._tags(text.decode("ascii")))
        if len(cache) >= _TAG_INFO_CACHE_SIZE:
            cache.clear()
        cache[text] = info
        return info

    # ------------------------------------------------------------------ fragments, lines
    @staticmethod
    def _regular_fragments(
        lines: Sequence[str], fr: FramedChunk, index: npt.NDArray[np.intp]
    ) -> list[_Fragment]:
        """Multipart fragments framed by the whole-chunk framer, as the assembler takes them."""
        out: list[_Fragment] = []
        rows = fr.rows[index]
        base = fr.starts[rows]
        source, group_ids = fr.source, fr.group_ids
        for number, s, p, a, m, seq_at, ch_at, num, total, fill, t_ms, station, g in zip(
            rows.tolist(),
            base.tolist(),
            (fr.sent[index] - base).tolist(),
            (fr.start[index] - base).tolist(),
            fr.length[index].tolist(),
            fr.seq_at[index].tolist(),
            fr.channel_at[index].tolist(),
            fr.num[index].tolist(),
            fr.total[index].tolist(),
            fr.fill[index].tolist(),
            fr.time_ms[index].tolist(),
            fr.stations(index),
            fr.group_code[index].tolist(),
            strict=True,
        ):
            line = lines[number]
            key: tuple[str, ...]
            if g >= 0:  # an NMEA 4.10 group: its id, unique within one feed (`frame_lines`)
                src = source if isinstance(source, str) else source[number]
                key = ("g", f"{src}\x1f{group_ids[g]}")
            else:
                seq = line[seq_at - s] if seq_at >= 0 else ""
                channel = line[ch_at - s] if ch_at >= 0 else ""
                key = (station, line[p + 1 : p + 3], channel, seq)
            out.append((number, key, num, total, line[a : a + m], fill, t_ms, station, line))
        return out

    def _line_messages(
        self,
        lines: Sequence[str],
        numbers: Iterable[int],
        received_ms: int | Sequence[int],
        source: str | Sequence[str],
        fragments: list[_Fragment],
        clocked: bool | Sequence[bool] = False,
    ) -> list[_Message]:
        """Frame lines one by one, verify checksums, assemble multipart; return the messages.

        ``fragments`` are the multipart fragments the whole-chunk framer found; they go through
        the assembler together with these lines' fragments, in line order. Lines that fail are
        counted here; a multipart message is returned once complete, at the line number of its
        last fragment. Messages come out in line order.
        """
        counts = self.stats.counts
        framed, tag_rows, tag_bodies, tag_given, bad, joined = frame_lines(
            lines, numbers, received_ms, source, self._tags
        )
        counts["bad_framing"] += bad
        if joined:  # each sentence of a line that holds several is a line of its own
            self.stats.lines += joined
            self.stats.joined += joined
        out: list[_Message] = []
        if framed:
            ok_array = checksums_ok([f[0] for f in framed], [f[1] for f in framed])
            if tag_rows:
                at = np.asarray(tag_rows)
                tag_ok = checksums_ok(tag_bodies, tag_given)
                # a wrong ``*00`` is a placeholder (`ais_ingest.framing.placeholder_tags`)
                unchecked = (np.asarray(tag_given) == 0) & ~tag_ok
                ok_array[at] &= tag_ok | unchecked
                self.stats.unchecked_tags += int(np.count_nonzero(ok_array[at] & unchecked))
            ok = ok_array.tolist()
            line_fragments: list[_Fragment] = []
            times = self.stats.times
            limit = self.max_ahead_ms
            for k, (body, _cs, t_ms, station, group, line, number) in enumerate(framed):
                if not ok[k]:
                    counts["bad_checksum"] += 1
                    continue
                rx = received_ms if isinstance(received_ms, int) else received_ms[number]
                if t_ms == rx:
                    times["receive"] += 1
                elif (
                    limit is not None
                    and t_ms > rx + limit
                    and (clocked if isinstance(clocked, bool) else clocked[number])
                ):
                    times["restamped"] += 1
                    t_ms = rx
                else:
                    times["own"] += 1
                parts = body.split(",")
                if len(parts) != 7 or parts[0][2:] not in _SENTENCE_TYPES:
                    counts["bad_framing"] += 1
                    continue
                _talker, total_s, num_s, seq, channel, payload, fill_s = parts
                if fill_s not in _FILL_BITS:
                    counts["bad_framing"] += 1
                    continue
                fill = int(fill_s)
                if not (total_s == "1" and num_s == "1" and group is None):
                    if not (total_s.isdigit() and num_s.isdigit()):
                        counts["bad_framing"] += 1
                        continue
                    total, num = int(total_s), int(num_s)
                    if group is not None:
                        num, total = group[0], group[1]
                        # The group id arrives qualified by the feed (see frame_lines): only the
                        # first line of a group usually names the station in s:.
                        key: tuple[str, ...] = ("g", group[2])
                    else:
                        key = (station, _talker[:2], channel, seq)
                    if not 1 <= num <= total <= 9:
                        counts["bad_framing"] += 1
                        continue
                    if total > 1:
                        line_fragments.append(
                            (number, key, num, total, payload, fill, t_ms, station, line)
                        )
                        continue
                if not payload:
                    counts["decode_error"] += 1
                    continue
                out.append((number, payload, fill, t_ms, station, 1))
            if line_fragments:
                fragments = sorted(fragments + line_fragments) if fragments else line_fragments
        if fragments:
            assembled = self._assemble(fragments)
            if assembled:
                out = sorted(out + assembled) if out else assembled
        return out

    def _times_of_rows(
        self,
        fr: FramedChunk,
        received_ms: int | Sequence[int],
        clocked: bool | Sequence[bool],
    ) -> None:
        """Count where the regular rows' times came from; restamp those impossibly ahead."""
        ok = fr.ok
        rx = (
            np.int64(received_ms)
            if isinstance(received_ms, int)
            else np.asarray(received_ms, dtype=np.int64)[fr.rows]
        )
        own = fr.time_ms != rx
        times = self.stats.times
        n_ok = int(np.count_nonzero(ok))
        n_own = int(np.count_nonzero(own & ok))
        limit = self.max_ahead_ms
        if limit is not None and n_own and (not isinstance(clocked, bool) or clocked):
            ahead = own & (fr.time_ms > rx + limit)
            if not isinstance(clocked, bool):
                ahead &= np.asarray(clocked, dtype=np.bool_)[fr.rows]
            if ahead.any():
                fr.time_ms[ahead] = rx[ahead] if isinstance(rx, np.ndarray) else rx
                n_re = int(np.count_nonzero(ahead & ok))
                times["restamped"] += n_re
                n_own -= n_re
                n_ok -= n_re
        times["own"] += n_own
        times["receive"] += n_ok - n_own

    def _assemble(self, fragments: list[_Fragment]) -> list[_Message]:
        """Run fragments (in line order) through the assembler; return completed messages."""
        add = self._assembler.add
        counts = self.stats.counts
        out: list[_Message] = []
        for number, key, num, total, payload, fill, t_ms, station, line in fragments:
            done = add(key, num, total, payload, fill, t_ms, line, station)
            if done is None:
                continue
            if not done.payload:
                counts["decode_error"] += len(done.lines)
                continue
            if self.on_accepted is not None:
                self._joined[number] = done.lines
            # The message is dated and attributed by its first fragment, which carries the tag
            # block's c: and s: when later ones do not.
            out.append(
                (number, done.payload, done.fill, done.time_ms, done.station, len(done.lines))
            )
        return out

    # ------------------------------------------------------------------ one chunk
    def frame(
        self, lines: Sequence[str], received_ms: int | Sequence[int], source: str | Sequence[str]
    ) -> FramedChunk | None:
        """Return the whole-chunk framing that `decode` starts with (None: line by line).

        It reads no state but a cache of tag texts and changes nothing `decode_framed` reads,
        so it may run ahead of it, in another process (`app.cli.frame_ahead`).
        """
        if len(lines) < self.vector_min_lines:
            return None
        return frame_chunk(lines, received_ms, source, self._tag_info)

    def decode(
        self,
        lines: Sequence[str],
        received_ms: int | Sequence[int],
        source: str | Sequence[str] = "",
        *,
        clocked: bool | Sequence[bool] = False,
    ) -> Batch:
        """Decode a chunk of lines (without line endings) received at ``received_ms``.

        ``received_ms`` (one value, or one per line) is the event time of lines that carry none
        of their own; ``source`` (one name, or one per line) names the feed for lines without a
        station of their own, and keeps fragments of different feeds apart. ``clocked`` (one
        value, or one per line) says the receive time is when the line was heard, not a
        stand-in such as a capture file's modification time (see ``max_ahead_seconds``).
        """
        fr = self.frame(lines, received_ms, source)
        return self.decode_framed(lines, fr, received_ms, source, clocked=clocked)

    def decode_framed(
        self,
        lines: Sequence[str],
        fr: FramedChunk | None,
        received_ms: int | Sequence[int],
        source: str | Sequence[str] = "",
        *,
        clocked: bool | Sequence[bool] = False,
    ) -> Batch:
        """`decode` of a chunk that `frame` framed with the same ``received_ms`` and ``source``."""
        if self._joined:  # left by a call that raised, or a hook unset from another thread
            self._joined = {}
        n = len(lines)
        stats = self.stats
        stats.lines += n
        if n == 0:
            return Batch()
        counts = stats.counts
        single = np.zeros(0, dtype=np.intp)
        fragments: list[_Fragment] = []
        irregular: Iterable[int] = range(n)
        if fr is not None:
            self._times_of_rows(fr, received_ms, clocked)
            irregular = fr.irregular.tolist()
            counts["bad_checksum"] += int(fr.ok.size - np.count_nonzero(fr.ok))
            stats.unchecked_tags += fr.unchecked
            multi = fr.total > 1
            single = np.flatnonzero(fr.ok & ~multi)
            fragments = self._regular_fragments(lines, fr, np.flatnonzero(fr.ok & multi))
        messages = self._line_messages(lines, irregular, received_ms, source, fragments, clocked)
        dup_single, dup_msg = self._duplicates(fr, single, messages)
        if self.on_accepted is not None:
            self._accept(lines, fr, single, dup_single, messages, dup_msg)
        # String paths: messages that are not duplicates, in line order.
        fast_msgs: list[_Message] = []
        t5_msgs: list[_Message] = []
        py_msgs: list[_Message] = []
        for m, is_dup in zip(messages, dup_msg, strict=True):
            payload, nlines = m[1], m[5]
            if is_dup:
                counts["duplicate"] += nlines
                continue
            head = payload[0]
            if head in FAST_TYPE_CHARS and len(payload) >= MIN_POSITION_CHARS:
                fast_msgs.append(m)
            elif head == "5" and len(payload) >= MIN_TYPE5_CHARS:
                t5_msgs.append(m)
            else:
                py_msgs.append(m)  # its joined lines are counted once it decodes
                continue
            counts["multipart_joined"] += nlines - 1
        pos_parts: list[tuple[PositionColumns, npt.NDArray[np.int64]]] = []
        if fr is not None and single.size:
            counts["duplicate"] += int(np.count_nonzero(dup_single))
            self._route_single(fr, single[~dup_single], pos_parts, t5_msgs, py_msgs)
        if fast_msgs:
            cols, valid = decode_positions(
                [m[1] for m in fast_msgs],
                np.array([m[3] for m in fast_msgs], dtype=np.int64),
                [m[4] for m in fast_msgs],
            )
            pos_parts.append(
                self._valid(cols, valid, np.array([m[0] for m in fast_msgs], dtype=np.int64))
            )
        statics, static_order, slow_pos = self._string_messages(t5_msgs, py_msgs)
        if slow_pos[0]:
            pos_parts.append(
                (PositionColumns.from_reports(slow_pos[0]), np.asarray(slow_pos[1], dtype=np.int64))
            )
        self._sync_orphans()
        if not pos_parts:
            return Batch(PositionColumns.empty(), statics, np.zeros(len(statics), np.int64))
        # Where the statics arrived among the positions (their messages' line keys): the
        # engine's clock runs over both in arrival order (`Batch.static_at`).
        order = np.concatenate([o for _, o in pos_parts])
        perm = np.argsort(order, kind="stable")
        at = np.searchsorted(order[perm], np.asarray(static_order, np.int64), side="right")
        at = at.astype(np.int64)
        if len(pos_parts) == 1:
            return Batch(pos_parts[0][0], statics, at)
        # Rows stay in arrival order: downstream expects each vessel's fixes in time order, and
        # a class B unit's type 18 (fast path) and 19 (pyais) interleave.
        columns = {
            name: np.concatenate([getattr(c, name) for c, _ in pos_parts])[perm]
            for name in POSITION_COLUMNS
        }
        sources = np.array(list(chain.from_iterable(c.source for c, _ in pos_parts)), dtype=object)
        return Batch(PositionColumns(**columns, source=sources[perm].tolist()), statics, at)

    def _accept(
        self,
        lines: Sequence[str],
        fr: FramedChunk | None,
        single: npt.NDArray[np.intp],
        dup_single: npt.NDArray[np.bool_],
        messages: list[_Message],
        dup_msg: list[bool],
    ) -> None:
        """Hand the accepted raw lines to ``on_accepted``, in arrival order (module docstring).

        Single-part regular rows and messages are each in line order and never share a line, so
        one merge by line number orders them; a multipart message sits at its last fragment.
        """
        joined, self._joined = self._joined, {}
        kept = [m[0] for m, dup in zip(messages, dup_msg, strict=True) if not dup]
        if fr is not None and single.size:
            rows: list[int] = fr.rows[single[~dup_single]].tolist()
            if kept:
                rows = sorted(rows + kept)
        else:
            rows = kept
        if not rows:
            return
        picked = itemgetter(*rows)(lines) if len(rows) > 1 else (lines[rows[0]],)
        # A multipart message's earlier fragments go in front of its last line (few per chunk:
        # slices between them keep the per-line work in C).
        at: list[tuple[int, tuple[str, ...]]] = []
        for k, parts in joined.items():  # a duplicate message is not in rows
            i = bisect_left(rows, k)
            if i < len(rows) and rows[i] == k:
                at.append((i, parts))
        hook = self.on_accepted
        assert hook is not None
        if not at:
            hook(picked)
            return
        out: list[str] = []
        prev = 0
        for i, parts in sorted(at):
            out.extend(picked[prev:i])
            out.extend(parts)
            prev = i + 1
        out.extend(picked[prev:])
        hook(out)

    def _route_single(
        self,
        fr: FramedChunk,
        index: npt.NDArray[np.intp],
        pos_parts: list[tuple[PositionColumns, npt.NDArray[np.int64]]],
        t5_msgs: list[_Message],
        py_msgs: list[_Message],
    ) -> None:
        """Route single-part regular rows by their first payload byte.

        Types 1-3/18 are decoded from the head matrix without a string; unsupported types and
        bad first characters are only counted; the rest join the string paths in line order.
        """
        counts = self.stats.counts
        head_b = fr.head[index, 0]
        length = fr.length[index]
        fast = _FAST_HEAD[head_b] & (length >= MIN_POSITION_CHARS)
        t5 = (head_b == ord("5")) & (length >= MIN_TYPE5_CHARS)
        ptype = _PTYPE[head_b]
        other = ~(fast | t5)
        bad_head = other & (ptype == 255)
        unsupported = other & (ptype != 255) & ~_RECORD[ptype]
        counts["decode_error"] += int(np.count_nonzero(bad_head))
        counts["unsupported_type"] += int(np.count_nonzero(unsupported))
        f = index[fast]
        if f.size:
            chars = np.maximum(fr.head[f], np.uint8(48))  # zero padding -> '0' (zero bits)
            cols, valid = decode_position_chars(chars, fr.time_ms[f], fr.stations(f), checked=True)
            pos_parts.append(self._valid(cols, valid, fr.rows[f].astype(np.int64)))
        strings = index[t5 | (other & ~bad_head & ~unsupported)]
        if strings.size:
            raw = fr.blob.data
            for number, a, m, fill, t_ms, station in zip(
                fr.rows[strings].tolist(),
                fr.start[strings].tolist(),
                fr.length[strings].tolist(),
                fr.fill[strings].tolist(),
                fr.time_ms[strings].tolist(),
                fr.stations(strings),
                strict=True,
            ):
                payload = bytes(raw[a : a + m]).decode("ascii")
                msg = (number, payload, fill, t_ms, station, 1)
                if payload[0] == "5" and m >= MIN_TYPE5_CHARS:
                    t5_msgs.append(msg)
                else:
                    py_msgs.append(msg)
            t5_msgs.sort()
            py_msgs.sort()

    def _duplicates(
        self, fr: FramedChunk | None, single: npt.NDArray[np.intp], messages: list[_Message]
    ) -> tuple[npt.NDArray[np.bool_], list[bool]]:
        """Duplicate flags of the single-part regular rows and of the messages, in line order."""
        dedupe = self._dedupe
        if dedupe.window_ms <= 0:
            return np.zeros(single.size, dtype=np.bool_), [False] * len(messages)
        if fr is None or not single.size:  # line by line: no arrays for a few messages
            m_keys = [payload_key(m[1]) for m in messages]
            return np.zeros(0, dtype=np.bool_), dedupe.sequential(m_keys, [m[3] for m in messages])
        keys = payload_keys(fr, single)
        r_time = fr.time_ms[single] if fr is not None else np.zeros(0, dtype=np.int64)
        if not messages:
            return dedupe.duplicates(keys, r_time), []
        m_keys = [payload_key(m[1]) for m in messages]
        m_time = np.array([m[3] for m in messages], dtype=np.int64)
        if not keys:
            return np.zeros(0, dtype=np.bool_), dedupe.duplicates(m_keys, m_time).tolist()
        assert fr is not None
        rows = fr.rows[single]
        m_rows = np.array([m[0] for m in messages], dtype=np.int64)
        perm = np.argsort(np.concatenate([rows, m_rows]), kind="stable")
        all_keys = keys + m_keys
        merged = dedupe.duplicates(
            [all_keys[i] for i in perm.tolist()], np.concatenate([r_time, m_time])[perm]
        )
        dup = np.empty_like(merged)
        dup[perm] = merged
        return dup[: rows.size], dup[rows.size :].tolist()

    def _valid(
        self, cols: PositionColumns, valid: npt.NDArray[np.bool_], order: npt.NDArray[np.int64]
    ) -> tuple[PositionColumns, npt.NDArray[np.int64]]:
        """Count fast-path rows: valid ones are records, bad characters decode errors."""
        n_bad = int(valid.size - valid.sum())
        counts = self.stats.counts
        counts["records"] += int(valid.size) - n_bad
        if n_bad:
            counts["decode_error"] += n_bad
            return cols.take(valid), order[valid]
        return cols, order

    def _string_messages(
        self, t5_msgs: list[_Message], py_msgs: list[_Message]
    ) -> tuple[list[StaticReport], list[int], tuple[list[PositionReport], list[int]]]:
        """Decode type 5 (vectorised) and pyais messages; statics in arrival order, and it."""
        counts = self.stats.counts
        slow_pos: list[PositionReport] = []
        slow_pos_order: list[int] = []
        slow_static: list[StaticReport] = []
        slow_static_order: list[int] = []
        merge = self._merger.merge
        for (k, payload, fill, t_ms, station, nlines), done in zip(
            py_msgs, predecode(py_msgs), strict=True
        ):
            if done is not None:  # types 9, 19, 24 and 27; type 24 halves merged here, in
                # arrival order (a type 19 carries the whole of its static data)
                pos, sta = done[0], [merge(s) if s.msg_type == 24 else s for s in done[1]]
            else:
                try:
                    pos, sta = decode_message(payload, fill, t_ms, station, self._merger)
                except UnsupportedType:
                    counts["unsupported_type"] += nlines
                    continue
                except DecodeFailure:
                    counts["decode_error"] += nlines
                    continue
            counts["records"] += 1
            counts["multipart_joined"] += nlines - 1
            slow_pos.extend(pos)
            slow_pos_order.extend([k] * len(pos))
            slow_static.extend(sta)
            slow_static_order.extend([k] * len(sta))
        statics, static_order = slow_static, slow_static_order
        if t5_msgs:
            reports, t5_ok = decode_type5(
                [m[1] for m in t5_msgs], [m[3] for m in t5_msgs], [m[4] for m in t5_msgs]
            )
            counts["decode_error"] += len(t5_msgs) - len(reports)
            counts["records"] += len(reports)
            if slow_static:  # keep arrival order across the two static paths
                kept = [m[0] for m, good in zip(t5_msgs, t5_ok.tolist(), strict=True) if good]
                pairs = sorted(
                    zip(slow_static_order + kept, range(len(kept) + len(slow_static)), strict=True)
                )
                merged = slow_static + reports
                statics = [merged[i] for _, i in pairs]
                static_order = [k for k, _ in pairs]
            else:
                statics = reports
                static_order = [
                    m[0] for m, good in zip(t5_msgs, t5_ok.tolist(), strict=True) if good
                ]
        return statics, static_order, (slow_pos, slow_pos_order)

    def _sync_orphans(self) -> None:
        new = self._assembler.orphaned - self._orphans_counted
        if new:
            self.stats.add("orphan_fragment", new)
            self._orphans_counted = self._assembler.orphaned

    def expire(self, now_ms: int) -> None:
        """Drop multipart messages left unfinished for longer than the timeout (live streams)."""
        self._assembler.expire(now_ms)
        self._sync_orphans()

    def flush(self) -> Batch:
        """End of stream: unfinished multipart messages become orphans; returns an empty batch.

        After ``flush()`` every line read is accounted for in ``stats``.
        """
        self._assembler.flush()
        self._sync_orphans()
        return Batch()


def read_lines(path: str | Path) -> Iterator[str]:
    """Yield the lines of a capture (plain or packed), without line endings, CRLF or LF."""
    for chunk in read_chunks(path, 8192):
        yield from chunk


def read_chunks(
    path: str | Path, size: int, *, first: int | None = None, block: int = READ_BLOCK
) -> Iterator[list[str]]:
    """Yield a capture's lines in lists of ``size`` (the last one shorter), without endings.

    ``first``: the first list's size, when it differs (a pipeline that waits for it starts
    sooner on a small one).

    The same lines as reading the file as ASCII text with universal newlines (CR, LF, CRLF;
    a byte that is not ASCII becomes U+FFFD) of the unpacked capture (`open_packed`: gzip,
    bzip2, xz, Zstandard, a zip of one file), but split a block at a time in C: line by line
    through a text file costs about a third of a microsecond a line, a tenth of decoding it.
    """
    lines: list[str] = []
    start = 0
    want = size if first is None else first
    for head in whole_lines(path, block):
        lines = lines[start:] + _split_lines(head)
        start = 0
        while len(lines) - start >= want:
            yield lines[start : start + want]
            start += want
            want = size
    while start < len(lines):
        yield lines[start : start + want]
        start += want
        want = size


def _split_lines(data: bytes) -> list[str]:
    """Lines of ``data``, which ends with a line end (CR, LF or CRLF)."""
    text = data.decode("ascii", "replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    lines.pop()
    return lines


def chunked(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    """Group lines into lists of at most ``size`` (sliced in C, not appended line by line)."""
    it = iter(lines)
    while chunk := list(islice(it, size)):
        yield chunk


def capture_time_ms(path: str | Path) -> int:
    """Receive time for a capture's lines that carry no time: the file's modification time.

    A file has no receive time; its mtime (when recording ended) is the closest stand-in and,
    unlike a clock reading, gives the same records every time the same file is decoded.
    """
    return int(Path(path).stat().st_mtime * 1000)


def decode_files(
    paths: Sequence[str | Path],
    *,
    batch_lines: int = 8192,
    decoder: Decoder | None = None,
    received_ms: int | None = None,
) -> Iterator[Batch]:
    """Decode captures in order into batches; the decoder's ``stats`` count every line.

    Lines without a time of their own get ``received_ms``, by default the capture's
    modification time (`capture_time_ms`).
    """
    dec = decoder if decoder is not None else Decoder()
    for path in paths:
        name = Path(path).name
        rx_ms = capture_time_ms(path) if received_ms is None else received_ms
        for chunk in read_chunks(path, batch_lines):
            batch = dec.decode(chunk, rx_ms, source=name)
            if len(batch):
                yield batch
    dec.flush()
