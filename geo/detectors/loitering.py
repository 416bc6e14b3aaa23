"""``loitering``: a vessel slow for a long time at sea, outside port and anchorage zones.

"Slow" is speed over ground under ``loiter_speed_kn``. Without SOG (tables of positions only,
as Global Fishing Watch's fixtures) the speed is implied between fixes at least
``loiter_implied_min_s`` apart: satellite and merged feeds give fixes seconds apart whose
positions differ by a few hundred metres (two receivers, two position sources): 27 to 146 kn
between fixes of a vessel drifting at 0.3 kn in GFW's own encounter fixture, which split one
loitering into four. A SOG-less fix sooner than that after the vessel's *base* (its last fix
so judged) keeps the state the vessel is in. A run so judged begins at the base: the vessel was
slow from there (`LoiterDetector._opened`).

An episode opens at the first slow fix at sea and is reported, as an open event, once it has
lasted ``loiter_min_s``; the first fix that is fast, in a port or anchorage, after an AIS
gap, or where the vessel's reported position jumped to (``ctx.moved``: a position jump, or
another transmitter of a shared MMSI now followed; the vessel did not drift there) closes it
(an update with the same episode key). So does a fix further from where the run began than
its SOG allows (`drifted_too_far`): the positions, not a SOG stuck at 0, say it is under
way. Episodes that end sooner are forgotten: one event per episode, never one per message.

Vessels that stay in the same state (cruising, or already loitering) are handled in numpy,
and so are vessels that become slow in a slice part and stay so (`LoiterDetector._open_plain`);
Python runs only for the vessels whose state changes otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from geo.config import KNOT_MS, EngineConfig
from geo.detectors.base import (
    B,
    SliceContext,
    distance_m,
    distance_one_m,
    format_duration,
    haversine_m,
    nm,
)
from geo.events import Event, EventKind, Severity, format_time
from geo.geodesy import lat_lon_of, unit_vectors
from geo.tracker import Fleet


@dataclass(slots=True)
class Episode:
    """An open slow run of one vessel."""

    since: int
    last: int
    lon0: float
    lat0: float
    sx: float  # positions summed as unit vectors: their mean is right across ±180°
    sy: float
    sz: float
    n: int
    max_drift_m: float = 0.0
    emitted: bool = False
    zones: list[str] | None = None
    near: Any = None

    def add(self, v: list[float]) -> None:
        """Add a fix, as its row of `unit_vectors` (made for a whole slice at once)."""
        self.sx += v[0]
        self.sy += v[1]
        self.sz += v[2]
        self.n += 1

    def where(self) -> tuple[float, float]:
        """Mean position (lon, lat) of the fixes of the run."""
        lat, lon = lat_lon_of(np.array([[self.sx, self.sy, self.sz]]))
        return float(lon[0]), float(lat[0])


def _episode(obj: dict[str, Any]) -> Episode:
    """Rebuild an episode from a snapshot, also one written before vector sums."""
    if "sx" not in obj and "sum_lon" in obj:
        n = obj["n"]
        v = unit_vectors(obj["sum_lat"] / n, obj["sum_lon"] / n)[0] * n
        obj = {**obj, "sx": float(v[0]), "sy": float(v[1]), "sz": float(v[2])}
        obj.pop("sum_lon")
        obj.pop("sum_lat")
    return Episode(**obj)


def _drift_m(ep: Episode, ctx: SliceContext, i: int) -> float:
    """Fix ``i``'s distance from the run's start: the quiet path's figure (`haversine_m`).

    A vessel's fixes take the array path or this one depending on what else its part held,
    so both must give the same float, or a fix at the drift limit would end a run in one
    batching and not in another.
    """
    return distance_one_m(ep.lon0, ep.lat0, float(ctx.lon[i]), float(ctx.lat[i]))


def slow_mask(ctx: SliceContext, cfg: EngineConfig) -> B:
    """Slow fixes at sea: SOG (or implied speed) under the threshold, not in port or anchorage."""
    dt = (ctx.t - ctx.prev_t) / 1000.0
    implied = np.where(
        (ctx.prev_t >= 0) & (dt > 0),
        ctx.step_m() / np.maximum(dt, 1e-9) / KNOT_MS,
        np.inf,
    )
    speed = np.where(np.isnan(ctx.sog), implied, ctx.sog)
    return (speed < cfg.loiter_speed_kn) & ~ctx.supp


#: Quiet fixes of a part from which `LoiterDetector._extend_quiet` works in numpy.
QUIET_IN_NUMPY = 64


class LoiterDetector:
    """Open slow runs per vessel; see the module docstring."""

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self.runs: dict[int, Episode] = {}
        self.in_run = np.zeros(256, dtype=np.bool_)
        # Each open run's start (place, time) by slot, and whether it is still unreported:
        # what `process` needs of every run, as arrays (the episodes keep the rest).
        self.run_lon0 = np.zeros(256)
        self.run_lat0 = np.zeros(256)
        self.run_since = np.zeros(256, dtype=np.int64)
        self.pending = np.zeros(256, dtype=np.bool_)
        # A run's sums, fixes, last time and drift as columns by slot (`_extend_quiet`): where
        # ``hot``, these are the run's and its episode's are behind until `_synced`.
        self.q_sx, self.q_sy, self.q_sz = np.zeros(256), np.zeros(256), np.zeros(256)
        self.q_n = np.zeros(256, dtype=np.int64)
        self.q_last = np.zeros(256, dtype=np.int64)
        self.q_drift = np.zeros(256)
        self.hot = np.zeros(256, dtype=np.bool_)
        #: Vessels reporting without SOG: the fix their next implied speed is measured from.
        self.base: dict[int, tuple[int, float, float]] = {}
        self.has_base = np.zeros(256, dtype=np.bool_)

    def _ensure(self, n: int) -> None:
        if n > len(self.in_run):
            size = max(n, 2 * len(self.in_run))

            def grown(a: Any) -> Any:
                out = np.zeros(size, dtype=a.dtype)
                out[: len(a)] = a
                return out

            self.in_run, self.has_base = grown(self.in_run), grown(self.has_base)
            self.run_lon0, self.run_lat0 = grown(self.run_lon0), grown(self.run_lat0)
            self.run_since, self.pending = grown(self.run_since), grown(self.pending)
            self.q_sx, self.q_sy, self.q_sz = grown(self.q_sx), grown(self.q_sy), grown(self.q_sz)
            self.q_n, self.q_last, self.q_drift = (
                grown(self.q_n),
                grown(self.q_last),
                grown(self.q_drift),
            )
            self.hot = grown(self.hot)

    def _synced(self, s: int) -> Episode:
        """Return slot ``s``'s run, its episode brought up to its columns (`_extend_quiet`)."""
        ep = self.runs[s]
        if self.hot[s]:
            ep.sx, ep.sy, ep.sz = float(self.q_sx[s]), float(self.q_sy[s]), float(self.q_sz[s])
            ep.n, ep.last = int(self.q_n[s]), int(self.q_last[s])
            ep.max_drift_m = float(self.q_drift[s])
        return ep

    def _folded(self, s: int) -> Episode:
        """Return slot ``s``'s run to change one fix at a time: the episode holds it again."""
        ep = self._synced(s)
        self.hot[s] = False
        return ep

    def _sync_all(self) -> None:
        for s in np.flatnonzero(self.hot).tolist():
            if s in self.runs:
                self._synced(s)

    def _track(self, s: int, ep: Episode) -> None:
        """Hold run ``ep`` of slot ``s`` (opened, or read from a snapshot)."""
        self.runs[s] = ep
        self.in_run[s] = True
        self.run_lon0[s], self.run_lat0[s], self.run_since[s] = ep.lon0, ep.lat0, ep.since
        self.pending[s] = not ep.emitted

    def process(
        self, ctx: SliceContext, fleet: Fleet, describe: Callable[[float, float], Any]
    ) -> list[Event]:
        """Return loitering events (opened or closed) of a slice part."""
        self._ensure(len(fleet))
        cfg = self.cfg
        slow = slow_mask(ctx, cfg)
        running = self.in_run[ctx.slot]
        moved = ctx.moved > 0 if len(ctx.moved) == len(ctx) else np.zeros(len(ctx), np.bool_)
        # fixes without SOG, and every fix of a vessel judged from its base, one by one
        change = (slow != running) | ctx.gap | moved | np.isnan(ctx.sog) | self.has_base[ctx.slot]
        if running.any():
            due = self.pending[ctx.slot] & (
                ctx.t - self.run_since[ctx.slot] >= cfg.loiter_min_s * 1000
            )
            change |= running & due
        events: list[Event] = []
        groups, opened = self._open_plain(ctx, change, slow, running, moved)
        handled = np.zeros(len(ctx), dtype=np.bool_)
        for a, b in groups:
            handled[a:b] = True
        quiet = (running & ~handled) | opened
        q = np.flatnonzero(quiet)
        # A quiet fix extends its vessel's run unless it drifted too far (`drifted_too_far`:
        # the same figures for all of them at once; thousands a part in a port).
        qs, qt = ctx.slot[q], ctx.t[q]
        drift = haversine_m(self.run_lon0[qs], self.run_lat0[qs], ctx.lon[q], ctx.lat[q])
        over = drift > self.allowed_drift_m(qt - self.run_since[qs])  # type: ignore[arg-type]
        qfirst = np.ones(len(q), dtype=np.bool_)
        qfirst[1:] = qs[1:] != qs[:-1]
        qstarts = np.flatnonzero(qfirst)
        # A vessel with a fix that drifted too far goes fix by fix, as a vessel that changes.
        stepped = np.zeros(len(q), dtype=np.bool_)
        if over.any():
            stepped = np.repeat(
                np.logical_or.reduceat(over, qstarts), np.diff(qstarts, append=len(q))
            )
        rows = np.concatenate([np.flatnonzero(handled), q[stepped]])
        if not rows.size and not q.size:
            return events
        # The fixes' unit vectors (a run's mean position), for all of them at once.
        xyz = dict(
            zip(rows.tolist(), unit_vectors(ctx.lat[rows], ctx.lon[rows]).tolist(), strict=True)
        )
        for a, b in groups:
            for i in range(a, b):
                jumped = bool(moved[i])
                is_slow, base = self._slow(ctx, i, bool(slow[i]), jumped)
                self._step(ctx, i, is_slow, jumped, describe, events, xyz[i], base)
        for i in q[stepped].tolist():  # from the run's start then (a step may start anew)
            ep = self._folded(int(ctx.slot[i]))
            if self.drifted_too_far(ep, ctx, i):
                self._step(ctx, i, True, False, describe, events, xyz[i])
            else:
                self._extend(ep, ctx, i, xyz[i])
        self._extend_quiet(q[~stepped], qs[~stepped], qt[~stepped], drift[~stepped], ctx)
        return events

    def _open_plain(
        self, ctx: SliceContext, change: B, slow: B, running: B, moved: B
    ) -> tuple[list[tuple[int, int]], B]:
        """Open, in arrays, the runs of vessels that become slow in a part and stay so.

        A vessel not in a run, with SOG on every fix and no base, whose fixes from its first
        slow one are all slow, without a silence or a jump, within the drift allowed and
        short of ``loiter_min_s``: fix by fix, the first slow fix opens the run (the fixes
        before it do nothing) and every later one extends it as a quiet fix does. So the run
        is opened here and the later fixes are returned as quiet ones (`_extend_quiet` adds
        them, in the same order and to the same floats). On `bench.cli`'s real capture two
        thirds of the fixes that changed state were such (moored vessels heard for the
        first time, 11k of 16k), one at a time 0.07 s.

        Returns the groups that change otherwise (fix by fix), and the later fixes of the runs
        opened here (quiet).
        """
        n = len(ctx)
        opened = np.zeros(n, dtype=np.bool_)
        if not change.any():
            return [], opened
        starts, ends = ctx.starts[:-1], ctx.starts[1:]
        hit = np.logical_or.reduceat(change, starts)
        g = ctx.group()
        at = np.arange(n)
        first_slow = np.minimum.reduceat(np.where(slow, at, n), starts)
        k = np.minimum(first_slow, n - 1)[g]  # each row's group's first slow fix
        later = at > k
        elapsed = ctx.t - ctx.t[k]
        spoilt = np.isnan(ctx.sog) | (later & (~slow | ctx.gap | moved))
        spoilt |= (at >= k) & (elapsed >= self.cfg.loiter_min_s * 1000)
        plain = (
            hit
            & (first_slow < ends)
            & ~running[starts]
            & ~self.has_base[ctx.slot[starts]]
            & ~np.logical_or.reduceat(spoilt, starts)
        )
        if plain.any():  # and every later fix within the drift allowed from the first
            r = np.flatnonzero(later & plain[g])
            kr = k[r]
            drift = haversine_m(ctx.lon[kr], ctx.lat[kr], ctx.lon[r], ctx.lat[r])
            plain[g[r[drift > self.allowed_drift_m(elapsed[r])]]] = False  # type: ignore[arg-type]
        changed = hit & ~plain
        groups = list(zip(starts[changed].tolist(), ends[changed].tolist(), strict=True))
        if not plain.any():
            return groups, opened
        rows = first_slow[plain]
        opened = later & plain[g]
        s = ctx.slot[rows]
        t, lon, lat = ctx.t[rows], ctx.lon[rows], ctx.lat[rows]
        for si, ti, lo, la in zip(s.tolist(), t.tolist(), lon.tolist(), lat.tolist(), strict=True):
            self.runs[si] = Episode(ti, ti, lo, la, 0.0, 0.0, 0.0, 1)  # its columns hold it
        self.in_run[s] = self.pending[s] = self.hot[s] = True
        self.run_lon0[s], self.run_lat0[s], self.run_since[s] = lon, lat, t
        xyz = unit_vectors(lat, lon)
        # `Episode.add` of the first fix to a run of none: 0.0 plus each (so -0.0 is 0.0)
        self.q_sx[s], self.q_sy[s], self.q_sz[s] = 0.0 + xyz[:, 0], 0.0 + xyz[:, 1], 0.0 + xyz[:, 2]
        self.q_n[s], self.q_last[s], self.q_drift[s] = 1, t, 0.0
        return groups, opened

    def _extend_quiet(self, q: Any, qs: Any, qt: Any, drift: Any, ctx: SliceContext) -> None:
        """Extend the runs of vessels whose every fix of the part stays within their drift.

        In numpy, on the runs' columns (``hot``), which the episodes catch up with when next
        looked at (`_synced`): 166k quiet fixes in 119k vessels' parts of `bench.cli`'s real
        capture (ships moored or anchored outside the shipped zones) took 0.08 s one at a
        time. The sums are added fix by fix in time order, one vessel's fixes one rank at a
        time, as one at a time did: the same floats whatever the batches (a run's mean
        position is in its events, which must not depend on how the feed was cut).
        """
        if not len(q):
            return
        xyz = unit_vectors(ctx.lat[q], ctx.lon[q])
        if len(q) < QUIET_IN_NUMPY:  # a few: one at a time costs less, and adds the same
            cols = (qs.tolist(), qt.tolist(), xyz.tolist(), drift.tolist())
            for s, t, v, d in zip(*cols, strict=True):
                ep = self._folded(s)
                ep.last = t
                ep.add(v)
                ep.max_drift_m = max(ep.max_drift_m, d)
            return
        first = np.ones(len(q), dtype=np.bool_)
        first[1:] = qs[1:] != qs[:-1]
        starts = np.flatnonzero(first)
        sl = qs[starts]
        for s in sl[~self.hot[sl]].tolist():  # runs changed one fix at a time: their episode's
            ep = self.runs[s]
            self.q_sx[s], self.q_sy[s], self.q_sz[s] = ep.sx, ep.sy, ep.sz
            self.q_n[s], self.q_last[s], self.q_drift[s] = ep.n, ep.last, ep.max_drift_m
        self.hot[sl] = True
        sizes = np.diff(starts, append=len(q))
        ends = starts + sizes - 1
        self.q_n[sl] += sizes
        self.q_last[sl] = qt[ends]
        self.q_drift[sl] = np.maximum(self.q_drift[sl], np.maximum.reduceat(drift, starts))
        # The r-th fix of every vessel that has one, r = 0, 1, ...: ranks sorted once.
        rank = np.arange(len(q)) - np.repeat(starts, sizes)
        order = np.argsort(rank, kind="stable")
        bounds = np.searchsorted(rank[order], np.arange(int(rank.max()) + 2)).tolist()
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=False):
            at = order[lo:hi]
            s = qs[at]
            self.q_sx[s] += xyz[at, 0]
            self.q_sy[s] += xyz[at, 1]
            self.q_sz[s] += xyz[at, 2]

    def drifted_too_far(self, ep: Episode, ctx: SliceContext, i: int) -> bool:
        """Whether fix ``i`` is further from the run's start than a slow vessel could be.

        1.5 times the threshold speed over the time since the start, plus
        ``loiter_drift_slack_nm``: currents and wind move a drifting vessel, never faster than
        the speed that defines it as slow.
        """
        allowed_m = self.allowed_drift_m(int(ctx.t[i]) - ep.since)
        return _drift_m(ep, ctx, i) > allowed_m

    def allowed_drift_m(self, elapsed_ms: int) -> float:
        """How far from its start a run may drift in ``elapsed_ms`` (`drifted_too_far`)."""
        cfg = self.cfg
        return 1.5 * cfg.loiter_speed_kn * KNOT_MS * (elapsed_ms / 1000.0) + (
            cfg.loiter_drift_slack_nm * 1852.0
        )

    def _slow(
        self, ctx: SliceContext, i: int, by_prev: bool, moved: bool
    ) -> tuple[bool, tuple[int, float, float] | None]:
        """Whether fix ``i`` is slow: by its SOG, else by the speed implied since its base.

        A fix the position jumped to has no base: without SOG it is not slow until a fix far
        enough after it says so. Also returns the base a slow implied speed was measured from:
        the vessel was slow from there, so a run this fix opens begins there (`_opened`).
        """
        s = int(ctx.slot[i])
        t, lon, lat = int(ctx.t[i]), float(ctx.lon[i]), float(ctx.lat[i])
        if not np.isnan(ctx.sog[i]) or ctx.prev_t[i] < 0 or ctx.supp[i] or moved:
            if s in self.base:
                del self.base[s]
                self.has_base[s] = False
            if np.isnan(ctx.sog[i]) and not ctx.supp[i]:  # a first fix: the base from now on
                self.base[s] = (t, lon, lat)
                self.has_base[s] = True
                return by_prev and not moved, None
            return by_prev, None
        base = self.base.get(s)
        if base is None:  # the first fix without SOG: measured from the fix before it
            base = (int(ctx.prev_t[i]), float(ctx.prev_lon[i]), float(ctx.prev_lat[i]))
            self.has_base[s] = True
        dt = (t - base[0]) / 1000.0
        if dt < self.cfg.loiter_implied_min_s:
            self.base[s] = base
            return s in self.runs, None  # too soon to tell: as it was
        self.base[s] = (t, lon, lat)
        if distance_m(base[1], base[2], lon, lat) / dt / KNOT_MS >= self.cfg.loiter_speed_kn:
            return False, None
        return True, base

    @staticmethod
    def _extend(ep: Episode, ctx: SliceContext, i: int, v: list[float]) -> None:
        ep.last = int(ctx.t[i])
        ep.add(v)
        ep.max_drift_m = max(ep.max_drift_m, _drift_m(ep, ctx, i))

    def _step(
        self,
        ctx: SliceContext,
        i: int,
        slow: bool,
        moved: bool,
        describe: Callable[[float, float], Any],
        events: list[Event],
        v: list[float],
        base: tuple[int, float, float] | None = None,
    ) -> None:
        s = int(ctx.slot[i])
        ep = self._folded(s) if s in self.runs else None
        if ep is not None and (ctx.gap[i] or moved or not slow or self.drifted_too_far(ep, ctx, i)):
            self._close(s, ep, int(ctx.mmsi[i]), events)
            ep = None
        if not slow:
            return
        t = int(ctx.t[i])
        if ep is None:
            ep = self._opened(ctx, i, v, base)
            self._track(s, ep)
        else:
            self._extend(ep, ctx, i, v)
        if not ep.emitted and t - ep.since >= self.cfg.loiter_min_s * 1000:
            ep.emitted = True
            self.pending[s] = False
            ep.zones = ctx.zone_names(i)
            ep.near = describe(*ep.where())
            events.append(self._event(ep, int(ctx.mmsi[i]), None))

    def _opened(
        self, ctx: SliceContext, i: int, v: list[float], base: tuple[int, float, float] | None
    ) -> Episode:
        """Return the run fix ``i`` opens; without SOG, from the base it was judged slow from.

        Two positions an hour apart a few metres from each other say the vessel was slow for
        that hour, from the first (GFW's loitering test: two reports 1 h apart, one loitering
        of that hour); opened at the second, the run was an hour short. Not across a silence
        (``ctx.gap``): nothing was seen of it then.
        """
        t, lon, lat = int(ctx.t[i]), float(ctx.lon[i]), float(ctx.lat[i])
        if base is None or ctx.gap[i]:
            ep = Episode(t, t, lon, lat, 0.0, 0.0, 0.0, 0)
        else:
            ep = Episode(base[0], t, base[1], base[2], 0.0, 0.0, 0.0, 0)
            ep.add(unit_vectors(np.array([base[2]]), np.array([base[1]])).tolist()[0])
            ep.max_drift_m = distance_one_m(base[1], base[2], lon, lat)
        ep.add(v)
        return ep

    def _close(self, s: int, ep: Episode, mmsi: int, events: list[Event]) -> None:
        del self.runs[s]
        self.in_run[s] = self.pending[s] = False
        if ep.emitted:
            events.append(self._event(ep, mmsi, ep.last))

    def _event(self, ep: Episode, mmsi: int, end: int | None) -> Event:
        dur = ((end if end is not None else ep.last) - ep.since) / 1000.0
        lon, lat = ep.where()
        # Outside every zone nothing here says where the vessel is: "open sea" was said of
        # vessels moored in ports the shipped coast does not cover (a US extract's harbour).
        where = f" in {', '.join(ep.zones)}" if ep.zones else ""
        details: dict[str, Any] = {
            "duration_s": round(dur, 1),
            "duration": format_duration(dur),
            "fixes": ep.n,
            "max_drift_nm": nm(ep.max_drift_m),
            "speed_threshold_kn": self.cfg.loiter_speed_kn,
            "zones": ep.zones or [],
            "near": ep.near,
            "summary": (
                f"slow (< {self.cfg.loiter_speed_kn:g} kn) for {format_duration(dur)}{where}"
            ),
        }
        if end is None:
            details["summary"] += " (ongoing)"
            details["ongoing_until"] = format_time(ep.last)  # last slow fix so far
        return Event(
            EventKind.LOITERING, mmsi, ep.since, end, lat, lon, Severity.MEDIUM, details=details
        )

    def ongoing(self, fleet: Fleet) -> list[Event]:
        """Return the present version of every reported episode still open (end of a capture)."""
        self._sync_all()
        return [
            self._event(ep, fleet.mmsi[s], None)
            for s, ep in sorted(self.runs.items())
            if ep.emitted
        ]

    def open_since(self, slot: int) -> int | None:
        """Start of a vessel's open slow run, if any."""
        ep = self.runs.get(slot)
        return ep.since if ep else None

    def to_state(self) -> dict[str, Any]:
        self._sync_all()
        return {
            "runs": {str(s): asdict(ep) for s, ep in self.runs.items()},
            "base": {str(s): list(b) for s, b in self.base.items()},
        }

    def load_state(self, obj: dict[str, Any], n_slots: int) -> None:
        self._ensure(n_slots)
        self.runs = {}
        self.hot[:] = False
        for s, ep in obj["runs"].items():
            self._track(int(s), _episode(ep))
        self.base = {
            int(s): (int(b[0]), float(b[1]), float(b[2])) for s, b in obj.get("base", {}).items()
        }
        for s in self.base:
            self.has_base[s] = True
