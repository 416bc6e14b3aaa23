"""Zone membership of a batch's positions: the engine's per-batch work that needs no state.

Which zones hold a position, and whether the engine can track it at all, depend on the position
and the zone set alone, never on what the engine saw before. So the answer can be worked out
wherever the zone set is known: in `geo.engine.Engine` itself, or in `mare detect`'s decoding
process a step ahead of the engine (`app.cli.ahead`), where it runs beside the engine on the
second core instead of before it on the first (0.15 s of the engine's ~1 s on `bench.cli`'s
simulated capture, 49 shipped zones). The engine takes a `Membership` only when it was made
for its own zone set (`Membership.zone_ids`) and for the very batch it runs.

The rest of the engine's per-batch work that reads the batch alone comes along: its distinct
MMSIs, its positions without a fix, and its receiving stations as names and an index per row
(the engine's codes for them depend on the stations it met before, so it makes those itself,
from a handful of names instead of a name per row). In the decoding process that took another
0.017 s off the engine's process on the simulated capture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ais_ingest.records import PositionColumns, has_position
from geo.arrays import distinct
from geo.detectors.base import I64, U64, B
from geo.detectors.zones import zone_keys
from geo.zone_index import ZoneIndex
from geo.zones import Zone

__all__ = ["Membership", "ZoneLookup", "trackable"]

I32 = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class Membership:
    """Zones of each position of a batch, as the engine's detectors read them.

    Record ``r``'s zones (index order) are ``zidx[offs[r]:offs[r + 1]]``; ``zhash`` is the sum
    of their keys (`geo.detectors.zones.zone_keys`: a change of zones is a change of hash);
    ``supp`` is True inside a port or anchorage; ``valid`` marks the positions the engine
    tracks (`trackable`). Only valid positions have zones.

    Of the batch besides: ``mmsis``, its distinct MMSIs, sorted; ``no_position``, how many of
    its positions have none (`has_position`); ``stations``, its receiving stations (the
    ``source`` column) in order of first appearance, and ``station_idx``, each row's index in
    them. Indexes are 32-bit: the decoding process of `mare detect` sends a `Membership`
    with each batch it is made for, and 64-bit ones were a fifth of what it sent.
    """

    zone_ids: tuple[str, ...]
    valid: B
    offs: I32
    zidx: I32
    zhash: U64
    supp: B
    mmsis: I64
    no_position: int
    stations: tuple[str, ...]
    station_idx: I32


def trackable(pos: PositionColumns) -> B:
    """Positions the engine can track: a finite, in-range fix of a vessel (MMSI > 0).

    Type 9 (SAR aircraft) is left out: an aircraft's speed and path would read as jumps and
    its positions as a vessel's zone visits.
    """
    valid: B = has_position(pos.lat, pos.lon) & (pos.msg_type != 9) & (pos.mmsi > 0)
    return valid


class ZoneLookup:
    """A zone set indexed for `Membership`: ``index.zones[j]`` is zone ``j``."""

    def __init__(self, zones: Sequence[Zone]) -> None:
        self.zones: tuple[Zone, ...] = tuple(zones)
        self.index = ZoneIndex(self.zones)
        self.ids = tuple(z.id for z in self.zones)
        self._keys = zone_keys(self.zones)
        self._supp_zone = np.array([z.suppresses_behaviour for z in self.zones], dtype=np.bool_)

    def of(self, pos: PositionColumns) -> Membership:
        """Return the membership of every position of a batch (one vectorised index query)."""
        n = len(pos)
        valid = trackable(pos)
        rows = np.flatnonzero(valid)
        p, z = self.index.query(pos.lon[rows], pos.lat[rows])
        prow = rows[p]
        offs = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(prow, minlength=n), out=offs[1:])
        zhash = np.zeros(n, dtype=np.uint64)
        supp = np.zeros(n, dtype=np.bool_)
        if len(z):
            np.add.at(zhash, prow, self._keys[z])
            supp[prow[self._supp_zone[z]]] = True
        names = tuple(dict.fromkeys(pos.source))
        at = {name: i for i, name in enumerate(names)}
        return Membership(
            self.ids,
            valid,
            offs,
            z.astype(np.int32),
            zhash,
            supp,
            distinct(pos.mmsi),
            int(np.count_nonzero(~has_position(pos.lat, pos.lon))),
            names,
            np.fromiter(map(at.__getitem__, pos.source), np.int32, len(pos.source)),
        )
