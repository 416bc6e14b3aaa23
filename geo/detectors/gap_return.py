"""A silent vessel heard again while another transmitter on its MMSI is the one followed.

On a shared MMSI the detectors follow one track at a time (`geo.tracker`). When the followed
vessel falls silent and the tracker goes over to another transmitter's track, the "went dark"
episode stays open on the silent vessel's last fix (`GapDetector.last`), and the silent vessel's
own next fixes, being off the followed track, are set aside by the tracker. They still end its
silence: that is when the vessel was heard again. A fix the silent vessel could have reached
from its last fix (the filter's own rule, `geo.speed_test.plausible_move`), confirmed by a next
fix consistent with it, ends the silence at the first of the two: a lone far fix is as often a
corrupt position, and GFW's segmenter likewise leaves single fixes out of tracks (nor is the
same report stamped again by a second station a confirmation, `geo.speed_test.same_report`).
Ending it at the other transmitter's fix instead would say the vessel was heard when it was
not (tried: the shared-MMSI scenarios' ``ais_gap`` precision fell from 1.00 to 0.78).
"""

from __future__ import annotations

from typing import Any

from geo.config import EngineConfig
from geo.speed_test import Fix, plausible_move, same_report


class OffTrackReturns:
    """Each dark vessel's first fix heard again off the followed track, until one confirms it."""

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        #: slot -> (time of the silent track's last fix, the first fix heard again since)
        self.pending: dict[int, tuple[int, Fix]] = {}

    def hear(self, slot: int, silent: Fix, fix: Fix) -> Fix | None:
        """Return the fix that ended ``slot``'s silence, once ``fix`` confirms it; else None."""
        if not plausible_move(silent, fix, self.cfg):
            return None
        held = self.pending.get(slot)
        if held is not None and held[0] == silent.t and same_report(held[1], fix, self.cfg):
            return None
        if held is not None and held[0] == silent.t and plausible_move(held[1], fix, self.cfg):
            del self.pending[slot]
            return held[1]
        # the first, or one that replaces a lone fix its successor did not bear out
        self.pending[slot] = (silent.t, fix)
        return None

    def forget(self, slot: int) -> None:
        self.pending.pop(slot, None)

    def to_state(self) -> list[list[Any]]:
        return [
            [s, t0, f.t, f.lon, f.lat, f.msg_type, None if f.sog != f.sog else f.sog]
            for s, (t0, f) in sorted(self.pending.items())
        ]

    def load_state(self, rows: list[list[Any]]) -> None:
        self.pending = {
            int(s): (int(t0), Fix(int(t), float(lo), float(la), int(m),
                                  float("nan") if v is None else float(v)))
            for s, t0, t, lo, la, m, v in rows
        }  # fmt: skip
