"""Recent AIS positions of every vessel, kept to place each vessel at a contact's time.

At each slice end the engine records every vessel that had a fix in the slice (its last fix),
at most one every `RECORD_STEP_S` a vessel (a vessel reporting every 10 s keeps one row in
two minutes), and rows older than the retention are dropped. `positions_at` then interpolates
each nearby vessel to a given time between its fixes before and after, or dead-reckons it from
one side, with an allowance for the unknown that grows with the time to the nearer fix.

Between two fixes the allowance is the vessel's space-time prism (Hägerstrand; Miller 2005, the
"potential path area" of movement analysis): at the speed it reported it can be anywhere within
reach of both fixes, which is a thin lens along the chord when it sailed straight and a wide one
when the fixes are closer than its run (it turned, or went round something). `awaiting` says
whether a vessel that could be at a place still has its fix after a time to come, so a contact
on a sparse feed waits for it instead of being judged from one side.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from geo.arrays import distinct, member
from geo.config import KNOT_MS
from geo.tracker import Fleet

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

_M_PER_DEG = 111_195.0
#: Shortest time between two fixes of a vessel kept, ms. Two minutes: a ship at 20 kn runs
#: 1.2 km in them, and interpolating across a turn within them errs by a few hundred metres,
#: inside the match margin; the history then holds three hours of a busy feed in less memory
#: than it held two at one row a minute.
RECORD_STEP_MS = 120_000
RECORD_STEP_S = RECORD_STEP_MS / 1000
#: Share of a dead-reckoned run added to the allowance: a vessel heard half an hour before a
#: contact may have turned (a trawler on its grounds does so every few minutes); a 60 deg turn
#: halfway puts it half its run off the reckoned point. A quarter is the middle ground between
#: ships on passage (no turn) and vessels at work.
TURN_SHARE = 0.25
#: Longest run (speed at the fix times the time since) a vessel heard on one side of a contact
#: is reckoned over, metres: beyond it the error of its turn is wider than any match gate (a
#: ship at 12 kn heard 57 min before a SAR pass, on a lane with a waypoint, was 11 km off).
RECKON_RUN_M = 5000.0
#: Speed no vessel of the region exceeds, knots: what bounds where one heard a while ago may be
#: now (fast ferries and patrol craft make 30 kn; `positions_at` searches as far).
REACH_KN = 30.0


def prism_allowance_m(chord_m: float, run_m: float, f: float) -> float:
    """Return how far a vessel may be from the chord's point at fraction ``f`` of its gap, metres.

    Between fixes ``chord_m`` apart, a vessel that could run ``run_m`` in the gap (its speed
    at the fixes times the gap) was within ``f * run_m`` of the first fix and ``(1 - f) *
    run_m`` of the second at fraction ``f``: the farthest point of that lens from the
    interpolated point. A vessel that ran straight (``run_m`` = ``chord_m``) is on the chord;
    one whose fixes are closer than its run turned somewhere between.

    Examples
    --------
    >>> prism_allowance_m(10_000.0, 10_000.0, 0.5), round(prism_allowance_m(0.0, 10_000.0, 0.5))
    (0.0, 5000)
    >>> round(prism_allowance_m(8_000.0, 10_000.0, 0.5))  # a 37 deg turn halfway: 3 km off
    3000
    """
    if run_m <= chord_m:
        return 0.0
    r0, r1 = f * run_m, (1.0 - f) * run_m
    if chord_m <= abs(r0 - r1):  # one disc inside the other: the smaller is the lens
        return r0 + f * chord_m if r0 <= r1 else r1 + (1.0 - f) * chord_m
    # else the farthest points are the lens' corners: a along the chord from the first fix, h off
    a = (r0 * r0 - r1 * r1 + chord_m * chord_m) / (2.0 * chord_m)
    h = math.sqrt(max(0.0, r0 * r0 - a * a))
    return math.hypot(a - f * chord_m, h)


def _nearest_on(
    lat0: float, lon0: float, lat1: float, lon1: float, lat: float, lon: float
) -> tuple[float, float]:
    """Return the point of the segment (lat0, lon0)-(lat1, lon1) nearest (lat, lon) (local plane).

    Examples
    --------
    >>> _nearest_on(0.0, 0.0, 0.0, 1.0, 0.5, 0.5), _nearest_on(0.0, 0.0, 0.0, 1.0, 0.1, -3.0)
    ((0.0, 0.5), (0.0, 0.0))
    """
    k = math.cos(math.radians(lat0))
    dx, dy = (lon1 - lon0) * k, lat1 - lat0
    span = dx * dx + dy * dy
    if span == 0.0:
        return lat0, lon0
    f = min(1.0, max(0.0, ((lon - lon0) * k * dx + (lat - lat0) * dy) / span))
    return lat0 + f * dy, lon0 + f * (lon1 - lon0)


@dataclass(frozen=True, slots=True)
class Chunk:
    """The fixes of one slice: one row per vessel that had a fix in it."""

    end_ms: int
    mmsi: I64
    t: I64
    lat: F64
    lon: F64
    sog: F64
    cog: F64


@dataclass(frozen=True, slots=True)
class Placed:
    """Vessels placed at one time: position, speed, course and the allowance in metres."""

    mmsi: I64
    lat: F64
    lon: F64
    sog: F64
    cog: F64
    allowance_m: F64


def _empty() -> Placed:
    z = np.zeros(0)
    return Placed(np.zeros(0, dtype=np.int64), z, z, z, z, z)


def _plane_m(lat0: float, lon0: float, lat1: float, lon1: float) -> float:
    """Return the distance between two nearby points on the local plane, metres."""
    k = math.cos(math.radians((lat0 + lat1) / 2.0))
    dlon = (lon1 - lon0 + 180.0) % 360.0 - 180.0
    return math.hypot(lat1 - lat0, dlon * k) * _M_PER_DEG


class AisHistory:
    """A ring of per-slice fixes; see the module docstring."""

    def __init__(self, retention_s: float) -> None:
        self.retention_ms = int(retention_s * 1000)
        self.chunks: deque[Chunk] = deque()
        self.last_ms: int | None = None
        #: Per fleet slot, the time of the fix last kept (-1: none yet).
        self.recorded: I64 = np.zeros(0, dtype=np.int64)

    def record(self, end_ms: int, fleet: Fleet) -> None:
        """Keep each vessel's last fix if it changed since the last call (a slice's end).

        Compared per vessel, not by time: a slice holds the fixes of its minute and late ones
        (the engine's slices follow the running maximum of event time), and a fix stamped on
        the boundary itself belongs to the slice it starts.
        """
        n = len(fleet)
        t = fleet.t[:n]
        if len(self.recorded) < n:
            grown = np.full(max(n, 2 * len(self.recorded)), -1, dtype=np.int64)
            grown[: len(self.recorded)] = self.recorded
            self.recorded = grown
        last = self.recorded[:n]
        sel = np.flatnonzero((t > last) & ((last < 0) | (t - last >= RECORD_STEP_MS)))
        self.recorded[sel] = t[sel]
        if len(sel):
            self.chunks.append(
                Chunk(end_ms, fleet.mmsi_col[sel].copy(), t[sel].copy(),
                      fleet.lat[sel].copy(), fleet.lon[sel].copy(),
                      fleet.sog[sel].astype(np.float64), fleet.cog[sel].astype(np.float64))
            )  # fmt: skip
        self.last_ms = end_ms if self.last_ms is None else max(self.last_ms, end_ms)
        floor = end_ms - self.retention_ms
        while self.chunks and self.chunks[0].end_ms < floor:
            self.chunks.popleft()

    @property
    def oldest_ms(self) -> int | None:
        """Return the end of the oldest slice kept (None when empty)."""
        return self.chunks[0].end_ms if self.chunks else None

    def awaiting(
        self, t_ms: int, lon: float, lat: float, within_m: float, window_s: float, now_ms: int
    ) -> bool:
        """Return whether a vessel that may have been near (lon, lat) at ``t_ms`` is yet unheard.

        Near: within ``within_m``; yet unheard: no fix after ``t_ms`` by ``now_ms``, which is
        within ``window_s`` of it.

        A vessel heard within ``window_s`` before ``t_ms``, not since, whose last fix is near
        enough to have been within ``within_m`` at `REACH_KN`, and whose next fix is still to
        be expected by its own sampling: ``now_ms`` is within twice its last interval between
        fixes of its last fix (a decimated extract's intervals run up to twice its period); a
        vessel heard once has no sampling to expect a fix by. Until that fix comes (or the
        window passes) `positions_at` could only reckon it from one side, which on a feed of
        one report an hour places nothing. A vessel heard every few seconds and silent since
        is not waited for: its silence is its own (switched off, out of range), not the feed's
        sampling. So a terrestrial feed waits for nobody.
        """
        w = int(window_s * 1000)
        if now_ms >= t_ms + w or not self.chunks:
            return False
        parts = list(self.chunks)
        mm = np.concatenate([c.mmsi for c in parts])
        tt = np.concatenate([c.t for c in parts])
        heard_after = distinct(mm[(tt > t_ms) & (tt <= now_ms)])
        sel = np.flatnonzero((tt <= t_ms) & ~member(mm, heard_after))
        if not len(sel):
            return False
        order = sel[np.lexsort((tt[sel], mm[sel]))]
        mm, tt = mm[order], tt[order]
        last = np.r_[mm[1:] != mm[:-1], True]  # each vessel's last fix before t_ms
        prev_t = np.r_[-1, tt[:-1]]
        has_prev = np.r_[False, mm[1:] == mm[:-1]]
        interval = np.where(has_prev, tt - prev_t, 0)
        expected = has_prev & (now_ms < tt + 2 * interval)
        pick = last & (tt >= t_ms - w) & expected
        if not pick.any():
            return False
        la = np.concatenate([c.lat for c in parts])[order][pick]
        lo = np.concatenate([c.lon for c in parts])[order][pick]
        ago_s = (t_ms - tt[pick]) / 1000.0
        k = math.cos(math.radians(lat))
        d = np.hypot(la - lat, ((lo - lon + 180.0) % 360.0 - 180.0) * k) * _M_PER_DEG
        return bool(np.any(d <= within_m + REACH_KN * KNOT_MS * ago_s))

    def positions_at(
        self,
        t_ms: int,
        lon: float,
        lat: float,
        within_m: float,
        window_s: float,
        drift_ms: float,
        until_ms: int,
    ) -> Placed:
        """Place every vessel heard within ``window_s`` of ``t_ms`` near (lon, lat) at ``t_ms``.

        Between a fix before and one after: linear interpolation, with ``drift_ms`` metres a
        second of allowance for the time to the nearer fix (none at a fix; a sparse feed's
        fixes an hour apart may hide a turn). From one side only: along its course at up to
        its speed (the point of that run nearest (lon, lat): it may have slowed or stopped),
        with ``drift_ms`` metres a second of allowance plus `TURN_SHARE` of the run (a vessel
        without speed stays where it was, with the drift allowance); not at all when the run
        is longer than `RECKON_RUN_M`.
        Only fixes up to ``until_ms`` count (the contact's settle time), so the answer does not
        depend on how far the history had grown when the question was asked. Rows are in MMSI
        order, so callers' choices do not depend on storage order.
        """
        w = int(window_s * 1000)
        parts = [c for c in self.chunks if t_ms - w <= c.end_ms and c.end_ms - 60_000 <= t_ms + w]
        if not parts:
            return _empty()
        mm = np.concatenate([c.mmsi for c in parts])
        tt = np.concatenate([c.t for c in parts])
        la = np.concatenate([c.lat for c in parts])
        lo = np.concatenate([c.lon for c in parts])
        sg = np.concatenate([c.sog for c in parts])
        cg = np.concatenate([c.cog for c in parts])
        reach_m = within_m + window_s * REACH_KN * KNOT_MS  # any vessel over the window
        dlat = reach_m / _M_PER_DEG
        dlon = dlat / max(0.05, math.cos(math.radians(lat)))
        keep = (
            (np.abs(tt - t_ms) <= w)
            & (tt <= until_ms)
            & (np.abs(la - lat) <= dlat)
            & (np.abs((lo - lon + 180.0) % 360.0 - 180.0) <= dlon)  # across the antimeridian
        )
        if not keep.any():
            return _empty()
        mm, tt, la, lo, sg, cg = mm[keep], tt[keep], la[keep], lo[keep], sg[keep], cg[keep]
        order = np.lexsort((tt, mm))
        mm, tt, la, lo, sg, cg = mm[order], tt[order], la[order], lo[order], sg[order], cg[order]
        out_m: list[int] = []
        out_lat: list[float] = []
        out_lon: list[float] = []
        out_sog: list[float] = []
        out_cog: list[float] = []
        out_allow: list[float] = []
        starts = np.r_[0, np.flatnonzero(mm[1:] != mm[:-1]) + 1, len(mm)]
        for a, b in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True):
            k = a + int(np.searchsorted(tt[a:b], t_ms, "right"))  # first fix after t
            before = k - 1 if k - 1 >= a else None
            after = k if k < b else None
            if before is not None and after is not None:
                t0, t1 = int(tt[before]), int(tt[after])
                f = (t_ms - t0) / (t1 - t0) if t1 > t0 else 0.0
                p_lat = float(la[before] + f * (la[after] - la[before]))
                p_lon = float(lo[before] + f * (lo[after] - lo[before]))
                s = sg[after] if math.isfinite(sg[after]) else sg[before]
                c = cg[after] if math.isfinite(cg[after]) else cg[before]
                allow = min(t_ms - t0, t1 - t_ms) / 1000.0 * drift_ms
                speeds = [float(v) for v in (sg[before], sg[after]) if math.isfinite(v)]
                if speeds and t1 > t0:
                    chord = _plane_m(la[before], lo[before], la[after], lo[after])
                    run_m = max(speeds) * KNOT_MS * (t1 - t0) / 1000.0
                    allow += min(RECKON_RUN_M, prism_allowance_m(chord, run_m, f))
            else:
                i = before if before is not None else after
                assert i is not None
                dt = (t_ms - int(tt[i])) / 1000.0
                s, c = sg[i], cg[i]
                run_m = abs(dt) * float(s) * KNOT_MS if math.isfinite(s) else 0.0
                if run_m > RECKON_RUN_M:
                    continue  # too far run since its fix to say where it is: not placed
                p_lat, p_lon = float(la[i]), float(lo[i])
                if math.isfinite(s) and math.isfinite(c) and s > 0.5:
                    run = s * KNOT_MS * dt
                    r_lat = p_lat + run * math.cos(math.radians(c)) / _M_PER_DEG
                    r_lon = p_lon + (
                        run * math.sin(math.radians(c))
                        / (_M_PER_DEG * max(0.05, math.cos(math.radians(p_lat))))
                    )  # fmt: skip
                    # it held its course at most: the point of that run nearest the question
                    p_lat, p_lon = _nearest_on(p_lat, p_lon, r_lat, r_lon, lat, lon)
                # a vessel may have turned since: a share of its run, beside the drift
                allow = abs(dt) * drift_ms + TURN_SHARE * run_m
            out_m.append(int(mm[a]))
            out_lat.append(p_lat)
            out_lon.append(p_lon)
            out_sog.append(float(s))
            out_cog.append(float(c))
            out_allow.append(allow)
        return Placed(
            np.array(out_m, dtype=np.int64),
            np.array(out_lat),
            np.array(out_lon),
            np.array(out_sog),
            np.array(out_cog),
            np.array(out_allow),
        )

    def to_state(self, keep_s: float) -> dict[str, Any]:
        """Return the last ``keep_s`` of history (what pending contacts need) as JSON values."""
        floor = (self.last_ms or 0) - int(keep_s * 1000)
        chunks = [c for c in self.chunks if c.end_ms >= floor]

        def col(a: Any) -> list[Any]:
            return [None if isinstance(v, float) and v != v else v for v in a.tolist()]

        return {
            "last_ms": self.last_ms,
            "recorded": self.recorded.tolist(),
            "chunks": [
                [c.end_ms, c.mmsi.tolist(), c.t.tolist(), c.lat.tolist(), c.lon.tolist(),
                 col(c.sog), col(c.cog)]
                for c in chunks
            ],
        }  # fmt: skip

    def load_state(self, obj: dict[str, Any]) -> None:
        def fcol(a: list[Any]) -> F64:
            return np.array([np.nan if v is None else v for v in a], dtype=np.float64)

        self.last_ms = obj.get("last_ms")
        self.recorded = np.array(obj.get("recorded", []), dtype=np.int64)
        self.chunks = deque(
            Chunk(int(e), np.array(m, dtype=np.int64), np.array(t, dtype=np.int64),
                  fcol(la), fcol(lo), fcol(s), fcol(c))
            for e, m, t, la, lo, s, c in obj.get("chunks", [])
        )  # fmt: skip
