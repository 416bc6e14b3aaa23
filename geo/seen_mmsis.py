"""The MMSIs an engine has met: one at a time as a set, a batch's thousands at once sorted.

Each batch asks which of its distinct MMSIs the engine has not met yet (only their rows can
be a vessel's first, `geo.engine.Engine._first_seen`): a set lookup each was 1-2 % of
`mare detect`'s engine process on `bench.cli`'s real capture (10k vessels, 5-8k in a batch of
8k lines). A sorted copy answers with one binary search of the batch; the MMSIs met since the
last question join it then.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from geo.detectors.base import I64


class SeenMmsis:
    """A set of MMSIs that also answers for a sorted array of them at once (`unseen`)."""

    def __init__(self, mmsis: Iterable[int] = ()) -> None:
        self._set: set[int] = set(mmsis)
        self._sorted: I64 = np.array(sorted(self._set), dtype=np.int64)
        self._since: list[int] = []  # met since `_sorted` was made

    def __contains__(self, mmsi: object) -> bool:
        return mmsi in self._set

    def __iter__(self) -> Iterator[int]:
        return iter(self._set)

    def __len__(self) -> int:
        return len(self._set)

    def add(self, mmsi: int) -> None:
        if mmsi not in self._set:
            self._set.add(mmsi)
            self._since.append(mmsi)

    def unseen(self, mmsis: I64) -> I64:
        """Return those of ``mmsis`` (sorted, distinct) not met yet, in their order.

        Examples
        --------
        >>> seen = SeenMmsis([5, 9])
        >>> seen.add(7)
        >>> seen.unseen(np.array([1, 5, 7, 8, 9, 12])).tolist()
        [1, 8, 12]
        """
        if self._since:
            since = np.array(self._since, dtype=np.int64)  # none of them in `_sorted`
            self._sorted = np.sort(np.concatenate([self._sorted, since]), kind="stable")
            self._since = []
        known = self._sorted
        if not len(known) or not len(mmsis):
            return mmsis
        at = np.searchsorted(known, mmsis)
        at[at == len(known)] = 0
        out: I64 = mmsis[known[at] != mmsis]
        return out
