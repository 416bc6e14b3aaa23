"""Per-vessel state and the outlier filter that keeps every other detector's track clean.

A fix whose implied speed from the vessel's last good fix is beyond what its class can do is an
outlier: it is held aside, never fed to the detectors. What happens next decides what it was:

- nothing consistent follows: a lone bad fix, forgotten after ``alt_timeout_s``;
- ``excursion_fixes`` (two) or more fixes consistent with each other but far off, then the old
  track again: a short spoofed interval (two fixes in the same impossible place are not random
  corruption), one ``position_jump`` event (cause ``excursion``) when the track comes back;
- ``track_confirm_fixes`` fixes consistent with the outlier follow, and none from the old
  track: the vessel's reported position really moved, one ``position_jump`` event, the new
  position becomes the track (and a move back to where it was before, within
  ``jump_return_window_s``, updates that same event instead of raising a second one). The
  first accepted fix of the new track is flagged ``moved``: the vessel did not sail there, so
  the zone detector takes its zones as they are instead of reporting entries and exits (and on
  a jump back compares them with those before the first jump);
- the outlier's track keeps reporting *interleaved* with the old track (two of its fixes with
  one of the old track's between are enough, as for an excursion), or the position moves
  back and forth between places (back to where it was before a jump after more than
  ``jump_return_window_s``, or away again after coming back): several transmitters share the
  MMSI. That is one ``position_jump`` episode (cause ``shared_mmsi``) per MMSI and period,
  listing every track seen (first and last fix, fixes) and, from the engine, the names; further
  transmitters join it (while it is open a far fix is remembered as long as its tracks are,
  and two consistent ones are a transmitter: one heard at two passes hours apart), and it
  stays open until only one track has been heard for ``shared_quiet_s``. The jumps and
  excursions that were its first signs (the clone heard while the vessel was not) are the
  same episode: a position_jump event of an MMSI within ``alt_timeout_s`` of the last takes
  its start, its key (`Tracker._episode_start`). The detectors follow one track at a time:
  the one followed before, until it falls silent (``shared_switch_s``, or two of its report
  intervals) while another reports, then that one, taken as it is (flagged ``moved``, no
  jump event: the episode already says why).
- a fix that would be a lone outlier lies on the dead reckoning of the track as it was before
  its last long silence, while the fixes heard in the silence (the track followed since, two
  at least) could not have been visited between the two at the class's top speed: across a
  satellite hole a clone within reach was taken for the vessel, and this is the vessel. That
  opens the shared-MMSI episode at once (`geo.silence_return`, with the tolerances).

Timeouts are in event time and stretch with the vessel's own sampling when that is longer
(`geo.silence_rule`: ``gap_sampling_k`` report intervals, 12 h on a feed as sparse as one report
in 45 min): a vessel seen once an hour by satellite confirms a far track over hours, not
minutes, and a clone heard at one pass is still remembered when the original is heard again.

Hot state (last fix per vessel) lives in numpy arrays indexed by a slot per MMSI so that a whole
slice is checked in a few vectorised operations; Python runs only for the vessels flagged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, NamedTuple

import numpy as np

from geo.arrays import member
from geo.config import EngineConfig
from geo.detectors.base import (
    F64,
    I8,
    I64,
    U8,
    B,
    distance_m,
    distance_one_m,
    format_duration,
    haversine_m,
    knots,
    nm,
)
from geo.events import Event, EventKind, Severity, format_time
from geo.plain_groups import (
    STALE_MIN_AGE_MS,
    STALE_MOVE_M,
    STALE_SAME_PLACE_M,
    Latest,
    repeats_to_judge,
    settle_plain,
)
from geo.recent_places import RecentPlaces
from geo.shared_tracks import transmitters
from geo.silence_return import Anchor, Anchors
from geo.silence_rule import sampling_threshold_one
from geo.speed_test import (
    Fix,
    implied_speed_kn,
    move_speed_kn,
    plausible_move,
    same_report,
    speed_limit_kn,
    tolerance_m,
)

_HOT = {
    "t": (np.int64, -1),
    "lon": (np.float64, np.nan),
    "lat": (np.float64, np.nan),
    "sog": (np.float64, np.nan),
    "cog": (np.float64, np.nan),
    "msg_type": (np.uint8, 0),
    "status": (np.int8, -1),
    "supp": (np.bool_, False),
    "n_fixes": (np.int64, 0),
    "seen_t": (np.int64, -1),
    "mmsi_col": (np.int64, 0),
    # The vessel's own sampling (see `sampling_s`): log2 of the decaying maximum of its report
    # intervals at time `skey_t`, and its first fix. Terrestrial and satellite reception make
    # report intervals differ by a factor of 100.
    "skey": (np.float64, np.nan),
    "skey_t": (np.int64, -1),
    "first_t": (np.int64, -1),
    # Reports heard of the vessel over the last 12 h or so, at `trk_n_t` (`geo.sparse_tracking`).
    "trk_n": (np.float64, 0.0),
    "trk_n_t": (np.int64, -1),
    "trk_since": (np.int64, -1),
}


class Fleet:
    """Slots for MMSIs and the last accepted fix of each vessel as growable numpy columns."""

    def __init__(self) -> None:
        self.mmsi: list[int] = []
        self.slot_of: dict[int, int] = {}
        self.cap = 0
        self.t: I64 = np.zeros(0, dtype=np.int64)
        self.lon: F64 = np.zeros(0)
        self.lat: F64 = np.zeros(0)
        self.sog: F64 = np.zeros(0)
        self.cog: F64 = np.zeros(0)
        self.msg_type: U8 = np.zeros(0, dtype=np.uint8)
        self.status: I8 = np.zeros(0, dtype=np.int8)
        self.supp: B = np.zeros(0, dtype=np.bool_)
        self.n_fixes: I64 = np.zeros(0, dtype=np.int64)
        self.seen_t: I64 = np.zeros(0, dtype=np.int64)  # last record time, accepted or not
        self.mmsi_col: I64 = np.zeros(0, dtype=np.int64)
        self.skey: F64 = np.zeros(0)
        self.skey_t: I64 = np.zeros(0, dtype=np.int64)
        self.first_t: I64 = np.zeros(0, dtype=np.int64)
        self.trk_n: F64 = np.zeros(0)
        self.trk_n_t: I64 = np.zeros(0, dtype=np.int64)
        self.trk_since: I64 = np.zeros(0, dtype=np.int64)
        # The MMSIs with slots, sorted, and the slot of each (`slots`).
        self._sorted: I64 = np.zeros(0, dtype=np.int64)
        self._sorted_slot: I64 = np.zeros(0, dtype=np.int64)
        self._grow(256)

    def __len__(self) -> int:
        return len(self.mmsi)

    def _grow(self, cap: int) -> None:
        for name, (dtype, missing) in _HOT.items():
            old = getattr(self, name)
            new: np.ndarray[Any, Any] = np.full(cap, missing, dtype=dtype)
            new[: len(old)] = old
            setattr(self, name, new)
        self.cap = cap

    def slots(self, mmsi_unique: I64) -> I64:
        """Return the slot of each MMSI, creating slots for new ones (in the given order).

        Known MMSIs are looked up in a sorted copy, all at once: a slice part of a global feed
        names thousands of vessels, and one dict lookup each was most of the call.
        """
        known, known_slot = self._sorted, self._sorted_slot
        at = np.minimum(np.searchsorted(known, mmsi_unique), max(len(known) - 1, 0))
        hit = known[at] == mmsi_unique if len(known) else np.zeros(len(mmsi_unique), np.bool_)
        out = np.where(hit, known_slot[at] if len(known) else 0, -1)
        if hit.all():
            return out
        slot_of = self.slot_of
        first_new = len(self.mmsi)
        for i in np.flatnonzero(~hit).tolist():
            m = int(mmsi_unique[i])
            s = slot_of.get(m)  # twice in ``mmsi_unique``: the slot just made
            if s is None:
                s = len(self.mmsi)
                slot_of[m] = s
                self.mmsi.append(m)
            out[i] = s
        if len(self.mmsi) > self.cap:
            self._grow(max(2 * self.cap, len(self.mmsi)))
        n = len(self.mmsi)
        self.mmsi_col[first_new:n] = self.mmsi[first_new:]
        order = np.argsort(self.mmsi_col[first_new:n])
        where = np.searchsorted(known, self.mmsi_col[first_new:n][order])
        self._sorted = np.insert(known, where, self.mmsi_col[first_new:n][order])
        self._sorted_slot = np.insert(known_slot, where, first_new + order)
        return out

    def sampling_s(self, slots: I64, at_ms: I64, half_life_s: float) -> F64:
        """Each vessel's own report interval at a time (see `sampling_at`), NaN if unknown."""
        out: F64 = sampling_at(self.skey[slots], self.skey_t[slots], at_ms, half_life_s)
        return out

    def to_state(self) -> dict[str, Any]:
        n = len(self.mmsi)
        cols = {}
        for name in _HOT:
            arr = getattr(self, name)[:n]
            if arr.dtype.kind == "f":
                cols[name] = [None if v != v else float(v) for v in arr.tolist()]
            else:
                cols[name] = arr.tolist()
        return {"mmsi": list(self.mmsi), "cols": cols}

    @classmethod
    def from_state(cls, obj: dict[str, Any]) -> Fleet:
        fleet = cls()
        mmsis = np.array(obj["mmsi"], dtype=np.int64)
        fleet.slots(mmsis)
        n = len(mmsis)
        for name, (dtype, missing) in _HOT.items():
            if name not in obj["cols"]:  # a snapshot from before the column existed
                getattr(fleet, name)[:n] = missing
                continue
            vals = [np.nan if v is None else v for v in obj["cols"][name]]
            getattr(fleet, name)[:n] = np.array(vals, dtype=dtype)
        return fleet


