"""``encounter``: two vessels close together, both slow, for a sustained time, outside ports.

The definition is on time and distance, never on report counts, so it holds on any sampling
(terrestrial AIS every few seconds, satellite AIS every half hour): two vessels are *together*
at a time when their positions at that time are within ``encounter_distance_m`` and both were
slow (under ``encounter_speed_kn``) and outside port and anchorage zones.

Positions at common times. Two vessels never report at the same instant, so each vessel's track
is resampled on a common grid (multiples of ``slice_s``, one minute; Global Fishing Watch
resamples to 10 minutes for the same reason): every accepted fix adds the vessel's positions at
the grid times since its previous fix, on the great circle between the two fixes at constant
speed (`geo.geodesy.interpolate_track`). That needs the two fixes at most ``interp_max_s``
apart (3 h): a slow vessel (under 2 kn at both ends) can stray at most ``v * gap / 2`` from the
chord, and no more is assumed. After a longer silence, and at a vessel's first fix, the fix
itself stands for its grid minute. A resampled position is a candidate when the vessel was slow
and outside ports at both fixes around it (a vessel that stopped alongside between two fixes an
hour apart, one of them fast, is not claimed to have been there all hour).

At every slice end the new candidates are matched with every candidate of the same grid time:
a sweep over unit vectors, every grid time's at once, each grid time's candidates kept sorted
for the next (`geo.detectors.encounter_points.match`), so the search has no seam at ±180° and no
singularity at the poles. A vessel's candidates for a grid
time arrive with its first fix after that time, so a sparse vessel's pairs are found up to
``interp_max_s`` late (live alerts on a dense feed come within one report interval).

A pair together starts an episode; it is reported (open) once it has lasted
``encounter_min_s`` and closed (an update of the same episode key, ``end`` the last time seen
together) when both vessels have been heard for ``encounter_break_s`` past that time without
being together again, or when nothing can bring them together within the break any more (no
fix for ``interp_max_s + encounter_break_s``). A vessel unheard for a while is not apart: when
it reports again the resampled positions fill the silence, and a pair together on both sides of
it stays one episode. Past what interpolation bridges (a satellite feed's eight hours without
either vessel), a reported episode given up while neither was heard apart is set aside, and a
pair together again within ``encounter_stitch_s`` is the same meeting: reopened, same key,
``details.unheard_s`` the silence inside it (Global Fishing Watch merges a pair's encounters
the same way; its test data, `tests/data/peers/`, is one meeting of 12.5 h around 8 h in which
neither vessel was heard). The event is keyed on the lower MMSI, ``other_mmsi`` is the
higher, and ``details`` carries both identities.

What no sampling can show: an encounter shorter than ``encounter_min_s`` plus about two report
intervals (e.g. 20 min seen by one fix of each vessel, or under 2 h 20 min at one fix an hour):
the resampled positions are together only between both vessels' first and last fixes inside it.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

import numpy as np

from geo.config import KNOT_MS, EngineConfig
from geo.detectors.base import (
    I64,
    Describer,
    SliceContext,
    describe_place,
    format_duration,
    haversine_m,
)
from geo.detectors.encounter_pairs import (
    PAIR_FIELDS,
    Key,
    Observations,
    Pair,
    PairTable,
    pack,
)
from geo.detectors.encounter_points import Points, match, sweep_rank
from geo.events import Event, EventKind, Severity, format_time
from geo.geodesy import chord_of_m, interpolate_track, unit_vectors
from geo.tracker import Fleet


def _cat(parts: list[Points]) -> Points:
    return Points(
        np.concatenate([p.slot for p in parts]),
        np.concatenate([p.lat for p in parts]),
        np.concatenate([p.lon for p in parts]),
    )


class EncounterDetector:
    """Encounter candidates by pair of MMSIs; see the module docstring."""

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self.pairs = PairTable()
        #: Reported episodes given up while both vessels were unheard: the same meeting if they
        #: are together again within ``encounter_stitch_s`` (see `tick`).
        self.unheard: dict[tuple[int, int], Pair] = {}
        self.points: dict[int, Points] = {}  # grid time (ms) -> candidates already matched
        self.new: list[tuple[I64, Points]] = []  # candidates not matched yet, with grid times

    @property
    def _grid_ms(self) -> int:
        return int(self.cfg.slice_s * 1000)

    # -- resampling ------------------------------------------------------------------------------

    def process(self, ctx: SliceContext) -> None:
        """Resample a slice part's fixes on the grid; keep the slow ones for the slice end."""
        cfg = self.cfg
        if not len(ctx):
            return
        g = self._grid_ms
        t, pt = ctx.t, ctx.prev_t
        span_s = (t - pt) / 1000.0
        has_prev = (pt >= 0) & (span_s > 0)
        interp = has_prev & (span_s <= cfg.interp_max_s)
        implied = np.where(
            has_prev,
            ctx.step_m() / np.where(has_prev, span_s, 1.0) / KNOT_MS,
            np.inf,
        )
        sog = np.where(np.isnan(ctx.sog), implied, ctx.sog)
        psog = np.where(np.isnan(ctx.prev_sog), implied, ctx.prev_sog)
        slow = (sog < cfg.encounter_speed_kn) & ~ctx.supp
        slow_before = (psog < cfg.encounter_speed_kn) & ~ctx.prev_supp
        last_k = t // g
        first_k = np.where(interp, pt // g + 1, last_k)
        cand = np.where(interp, slow & slow_before, slow)
        count = np.where(cand, last_k - first_k + 1, 0)
        if not count.any():
            return
        rows = np.repeat(np.arange(len(t)), count)
        offs = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
        gt = (first_k[rows] + offs) * g
        ip = interp[rows]
        lat0 = np.where(ip, ctx.prev_lat[rows], ctx.lat[rows])
        lon0 = np.where(ip, ctx.prev_lon[rows], ctx.lon[rows])
        t0 = np.where(ip, pt[rows], t[rows])
        lat, lon = interpolate_track(
            t0, lat0, lon0, t[rows], ctx.lat[rows], ctx.lon[rows], gt.astype(np.float64)
        )
        self.new.append((gt.astype(np.int64), Points(ctx.slot[rows].astype(np.int64), lat, lon)))

    # -- matching --------------------------------------------------------------------------------

    def _observations(self, fleet: Fleet) -> Observations | None:
        """Match the new candidates with their grid time's others (None: no pair together).

        In order of (time, lo, hi); a pair's several observations at one time (a vessel twice at
        a time) in the order the sweep of all the grid time's candidates found them
        (`sweep_rank`), as before the candidates were kept sorted.
        """
        if not self.new:
            return None
        gt = np.concatenate([g for g, _ in self.new])
        pts = _cat([p for _, p in self.new])
        self.new = []
        order = np.argsort(gt, kind="stable")
        gt = gt[order]
        pts = Points(pts.slot[order], pts.lat[order], pts.lon[order])
        pts.v = unit_vectors(pts.lat, pts.lon).T  # row by row: the same figures as a time's alone
        reach = chord_of_m(self.cfg.encounter_distance_m) * (1.0 + 1e-9)
        m = match(self.points, gt, pts, reach)
        at, i, j = m.at, m.i, m.j
        keep = m.slot[i] != m.slot[j]
        at, i, j = at[keep], i[keep], j[keep]
        d = haversine_m(m.lon[i], m.lat[i], m.lon[j], m.lat[j])
        close = d <= self.cfg.encounter_distance_m
        at, i, j, d = at[close], i[close], j[close], d[close]
        if not len(i):
            return None
        si, sj = m.slot[i], m.slot[j]
        ma, mb = fleet.mmsi_col[si], fleet.mmsi_col[sj]
        swap = mb < ma
        lo, hi = np.where(swap, mb, ma), np.where(swap, ma, mb)
        s0, s1 = np.where(swap, sj, si), np.where(swap, si, sj)
        when_of = np.array(m.whens, np.int64)[at]
        key = pack(lo, hi)
        # by (time, lo, hi), stably: grid times are few (a radix sort), pairs many; and by pair
        # then time for `PairTable.absorb`, from the same sorts
        small = at.astype(np.int16) if len(m.whens) <= 2**15 else at
        by_pair = np.argsort(small, kind="stable")
        by_pair = by_pair[np.argsort(key[by_pair], kind="stable")]
        order = by_pair[np.argsort(small[by_pair], kind="stable")]
        w, k = when_of[order], key[order]
        if np.any((w[1:] == w[:-1]) & (k[1:] == k[:-1])):
            # rare, a vessel twice at a time: its pairs in the order the full sweep found them
            ri, rj = sweep_rank(m, i), sweep_rank(m, j)
            order = np.lexsort((np.maximum(ri, rj), np.minimum(ri, rj), key, when_of))
            by_pair = order[np.argsort(key[order], kind="stable")]
        rank = np.empty(len(order), np.intp)
        rank[order] = np.arange(len(order))
        i, j = i[order], j[order]
        x, y, z = (m.v[r, i] + m.v[r, j] for r in range(3))
        return Observations(
            when_of[order],
            lo[order],
            hi[order],
            s0[order],
            s1[order],
            d[order],
            x,
            y,
            z,
            by_pair=rank[by_pair],
        )

    def tick(self, boundary_ms: int, fleet: Fleet, say: Describer) -> list[Event]:
        """Match the slice's new candidates, update episodes, close those that ended.

        The observations that only extend an episode update the pairs' columns at once
        (`PairTable.absorb`); the rules (`_apply`) decide the others, one by one in time order.
        """
        cfg = self.cfg
        events: list[Event] = []
        brk = int(cfg.encounter_break_s * 1000)
        give_up = int((cfg.interp_max_s + cfg.encounter_break_s) * 1000)
        obs = self._observations(fleet)
        if obs is not None:
            self._match(obs, events, say)
        heard = self.pairs.heard(fleet)
        last = self.pairs.cols["last"]
        ended = (heard - last > brk) | (boundary_ms - last > give_up)
        if ended.any():
            # heard apart, or past what can bring them together: closed
            idx = np.flatnonzero(ended & self.pairs.cols["emitted"])
            for (key, p), until in zip(self.pairs.pairs(idx), heard[idx].tolist(), strict=True):
                events.append(self._event(key, p, p.last))
                if until - p.last <= brk:  # given up unheard: nothing showed them apart
                    p.quiet0, p.quiet1 = self._last_fixes(key, fleet)
                    p.back = -1
                    self.unheard[key] = p
            self.pairs.put(~ended)
        self._forget_unheard(boundary_ms, fleet)
        horizon = boundary_ms - give_up - 2 * self._grid_ms
        for when in [w for w in self.points if w < horizon]:
            del self.points[when]
        return events

    def _match(self, obs: Observations, events: list[Event], say: Describer) -> None:
        """Update the pairs with a slice end's observations, adding the events they make."""
        brk = int(self.cfg.encounter_break_s * 1000)
        min_ms = math.ceil(self.cfg.encounter_min_s * 1000)  # an integer span reaches it when ≥
        aside = np.array([pack(a, b) for a, b in self.unheard], np.int64)
        left, pairs, slots = self.pairs.absorb(obs, brk, min_ms, aside)
        self._apply(obs, left, pairs, events, say)
        self.pairs.put(np.ones(len(self.pairs), bool), PairTable.rows(pairs, slots))

    def _apply(
        self,
        obs: Observations,
        idx: I64,
        pairs: dict[Key, Pair],
        events: list[Event],
        say: Describer,
    ) -> None:
        """Apply observations ``idx`` to ``pairs`` one by one: breaks, reports and stitches."""
        cfg = self.cfg
        brk = int(cfg.encounter_break_s * 1000)
        give_up = int((cfg.interp_max_s + cfg.encounter_break_s) * 1000)
        stitch = int(cfg.encounter_stitch_s * 1000)
        revived: list[tuple[Key, Pair]] = []
        cols = (obs.when, obs.lo, obs.hi, obs.dist, obs.x, obs.y, obs.z)
        for when, lo, hi, dist, x, y, z in zip(*(c[idx].tolist() for c in cols), strict=True):
            key = (lo, hi)
            p = pairs.get(key)
            if p is not None and when - p.last > brk:
                if p.emitted and give_up < when - p.last <= stitch:
                    # both unheard past any interpolation (no slice end saw them heard apart):
                    # together again, the same meeting
                    p.unheard_ms += when - p.last
                    revived.append((key, p))
                else:
                    del pairs[key]  # apart in between
                    if p.emitted:
                        events.append(self._event(key, p, p.last))
                    p = None
            if p is None:
                p = self.unheard.pop(key, None)
                if p is not None and when - p.last <= stitch:
                    p.unheard_ms += when - p.last
                    p.back = -1
                    revived.append((key, p))
                else:
                    p = Pair(when, when, 0, 0.0, 0.0, 0.0, dist, 0.0)
                pairs[key] = p
            p.start = min(p.start, when)
            p.last = max(p.last, when)
            p.n += 1
            p.sx += x
            p.sy += y
            p.sz += z
            p.sum_m += dist
            p.min_m = min(p.min_m, dist)
            if not p.emitted and p.last - p.start >= cfg.encounter_min_s * 1000:
                p.emitted = True
                p.details = self._details(key, p, say)
                events.append(self._event(key, p, None))
        # Reopened: its present version now, unless it broke again since (then it was closed,
        # and the pair open under its key is another episode, reported when it qualifies).
        for key, p in {id(p): (key, p) for key, p in revived}.values():
            if pairs.get(key) is p:
                events.append(self._event(key, p, None))

    def _forget_unheard(self, boundary_ms: int, fleet: Fleet) -> None:
        """Drop episodes set aside unheard once they cannot be the same meeting any more.

        Past ``encounter_stitch_s``; or once both vessels, heard again, have been heard for
        ``interp_max_s + encounter_break_s`` without being together (a sparse vessel's
        positions reach the grid up to ``interp_max_s`` after the time they stand for).
        """
        cfg = self.cfg
        stitch = int(cfg.encounter_stitch_s * 1000)
        allow = int((cfg.interp_max_s + cfg.encounter_break_s) * 1000)
        for key in sorted(self.unheard):
            p = self.unheard[key]
            t0, t1 = self._last_fixes(key, fleet)
            if p.back < 0 and t0 > p.quiet0 and t1 > p.quiet1:
                p.back = min(t0, t1)  # both heard again
            if boundary_ms - p.last > stitch or (p.back >= 0 and min(t0, t1) - p.back > allow):
                del self.unheard[key]

    @staticmethod
    def _last_fixes(key: tuple[int, int], fleet: Fleet) -> tuple[int, int]:
        """Each vessel's last fix time (-1: never heard)."""
        out = []
        for m in key:
            slot = fleet.slot_of.get(m)
            out.append(-1 if slot is None else int(fleet.t[slot]))
        return out[0], out[1]

    # -- events ----------------------------------------------------------------------------------

    def _details(self, key: tuple[int, int], p: Pair, say: Describer) -> dict[str, Any]:
        lat, lon = p.where()
        return {
            "vessel": say.vessel(key[0]),
            "other": say.vessel(key[1]),
            "near": say.place(lon, lat),
            "zones": say.zones_at_point(lon, lat),
        }

    def _event(self, key: tuple[int, int], p: Pair, end: int | None) -> Event:
        assert p.details is not None
        dur = (p.last - p.start) / 1000.0
        details = dict(p.details)
        details.update(
            {
                "duration_s": round(dur, 1),
                "duration": format_duration(dur),
                "min_distance_m": round(p.min_m),
                "mean_distance_m": round(p.sum_m / p.n),
                "observations": p.n,
                "resampled_every_s": self.cfg.slice_s,
            }
        )
        if p.unheard_ms:
            details["unheard_s"] = round(p.unheard_ms / 1000.0, 1)
        if end is None:
            details["ongoing_until"] = format_time(p.last)  # last seen together so far
        where = describe_place(details.get("near"))
        details["summary"] = (
            f"encounter of {key[0]} with {key[1]} for {format_duration(dur)}"
            + (f", {where}" if where else "")
            + ("" if end is not None else " (ongoing)")
        )
        lat, lon = p.where()
        return Event(
            EventKind.ENCOUNTER,
            key[0],
            p.start,
            end,
            lat,
            lon,
            Severity.HIGH,
            other_mmsi=key[1],
            details=details,
        )

    def ongoing(self) -> list[Event]:
        """Return the present version of every reported episode still open (end of a capture)."""
        shown = np.flatnonzero(self.pairs.cols["emitted"])
        return [self._event(key, p, None) for key, p in self.pairs.pairs(shown)]

    # -- snapshot --------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        def pts(p: Points) -> list[list[Any]]:
            return [c.tolist() for c in p.arrived()]

        return {
            "pairs": self.pairs.to_state(),
            "unheard": [[a, b, asdict(p)] for (a, b), p in sorted(self.unheard.items())],
            "points": [[w, *pts(p)] for w, p in sorted(self.points.items())],
            "new": [[g.tolist(), *pts(p)] for g, p in self.new],
        }

    def load_state(self, obj: dict[str, Any]) -> None:
        names = set(PAIR_FIELDS)
        pairs = {}
        for a, b, p in obj["pairs"]:
            if "sx" not in p and "sum_lon" in p:  # a snapshot from before the vector sums
                v = unit_vectors(p["sum_lat"] / p["n"], p["sum_lon"] / p["n"])[0] * p["n"]
                p = {**p, "sx": float(v[0]), "sy": float(v[1]), "sz": float(v[2])}
            pairs[(int(a), int(b))] = Pair(**{k: v for k, v in p.items() if k in names})
        self.pairs = PairTable()
        self.pairs.put(np.zeros(0, bool), PairTable.rows(pairs, {}))  # slots: looked up
        self.unheard = {
            (int(a), int(b)): Pair(**{k: v for k, v in p.items() if k in names})
            for a, b, p in obj.get("unheard", [])
        }

        def pts(s: list[int], la: list[float], lo: list[float]) -> Points:
            return Points(np.array(s, np.int64), np.array(la, float), np.array(lo, float))

        self.points = {int(w): pts(s, la, lo) for w, s, la, lo in obj.get("points", [])}
        self.new = [(np.array(g, np.int64), pts(s, la, lo)) for g, s, la, lo in obj.get("new", [])]
