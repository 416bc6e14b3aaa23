"""``ais_gap``: a vessel at sea silent for far longer than its class, speed and sampling require.

The threshold is ``max(k x expected report interval, floor, gap_sampling_k x the vessel's own
report interval)`` (see `EngineConfig` for the numbers and why). The expected interval is taken
at the last fix before the silence, from ITU-R M.1371-5 Table 1 (class A) and Table 2 (class B
"CS"). The vessel's own interval is what the feed actually delivers of it: the decaying maximum
of its recent report intervals, each capped at ``gap_sampling_cap_s`` (`geo.tracker.sampling_at`).
A maximum, because satellite AIS comes in passes (a few reports seconds apart, then an hour and
a half of nothing) and the silence between passes is the sampling; decaying, so a vessel that
comes into terrestrial range is held to its new sampling within hours; capped, so a gap does not
excuse the next one for long. Gaps themselves are not sampling (a vessel that goes dark twice is
held to its usual sampling both times). Before a vessel has been watched for ``gap_floor_s``
or ``gap_sampling_min_fixes`` fixes (its first satellite pass, say) its own sampling is unknown
and the feed's is taken (`GapDetector.feed_sampling_s`: seconds on a terrestrial feed, an hour
on a satellite one).

Satellite AIS (`geo.silence_rule.sampling_threshold_s`). Six intervals is right for a feed that
hears a vessel steadily, and wrong for one that hears it by satellite passes: a vessel heard at
every pass for hours is then missed for eight or nine, passes lost in a row to the
constellation's geometry and to collisions (GFW's encounter test data, `tests/data/peers/`: two
vessels alongside, heard every hour or so, then neither for 8 h). Revisit holes have a long tail
that a vessel's recent intervals do not show. So a vessel the feed hears once in
``gap_sparse_sampling_s`` (45 min) or less often, and one of which nothing is known yet, is dark
only after ``gap_sparse_floor_s`` (12 h): Global Fishing Watch's minimum gap, chosen from the
twice-daily cycle of satellite coverage (Welch et al. 2022, "Hot spots of unseen fishing
vessels"; Skylight's 6 h is for terrestrial-and-satellite feeds that hear a vessel more often).
GFW asks, besides, for good reception where the gap starts (over 10 positions a day in the cell)
and 14 positions in the 12 h before it; Mare's counterparts are the coverage verdict below and
the vessel's own sampling. An extract of one report in 5 or 10 minutes keeps its six intervals
(30 min to 2 h).

A vessel heard only once (``gap_min_fixes``) has no silence to speak of: nothing showed it
transmitting, and one report of a ship never heard again is what a receiver's fringe, or a
night of ducting, hands a feed every hour (a capture of sample messages is all such vessels).
Global Fishing Watch likewise counts a gap only for a vessel with a track of regular positions
before it.

A gap is reported once, when the vessel reappears (duration, distance, implied speed); in live
mode an open "went dark" alert with the same episode key is raised at the first slice end after
the threshold passed, and the closing event updates it.

Every gap carries ``details.coverage`` (`geo.coverage.CoverageAt`): how well the receivers hear
the place where the vessel vanished and the way it was going, learned from the feed itself. The
verdict is made once per episode, when the threshold passes (the open alert), and the closing
event keeps it, so an episode never changes its mind. At the edge of coverage (``edge``) the gap
is downgraded to severity low and worded as a loss of contact, not suppressed: see
`geo.coverage.Coverage.assess` for why. Where coverage is ``unknown`` a gap is medium at most
(`gap_severity`): high needs receivers shown to hear the place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ais_ingest.mmsi import MmsiKind, classify_mmsi
from geo.arrays import member
from geo.config import EngineConfig
from geo.coverage import Coverage
from geo.detectors.base import (
    F64,
    I8,
    I64,
    U8,
    B,
    SliceContext,
    distance_m,
    format_duration,
    knots,
    nm,
)
from geo.detectors.gap_return import OffTrackReturns
from geo.detectors.gap_sampling import keep_sampling, keep_tracked, sampling_before
from geo.events import Event, EventKind, Severity, format_time
from geo.silence_rule import sampling_threshold_s, sparse_sampling
from geo.sparse_tracking import reports_12h, sparse_verdict
from geo.speed_test import Fix
from geo.tracker import Fleet, sampling_at, sampling_update

#: Fixed point of the feed sampling's slice sums (``w x log2(sampling)``, in 2**-20 s).
_PRIOR_Q = float(1 << 20)


def expected_interval_s(msg_type: U8, sog: F64, status: I8) -> F64:
    """Nominal seconds between position reports (ITU-R M.1371-5), element-wise.

    Examples
    --------
    >>> expected_interval_s(np.array([1, 1, 18, 18], dtype=np.uint8),
    ...     np.array([12.0, 0.1, 8.0, 0.5]), np.array([0, 1, -1, -1], dtype=np.int8)).tolist()
    [10.0, 180.0, 30.0, 180.0]
    """
    # An unknown speed (NaN) is taken as 0: ``~(sog > 3)`` holds for it, ``sog > x`` does not.
    # Nested `numpy.where`, not `numpy.select` and `numpy.nan_to_num`: called on every slice
    # part, where their Python-level set-up cost more than the arithmetic.
    is_b = (msg_type == 18) | (msg_type == 19)
    anchored = ((status == 1) | (status == 5)) & ~(sog > 3.0)
    class_a = np.where(anchored, 180.0, np.where(sog > 23.0, 2.0, np.where(sog > 14.0, 6.0, 10.0)))
    out: F64 = np.where(is_b, np.where(sog > 2.0, 30.0, 180.0), class_a)
    out[msg_type == 27] = 180.0
    return out


def gap_threshold_s(
    msg_type: U8,
    sog: F64,
    status: I8,
    cfg: EngineConfig,
    typical_s: F64 | None = None,
    nominal_s: F64 | None = None,
) -> F64:
    """Silence after which a vessel is dark, element-wise.

    ``typical_s`` is each vessel's own report interval (NaN: not known yet, taken as the cap
    ``gap_sampling_cap_s``: only a silence past the longest sampling counted is a gap); None
    leaves sampling out (the nominal threshold of a dense feed). ``nominal_s``: the
    `expected_interval_s` of the same rows, when the caller has it already.
    """
    if nominal_s is None:
        nominal_s = expected_interval_s(msg_type, sog, status)
    base = np.maximum(cfg.gap_k * nominal_s, cfg.gap_floor_s)
    base = np.where(msg_type == 27, np.maximum(base, cfg.gap_long_range_floor_s), base)
    if typical_s is None:
        return base
    return np.maximum(base, sampling_threshold_s(typical_s, cfg))


#: Stations whose silences are their routine (ITU-R M.585-9 Annex 1): a craft associated with a
#: parent ship (``98MIDXXXX``: its boats, tenders, helicopter) is silent while stowed on board, a
#: SAR aircraft (``111MIDXXX``) once it has landed.
ROUTINE_SILENCE = {
    MmsiKind.CRAFT_ASSOCIATED: "a craft of a parent ship (MMSI 98x) is silent while on board",
    MmsiKind.SAR_AIRCRAFT: "a SAR aircraft (MMSI 111x) is silent once landed",
}


def routine_silence(mmsi: int) -> str | None:
    """Why a station's silence is its routine, or None for a vessel (see `ROUTINE_SILENCE`).

    Such a silence is reported low, as at the edge of coverage, not dropped: a 98x number is
    no proof of a parent ship nearby. GFW's segmenter fixture 987357559, a tuna seiner's
    helicopter, gave a "went dark" alert per landing.

    Examples
    --------
    >>> routine_silence(987357559), routine_silence(247123456)
    ('a craft of a parent ship (MMSI 98x) is silent while on board', None)
    """
    return ROUTINE_SILENCE.get(classify_mmsi(mmsi))


def gap_severity(duration_s: float, verdict: str | None, routine: bool = False) -> Severity:
    """Severity of a silence at sea by how sure it is a switch-off.

    High only for a long one (6 h) where the receivers were shown to hear well (``good``);
    where nothing shows how well they hear (``unknown``: a cold start, an extract or satellite
    feed of a few vessels) a silence is medium at most, and at the edge of coverage low
    (Global Fishing Watch calls a gap a likely disabling only where reception was good), as is
    a ``routine`` silence (`routine_silence`).

    Examples
    --------
    >>> [gap_severity(7 * 3600.0, v).value for v in ("good", "unknown", None, "edge")]
    ['high', 'medium', 'medium', 'low']
    >>> gap_severity(7 * 3600.0, "good", routine=True).value
    'low'
    """
    if verdict == "edge" or routine:
        return Severity.LOW
    if verdict == "good" and duration_s >= 6 * 3600:
        return Severity.HIGH
    return Severity.MEDIUM


def _routine(mmsi: int, details: dict[str, Any]) -> bool:
    """Mark a routine silence in ``details`` (``routine_silence``, summary); whether it is one."""
    why = routine_silence(mmsi)
    if why is not None:
        details["routine_silence"] = why
        details["summary"] += f"; {why}"
    return why is not None


class GapDetector:
    """Reports silences at sea; keeps which vessels already have an open "went dark" alert."""

    def __init__(self, cfg: EngineConfig, coverage: Coverage | None = None) -> None:
        self.cfg = cfg
        self.coverage = coverage if coverage is not None else Coverage(cfg)
        self.dark: set[int] = set()  # slots with an open alert
        self.cover: dict[int, dict[str, Any]] = {}  # slot -> coverage verdict of its open alert
        self.thr: dict[int, float] = {}  # slot -> threshold (s) its open alert was raised on
        # slot -> its open alert's last fix (t, lon, lat, sog, msg_type): a jump to another
        # transmitter's track moves the vessel's fix on while this silence goes on
        self.last: dict[int, tuple[int, float, float, float, int]] = {}
        self.held: set[int] = set()  # slots silent while their station is down (no alert)
        self.returns = OffTrackReturns(cfg)  # dark vessels heard again off the followed track
        # The feed's own sampling (see `feed_sampling_s`): a decaying time-weighted mean of
        # log2(vessel sampling), folded in at slice ends, and this slice's part of it.
        self.prior = [0.0, 0.0, -1]  # sum of w * log2(w), sum of w, at (ms); w an interval
        #: This slice's part in fixed point (`_PRIOR_Q`; w in ms): integer sums are the same
        #: whatever the order and grouping of the vessels, in one engine or split between
        #: several that add up their parts at the slice's end (`app.bus.slice_exchange`).
        self.pending = [0, 0]

    def feed_sampling_s(self) -> float | None:
        """Return what the feed delivers of a vessel it has just met, from those it knows.

        A vessel seen for a few minutes has no sampling of its own yet (a satellite pass looks
        like that, and so does a vessel that a shore station heard briefly before it went dark).
        The feed knows better: the mean log sampling of the vessels whose own sampling is known
        (watched long enough), each report weighted by the time it covers (so a vessel counts by
        time, not by how often it reports), halving every ``gap_sampling_half_life_s``. Only
        known vessels: in the first hour and a half of a satellite feed every vessel has shown
        nothing but the bursts of its first pass, and a mean of those would call every second
        pass a gap. Seconds on a terrestrial feed, an hour on a satellite one. None until ten
        minutes of such reports are known.
        """
        num, den, _ = self.prior
        if den < 600.0:
            return None
        return float(2.0 ** (num / den))

    def _fold(self, boundary_ms: int) -> None:
        """Fold this slice's sampling into the feed's (at slice ends: batch-independent)."""
        num, den, at = self.prior
        if at >= 0:
            decay = 2.0 ** (-(boundary_ms - at) / 1000.0 / self.cfg.gap_sampling_half_life_s)
            num, den = num * decay, den * decay
        self.prior = [num + self.pending[0] / _PRIOR_Q, den + self.pending[1] / 1000.0, boundary_ms]
        self.pending = [0, 0]

    def process(self, ctx: SliceContext, fleet: Fleet, describe: Any) -> list[Event]:
        """Mark ``ctx.gap``, keep each vessel's sampling, return gaps of vessels that reappeared.

        A fix the vessel's reported position jumped to (``ctx.moved``) is not a reappearance:
        the tracker reports the jump, and the silence before it belongs to another track.
        """
        ctx.prev_nominal_s = expected_interval_s(ctx.prev_type, ctx.prev_sog, ctx.prev_status)
        dt, typical, after = sampling_before(ctx, fleet, self.cfg)
        known = ~np.isnan(typical)
        prior = self.feed_sampling_s()
        if prior is not None:
            typical = np.where(known, typical, prior)
        thr = gap_threshold_s(
            ctx.prev_type, ctx.prev_sog, ctx.prev_status, self.cfg, typical, ctx.prev_nominal_s
        )
        gap = (ctx.prev_t >= 0) & (dt > thr)  # (dt is NaN only where there is no prev_t)
        if len(ctx.moved) == len(ctx):
            gap &= ctx.moved == 0
        redo = ctx.groups_with(gap)
        stored = [(float(fleet.skey[ctx.slot[a]]), int(fleet.skey_t[ctx.slot[a]])) for a, _ in redo]
        keep_sampling(ctx, fleet, after)
        for (a, b), (skey, skey_t) in zip(redo, stored, strict=True):
            self._one_by_one(ctx, fleet, a, b, skey, skey_t, known, typical, thr, gap, prior)
        gaps = np.flatnonzero(gap)  # (as the vessels redone one by one left them)
        tracked = keep_tracked(ctx, fleet, self.cfg, gaps)
        # (a vessel whose only interval before was a gap has no sampling of its own yet: NaN)
        use = known & ~np.isnan(typical) & ~gap & (ctx.prev_t >= 0)
        if use.any():
            w = np.clip(dt[use], 1e-3, self.cfg.gap_sampling_cap_s)
            own = np.clip(typical[use], 1e-3, self.cfg.gap_sampling_cap_s)
            self.pending[0] += int(np.rint(w * np.log2(own) * _PRIOR_Q).astype(np.int64).sum())
            self.pending[1] += int(np.rint(w * 1000.0).astype(np.int64).sum())
        ctx.gap = gap
        # Of each silence: the fixes of the vessel up to and including the one before it, and
        # whether the feed samples the vessel sparsely.
        before = fleet.n_fixes[ctx.slot[gaps]] + gaps - ctx.starts[:-1][ctx.group()[gaps]]
        sparse = sparse_sampling(typical[gaps], self.cfg)
        events: list[Event] = []
        for k, i in enumerate(gaps.tolist()):
            s = int(ctx.slot[i])
            alerted = s in self.dark
            self.dark.discard(s)
            cover = self.cover.pop(s, None)
            self.thr.pop(s, None)
            self.last.pop(s, None)
            self.returns.forget(s)
            if ctx.prev_supp[i] or before[k] < self.cfg.gap_min_fixes:
                continue  # silent in port or at anchorage, or heard once: not a gap at sea
            down = not alerted and self._outage(s, int(ctx.prev_t[i]), int(ctx.t[i]), float(thr[i]))
            self.held.discard(s)
            if down:
                # its receiver was down: a data-quality condition, counted there; the vessel
                # was there unheard, so its loiter or meeting goes on over the silence
                gap[i] = False
                continue
            if cover is None:  # reappeared before any slice end saw it dark: judge it now
                cover = self._judge_reappeared(ctx, i, float(thr[i]))
                cover = sparse_verdict(cover, bool(sparse[k]), float(tracked[k]), self.cfg)
            events.append(self._event(ctx, i, float(thr[i]), describe, cover))
        return events

    def _one_by_one(
        self,
        ctx: SliceContext,
        fleet: Fleet,
        a: int,
        b: int,
        skey: float,
        skey_t: int,
        known: B,
        typical: F64,
        thr: F64,
        gap: B,
        prior: float | None,
    ) -> None:
        """Redo one vessel's part fix by fix: a gap is not sampling, nor is its silence.

        The sampling held when the vessel fell silent is held again when it reappears (its
        decay does not run through the gap), so the reports after a gap are judged as the
        ones before it; the vectorised pass counted the gap as an interval. Nor is a gap
        watching: the vessel is watched again from its reappearance (``first_t``), so a
        satellite pass's few reports seconds apart, then a hole, then another pass are not
        taken for a sampling of seconds watched for hours (`sampling_before`).
        """
        cfg = self.cfg
        half, cap = cfg.gap_sampling_half_life_s, cfg.gap_sampling_cap_s
        s = int(ctx.slot[a])
        since = -1  # the reappearance after this part's last gap
        for i in range(a, b):
            t, pt = int(ctx.t[i]), int(ctx.prev_t[i])
            if pt < 0:
                continue
            if since >= 0 and known[i] and pt - since < cfg.gap_floor_s * 1000:
                if fleet.n_fixes[s] + i - a < cfg.gap_sampling_min_fixes:
                    known[i] = False
                    typical[i] = np.nan if prior is None else prior
            if known[i]:  # watched long enough (same rule as the pass), else the feed's prior
                own = float(sampling_at(skey, skey_t, pt, half))
                typical[i] = own
            else:
                own = float(typical[i])
            one = gap_threshold_s(
                ctx.prev_type[i : i + 1],
                ctx.prev_sog[i : i + 1],
                ctx.prev_status[i : i + 1],
                cfg,
                np.array([own]),
            )
            thr[i] = float(one[0])
            dt = (t - pt) / 1000.0
            gap[i] = dt > thr[i] and (len(ctx.moved) != len(ctx) or ctx.moved[i] == 0)
            if gap[i]:
                since = t
                if skey == skey:
                    skey, skey_t = skey - (pt - skey_t) / 1000.0 / half, t
            else:
                skey, skey_t = sampling_update(skey, skey_t, dt, t, half, cap)
        fleet.skey[s], fleet.skey_t[s] = skey, skey_t
        if since >= 0:
            fleet.first_t[s] = since

    def _event(
        self,
        ctx: SliceContext,
        i: int,
        thr: float,
        describe: Any,
        cover: dict[str, Any],
    ) -> Event:
        silent = Fix(int(ctx.prev_t[i]), float(ctx.prev_lon[i]), float(ctx.prev_lat[i]),
                     int(ctx.prev_type[i]), float(ctx.prev_sog[i]))  # fmt: skip
        back = Fix(int(ctx.t[i]), float(ctx.lon[i]), float(ctx.lat[i]), int(ctx.msg_type[i]))
        return self._closed(int(ctx.mmsi[i]), silent, back, thr, describe, cover)

    def _closed(
        self,
        mmsi: int,
        silent: Fix,
        back: Fix,
        thr: float,
        describe: Any,
        cover: dict[str, Any],
        other_track: bool = False,
    ) -> Event:
        """Return the gap from the silent track's last fix to its first fix heard again."""
        d = distance_m(silent.lon, silent.lat, back.lon, back.lat)
        dur = (back.t - silent.t) / 1000.0
        details = self._open_details(
            silent.lon, silent.lat, silent.sog, silent.msg_type, thr, describe
        )
        details["coverage"] = cover
        edge = cover["verdict"] == "edge"
        details.update(
            {
                "duration_s": round(dur, 1),
                "duration": format_duration(dur),
                "distance_nm": nm(d),
                "implied_speed_kn": round(knots(d, dur), 1),
                "reappeared": {"lat": round(back.lat, 5), "lon": round(back.lon, 5)},
            }
        )
        details["summary"] = (
            f"silent for {format_duration(dur)} at sea, reappeared {nm(d)} nm away"
            f" ({round(knots(d, dur), 1)} kn implied)"
        )
        if other_track:
            details["other_transmitter"] = True
            details["summary"] += "; another transmitter used its MMSI meanwhile"
        if edge:
            details["summary"] += "; lost at the edge of receiver coverage"
        routine = _routine(mmsi, details)
        sev = gap_severity(dur, cover["verdict"], routine)
        return Event(
            EventKind.AIS_GAP, mmsi, silent.t, back.t, silent.lat, silent.lon, sev, details=details
        )

    def heard_off_track(
        self, slot: I64, mmsi: I64, t: I64, lon: F64, lat: F64, msg_type: U8, describe: Any
    ) -> list[Event]:
        """End the silences of dark vessels heard again off the followed track.

        ``slot`` and the rest are the fixes the tracker set aside (`geo.detectors.gap_return`).
        """
        events: list[Event] = []
        if not self.last:
            return events
        for i in np.flatnonzero(member(slot, list(self.last))).tolist():
            s = int(slot[i])
            last = self.last.get(s)
            if last is None or s not in self.dark:
                continue
            t0, lon0, lat0, sog0, type0 = last
            silent = Fix(t0, lon0, lat0, type0, sog0)
            fix = Fix(int(t[i]), float(lon[i]), float(lat[i]), int(msg_type[i]))
            back = self.returns.hear(s, silent, fix)
            if back is None:
                continue
            self.dark.discard(s)
            self.last.pop(s)
            thr = self.thr.pop(s, self.cfg.gap_floor_s)
            cover = self.cover.pop(s, None) or {"verdict": "unknown"}
            self.held.discard(s)
            events.append(
                self._closed(int(mmsi[i]), silent, back, thr, describe, cover, other_track=True)
            )
        return events

    def _judge_reappeared(self, ctx: SliceContext, i: int, thr: float) -> dict[str, Any]:
        """Coverage where a vessel that reappeared before any slice end saw it dark vanished."""
        t0 = int(ctx.prev_t[i])
        return self.coverage.assess(
            float(ctx.prev_lon[i]),
            float(ctx.prev_lat[i]),
            float(ctx.prev_sog[i]),
            float(ctx.prev_cog[i]),
            thr,
            t0 + int(thr * 1000),
        ).to_dict()

    @staticmethod
    def _open_details(
        lon: float, lat: float, sog: float, msg_type: int, thr: float, describe: Any
    ) -> dict[str, Any]:
        return {
            "threshold_s": round(thr, 1),
            "last_speed_kn": None if sog != sog else round(sog, 1),
            "ais_class": "B" if msg_type in (18, 19) else ("long_range" if msg_type == 27 else "A"),
            "last_position": {"lat": round(lat, 5), "lon": round(lon, 5)},
            "last_seen_near": describe(lon, lat),
        }

    def tick(self, boundary_ms: int, fleet: Fleet, describe: Any) -> list[Event]:
        """Open "went dark" alerts for vessels at sea silent too long by ``boundary_ms``."""
        self._fold(boundary_ms)
        n = len(fleet)
        if n == 0:
            return []
        # Only vessels at sea, not dark yet, silent past the floor that every threshold is at
        # least (`gap_threshold_s`) can be due: the thresholds are worked out for them alone.
        silent_s = (boundary_ms - fleet.t[:n]) / 1000.0
        cand = (fleet.t[:n] >= 0) & ~fleet.supp[:n] & (silent_s > self.cfg.gap_floor_s)
        cand &= fleet.n_fixes[:n] >= self.cfg.gap_min_fixes
        if self.dark:
            cand[[s for s in self.dark if s < n]] = False
        rows = np.flatnonzero(cand)
        if not len(rows):
            return []
        t = fleet.t[rows]
        own = self._sampling_at_last_fix(fleet, rows)
        thr = gap_threshold_s(
            fleet.msg_type[rows], fleet.sog[rows], fleet.status[rows], self.cfg, own
        )
        sparse = sparse_sampling(own, self.cfg)
        due = silent_s[rows] > thr
        events: list[Event] = []
        for k in np.flatnonzero(due).tolist():
            s = int(rows[k])
            if self._outage(s, int(t[k]), boundary_ms, float(thr[k])):
                continue
            self.dark.add(s)
            lon, lat = float(fleet.lon[s]), float(fleet.lat[s])
            sog, th = float(fleet.sog[s]), float(thr[k])
            self.last[s] = (int(t[k]), lon, lat, sog, int(fleet.msg_type[s]))
            details = self._open_details(lon, lat, sog, int(fleet.msg_type[s]), th, describe)
            nominal = expected_interval_s(
                fleet.msg_type[s : s + 1], fleet.sog[s : s + 1], fleet.status[s : s + 1]
            )
            cover = self.coverage.assess(
                lon, lat, sog, float(fleet.cog[s]), th, boundary_ms, int(fleet.msg_type[s]), s,
                float(nominal[0]),
            ).to_dict()  # fmt: skip
            heard = reports_12h(
                fleet.trk_n[s], fleet.n_fixes[s], fleet.t[s] - fleet.trk_since[s], self.cfg
            )
            cover = sparse_verdict(cover, bool(sparse[k]), float(heard), self.cfg)
            self.cover[s] = cover
            self.thr[s] = th
            details["coverage"] = cover
            if cover["verdict"] == "edge":
                details["summary"] = (
                    f"lost at the edge of receiver coverage: silent longer than"
                    f" {format_duration(th)}"
                )
            else:
                details["summary"] = f"went dark at sea: silent longer than {format_duration(th)}"
            routine = _routine(int(fleet.mmsi[s]), details)
            sev = gap_severity(0.0, cover["verdict"], routine)
            events.append(
                Event(
                    EventKind.AIS_GAP,
                    fleet.mmsi[s],
                    int(t[k]),
                    None,
                    lat,
                    lon,
                    sev,
                    details=details,
                )
            )
        return events

    def _outage(self, slot: int, t0: int, t1: int, thr_s: float) -> bool:
        """Whether the silence of ``slot`` from ``t0`` to ``t1`` is its station's outage.

        Counted once per silence (`geo.stations`); a vessel still silent once its station is
        back is judged again at each slice end, the outage taken out of its silence.
        """
        watch = self.coverage.stations
        if watch.explains(self.coverage.last_station(slot), t0, t1, thr_s):
            if slot not in self.held:
                self.held.add(slot)
                watch.explained += 1
            return True
        self.held.discard(slot)
        return False

    def ongoing(self, fleet: Fleet, until_ms: int, describe: Any, due: Any = None) -> list[Event]:
        """Return the present version of every "went dark" episode still open.

        ``until_ms`` is the feed's own time (its last record at the end of a capture, a slice
        end live): the vessel was still silent then, so ``details.ongoing_until`` is that time
        and ``duration_s`` the silence up to it, not the threshold that opened the alert. Same
        key as the open alert (``end`` null), so a batch run's last version of the episode is
        the one at its end. ``due(start_ms)``, if given, picks the episodes wanted (before any
        is worded: a live service keeps vessels that left for good dark for days).
        """
        events: list[Event] = []
        for s in sorted(self.dark):
            if s >= len(fleet) or fleet.t[s] < 0:
                continue
            here = (int(fleet.t[s]), float(fleet.lon[s]), float(fleet.lat[s]),
                    float(fleet.sog[s]), int(fleet.msg_type[s]))  # fmt: skip
            t0, lon, lat, sog, msg_type = self.last.get(s, here)
            if due is not None and not due(t0):
                continue
            th = self.thr.get(s, self.cfg.gap_floor_s)
            details = self._open_details(lon, lat, sog, msg_type, th, describe)
            cover = self.cover.get(s)
            if cover is not None:
                details["coverage"] = cover
            dur = max(0.0, (until_ms - t0) / 1000.0)
            details.update(
                {
                    "duration_s": round(dur, 1),
                    "duration": format_duration(dur),
                    "ongoing_until": format_time(max(until_ms, t0)),
                }
            )
            verdict = None if cover is None else cover.get("verdict")
            if verdict == "edge":
                details["summary"] = (
                    f"lost at the edge of receiver coverage: silent for {format_duration(dur)}"
                    " (ongoing)"
                )
            else:
                details["summary"] = (
                    f"went dark at sea: silent for {format_duration(dur)} (ongoing)"
                )
            routine = _routine(int(fleet.mmsi[s]), details)
            sev = gap_severity(dur, verdict, routine)
            events.append(
                Event(EventKind.AIS_GAP, fleet.mmsi[s], t0, None, lat, lon, sev, details=details)
            )
        return events

    def _sampling_at_last_fix(self, fleet: Fleet, slots: I64) -> F64:
        """Vessels' sampling when they fell silent (NaN if not known yet, as in `process`)."""
        t = fleet.t[slots]
        out = fleet.sampling_s(slots, t, self.cfg.gap_sampling_half_life_s)
        watched = ((t - fleet.first_t[slots]) >= self.cfg.gap_floor_s * 1000) | (
            fleet.n_fixes[slots] >= self.cfg.gap_sampling_min_fixes
        )
        prior = self.feed_sampling_s()
        return np.where(watched, out, np.nan if prior is None else prior)

    def to_state(self) -> dict[str, Any]:
        return {
            "dark": sorted(self.dark),
            "cover": [[s, c] for s, c in sorted(self.cover.items())],
            "thr": [[s, v] for s, v in sorted(self.thr.items())],
            "last": [
                [s, t, lo, la, None if v != v else v, m]  # (JSON has no NaN)
                for s, (t, lo, la, v, m) in sorted(self.last.items())
            ],  # fmt: skip
            "held": sorted(self.held),
            "returns": self.returns.to_state(),
            "prior": self.prior,
            "pending": self.pending,
        }

    def load_state(self, obj: dict[str, Any]) -> None:
        self.dark = set(obj["dark"])
        self.cover = {int(s): c for s, c in obj.get("cover", [])}
        self.thr = {int(s): float(v) for s, v in obj.get("thr", [])}
        self.last = {  # (older snapshots: the vessel's fix, as then)
            int(s): (int(t), float(lo), float(la), float("nan" if v is None else v), int(m))
            for s, t, lo, la, v, m in obj.get("last", [])
        }
        self.held = {int(s) for s in obj.get("held", [])}
        self.returns.load_state(obj.get("returns", []))
        self.prior = list(obj.get("prior", [0.0, 0.0, -1]))
        num, den = obj.get("pending", [0, 0])
        if isinstance(num, float) or isinstance(den, float):  # a snapshot from before fixed point
            num, den = int(round(num * _PRIOR_Q)), int(round(den * 1000.0))
        self.pending = [num, den]
