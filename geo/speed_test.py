"""The outlier filter's speed test: whether one craft could have made two fixes.

The filter (`geo.tracker`) asks it of a whole slice part in arrays (each fix against the one
before), fix by fix in floats for the vessels it follows one fix at a time, and again in arrays
for the vessels whose fixes it only accepts or calls stale (`geo.plain_groups`). The array and
float forms do the same operations in the same order, so a fix gets the same answer whichever
path its batch sent it down.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geo.config import KNOT_MS, EngineConfig
from geo.detectors.base import F64, I64, U8, distance_m


def tolerance_m(msg_type: U8, cfg: EngineConfig) -> F64:
    """Position uncertainty per fix: coarse for type 27 long-range reports."""
    return np.where(msg_type == 27, cfg.long_range_tolerance_m, cfg.fix_tolerance_m)


def speed_limit_kn(
    msg_type: U8, cfg: EngineConfig, sog0: F64, sog1: F64, dt_s: F64 | float = 0.0
) -> F64:
    """Plausible top mean speed of a move ending at each fix, ``dt_s`` after the one before.

    The class's (types 18/19 are class B) for a dash of up to ``dash_s``, the distance growing
    at ``sustained_speed_kn`` beyond it; or, higher, the speed both ends report
    (``reported_speed_factor`` and ``reported_speed_slack_kn``: a helicopter flies as it says).
    """
    is_b = (msg_type == 18) | (msg_type == 19)
    top = np.where(is_b, cfg.jump_speed_b_kn, cfg.jump_speed_a_kn)
    dt = np.maximum(dt_s, cfg.dash_s)
    by_class = (top * cfg.dash_s + np.minimum(top, cfg.sustained_speed_kn) * (dt - cfg.dash_s)) / dt
    with np.errstate(invalid="ignore"):
        reported = (sog0 + sog1) / 2 * cfg.reported_speed_factor + cfg.reported_speed_slack_kn
    return np.fmax(by_class, reported)  # NaN (a speed unknown) leaves the class's limit


def speed_limit_one(
    msg_type: int, cfg: EngineConfig, sog0: float, sog1: float, dt_s: float = 0.0
) -> float:
    """`speed_limit_kn` of one move, as a float (the outlier filter's fix-by-fix rules).

    The same operations in the same order on floats: the same figure, without the cost of
    one-element arrays.

    Examples
    --------
    >>> cfg, a = EngineConfig(), np.array([1], dtype=np.uint8)
    >>> one = speed_limit_kn(a, cfg, np.array([np.nan]), np.array([12.0]), 3600.0)
    >>> speed_limit_one(1, cfg, float("nan"), 12.0, 3600.0) == float(one[0])
    True
    """
    top = cfg.jump_speed_b_kn if msg_type in (18, 19) else cfg.jump_speed_a_kn
    dt = max(dt_s, cfg.dash_s)
    by_class = (top * cfg.dash_s + min(top, cfg.sustained_speed_kn) * (dt - cfg.dash_s)) / dt
    reported = (sog0 + sog1) / 2 * cfg.reported_speed_factor + cfg.reported_speed_slack_kn
    return float(by_class if reported != reported else max(by_class, reported))


def implied_speed_kn(t0: I64, step_m: F64, tol0: F64, t1: I64, tol1: F64, cfg: EngineConfig) -> F64:
    """Speed needed between two fixes ``step_m`` apart, after position and timing uncertainty."""
    d = np.maximum(step_m - tol0 - tol1, 0.0)
    dt = (t1 - t0) / 1000.0 + cfg.time_tolerance_s
    return d / dt / KNOT_MS


@dataclass(slots=True)
class Fix:
    """One fix held by the outlier filter."""

    t: int
    lon: float
    lat: float
    msg_type: int
    sog: float = float("nan")  # reported speed, knots (NaN unknown)


def move_speed_kn(
    a: Fix, b: Fix, cfg: EngineConfig, tol: float = 0.0, metres: float | None = None
) -> float:
    """Speed a move from ``a`` to ``b`` needs, ``tol`` metres of position error taken off.

    ``metres``: the distance between them, when the caller has it already.
    """
    far = distance_m(a.lon, a.lat, b.lon, b.lat) if metres is None else metres
    d = max(far - tol, 0.0)
    dt = abs(b.t - a.t) / 1000.0 + cfg.time_tolerance_s
    return d / dt / KNOT_MS


def plausible_move(a: Fix, b: Fix, cfg: EngineConfig, metres: float | None = None) -> bool:
    """Whether one craft could have made both fixes: the filter's rule, fix against fix."""
    tol = (cfg.long_range_tolerance_m if a.msg_type == 27 else cfg.fix_tolerance_m) + (
        cfg.long_range_tolerance_m if b.msg_type == 27 else cfg.fix_tolerance_m
    )
    limit = speed_limit_one(b.msg_type, cfg, a.sog, b.sog, abs(b.t - a.t) / 1000.0)
    return move_speed_kn(a, b, cfg, tol, metres) <= limit


def same_report(a: Fix, b: Fix, cfg: EngineConfig) -> bool:
    """Whether ``b`` is ``a`` heard again (one message, two stations): no confirmation of it.

    Within ``repeat_s`` and ``repeat_m`` (see `EngineConfig`): a corrupt position heard by
    two stations a second apart was two fixes that agree, an excursion.

    Examples
    --------
    >>> cfg = EngineConfig()
    >>> a = Fix(0, 15.0, 36.0, 1)
    >>> [same_report(a, Fix(t, 15.0, 36.0, 1), cfg) for t in (1000, 30_000)]
    [True, False]
    """
    return abs(b.t - a.t) <= cfg.repeat_s * 1000.0 and (
        distance_m(a.lon, a.lat, b.lon, b.lat) <= cfg.repeat_m
    )
