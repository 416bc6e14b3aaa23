"""Stale repeats, and the vessels' fixes the outlier filter decides in arrays, not fix by fix.

`geo.tracker.Tracker.filter` sends a vessel's fixes of a slice part through its fix-by-fix rules
when one of them needs it: an implausible move, a long silence, a repeat of a place the vessel
held within the hour (`geo.recent_places`), a far track of the MMSI. Most of those vessels get
nothing from the rules but "accepted" or "a stale repeat": no far track, no shared-MMSI
episode, no silence, every fix either plausible from the track's latest fix or a repeat found
stale. `settle_plain` decides those vessels in arrays, one round per fix of a group, and leaves
the loop the ones where any rule could do more. On `bench.cli`'s real capture (one feed four
times: a repeat after every fix) 10.5k of 14.4k such vessel groups a run are settled here, and
the engine's process runs 8 % fewer instructions.

The rules are the loop's, on the same floats (`haversine_m` is `distance_one_m` element-wise,
the speed limits are the same operations in the same order); a decision within `MARGIN` of a
threshold goes to the loop anyway, since the loop's plausibility test measures with ``math``
(`distance_m`), which can differ from numpy in the last bit.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from geo.config import KNOT_MS, EngineConfig
from geo.detectors.base import F64, I64, U8, B, haversine_m
from geo.speed_test import speed_limit_kn, tolerance_m

#: A repeat the track can reach is stale only this far from, and this long after, the track's
#: latest fix (`geo.tracker.Tracker._stale`).
STALE_MOVE_M = 200.0
#: A repeat this close to a far track's latest fix is that track's own place, metres: two
#: records in one 1e-4 degree cell (`geo.recent_places`) are at most ~16 m apart.
STALE_SAME_PLACE_M = 20.0
STALE_MIN_AGE_MS = 60_000
#: Groups longer than this go to the loop: each fix is one round of array operations.
MAX_FIXES = 8
#: Relative distance from a threshold within which the loop decides.
MARGIN = 1e-9


def repeats_to_judge(
    repeat: B,
    bad: B,
    has_prev: B,
    p_t: I64,
    step_m: F64,
    t: I64,
    starts: I64,
) -> B:
    """Return the repeats `Tracker._stale` must judge fix by fix; the others are no stale ones.

    In a vessel's group with no other reason to go fix by fix (``bad``), every fix is
    plausible from the one before, so each is accepted and the fix before is the track's
    latest: a repeat there is stale only far from it and long after it (`Tracker._stale`: the
    vessel has no far track to check). A group with such a repeat, or another reason, keeps
    all its marks. Deciding the rest here keeps a feed of many repeats (a relay's, or
    `bench.cli`'s real capture, one feed four times) off the fix-by-fix path: 87k fixes
    of that capture went through it, 27k now. ``step_m``: each fix's distance from the fix
    before, as the speed test measured it (`geo.tracker.Filtered.step_m`).
    """
    idx = np.flatnonzero(repeat & has_prev)
    cand = np.zeros(len(t), dtype=np.bool_)
    far = step_m[idx] >= STALE_MOVE_M
    cand[idx] = far & (t[idx] - p_t[idx] >= STALE_MIN_AGE_MS)
    judge = np.logical_or.reduceat(bad | cand, starts[:-1])
    kept: B = repeat & np.repeat(judge, np.diff(starts))
    return kept


class Latest(NamedTuple):
    """The track's latest fix of each group's vessel before the slice part (arrays by group)."""

    t: I64
    lon: F64
    lat: F64
    msg_type: U8
    sog: F64


class Settled(NamedTuple):
    """Which groups `settle_plain` decided, and for their rows: accepted, or a stale repeat."""

    groups: B
    rows: I64
    accepted: B
    stale: B


def settle_plain(
    latest: Latest,
    first: I64,
    length: I64,
    eligible: B,
    fixes: tuple[I64, F64, F64, U8, F64],
    repeat: B,
    cfg: EngineConfig,
) -> Settled:
    """Decide the groups of ``eligible`` whose every fix is accepted or a stale repeat.

    A group is a vessel's fixes ``first[g]:first[g] + length[g]`` of the part's ``fixes``
    (time, lon, lat, message type, SOG); eligible ones have a latest fix, no far track or
    shared-MMSI episode and a repeat to judge (`geo.tracker.Tracker._settle` knows). Fix
    ``k`` of every group still undecided is judged in round ``k`` against its group's track's
    latest fix then, as the loop would: a repeat (``repeat``) the track cannot reach, or far
    and long after its latest fix, is stale and leaves the track as it was; any other fix must
    be a plausible move from the latest, within `geo.config.EngineConfig.dr_min_silence_s` of
    it (a longer silence may start a dead reckoning's track, `geo.silence_return`), and becomes
    the latest. A group with a fix that is neither, or a decision within `MARGIN` of a
    threshold, is left to the loop.
    """
    t, lon, lat, msg_type, sog = fixes
    live = eligible & (length <= MAX_FIXES)
    took = np.zeros(len(t), dtype=np.bool_)
    stale = np.zeros(len(t), dtype=np.bool_)
    # the track's latest fix of each group as the rounds go (copies: the caller's stay)
    pt, plon, plat = latest.t.copy(), latest.lon.copy(), latest.lat.copy()
    ptype, psog = latest.msg_type.copy(), latest.sog.copy()
    silence_ms = cfg.dr_min_silence_s * 1000
    for k in range(int(length[live].max()) if live.any() else 0):
        gi = np.flatnonzero(live & (length > k))
        i = first[gi] + k
        far = haversine_m(plon[gi], plat[gi], lon[i], lat[i])
        dt_ms = t[i] - pt[gi]
        dt_s = np.abs(dt_ms) / 1000.0
        # `geo.speed_test.plausible_move`'s operations in its order
        tol = tolerance_m(ptype[gi], cfg) + tolerance_m(msg_type[i], cfg)
        speed = np.maximum(far - tol, 0.0) / (dt_s + cfg.time_tolerance_s) / KNOT_MS
        limit = speed_limit_kn(msg_type[i], cfg, psog[gi], sog[i], dt_s)
        plausible = speed <= limit
        unsure = np.abs(speed - limit) <= MARGIN * limit
        rep = repeat[i]
        old = rep & (~plausible | ((far >= STALE_MOVE_M) & (dt_ms >= STALE_MIN_AGE_MS)))
        unsure |= rep & (np.abs(far - STALE_MOVE_M) <= MARGIN * STALE_MOVE_M)
        take = ~old
        undecided = unsure | (take & (~plausible | (dt_ms >= silence_ms)))
        live[gi[undecided]] = False
        stale[i] = old
        took[i] = take
        on = take & ~undecided
        up, iu = gi[on], i[on]
        pt[up], plon[up], plat[up], ptype[up], psog[up] = (
            t[iu], lon[iu], lat[iu], msg_type[iu], sog[iu],
        )  # fmt: skip
    starts, counts = first[live], length[live]
    # the rows of the settled groups: each group's start repeated, plus 0, 1, ... within it
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    rows = np.repeat(starts, counts) + within
    return Settled(live, rows, took[rows], stale[rows])
