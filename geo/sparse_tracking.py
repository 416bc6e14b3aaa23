"""How well a feed tracked a vessel before it fell silent: GFW's bar for a sparse feed's gaps.

A feed that hears a vessel once in ``gap_sparse_sampling_s`` (45 min) or less often (satellite
passes, an hourly archive) waits ``gap_sparse_floor_s`` (12 h) before a silence is a gap
(`geo.silence_rule`). Twelve hours is not enough by itself: satellite AIS comes in a
twice-daily cycle of passes, and a vessel the constellation hears once or twice a pass misses
every pass of one cycle often enough (a pass is lost to collisions over busy seas, to the
vessel's antenna, to the orbit's geometry) that holes of 12 to 20 hours are the feed's, not the
vessel's. Global Fishing Watch calls a satellite-era gap a possible disabling only where the
vessel had been tracked closely before it: Welch et al. (2022, "Hot spots of unseen fishing
vessels") ask for 14 positions in the 12 h before the gap, besides 12 h of silence and good
reception where it starts (GFW's own analyses ask for 19). A vessel heard that often has a
revisit of under an hour, so twelve silent hours are twelve of its revisits and more; one heard
six or eight times in twelve hours by a few passes has holes of the same order as the silence.

So a sparsely sampled vessel's silence is judged lost at the edge of coverage (``edge``, low,
worded as a loss of contact) unless the feed heard it at least ``gap_sparse_min_reports`` (14)
times in the 12 h before it: the receivers (a constellation) lose such vessels there, exactly
as a shore station loses the ships beyond its range. A vessel the feed tracks well keeps the
verdict of the coverage map. No sampling this sparse can tell a switch-off from a hole, so
the truth of `mare simulate` marks such switch-offs optional (`simulate.silences`).

The figure is the vessel's reports in the 12 h before its last fix: exactly its count of fixes
while it has been heard for 12 h or less, and beyond that its recent rate times 12 h, from a
count of its fixes weighted with a mean life of ``gap_sparse_track_s`` (12 h; at a steady rate
that is exactly the 12 h count): one number per vessel, no list of report times. Every accepted
fix counts (a pass's reports seconds apart each show the vessel heard).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from geo.config import EngineConfig
from geo.detectors.base import F64, I64


def tracked_at(count: Any, count_t: Any, at_ms: Any, cfg: EngineConfig) -> Any:
    """Return the weighted count of reports at a time, from its value at ``count_t``.

    Examples
    --------
    Fourteen reports just now; twelve hours later they weigh as 14 / e.

    >>> cfg = EngineConfig()
    >>> [round(float(tracked_at(14.0, 0, h * 3_600_000, cfg)), 2) for h in (0, 12)]
    [14.0, 5.15]
    """
    life_ms = cfg.gap_sparse_track_s * 1000.0
    age = np.maximum(np.asarray(at_ms, np.float64) - np.asarray(count_t, np.float64), 0.0)
    return np.nan_to_num(np.asarray(count, np.float64)) * np.exp(-age / life_ms)


def tracked_rows(
    t: I64, starts: I64, stored: F64, stored_t: I64, cfg: EngineConfig, group: I64 | None = None
) -> tuple[F64, F64]:
    """Return the count at each row's previous fix and after each row, per vessel group.

    ``t`` are a slice part's accepted fixes grouped by vessel (``starts``, as in
    `SliceContext`), in time order within a group; ``stored`` and ``stored_t`` each group's
    count as it stood at its last fix before the part (0 and -1 for a new vessel). ``group``:
    each row's group, when the caller has it (`SliceContext.group`).

    Examples
    --------
    One vessel, three reports an hour apart after a stored count of 2 an hour earlier.

    >>> cfg = EngineConfig()
    >>> h = 3_600_000
    >>> before, after = tracked_rows(np.array([h, 2 * h, 3 * h]), np.array([0, 3]),
    ...     np.array([2.0]), np.array([0]), cfg)
    >>> before.round(2).tolist(), after.round(2).tolist()
    ([2.0, 2.84, 3.61], [2.84, 3.61, 4.32])
    """
    n = len(t)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    life_ms = cfg.gap_sparse_track_s * 1000.0
    first_rows = starts[:-1]
    if group is None:
        group = np.repeat(np.arange(len(first_rows)), np.diff(starts))
    t_ref = float(t.min())
    w = np.exp((t - t_ref) / life_ms)  # a part spans a slice: w stays near 1
    s_t = np.where(stored_t >= 0, stored_t, t[first_rows]).astype(np.float64)
    stored = np.where(np.isnan(stored), 0.0, stored)  # (a count: never infinite)
    base = stored * np.exp((s_t - t_ref) / life_ms)
    cs = np.cumsum(w)
    offset = np.where(first_rows > 0, cs[first_rows - 1], 0.0)
    after = (base[group] + cs - offset[group]) / w
    before = np.empty(n)
    before[1:] = after[:-1]
    before[first_rows] = stored  # as it stood at the fix before the part
    return before, after


def reports_12h(count: Any, n_fixes: Any, span_ms: Any, cfg: EngineConfig) -> Any:
    """Return the vessel's reports in the 12 h before a fix (see the module docstring).

    ``count`` is the weighted count at the fix, ``n_fixes`` the fixes up to it and ``span_ms``
    the time since the vessel's first fix.

    Examples
    --------
    Sixteen reports over 12 h at a steady rate weigh 16 x (1 - 1/e); over 6 h they are 16.

    >>> cfg = EngineConfig()
    >>> reports_12h(np.array([16 * (1 - np.exp(-1)), 16.0]), np.array([16, 16]),
    ...     np.array([12.01, 6.0]) * 3_600_000, cfg).round(1).tolist()
    [16.0, 16.0]
    """
    life_ms = cfg.gap_sparse_track_s * 1000.0
    span = np.maximum(np.asarray(span_ms, np.float64), 0.0)
    full = np.maximum(1.0 - np.exp(-span / life_ms), 1e-9)
    return np.where(span <= life_ms, n_fixes, np.asarray(count, np.float64) / full)


def well_tracked(count: F64, cfg: EngineConfig) -> Any:
    """Whether a sparsely sampled vessel was heard often enough before a silence (see above)."""
    return np.asarray(count) >= cfg.gap_sparse_min_reports


def sparse_verdict(
    cover: dict[str, Any], sparse: bool, count: float, cfg: EngineConfig
) -> dict[str, Any]:
    """Return a gap's ``details.coverage`` with the sparse feed's bar applied (see above).

    A vessel sampled sparsely carries ``reports_12h`` (`reports_12h` at its last fix);
    under ``gap_sparse_min_reports`` its verdict is ``edge`` whatever the map said.

    Examples
    --------
    >>> cfg = EngineConfig()
    >>> sparse_verdict({"verdict": "unknown"}, True, 6.04, cfg)
    {'verdict': 'edge', 'reports_12h': 6.0}
    >>> sparse_verdict({"verdict": "good"}, True, 15.0, cfg)["verdict"]
    'good'
    >>> sparse_verdict({"verdict": "unknown"}, False, 0.0, cfg)
    {'verdict': 'unknown'}
    """
    if not sparse:
        return cover
    out = {**cover, "reports_12h": round(count, 1)}
    if not well_tracked(np.array(count), cfg):
        out["verdict"] = "edge"
    return out
