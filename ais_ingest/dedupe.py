"""Duplicate suppression: one payload heard by several stations is decoded once.

Aggregated feeds (AISHub, national networks) carry the same transmission from every station in
range. A payload identical to one seen less than ``window_ms`` earlier (event time) is a
duplicate. Real repeats are not lost: position payloads carry the UTC second and radio state, so
a vessel's next report differs from the last one.

The rule is sequential, and its memory is a FIFO of the payloads decoded: each one decoded at
time t drops from the front every entry older than t - window (the front only: an entry behind a
newer one waits). A payload is a duplicate when its latest entry is still held and lies within
the window. `Deduplicator.duplicates` applies that rule to a whole batch with the same result as
one call per payload in order, but does Python work only for the few payloads that can be
duplicates (seen before and still held, or repeated within the batch); see its docstring. A
batch in time order needs none of that loop (`ais_ingest.dedupe_ordered`).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress, repeat

import numpy as np
import numpy.typing as npt

from ais_ingest.dedupe_ordered import ordered_duplicates

_MIN = int(np.iinfo(np.int64).min)
_GONE = -(1 << 80)  # below any running max minus any window: "no longer held"
#: Compaction thresholds: drop released FIFO entries / stale index keys once they are this many.
_COMPACT = 4096


class Deduplicator:
    """Remembers payloads for one window; memory is bounded by the traffic of one window.

    State: ``_times``/``_keys`` are the FIFO of decoded payloads (entry ``g`` at position
    ``g - _base``), ``_ptr`` the first entry still held, and ``_index`` each payload's latest
    entry. An entry is held iff its number is >= ``_ptr``; released entries are dropped in bulk
    (`_compact`), so expiry costs no Python work per entry.
    """

    __slots__ = (
        "window_ms",
        "sequential_below",
        "_index",
        "_extra",
        "_times",
        "_tail",
        "_keys",
        "_base",
        "_ptr",
    )

    def __init__(self, window_ms: int = 10_000) -> None:
        self.window_ms = window_ms
        #: Batches smaller than this go one payload at a time: numpy's fixed cost exceeds the gain.
        self.sequential_below = 256
        self._index: dict[bytes, int] = {}
        # Payloads with several held entries: latest -> (latest, first-to-go entry, entries).
        self._extra: dict[bytes, tuple[int, int, list[int]]] = {}
        self._times = np.zeros(0, dtype=np.int64)
        self._tail: list[int] = []  # times of entries after ``_times`` (added one by one)
        self._keys: list[bytes] = []
        self._base = 0
        self._ptr = 0

    def __len__(self) -> int:
        """Return the number of distinct payloads held."""
        ptr, extra = self._ptr, self._extra
        n = 0
        for key, latest in self._index.items():
            more = extra.get(key)
            first = more[1] if more is not None and more[0] == latest else latest
            n += latest >= ptr and first >= ptr
        return n

    def is_duplicate(self, payload: str, t_ms: int) -> bool:
        """Return True if the payload was seen within the window; otherwise remember it."""
        return bool(self.duplicates([payload_key(payload)], np.array([t_ms], dtype=np.int64))[0])

    def duplicates(
        self, keys: Sequence[bytes], times: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.bool_]:
        """Apply the rule to payloads in arrival order; return which ones are duplicates.

        Exactly equivalent to calling `is_duplicate` on each in order. Why it can be batched:
        with T the times of the entries, the front pointer after decoding a payload at time t is
        ``max(ptr, first k >= ptr with T[k] >= t - window)``, and that first k is where the
        running maximum of T from ``ptr`` reaches t - window. So the entry of payload P is still
        held when P comes again iff no payload decoded since the batch began has a time above
        ``PM(P) + window``, PM(P) being that running maximum up to P's entry. A payload neither
        held nor repeated in the batch is new: only the others go through the Python loop.
        """
        n = len(keys)
        dup = np.zeros(n, dtype=np.bool_)
        window = self.window_ms
        if window <= 0 or n == 0:
            return dup
        times = np.asarray(times, dtype=np.int64)
        if n < self.sequential_below:
            return np.array(self.sequential(keys, times.tolist()), dtype=np.bool_)
        self._flush_tail()
        # Payloads repeated within the batch, by hash (a collision only costs a loop turn; the
        # loop compares payloads themselves). Hashing here also caches it for the dict work.
        hashes = np.fromiter(map(hash, keys), dtype=np.int64, count=n)
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        same = ordered[1:] == ordered[:-1]
        interesting = np.zeros(n, dtype=np.bool_)
        interesting[order[1:][same]] = True
        interesting[order[:-1][same]] = True
        held = np.fromiter(map(self._index.get, keys, repeat(-1)), dtype=np.int64, count=n)
        ptr = self._ptr
        interesting |= held >= ptr
        resolved: dict[bytes, tuple[int, list[tuple[int, int, int]]]] = {}
        if interesting.any():
            fast = ordered_duplicates(
                keys,
                times,
                by_hash=order,
                hashes=hashes,
                interesting=interesting,
                held=held,
                live=self._times[ptr - self._base :],
                ptr=ptr,
                window=window,
                extra=self._extra,
            )
            if fast is not None:
                dup, interesting = fast
            if interesting.any():
                resolved = self._resolve(keys, times, interesting, held, dup)
        self._append(keys, times, dup, resolved)
        return dup

    def _resolve(
        self,
        keys: Sequence[bytes],
        times: npt.NDArray[np.int64],
        interesting: npt.NDArray[np.bool_],
        held: npt.NDArray[np.int64],
        dup: npt.NDArray[np.bool_],
    ) -> dict[bytes, tuple[int, list[tuple[int, int, int]]]]:
        """Decide the payloads that may be duplicates, in order (marks ``dup``).

        Returns, per payload decoded here, its first-to-go entry and its held entries as
        (number, time, running max), for `_append` to keep.
        """
        window = self.window_ms
        ptr, base = self._ptr, self._base
        live = self._times[ptr - base :]
        hist_pm = np.maximum.accumulate(live) if live.size else live
        hist_max = int(hist_pm[-1]) if live.size else _MIN
        # Running max of the times of the sure-new payloads decoded before each row (``dup``
        # may hold answers given already, `ais_ingest.dedupe_ordered`: those are not kept).
        sure = np.where(interesting | dup, _MIN, times)
        before = np.empty_like(sure)
        before[0] = _MIN
        np.maximum.accumulate(sure[:-1], out=before[1:])
        rows = np.flatnonzero(interesting)
        given = np.cumsum(dup)[rows].tolist()  # duplicates answered already, up to each row
        t_list = times[rows].tolist()
        before_list = before[rows].tolist()
        held_list = held[rows].tolist()
        start = base + len(self._keys)
        # payload -> (time of its latest entry, running max at its first-to-go entry,
        #             number of that entry, its entries that may still be held)
        state: dict[bytes, tuple[int, int, int, list[tuple[int, int, int]]]] = {}
        mi_int = _MIN  # running max over the interesting payloads decoded so far
        ndup = 0
        for j, r in enumerate(rows.tolist()):
            key = keys[r]
            t = t_list[j]
            mi = before_list[j] if before_list[j] > mi_int else mi_int
            entry = state.get(key)
            if entry is None:
                entry = self._held_entry(key, held_list[j], live, hist_pm)
            if entry is not None:
                t_last, pm_first, _, entries = entry
                if mi <= pm_first + window and abs(t - t_last) < window:
                    dup[r] = True
                    ndup += 1
                    continue
                entries = [e for e in entries if mi <= e[2] + window]  # still held
            else:
                entries = []
            g = start + r - given[j] - ndup
            pm = max(hist_max, mi, t)
            entries.append((g, t, pm))
            # The reference deletes a payload when an entry with its latest time goes, even an
            # older one: so its presence ends with the first held entry of that time.
            first = next(e for e in entries if e[1] == t)
            state[key] = (t, first[2], first[0], entries)
            if t > mi_int:
                mi_int = t
        return {k: (v[2], v[3]) for k, v in state.items()}

    def _held_entry(
        self,
        key: bytes,
        latest: int,
        live: npt.NDArray[np.int64],
        hist_pm: npt.NDArray[np.int64],
    ) -> tuple[int, int, int, list[tuple[int, int, int]]] | None:
        """State of a payload from before the batch (see `_resolve`); None if nothing held."""
        ptr = self._ptr
        if latest < ptr:
            return None
        extra = self._extra.get(key)
        if extra is not None and extra[0] == latest:
            first, numbers = extra[1], extra[2]
        else:
            first, numbers = latest, [latest]
        entries = [(g, int(live[g - ptr]), int(hist_pm[g - ptr])) for g in numbers if g >= ptr]
        if first < ptr:  # gone already: only its held entries matter
            return None if not entries else (entries[-1][1], _GONE, first, entries)
        return (int(live[latest - ptr]), int(hist_pm[first - ptr]), first, entries)

    def _append(
        self,
        keys: Sequence[bytes],
        times: npt.NDArray[np.int64],
        dup: npt.NDArray[np.bool_],
        resolved: dict[bytes, tuple[int, list[tuple[int, int, int]]]],
    ) -> None:
        """Record the batch's new payloads and move the front past the entries they release."""
        if dup.any():
            fresh = ~dup
            new_times = times[fresh]
            new_keys = list(compress(keys, fresh.tolist()))
        else:
            new_times = times
            new_keys = list(keys)
        if not new_keys:
            return
        start = self._base + len(self._keys)
        self._index.update(zip(new_keys, range(start, start + len(new_keys)), strict=True))
        self._keys.extend(new_keys)
        extra = self._extra
        for key, (first, entries) in resolved.items():
            latest = entries[-1][0]
            if first != latest or len(entries) > 1:
                extra[key] = (latest, first, [e[0] for e in entries])
            else:
                extra.pop(key, None)
        self._times = np.concatenate([self._times, new_times])
        held = self._times[self._ptr - self._base :]
        limit = int(new_times.max()) - self.window_ms
        self._ptr += int(np.searchsorted(np.maximum.accumulate(held), limit, side="left"))
        self._compact()

    def sequential(self, keys: Sequence[bytes], times: list[int]) -> list[bool]:
        """Apply the rule one payload at a time on the same state (small batches: no numpy).

        Same result as `duplicates`, which calls it for batches below ``sequential_below``.
        """
        window = self.window_ms
        if window <= 0:
            return [False] * len(keys)
        index, extra, tail, all_keys = self._index, self._extra, self._tail, self._keys
        arr, base = self._times, self._base
        narr = arr.size

        def time_of(g: int) -> int:
            i = g - base
            return int(arr[i]) if i < narr else tail[i - narr]

        ptr = self._ptr
        g = base + len(all_keys)
        out: list[bool] = []
        for key, t in zip(keys, times, strict=True):
            latest = index.get(key, -1)
            held: list[int] = []
            if latest >= ptr:
                more = extra.get(key)
                first, numbers = (
                    (more[1], more[2]) if more and more[0] == latest else (latest, [latest])
                )
                if first >= ptr and abs(t - time_of(latest)) < window:
                    out.append(True)
                    continue
                held = [e for e in numbers if e >= ptr]
            index[key] = g
            all_keys.append(key)
            tail.append(t)
            if held:
                same_time = [e for e in held if time_of(e) == t]
                held.append(g)
                extra[key] = (g, same_time[0] if same_time else g, held)
            elif key in extra:
                del extra[key]
            limit = t - window
            while time_of(ptr) < limit:
                ptr += 1
            g += 1
            out.append(False)
        self._ptr = ptr
        if len(tail) > _COMPACT:
            self._flush_tail()
            self._compact()
        return out

    def _flush_tail(self) -> None:
        if self._tail:
            self._times = np.concatenate([self._times, np.array(self._tail, dtype=np.int64)])
            self._tail.clear()

    def _compact(self) -> None:
        """Drop released entries from the FIFO, and stale keys from the index (amortised)."""
        gone = self._ptr - self._base
        if gone > _COMPACT and gone * 2 > len(self._keys):
            self._times = self._times[gone:].copy()
            del self._keys[:gone]
            self._base = self._ptr
        if len(self._index) > 2 * (len(self._keys) + _COMPACT):
            base, ptr = self._base, self._ptr
            held = self._keys[ptr - base :]
            self._index = dict(zip(held, range(ptr, ptr + len(held)), strict=True))
            self._extra = {k: v for k, v in self._extra.items() if v[0] >= ptr}


def payload_key(payload: str) -> bytes:
    """Dedupe key of a payload: its UTF-8 bytes (ASCII payloads are their own bytes).

    UTF-8 is one-to-one, so keys are equal iff payloads are; ``surrogatepass`` keeps that true
    for the lone surrogates a lenient reader can produce.
    """
    return payload.encode("utf-8", "surrogatepass")
