"""The decoder as it was before whole-chunk framing (commit 5efde3c), kept as a reference.

`tests/ais_ingest/test_fuzz.py` checks that `ais_ingest.decoder.Decoder` gives exactly what this
one gives (batches and counters) on mixed inputs split into random chunks: framing, checksums,
multipart keys, the sequential duplicate rule and arrival order must not change when the hot path
is vectorised. Framing, assembly and dedupe are copied verbatim; the record decoders (pyais
wrapper, fast path) are shared, as they are checked against pyais on their own.
"""
# ruff: noqa: D101, D102, D105, D107

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ais_ingest.decode import DecodeFailure, StaticMerger, UnsupportedType, decode_message
from ais_ingest.fastpath import (
    FAST_TYPE_CHARS,
    MIN_POSITION_CHARS,
    MIN_TYPE5_CHARS,
    decode_positions,
    decode_type5,
)
from ais_ingest.records import Batch, PositionColumns, PositionReport, StaticReport
from ais_ingest.stats import IngestStats
from ais_ingest.timestamps import (
    TagBlock,
    parse_leading_timestamp,
    parse_tag_fields,
    parse_trailing_metadata,
    split_tag_block,
)

_HEX = {f"{i:02X}": i for i in range(256)} | {f"{i:02x}": i for i in range(256)}
_SENTENCE_TYPES = frozenset({"VDM", "VDO"})
_TAG_CACHE_SIZE = 4096
_FILL_BITS = frozenset("0123456789")

_Framed = tuple[str, int, int, str, tuple[int, int, str] | None, str]


class ReferenceDeduplicator:
    """Remembers payloads for one window; memory is bounded by the traffic of one window.

    Expiry runs off a FIFO of (time, payload): popping from the front of a dict instead would
    cost O(n) per pop in CPython (iteration skips the deleted slots).
    """

    __slots__ = ("window_ms", "_seen", "_order")

    def __init__(self, window_ms: int = 10_000) -> None:
        self.window_ms = window_ms
        self._seen: dict[str, int] = {}
        self._order: deque[tuple[int, str]] = deque()

    def __len__(self) -> int:
        return len(self._seen)

    def is_duplicate(self, payload: str, t_ms: int) -> bool:
        """Return True if the payload was seen within the window; otherwise remember it."""
        window = self.window_ms
        if window <= 0:
            return False
        seen = self._seen
        last = seen.get(payload)
        if last is not None and abs(t_ms - last) < window:
            return True
        seen[payload] = t_ms
        order = self._order
        order.append((t_ms, payload))
        limit = t_ms - window
        while order[0][0] < limit:
            old_t, old_payload = order.popleft()
            if seen.get(old_payload) == old_t:
                del seen[old_payload]
        return False


Key = tuple[str, ...]


@dataclass(slots=True)
class _Pending:
    total: int
    next_num: int
    started_ms: int
    station: str
    payloads: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Assembled:
    """A complete message: its payload, fill bits of the last fragment, and the raw lines."""

    payload: str
    fill: int
    lines: tuple[str, ...]
    time_ms: int = 0
    station: str = ""


class ReferenceAssembler:
    """Joins fragments; reports orphaned lines through ``orphaned`` (a running count)."""

    __slots__ = ("timeout_ms", "max_pending", "_pending", "orphaned", "_last_sweep_ms")

    def __init__(self, *, timeout_ms: int = 5_000, max_pending: int = 10_000) -> None:
        self.timeout_ms = timeout_ms
        self.max_pending = max_pending
        self._pending: dict[Key, _Pending] = {}
        self.orphaned = 0  # lines dropped as orphan fragments
        self._last_sweep_ms = 0

    def __len__(self) -> int:
        return len(self._pending)

    def add(
        self,
        key: Key,
        num: int,
        total: int,
        payload: str,
        fill: int,
        now_ms: int,
        line: str,
        station: str = "",
    ) -> Assembled | None:
        """Add fragment ``num`` of ``total``; return the message when it is complete."""
        pend = self._pending.get(key)
        if num == 1:
            if pend is not None:  # a new message restarts the key: the old one can never finish
                self.orphaned += len(pend.payloads)
                del self._pending[key]
            if len(self._pending) >= self.max_pending:
                self._evict_oldest()
            self._pending[key] = _Pending(total, 2, now_ms, station, [payload], [line])
            self._maybe_sweep(now_ms)
            return None
        if pend is None or pend.next_num != num or pend.total != total:
            self.orphaned += 1  # out of order, or its first fragment was never seen
            if pend is not None:
                self.orphaned += len(pend.payloads)
                del self._pending[key]
            return None
        pend.payloads.append(payload)
        pend.lines.append(line)
        if num < total:
            pend.next_num += 1
            return None
        del self._pending[key]
        return Assembled(
            "".join(pend.payloads), fill, tuple(pend.lines), pend.started_ms, pend.station
        )

    def _evict_oldest(self) -> None:
        key = next(iter(self._pending))  # dicts keep insertion order: the first is the oldest
        self.orphaned += len(self._pending.pop(key).payloads)

    def _maybe_sweep(self, now_ms: int) -> None:
        if now_ms - self._last_sweep_ms < self.timeout_ms // 2:
            return
        self._last_sweep_ms = now_ms
        self.expire(now_ms)

    def expire(self, now_ms: int) -> None:
        """Drop pending messages started more than the timeout before ``now_ms``."""
        limit = now_ms - self.timeout_ms
        stale = [k for k, p in self._pending.items() if p.started_ms < limit]
        for k in stale:
            self.orphaned += len(self._pending.pop(k).payloads)

    def flush(self) -> None:
        """End of stream: every pending fragment is an orphan."""
        for p in self._pending.values():
            self.orphaned += len(p.payloads)
        self._pending.clear()