NO_SAMPLING = -1e6
"""``skey`` of a vessel with no interval yet (2 to this power is 0)."""


def sampling_at(skey: Any, skey_t: Any, at_ms: Any, half_life_s: float) -> Any:
    """Return a vessel's sampling: the decaying maximum of its report intervals at a time.

    Each interval (capped, see `EngineConfig.gap_sampling_cap_s`) counts at its full length
    when it ends and half as much every ``half_life_s`` after; the sampling is the largest of
    these. Stored as ``skey = log2(value at skey_t)``, so a new interval is one ``max``:
    ``skey' = max(skey - (t - skey_t) / H, log2(dt))`` at ``t``.

    Examples
    --------
    Satellite passes every 90 min, an hour's cap: an hour, 1.5 h after the last pass ~0.7 h.

    >>> round(float(sampling_at(np.log2(3600.0), 0, 0, 3 * 3600.0)))
    3600
    >>> round(float(sampling_at(np.log2(3600.0), 0, 5_400_000, 3 * 3600.0)))
    2546
    """
    key = np.asarray(skey, dtype=float) - (np.asarray(at_ms) - np.asarray(skey_t)) / 1000.0 / (
        half_life_s
    )
    return np.where(np.isnan(skey) | (np.asarray(skey) <= NO_SAMPLING / 2), np.nan, 2.0**key)


