"""Duplicate flags of a time-ordered batch in numpy: the dedupe rule without its Python loop.

Captures and live feeds stamped by one clock (a tag block's ``c:``, an aggregator's receive
time) arrive in time order. For such a batch, whose times never go back and start no earlier
than any payload still held, the sequential rule (`ais_ingest.dedupe`) reduces to one rule per
payload: a repeat is a duplicate iff it comes less than the window after the last copy kept.
Why: with times in order, the FIFO's front only ever releases entries older than the newest
time minus the window, so an entry newer than the current time minus the window is still held,
and one older is out of the window anyway. The copies of a payload then form runs, each
starting at a kept copy; `ordered_duplicates` finds them with one sort by hash.

What it leaves to the loop: a batch out of order or with two payloads of one hash (the whole
batch), and the payloads whose runs are longer than the window (whose later copies are new
again: the greedy rule is then a chain), that have several entries held (the loop's
bookkeeping), or a kept copy added while an entry of theirs is still held (with times in whole
seconds, a copy exactly one window after the last). The loop then runs over those payloads'
rows only, with the answers given here for the others.
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
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]] | None:
    """Decide the payloads of a time-ordered batch; None if the batch is not one.

    Parameters are the state `Deduplicator.duplicates` holds: ``by_hash`` orders the rows by
    ``hashes`` (stable), ``interesting`` marks rows repeated in the batch or held before it,
    ``held`` is each row's payload's latest entry number (-1: none), ``live`` the times of the
    entries from ``ptr`` on, ``extra`` the payloads with several entries held.

    Returns the duplicate flags and the rows left to the loop (`Deduplicator._resolve`): every
    row of a payload whose answer or bookkeeping this cannot give (module docstring). Their
    flags are False here; every other payload needs no bookkeeping beyond
    `Deduplicator._append`: no kept row leaves an entry of its payload held behind it.
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
    group = np.cumsum(first) - 1  # payload number of each row
    loop = np.zeros(int(group[-1]) + 1 if rows.size else 0, dtype=np.bool_)  # per payload
    t = times[rows]
    latest = held[rows]
    hist = first & (latest >= ptr)  # the payload's latest entry from before the batch
    if hist.any() and extra:
        for g, key, e in zip(
            group[hist].tolist(), compress(ks, hist.tolist()), latest[hist].tolist(), strict=True
        ):
            more = extra.get(key)
            loop[g] = more is not None and more[0] == e  # several entries held
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
    # A run longer than the window is a chain of kept copies: the loop follows it.
    loop[group[cont & (t - anchor_t >= window)]] = True
    dup = np.zeros(n, dtype=np.bool_)
    dup[rows[cont]] = True
    unknown = np.zeros(n, dtype=np.bool_)
    unknown[rows[loop[group]]] = True
    # A kept copy with an entry before it: that entry must no longer be held when it is added
    # (the running max of the times kept before it above the entry's running max + window;
    # rows of payloads left to the loop count as not kept, so the test errs towards the loop).
    again = ~cont & has_prev & ~loop[group]
    if again.any():
        kept = np.where(dup | unknown, _MIN, times)
        before = np.empty_like(kept)
        before[0] = _MIN
        np.maximum.accumulate(kept[:-1], out=before[1:])
        prev_pm = np.empty_like(t)
        prev_pm[1:] = anchor_pm[:-1]
        prev_pm[first] = hist_pmt[first]
        still = again & (before[rows] <= prev_pm + window)
        if still.any():
            loop[group[still]] = True
            unknown[rows[loop[group]]] = True
    dup &= ~unknown
    return dup, unknown