class ReferenceDecoder:
    """Stateful line decoder: feed chunks of lines, get `Batch`es; ``stats`` counts every line.

    Parameters
    ----------
    dedupe_seconds
        Window for duplicate suppression (event time); 0 disables it.
    fragment_timeout_seconds
        A multipart message not completed within this time (event time of its lines) is
        dropped and its fragments counted as orphans.
    """

    def __init__(
        self, *, dedupe_seconds: float = 10.0, fragment_timeout_seconds: float = 5.0
    ) -> None:
        self.stats = IngestStats()
        self._assembler = ReferenceAssembler(timeout_ms=int(fragment_timeout_seconds * 1000))
        self._dedupe = ReferenceDeduplicator(int(dedupe_seconds * 1000))
        self._merger = StaticMerger()
        self._orphans_counted = 0
        self._tag_cache: dict[str, tuple[str, int, TagBlock] | None] = {}

    # ------------------------------------------------------------------ pass 1: framing
    def _tag(self, text: str) -> tuple[str, int, TagBlock] | None:
        """Parse tag block text (cached: a station's lines within one second share it)."""
        cache = self._tag_cache
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

    def _frame(
        self, lines: Sequence[str], received_ms: int | Sequence[int], source: str | Sequence[str]
    ) -> tuple[list[_Framed], list[int], list[str], list[int]]:
        """Split lines into sentence parts; count and drop what is not an AIS sentence.

        Returns the framed sentences and, for those with a tag block, the row, the tag block
        body and its given checksum, so that all checksums are verified at once.
        """
        framed: list[_Framed] = []
        append = framed.append
        tag_rows: list[int] = []
        tag_bodies: list[str] = []
        tag_given: list[int] = []
        bad = 0
        hexmap = _HEX
        per_line = not isinstance(received_ms, int)
        rx_ms = received_ms if isinstance(received_ms, int) else 0
        per_source = not isinstance(source, str)
        src = source if isinstance(source, str) else ""
        for n, line in enumerate(lines):
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
                    tag = self._tag(line[1:end]) if end > 0 else None
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
                        tag = self._tag(prefix[start + 1 : -1]) if start < len(prefix) - 1 else None
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
                    if fields.group is not None:
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
            append((rest[1:star], cs, t_ms, station, group, line))
        self.stats.add("bad_framing", bad)
        return framed, tag_rows, tag_bodies, tag_given

    # ------------------------------------------------------------------ checksums at once
    @staticmethod
    def _checksums_ok(bodies: list[str], given: list[int]) -> npt.NDArray[np.bool_]:
        """NMEA checksums of all bodies at once: XOR over each span of one prefix-XOR array."""
        data = np.frombuffer("".join(bodies).encode("ascii", "replace"), dtype=np.uint8)
        lengths = np.fromiter((len(b) for b in bodies), dtype=np.int64, count=len(bodies))
        ends = np.cumsum(lengths)
        px = np.zeros(data.size + 1, dtype=np.uint8)
        if data.size:
            np.bitwise_xor.accumulate(data, out=px[1:])
        computed = px[ends] ^ px[ends - lengths]
        return np.asarray(computed == np.asarray(given, dtype=np.uint8))

    # ------------------------------------------------------------------ pass 2: messages
    def decode(
        self,
        lines: Sequence[str],
        received_ms: int | Sequence[int],
        source: str | Sequence[str] = "",
    ) -> Batch:
        """Decode a chunk of lines (without line endings) received at ``received_ms``.

        ``received_ms`` (one value, or one per line) is the event time of lines that carry none
        of their own; ``source`` (one name, or one per line) names the feed for lines without a
        station of their own, and keeps fragments of different feeds apart.
        """
        stats = self.stats
        stats.lines += len(lines)
        framed, tag_rows, tag_bodies, tag_given = self._frame(lines, received_ms, source)
        if not framed:
            return Batch()
        ok_array = self._checksums_ok([f[0] for f in framed], [f[1] for f in framed])
        if tag_rows:
            at = np.asarray(tag_rows)
            tag_ok = self._checksums_ok(tag_bodies, tag_given)
            placeholder = (np.asarray(tag_given) == 0) & ~tag_ok  # a writer's "*00"
            ok_array[at] &= tag_ok | placeholder
            self.stats.unchecked_tags += int(np.count_nonzero(ok_array[at] & placeholder))
        ok = ok_array.tolist()
        fast_payloads: list[str] = []
        fast_times: list[int] = []
        fast_sources: list[str] = []
        fast_order: list[int] = []
        slow_pos: list[PositionReport] = []
        slow_pos_order: list[int] = []
        slow_static: list[StaticReport] = []
        slow_static_order: list[int] = []
        t5_payloads: list[str] = []
        t5_times: list[int] = []
        t5_sources: list[str] = []
        t5_order: list[int] = []
        counts = stats.counts
        assembler = self._assembler
        is_dup = self._dedupe.is_duplicate
        for k, (body, _cs, t_ms, station, group, line) in enumerate(framed):
            if not ok[k]:
                counts["bad_checksum"] += 1
                continue
            parts = body.split(",")
            if len(parts) != 7 or parts[0][2:] not in _SENTENCE_TYPES:
                counts["bad_framing"] += 1
                continue
            _talker, total_s, num_s, seq, channel, payload, fill_s = parts
            if fill_s not in _FILL_BITS:
                counts["bad_framing"] += 1
                continue
            if total_s == "1" and num_s == "1" and group is None:
                nlines = 1
            else:
                if not (total_s.isdigit() and num_s.isdigit()):
                    counts["bad_framing"] += 1
                    continue
                total, num = int(total_s), int(num_s)
                if group is not None:
                    num, total = group[0], group[1]
                    key: tuple[str, ...] = ("g", group[2])
                else:
                    key = (station, _talker[:2], channel, seq)
                if not 1 <= num <= total <= 9:
                    counts["bad_framing"] += 1
                    continue
                if total > 1:
                    done = assembler.add(key, num, total, payload, int(fill_s), t_ms, line, station)
                    if done is None:
                        continue
                    t_ms, station = done.time_ms, done.station
                    payload = done.payload
                    fill_s = str(done.fill)
                    nlines = len(done.lines)
                else:
                    nlines = 1
            if not payload:
                counts["decode_error"] += nlines
                continue
            if is_dup(payload, t_ms):
                counts["duplicate"] += nlines
                continue
            head = payload[0]
            if head in FAST_TYPE_CHARS and len(payload) >= MIN_POSITION_CHARS:
                fast_payloads.append(payload)
                fast_times.append(t_ms)
                fast_sources.append(station)
                fast_order.append(k)
                counts["multipart_joined"] += nlines - 1
                continue
            if head == "5" and len(payload) >= MIN_TYPE5_CHARS:
                t5_payloads.append(payload)
                t5_times.append(t_ms)
                t5_sources.append(station)
                t5_order.append(k)
                counts["multipart_joined"] += nlines - 1
                continue
            try:
                pos, sta = decode_message(payload, int(fill_s), t_ms, station, self._merger)
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
        statics = slow_static
        if t5_payloads:
            reports, t5_ok = decode_type5(t5_payloads, t5_times, t5_sources)
            counts["decode_error"] += len(t5_payloads) - len(reports)
            counts["records"] += len(reports)
            if slow_static:  # keep arrival order across the two static paths
                kept = [k for k, good in zip(t5_order, t5_ok.tolist(), strict=True) if good]
                pairs = sorted(
                    zip(slow_static_order + kept, range(len(kept) + len(slow_static)), strict=True)
                )
                merged = slow_static + reports
                statics = [merged[i] for _, i in pairs]
            else:
                statics = reports
        cols, valid = decode_positions(
            fast_payloads, np.asarray(fast_times, dtype=np.int64), fast_sources
        )
        n_bad = int(len(valid) - valid.sum())
        if n_bad:
            cols = cols.take(valid)
            counts["decode_error"] += n_bad
        counts["records"] += len(cols)
        self._sync_orphans()
        if slow_pos:
            # Rows stay in arrival order: downstream expects each vessel's fixes in time order,
            # and a class B unit's type 18 (fast path) and 19 (pyais) interleave.
            order = np.concatenate(
                [np.asarray(fast_order, dtype=np.int64)[valid], np.asarray(slow_pos_order)]
            )
            cols = PositionColumns.concat([cols, PositionColumns.from_reports(slow_pos)])
            cols = cols.take(np.argsort(order, kind="stable"))
        return Batch(cols, statics)

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