def sampling_at_one(skey: float, skey_t: int, at_ms: int, half_life_s: float) -> float:
    """`sampling_at` of one vessel, as a float: the same figure, without one-element arrays.

    Examples
    --------
    >>> round(sampling_at_one(float(np.log2(3600.0)), 0, 5_400_000, 3 * 3600.0))
    2546
    """
    if skey != skey or skey <= NO_SAMPLING / 2:
        return float("nan")
    return float(2.0 ** (skey - (at_ms - skey_t) / 1000.0 / half_life_s))


def sampling_update(
    skey: float, skey_t: int, dt_s: float, t_ms: int, half_life_s: float, cap_s: float
) -> tuple[float, int]:
    """Add one report interval ending at ``t_ms`` to a vessel's sampling (scalar form)."""
    old = NO_SAMPLING if skey != skey else skey - (t_ms - skey_t) / 1000.0 / half_life_s
    new = math.log2(min(max(dt_s, 1e-3), cap_s))
    return max(old, new), t_ms


@dataclass(slots=True)
class AltTrack:
    """Fixes consistent with each other but not with the track the detectors follow."""

    first: Fix
    last: Fix
    count: int = 1
    interleaved: int = 0  # fixes of the main track received since `first`
    anchor_t: int = -1  # time of the main track's last fix when `first` arrived
    reported: bool = False  # reported as an excursion (a short jump and back)
    member: bool = False  # a track of the open shared-MMSI episode


@dataclass(slots=True)
class SharedEpisode:
    """Several transmitters on one MMSI: open while a track other than the followed one reports.

    ``tracks`` lists every track seen as ``[first, last, fixes]``; ``last_b`` is the latest fix
    of a track other than the one followed then.
    """

    start: int
    track_a: Fix
    first_b: Fix
    last_b: Fix
    fixes_b: int
    tracks: list[list[Any]]
    switches: int = 0
    #: Why a vessel's return showed it (`geo.silence_return.clone_evidence`), if that opened it.
    reckoning: dict[str, Any] | None = None


@dataclass(slots=True)
class JumpMemory:
    """Where a vessel was before its last jump, to recognise a jump back as the same episode."""

    before: Fix
    event_start: int
    details: dict[str, Any]
    lat: float
    lon: float
    returned: bool = False  # the track already came back once


class Filtered(NamedTuple):
    """What `Tracker.filter` made of a slice part's fixes."""

    accepted: B
    moved: I8
    events: list[Event]
    #: Metres from each fix to the fix before it (the vessel's latest before the part for its
    #: first; NaN without one), as the speed test measured them: the detectors measure the
    #: same steps (`SliceContext.step_m`), so where the fix before is still the one before
    #: they take these floats instead of measuring again.
    step_m: F64


def _fix_from(obj: dict[str, Any]) -> Fix:
    sog = obj.get("sog")
    return Fix(**{**obj, "sog": math.nan if sog is None else sog})


def _state_of(obj: Any) -> dict[str, Any]:
    """`asdict` of a fix, or of what holds fixes, with an unknown ``sog`` (NaN) as null.

    The engine's snapshot is strict JSON: a fix whose report said "speed not available"
    (102.3 kn, decoded NaN) made it fail as soon as such a fix was kept on an alternative
    track, in a jump's memory or in a shared-MMSI episode (`bench.cli`'s AISHub capture, once
    the feed comes round again): `mare serve` then logged "engine snapshot failed" at every
    period, and a bus worker could not save its partition. `_fix_from` reads null back as NaN.
    """
    return asdict(obj, dict_factory=_known_speeds)


def _known_speeds(items: list[tuple[str, Any]]) -> dict[str, Any]:
    return {k: None if k == "sog" and v != v else v for k, v in items}


def _fix_dict(f: Fix) -> dict[str, Any]:
    return {"time_ms": f.t, "lat": round(f.lat, 5), "lon": round(f.lon, 5)}


