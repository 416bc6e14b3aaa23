"""Duplicate flags of a time-ordered batch in numpy: the dedupe rule without its Python loop.

Captures and live feeds stamped by one clock (a tag block's ``c:``, an aggregator's receive
time) arrive in time order. For such a batch, whose times never go back and start no earlier
than any payload still held, the sequential rule (`ais_ingest.dedupe`) reduces to one rule per
payload: a repeat is a duplicate iff it comes less than the window after the last copy kept.
Why: with times in order, the FIFO's front only ever releases entries older than the newest
time minus the window, so an entry newer than the current time minus the window is still held,
and one older is out of the window anyway. The copies of a payload then form runs, each
starting at a kept copy; `ordered_duplicates` finds them with one sort by hash.

What it leaves to the loop (returns None): a batch out of order, a run longer than the window
(whose later copies are new again: the greedy rule is then a chain), hash collisions between
different payloads, payloads with several entries held (the loop's bookkeeping), and a kept
copy whose previous entry of the same payload is still held when it is added.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import compress
from operator import eq

import numpy as np
import numpy.typing as npt

_MIN = np.iinfo(np.int64).min


def ordered_duplicates(
    keys: Sequence[bytes],
    times: npt.NDArray[np.int64],
    *,
    by_hash: npt.NDArray[np.intp],
    hashes: npt.NDArray[np.int64],
    interesting: npt.NDArray[np.bool_],
    held: npt.NDArray[np.int64],
    live: npt.NDArray[np.int64],
    ptr: int,
    window: int,
    extra: Mapping[bytes, tuple[int, int, list[int]]],
) -> npt.NDArray[np.bool_] | None:
    """Return which payloads of a time-ordered batch are duplicates, or None if it cannot tell.

    Parameters are the state `Deduplicator.duplicates` holds: ``by_hash`` orders the rows by
    ``hashes`` (stable), ``interesting`` marks rows repeated in the batch or held before it,
    ``held`` is each row's payload's latest entry number (-1: none), ``live`` the times of the
    entries from ``ptr`` on, ``extra`` the payloads with several entries held. When it returns
    flags, the state needs no more than `Deduplicator._append` with nothing resolved: no kept
    row leaves an entry of its payload held behind it.
    """
    n = times.size
    if n > 1 and bool((times[1:] < times[:-1]).any()):
        return None
    if live.size and int(live.max()) > int(times[0]):
        return None
    rows = by_hash[interesting[by_hash]]  # by payload, then in arrival order
    h = hashes[rows]
    same = h[1:] == h[:-1]
    ks = [keys[i] for i in rows.tolist()]
    if not all(map(eq, compress(ks, same.tolist()), compress(ks[1:], same.tolist()))):
        return None  # two payloads share a hash
    first = np.ones(rows.size, dtype=np.bool_)
    first[1:] = ~same
    t = times[rows]
    latest = held[rows]
    hist = first & (latest >= ptr)  # the payload's latest entry from before the batch
    if hist.any() and extra:
        for key, g in zip(compress(ks, hist.tolist()), latest[hist].tolist(), strict=True):
            more = extra.get(key)
            if more is not None and more[0] == g:
                return None
    hist_pm = np.maximum.accumulate(live) if live.size else live
    hist_t = np.zeros_like(t)
    hist_pmt = np.zeros_like(t)
    hist_t[hist] = live[latest[hist] - ptr]
    hist_pmt[hist] = hist_pm[latest[hist] - ptr]
    prev_t = np.empty_like(t)
    prev_t[1:] = t[:-1]
    prev_t[first] = hist_t[first]
    has_prev = ~first | hist
    cont = has_prev & (t - prev_t < window)  # a repeat within the window of the copy before
    # Each run's anchor, the kept copy it repeats: the run's first row, or the entry from
    # before the batch when the payload's first row here already repeats it.
    starts = ~cont | first
    anchor_t = np.where(cont, hist_t, t)
    anchor_pm = np.where(cont, hist_pmt, t)  # running max at the anchor (its own time here)
    at = np.where(starts, np.arange(rows.size), 0)
    np.maximum.accumulate(at, out=at)
    anchor_t, anchor_pm = anchor_t[at], anchor_pm[at]
    if bool((t[cont] - anchor_t[cont] >= window).any()):
        return None  # a run longer than the window: a chain of kept copies
    dup = np.zeros(n, dtype=np.bool_)
    dup[rows[cont]] = True
    # A kept copy with an entry before it: that entry must no longer be held when it is added
    # (running max of the kept times before it above the entry's running max + window).
    again = ~cont & has_prev
    if again.any():
        kept = np.where(dup, _MIN, times)
        before = np.empty_like(kept)
        before[0] = _MIN
        np.maximum.accumulate(kept[:-1], out=before[1:])
        prev_pm = np.empty_like(t)
        prev_pm[1:] = anchor_pm[:-1]
        prev_pm[first] = hist_pmt[first]
        if bool((before[rows[again]] <= prev_pm[again] + window).any()):
            return None
    return dup
