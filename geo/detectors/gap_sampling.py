"""A vessel's own sampling and how closely the feed tracked it, kept fix by fix for ``ais_gap``.

`sampling_before` and `keep_sampling` keep each vessel's sampling (the decaying maximum of its
report intervals, `geo.tracker.sampling_at`) exactly per fix, whatever the batches;
`keep_tracked` keeps its reports of the last 12 h (`geo.sparse_tracking`). The gap detector
(`geo.detectors.gap`) reads both where a vessel falls silent.
"""

from __future__ import annotations

import numpy as np

from geo.config import EngineConfig
from geo.detectors.base import F64, I64, SliceContext
from geo.sparse_tracking import reports_12h, tracked_rows
from geo.tracker import NO_SAMPLING, Fleet


def sampling_before(ctx: SliceContext, fleet: Fleet, cfg: EngineConfig) -> tuple[F64, F64, F64]:
    """Each fix's interval from the previous, and the vessel's own sampling when it went quiet.

    Returns ``(dt, sampling, after)``: ``dt`` in seconds (NaN at a vessel's first fix),
    `sampling_at` as it stood at the previous fix (NaN while unknown: no interval yet, or the
    vessel watched for less than ``gap_floor_s`` and fewer than ``gap_sampling_min_fixes``
    fixes), and the running ``skey`` after each fix (see `keep_sampling`), every interval
    counted. Exact per fix (a running maximum per vessel, in numpy), so it does not depend on
    how a slice is cut into batches. `GapDetector.process` redoes the rare vessels with a gap
    one fix at a time, since a gap is not sampling.
    """
    n = len(ctx)
    half, cap = cfg.gap_sampling_half_life_s, cfg.gap_sampling_cap_s
    slot = ctx.slot
    t_ref = int(ctx.t[0])
    has = ctx.prev_t >= 0
    span = (ctx.t - ctx.prev_t) / 1000.0  # (taken only where there is a previous fix)
    dt = np.where(has, span, np.nan)
    rel_t = (ctx.t - t_ref) / 1000.0 / half
    key = np.where(has, np.log2(np.minimum(np.maximum(span, 1e-3), cap)) + rel_t, NO_SAMPLING)
    stored = fleet.skey[slot]
    stored = np.where(
        np.isnan(stored), NO_SAMPLING, stored - (t_ref - fleet.skey_t[slot]) / 1000.0 / half
    )
    stored = np.maximum(stored, NO_SAMPLING)
    group = ctx.group()
    big = 4.0 * -NO_SAMPLING
    after = np.maximum.accumulate(np.maximum(key, stored) + group * big) - group * big
    before = np.empty(n)
    before[1:] = after[:-1]
    first_rows = ctx.starts[:-1]
    before[first_rows] = stored[first_rows]
    sampling = np.where(
        before <= NO_SAMPLING / 2,
        np.nan,
        2.0 ** (before - (ctx.prev_t - t_ref) / 1000.0 / half),
    )
    first_t = np.where(fleet.first_t[slot] >= 0, fleet.first_t[slot], ctx.t[first_rows][group])
    at = np.arange(n) - first_rows[group]
    watched = ((ctx.prev_t - first_t) >= cfg.gap_floor_s * 1000) | (
        fleet.n_fixes[slot] + at >= cfg.gap_sampling_min_fixes
    )
    return dt, np.where(watched, sampling, np.nan), after


def keep_sampling(ctx: SliceContext, fleet: Fleet, after: F64) -> None:
    """Store each vessel's sampling after its last fix of the part, and its first fix ever.

    ``skey`` is kept at the part's first time, the reference `sampling_before` used.
    """
    slot = ctx.slot
    first_rows = ctx.starts[:-1]
    fs = slot[first_rows]
    fleet.first_t[fs] = np.where(fleet.first_t[fs] >= 0, fleet.first_t[fs], ctx.t[first_rows])
    last = ctx.starts[1:] - 1
    fleet.skey[slot[last]] = after[last]
    fleet.skey_t[slot[last]] = int(ctx.t[0])


def keep_tracked(ctx: SliceContext, fleet: Fleet, cfg: EngineConfig, rows: I64) -> F64:
    """Count each fix in its vessel's reports of the last 12 h (`geo.sparse_tracking`).

    Returns the reports in the 12 h before the previous fix of each of ``rows`` (the gap
    detector asks at the rare silences only, `reports_12h`); stores each vessel's weighted
    count after its last fix, and its first fix.
    """
    first_rows = ctx.starts[:-1]
    fs = ctx.slot[first_rows]
    group = ctx.group()
    before, after = tracked_rows(
        ctx.t, ctx.starts, fleet.trk_n[fs], fleet.trk_n_t[fs], cfg, group=group
    )
    since = np.where(fleet.trk_since[fs] >= 0, fleet.trk_since[fs], ctx.t[first_rows])
    fleet.trk_since[fs] = since
    last = ctx.starts[1:] - 1
    fleet.trk_n[ctx.slot[last]] = after[last]
    fleet.trk_n_t[ctx.slot[last]] = ctx.t[last]
    g = group[rows]
    n_prev = fleet.n_fixes[ctx.slot[rows]] + rows - first_rows[g]
    out: F64 = reports_12h(before[rows], n_prev, ctx.prev_t[rows] - since[g], cfg)
    return out