class Tracker:
    """The outlier filter; see the module docstring for the rules."""

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self.alt: dict[int, list[AltTrack]] = {}  # by slot
        self.memory: dict[int, JumpMemory] = {}
        self.shared: dict[int, SharedEpisode] = {}
        # The position_jump episode of each slot (start, latest time): a jump, an excursion or a
        # shared-MMSI episode soon after takes its start, so it updates that event
        # (`_episode_start`).
        self.jumped: dict[int, tuple[int, int]] = {}
        # Each vessel's last long silences off its dead reckoning (`geo.silence_return`).
        self.anchors = Anchors(cfg)
        self.rejected = 0
        #: Fixes set aside as stale repeats (`_stale`), counted apart from other outliers.
        self.stale = 0
        self.places = RecentPlaces(window_s=cfg.stale_window_s, min_sog_kn=cfg.stale_min_sog_kn)
        self._returned = False  # the last accepted jump went back to the track before a jump

    def _plausible(self, a: Fix, b: Fix) -> bool:
        return plausible_move(a, b, self.cfg)

    def _speed(self, a: Fix, b: Fix, tol: float = 0.0) -> float:
        return move_speed_kn(a, b, self.cfg, tol)

    def last_jump_ms(self, slot: int) -> int | None:
        """When the vessel's position last jumped (its latest jump or shared-MMSI fix), if ever."""
        jump = self.jumped.get(slot)
        return None if jump is None else jump[1]

    def is_shared(self, slot: int) -> bool:
        """Whether the vessel's MMSI is in an open shared-MMSI episode."""
        return slot in self.shared

    def filter(
        self,
        fleet: Fleet,
        slot: I64,
        t: I64,
        lon: F64,
        lat: F64,
        msg_type: U8,
        starts: I64,
        sog: F64,
        cog: F64,
        repeat: B | None = None,
    ) -> Filtered:
        """Return which fixes of a slice part are accepted, which start a new track, and events.

        A fix that starts a new track is one the vessel's reported position jumped to: there is
        no path between it and the fix before. The arrays are grouped by vessel (``starts`` as in
        `SliceContext`), time-ordered within each group; ``sog`` and ``cog`` (NaN unknown) start
        the dead reckoning across a silence (`geo.silence_return`). ``moved`` is 1 for a fix
        that starts a new track, 2 for one back on the track before a jump, -1 for a stale
        repeat (not accepted, and no sign of the vessel either: `_stale`), judged among the
        fixes ``repeat`` marks (`geo.recent_places`).
        """
        n = len(t)
        cfg = self.cfg
        is_first = np.zeros(n, dtype=np.bool_)
        is_first[starts[:-1]] = True
        fs = slot[is_first]
        p_t = np.empty(n, dtype=np.int64)
        p_lon = np.empty(n)
        p_lat = np.empty(n)
        p_type = np.empty(n, dtype=np.uint8)
        p_t[1:], p_lon[1:], p_lat[1:], p_type[1:] = t[:-1], lon[:-1], lat[:-1], msg_type[:-1]
        p_t[is_first] = fleet.t[fs]
        p_lon[is_first] = fleet.lon[fs]
        p_lat[is_first] = fleet.lat[fs]
        p_type[is_first] = fleet.msg_type[fs]
        has_prev = p_t >= 0
        step = haversine_m(p_lon, p_lat, lon, lat)
        tol0, tol1 = tolerance_m(p_type, cfg), tolerance_m(msg_type, cfg)
        speed = implied_speed_kn(p_t, step, tol0, t, tol1, cfg)
        prev_sog = np.empty(n)
        prev_sog[1:] = sog[:-1]
        prev_sog[is_first] = fleet.sog[fs]
        limit = speed_limit_kn(msg_type, cfg, prev_sog, sog, (t - p_t) / 1000.0)
        bad = has_prev & (speed > limit)
        # vessels with a far track or a shared-MMSI episode: every fix goes fix by fix
        followed = None
        if self.alt or self.shared:
            watched = set(self.alt) | set(self.shared)
            followed = member(slot, np.fromiter(watched, dtype=np.int64, count=len(watched)))
            bad |= followed
        # A fix after a long silence may start a silence's track (`Anchors.after_silence`).
        bad |= has_prev & (t - p_t >= cfg.dr_min_silence_s * 1000)
        if repeat is not None:
            repeat = repeats_to_judge(repeat, bad, has_prev, p_t, step, t, starts)
            bad |= repeat  # a stale repeat's judgement (`_stale`)
        accepted = np.ones(n, dtype=np.bool_)
        moved = np.zeros(n, dtype=np.int8)
        events: list[Event] = []
        if not bad.any():
            return Filtered(accepted, moved, events, step)
        hit = np.logical_or.reduceat(bad, starts[:-1])
        groups = np.flatnonzero(hit)
        if repeat is not None:
            fixes = (t, lon, lat, msg_type, sog)
            groups = self._settle(
                fleet, groups, slot, starts, fixes, repeat, followed, accepted, moved
            )
        for g in groups.tolist():
            a, b = int(starts[g]), int(starts[g + 1])
            s = int(slot[a])
            primary = None
            if fleet.t[s] >= 0:
                primary = Fix(
                    int(fleet.t[s]),
                    float(fleet.lon[s]),
                    float(fleet.lat[s]),
                    int(fleet.msg_type[s]),
                    float(fleet.sog[s]),
                )
            n_fixes = count = int(fleet.n_fixes[s])
            p_sog, p_cog = float(fleet.sog[s]), float(fleet.cog[s])
            skey, skey_t = float(fleet.skey[s]), int(fleet.skey_t[s])
            half, cap = cfg.gap_sampling_half_life_s, cfg.gap_sampling_cap_s
            for i in range(a, b):
                fix = Fix(int(t[i]), float(lon[i]), float(lat[i]), int(msg_type[i]), float(sog[i]))
                if (
                    repeat is not None
                    and repeat[i]
                    and primary is not None
                    and self._stale(primary, fix, self.alt.get(s, ()))
                ):
                    accepted[i] = False
                    moved[i] = -1
                    self.stale += 1
                    continue
                n_before = n_fixes
                self._returned = False
                at = primary.t if primary is not None else fix.t
                typical = sampling_at_one(skey, skey_t, at, half)
                if typical != typical:
                    typical = cap  # not known yet: as sparse as counted
                before = primary
                ok, primary, n_fixes = self._one(
                    s, fleet.mmsi[s], primary, n_fixes, fix, events, typical, count
                )
                accepted[i] = ok
                if ok and n_fixes == 1 and n_before > 0:  # a new track, not the first fix
                    moved[i] = 2 if self._returned else 1
                if ok:
                    count += 1
                if s in self.shared or moved[i]:
                    self.anchors.forget(s)
                elif ok and before is not None:
                    self.anchors.after_silence(
                        s, (before.t, before.lat, before.lon, before.msg_type), p_sog, p_cog,
                        (fix.t, fix.lat, fix.lon), count,
                    )  # fmt: skip
                if ok:
                    p_sog, p_cog = float(sog[i]), float(cog[i])
                if ok and before is not None:
                    skey, skey_t = sampling_update(
                        skey, skey_t, (fix.t - before.t) / 1000.0, fix.t, half, cap
                    )
        self.rejected += int(n - accepted.sum())
        return Filtered(accepted, moved, events, step)

    def _settle(
        self,
        fleet: Fleet,
        groups: I64,
        slot: I64,
        starts: I64,
        fixes: tuple[I64, F64, F64, U8, F64],
        repeat: B,
        followed: B | None,
        accepted: B,
        moved: I8,
    ) -> I64:
        """Decide in arrays the groups `settle_plain` can; return the loop's.

        Those are groups with a repeat to judge, a track and no far one (``followed``): a group
        without a repeat went fix by fix for an outlier or a silence, the loop's anyway.
        """
        eligible = np.logical_or.reduceat(repeat, starts[:-1])[groups]
        if not eligible.any():
            return groups
        first = starts[groups]
        gs = slot[first]
        latest = Latest(
            fleet.t[gs], fleet.lon[gs], fleet.lat[gs], fleet.msg_type[gs], fleet.sog[gs]
        )
        eligible &= latest.t >= 0
        if followed is not None:
            eligible &= ~followed[first]
        done = settle_plain(
            latest, first, starts[groups + 1] - first, eligible, fixes, repeat, self.cfg
        )
        accepted[done.rows] = done.accepted
        moved[done.rows[done.stale]] = -1
        self.stale += int(np.count_nonzero(done.stale))
        left: I64 = groups[~done.groups]
        return left

    def _stale(self, primary: Fix, fix: Fix, alts: Sequence[AltTrack]) -> bool:
        """Whether a repeat (`geo.recent_places`: a place its MMSI held within the hour) is stale.

        One the track cannot reach is, unless a far track's latest fix is there: a second
        transmitter sending one place again and again (a spoofer's fixed position, with a
        speed) repeats its own place, not the vessel's. One the track can reach is stale only
        far from the track's latest fix, where the next true fix would be a jump from it (a
        repeat a minute late does no harm, and a vessel crossing its own wake does not leave
        its last fix behind).
        """
        for alt in alts:
            if distance_m(alt.last.lon, alt.last.lat, fix.lon, fix.lat) <= STALE_SAME_PLACE_M:
                return False
        far = distance_one_m(primary.lon, primary.lat, fix.lon, fix.lat)  # `repeats_to_judge`'s
        if not plausible_move(primary, fix, self.cfg, far):
            return True
        return far >= STALE_MOVE_M and fix.t - primary.t >= STALE_MIN_AGE_MS

    def _switch_ms(self, typical_s: float) -> float:
        """Silence of the followed track after which another track of a shared MMSI is followed.

        Two of its report intervals, at least ``shared_switch_s``: well inside the "went dark"
        threshold (six intervals, 30 min at least), so a track that stops while another one
        reports is followed over, not reported dark.
        """
        own = 2.0 * typical_s if typical_s == typical_s else 0.0
        return max(self.cfg.shared_switch_s, own) * 1000.0

    def _timeout_ms(self, base_s: float, typical_s: float) -> float:
        """Return ``base_s``, or the silence the vessel's sampling explains if longer.

        12 h on a satellite feed: a far track heard at one pass is remembered until the next.
        """
        own = sampling_threshold_one(typical_s, self.cfg)
        return max(base_s, own) * 1000.0

    def _expire(self, s: int, mmsi: int, fix: Fix, typical: float, events: list[Event]) -> None:
        """Forget outliers and tracks that fell silent; close a shared episode that ended."""
        cfg = self.cfg
        quiet = self._timeout_ms(cfg.shared_quiet_s, typical)
        ep = self.shared.get(s)
        if ep is not None and fix.t - ep.last_b.t > quiet:
            del self.shared[s]
            events.append(self._shared_event(mmsi, ep, closed=True))
            ep = None
        alts = self.alt.get(s)
        if not alts:
            return
        # A far fix is a lone bad one unless the MMSI is known to be shared: then it is likelier
        # one more transmitter, heard again at its next pass, and it is remembered as long
        # as the episode's tracks are (members first, when there are too many).
        lone = self._timeout_ms(cfg.alt_timeout_s, typical) if ep is None else quiet
        keep = [
            a for a in alts if fix.t - a.last.t <= (quiet if a.member and ep is not None else lone)
        ]
        for a in keep:
            if ep is None:
                a.member = False
        if len(keep) > cfg.max_tracks:
            others = [a for a in keep if not a.member]
            drop = others[: len(keep) - cfg.max_tracks]  # the oldest lone fixes go first
            keep = [a for a in keep if not any(a is d for d in drop)][-cfg.max_tracks :]
        if keep:
            self.alt[s] = keep
        else:
            del self.alt[s]

    def _one(
        self,
        s: int,
        mmsi: int,
        primary: Fix | None,
        n_fixes: int,
        fix: Fix,
        events: list[Event],
        typical: float = float("nan"),
        count: int = 0,
    ) -> tuple[bool, Fix, int]:
        """Decide one fix of a vessel (``count``: its accepted fixes so far, all tracks)."""
        cfg = self.cfg
        self._expire(s, mmsi, fix, typical, events)
        alts = self.alt.get(s, [])
        ep = self.shared.get(s)
        if primary is None or self._plausible(primary, fix):
            for alt in alts:
                alt.interleaved += 1
                if (
                    alt.interleaved == 1
                    and alt.count >= cfg.excursion_fixes
                    and not alt.reported
                    and ep is None
                ):
                    alt.reported = True
                    ev = self._excursion(mmsi, primary, alt, fix)
                    start = self._episode_start(s, ev.start_ms, fix.t, typical)
                    events.append(replace(ev, start_ms=start))
            if ep is not None:
                ep.tracks[0][1] = fix
                ep.tracks[0][2] += 1
            return True, fix, n_fixes + 1
        fits = [a for a in alts if self._plausible(a.last, fix)]
        if fits:
            alt = min(fits, key=lambda a: (self._speed(a.last, fix), -a.last.t))
            if same_report(alt.last, fix, cfg):
                return False, primary, n_fixes
            alt.count += 1
            alt.last = fix
            if ep is not None and alt.member:
                ep.last_b = fix
                ep.fixes_b += 1
                self._track_of(ep, alt)[1:] = [fix, alt.count]
                if fix.t - primary.t > self._switch_ms(typical):
                    return self._switch(s, ep, primary, alt, fix)
                return False, primary, n_fixes
            # Interleaved with the followed track, two fixes consistent with each other far off
            # are a second transmitter, as two are an excursion: a sparse feed (an extract, one
            # report in 30 or 60 min) may never show a clone's third fix.
            shared_now = alt.interleaved > 0 and alt.count >= cfg.excursion_fixes
            if alt.count < cfg.track_confirm_fixes and not shared_now:
                return False, primary, n_fixes
            if ep is not None:  # one more transmitter on a shared MMSI, or one heard again
                alt.member = True
                ep.last_b = fix
                ep.fixes_b += alt.count
                again = [tr for tr in ep.tracks if self._plausible(tr[1], alt.first)]
                if again:
                    tr = max(again, key=lambda tr: tr[1].t)
                    alt.first = tr[0]
                    tr[1], tr[2] = fix, int(tr[2]) + alt.count
                    return False, primary, n_fixes
                ep.tracks.append([alt.first, fix, alt.count])
                events.append(self._shared_event(mmsi, ep, closed=False))
                return False, primary, n_fixes
            if alt.interleaved > 0:
                ep = SharedEpisode(
                    self._episode_start(s, alt.anchor_t, fix.t, typical), primary, alt.first,
                    fix, alt.count,
                    [[primary, primary, n_fixes], [alt.first, fix, alt.count]],
                )  # fmt: skip
                alt.member = True
                self.shared[s] = ep
                events.append(self._shared_event(mmsi, ep, closed=False))
                return False, primary, n_fixes
            alts.remove(alt)
            if not alts:
                self.alt.pop(s, None)
            self._moved(s, mmsi, primary, n_fixes, alt, fix, events)
            return True, fix, 1
        if distance_m(primary.lon, primary.lat, fix.lon, fix.lat) < cfg.jump_min_distance_m:
            return False, primary, n_fixes
        if ep is None and s in self.anchors:
            back = self.anchors.clone_heard(
                s, count, (primary.lat, primary.lon), fix.t, fix.lat, fix.lon
            )
            if back is not None:
                self._back_on_reckoning(s, mmsi, primary, fix, count, back, events, typical)
                return False, primary, n_fixes
        alts.append(AltTrack(first=fix, last=fix, anchor_t=primary.t))
        self.alt[s] = alts[-cfg.max_tracks :]
        return False, primary, n_fixes

    def _back_on_reckoning(
        self,
        s: int,
        mmsi: int,
        primary: Fix,
        fix: Fix,
        count: int,
        back: tuple[Anchor, dict[str, Any]],
        events: list[Event],
        typical: float,
    ) -> None:
        """Open the shared-MMSI episode that a vessel's return on its dead reckoning shows.

        The fixes heard in its silence, the track followed since, were a second transmitter
        (`geo.silence_return`). That track stays followed (the detectors go over to the
        vessel's once it falls silent, as between any two tracks of an episode); the vessel's
        is a track of the episode from its last fix before the silence, keyed from there as an
        excursion or interleaved tracks are from the followed track's last fix before them.
        """
        anchor, evidence = back
        before = Fix(anchor.t, anchor.lon, anchor.lat, anchor.msg_type)
        after = Fix(anchor.after_t, anchor.after_lon, anchor.after_lat, primary.msg_type)
        ep = SharedEpisode(
            self._episode_start(s, anchor.t, fix.t, typical), primary, fix, fix, 1,
            [[after, primary, count - anchor.count + 1], [before, fix, anchor.count]],
            reckoning=evidence,
        )  # fmt: skip
        self.shared[s] = ep
        self.alt.setdefault(s, []).append(
            AltTrack(first=before, last=fix, count=anchor.count, anchor_t=primary.t, member=True)
        )
        self.anchors.forget(s)
        events.append(self._shared_event(mmsi, ep, closed=False))

    def _episode_start(self, s: int, start: int, t: int, typical: float = float("nan")) -> int:
        """Start (key) of a position_jump reported at ``t``: the last one's if that was recent.

        Recent: within ``alt_timeout_s`` (as long as a far track is remembered), stretched
        with the vessel's sampling; else ``start``.

        The first signs of a second transmitter are jumps: the clone heard while the vessel
        was not (a position jump, and back), two of its fixes between the vessel's (an
        excursion), minutes apart. Then the transmitters interleave and the shared-MMSI
        episode opens. All of it is one conflict, one episode per MMSI and period: each event
        takes the first one's start, so it updates that event instead of adding another, even
        where the tracks it lists were first heard a little before. A jump hours after another
        (a move, then a spoof elsewhere) is an episode of its own.
        """
        jump = self.jumped.get(s)
        if jump is not None and t - jump[1] <= self._timeout_ms(self.cfg.alt_timeout_s, typical):
            start = jump[0]
        self.jumped[s] = (start, t)
        return start

    @staticmethod
    def _track_of(ep: SharedEpisode, alt: AltTrack) -> list[Any]:
        for tr in ep.tracks:
            if tr[0] == alt.first:
                return tr
        ep.tracks.append([alt.first, alt.last, alt.count])
        return ep.tracks[-1]

    def _switch(
        self, s: int, ep: SharedEpisode, primary: Fix, alt: AltTrack, fix: Fix
    ) -> tuple[bool, Fix, int]:
        """Follow another track of a shared MMSI: the followed one fell silent."""
        alts = self.alt[s]
        alts.remove(alt)
        old = AltTrack(first=primary, last=primary, count=1, anchor_t=fix.t, member=True)
        for tr in ep.tracks:
            if tr[1] == primary:
                old.first, old.count = tr[0], int(tr[2])
        alts.append(old)
        ep.tracks.sort(key=lambda tr: 0 if tr[0] == alt.first else 1)
        ep.switches += 1
        ep.last_b = primary if primary.t > ep.last_b.t else ep.last_b
        return True, fix, 1

    def _moved(
        self,
        s: int,
        mmsi: int,
        before: Fix,
        n_fixes: int,
        alt: AltTrack,
        fix: Fix,
        events: list[Event],
    ) -> None:
        cfg = self.cfg
        mem = self.memory.pop(s, None)
        if mem is not None and self._plausible(mem.before, alt.first):
            if not mem.returned and (
                alt.first.t - mem.event_start <= cfg.jump_return_window_s * 1000
            ):
                self._episode_start(s, mem.event_start, alt.first.t)
                self._came_back(mmsi, mem, alt, events)
                self.memory[s] = JumpMemory(
                    before, mem.event_start, mem.details, mem.lat, mem.lon, returned=True
                )
                return
            # Back and forth between places: several transmitters, not one vessel that moved.
            ep = SharedEpisode(
                self._episode_start(s, mem.event_start, fix.t), mem.before, before, before, 1,
                [[alt.first, fix, alt.count], [before, before, n_fixes]],
            )  # fmt: skip
            self.shared[s] = ep
            self.alt.setdefault(s, []).append(
                AltTrack(first=before, last=before, count=n_fixes, anchor_t=fix.t, member=True)
            )
            self._returned = True
            events.append(self._shared_event(mmsi, ep, closed=False))
            return
        if n_fixes < 2:
            return  # no established track yet: the first fix was the odd one, nothing to report
        d = distance_m(before.lon, before.lat, alt.first.lon, alt.first.lat)
        dt = (alt.first.t - before.t) / 1000.0
        info: dict[str, Any] = {
            "cause": "position_jump",
            "from": _fix_dict(before),
            "to": _fix_dict(alt.first),
            "distance_nm": nm(d),
            "elapsed_s": round(dt, 1),
            "implied_speed_kn": round(knots(d, dt), 1) if dt > 0 else None,
            "speed_limit_kn": cfg.jump_speed_b_kn
            if alt.first.msg_type in (18, 19)
            else cfg.jump_speed_a_kn,
            "confirming_fixes": alt.count,
            "summary": f"position jumped {nm(d)} nm in {format_duration(max(dt, 0.0))}",
        }
        severity = Severity.HIGH if d > 50 * 1852 else Severity.MEDIUM
        start = self._episode_start(s, before.t, alt.first.t)
        events.append(
            Event(
                EventKind.POSITION_JUMP,
                mmsi,
                start,
                alt.first.t,
                alt.first.lat,
                alt.first.lon,
                severity,
                details=info,
            )
        )
        self.memory[s] = JumpMemory(before, start, info, alt.first.lat, alt.first.lon)

    def _came_back(self, mmsi: int, mem: JumpMemory, alt: AltTrack, events: list[Event]) -> None:
        details = dict(mem.details)
        details["returned"] = {
            **_fix_dict(alt.first),
            "after": format_duration((alt.first.t - mem.event_start) / 1000.0),
        }
        details["summary"] = (
            details["summary"] + f"; back on its track after {details['returned']['after']}"
        )
        self._returned = True
        events.append(
            Event(
                EventKind.POSITION_JUMP,
                mmsi,
                mem.event_start,
                alt.first.t,
                mem.lat,
                mem.lon,
                Severity.MEDIUM,
                details=details,
            )
        )

    def _excursion(self, mmsi: int, before: Fix | None, alt: AltTrack, back: Fix) -> Event:
        """Report a short jump and back: consistent fixes far off, then the track again.

        Keyed like the shared-MMSI episode that the same fixes would open if the far track
        went on interleaving (start at the track's last fix before the first far one), so such
        an episode updates this event instead of adding a second.
        """
        a = before if before is not None else back
        d = distance_m(a.lon, a.lat, alt.first.lon, alt.first.lat)
        away = (back.t - alt.first.t) / 1000.0
        details: dict[str, Any] = {
            "cause": "excursion",
            "from": _fix_dict(a),
            "to": _fix_dict(alt.first),
            "returned": _fix_dict(back),
            "distance_nm": nm(d),
            "far_fixes": alt.count,
            "summary": (
                f"position jumped {nm(d)} nm for {format_duration(away)}"
                f" ({alt.count} consistent fixes), then back on its track"
            ),
        }
        severity = Severity.HIGH if d > 50 * 1852 else Severity.MEDIUM
        start = alt.anchor_t if alt.anchor_t >= 0 else a.t
        return Event(
            EventKind.POSITION_JUMP,
            mmsi,
            start,
            back.t,
            alt.first.lat,
            alt.first.lon,
            severity,
            details=details,
        )

    def shared_event(self, slot: int, mmsi: int) -> Event | None:
        """Return the open shared-MMSI episode of a vessel as an event (to update its names)."""
        ep = self.shared.get(slot)
        return None if ep is None else self._shared_event(mmsi, ep, closed=False)

    def ongoing(self, mmsi_of: list[int]) -> list[Event]:
        """Every open shared-MMSI episode in its present state (tracks, fixes, last heard).

        The episode is emitted when it opens and when a transmitter joins; its tracks go on
        reporting between. ``details.ongoing_until`` is the last fix of any of its tracks, and
        the duration runs to it, so a capture's last version of the episode is its final one.
        """
        return [
            self._shared_event(mmsi_of[s], ep, closed=False, ongoing=True)
            for s, ep in sorted(self.shared.items())
        ]

    def _shared_event(
        self, mmsi: int, ep: SharedEpisode, *, closed: bool, ongoing: bool = False
    ) -> Event:
        a, b = ep.track_a, ep.first_b
        d = distance_m(a.lon, a.lat, b.lon, b.lat)
        tracks = [
            {"first": _fix_dict(f), "last": _fix_dict(last), "fixes": int(k)}
            for f, last, k in transmitters(ep.tracks, self._plausible, self._speed)
        ]
        spread = max(
            (
                distance_m(x[1].lon, x[1].lat, y[1].lon, y[1].lat)
                for i, x in enumerate(ep.tracks)
                for y in ep.tracks[i + 1 :]
            ),
            default=d,
        )
        details: dict[str, Any] = {
            "cause": "shared_mmsi",
            "track_a": _fix_dict(a),
            "track_b": _fix_dict(b),
            "distance_nm": nm(max(d, spread)),
            "tracks": tracks,
            "switches": ep.switches,
            "summary": (
                f"{len(tracks)} transmitters share this MMSI, up to {nm(max(d, spread))} nm apart"
            ),
        }
        if ep.reckoning is not None:
            details["dead_reckoning"] = ep.reckoning
        if closed:
            details["track_b_last"] = _fix_dict(ep.last_b)
            details["track_b_fixes"] = ep.fixes_b
            details["summary"] += f", for {format_duration((ep.last_b.t - ep.start) / 1000.0)}"
        elif ongoing:
            until = max(max(int(tr[1].t) for tr in ep.tracks), ep.last_b.t)
            dur = max(0.0, (until - ep.start) / 1000.0)
            details["ongoing_until"] = format_time(until)
            details["duration_s"] = round(dur, 1)
            details["duration"] = format_duration(dur)
            details["summary"] += f", for {format_duration(dur)} (ongoing)"
        return Event(
            EventKind.POSITION_JUMP,
            mmsi,
            ep.start,
            ep.last_b.t if closed else None,
            b.lat,
            b.lon,
            Severity.HIGH,
            details=details,
        )

    def to_state(self) -> dict[str, Any]:
        def ep_state(ep: SharedEpisode) -> dict[str, Any]:
            out = _state_of(ep)
            out["tracks"] = [[_state_of(f), _state_of(last), k] for f, last, k in ep.tracks]
            return out

        return {
            "alt": {str(k): [_state_of(a) for a in v] for k, v in self.alt.items()},
            "memory": {str(k): _state_of(v) for k, v in self.memory.items()},
            "shared": {str(k): ep_state(v) for k, v in self.shared.items()},
            "jumped": {str(k): list(v) for k, v in self.jumped.items()},
            "anchors": self.anchors.to_state(),
            "rejected": self.rejected,
            "stale": self.stale,
            "places": self.places.to_state(),
        }

    def load_state(self, obj: dict[str, Any]) -> None:
        def alt_of(v: dict[str, Any]) -> AltTrack:
            return AltTrack(
                _fix_from(v["first"]),
                _fix_from(v["last"]),
                v["count"],
                v["interleaved"],
                v["anchor_t"],
                bool(v.get("reported", False)),
                bool(v.get("member", False)),
            )

        self.alt = {
            int(k): [alt_of(a) for a in (v if isinstance(v, list) else [v])]
            for k, v in obj["alt"].items()
        }
        self.memory = {
            int(k): JumpMemory(
                _fix_from(v["before"]),
                v["event_start"],
                v["details"],
                v["lat"],
                v["lon"],
                bool(v.get("returned", False)),
            )
            for k, v in obj["memory"].items()
        }
        self.shared = {}
        for k, v in obj["shared"].items():
            a, b0, b1 = _fix_from(v["track_a"]), _fix_from(v["first_b"]), _fix_from(v["last_b"])
            tracks = [
                [_fix_from(f), _fix_from(last), int(n)] for f, last, n in v.get("tracks", [])
            ] or [[a, a, 1], [b0, b1, int(v["fixes_b"])]]
            self.shared[int(k)] = SharedEpisode(
                v["start"], a, b0, b1, v["fixes_b"], tracks, int(v.get("switches", 0)),
                v.get("reckoning"),
            )  # fmt: skip
        self.jumped = {int(k): (int(v[0]), int(v[1])) for k, v in obj.get("jumped", {}).items()}
        self.anchors.load_state(obj.get("anchors", {}))
        self.rejected = int(obj["rejected"])
        self.stale = int(obj.get("stale", 0))
        self.places = RecentPlaces.from_state(
            obj.get("places", {}), self.cfg.stale_window_s, self.cfg.stale_min_sog_kn
        )
