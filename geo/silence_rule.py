"""How long a silence a vessel's own sampling explains: one rule for every timer that waits.

The gap detector calls a vessel dark after it (`geo.detectors.gap`), the tracker forgets a far
track or a shared MMSI's quiet transmitter after it (`geo.tracker`), and the simulator's truth
and `make eval` mark shorter silences undecidable with it: the same figure everywhere, so a
track is not forgotten before the silence it left would count as a gap.

``gap_sampling_k`` (6) of the vessel's report intervals, on a feed that hears it at least once
in ``gap_sparse_sampling_s`` (45 min); ``gap_sparse_floor_s`` (12 h) on a sparser one (satellite
passes, an hourly archive) and while nothing is known of its sampling: such a feed leaves holes
of many hours with nothing wrong (see `geo.config.EngineConfig`); and on such a feed a silence
is a switch-off only where the vessel was tracked closely before it (`geo.sparse_tracking`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from geo.config import EngineConfig

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


def sparse_sampling(own_s: F64, cfg: EngineConfig) -> B:
    """Whether a feed samples each vessel sparsely (or nothing is known of it), element-wise.

    Examples
    --------
    >>> sparse_sampling(np.array([10.0, 2640.0, 2700.0, np.nan]), EngineConfig()).tolist()
    [False, False, True, True]
    """
    return _capped(own_s, cfg)[1]


def _capped(own_s: F64, cfg: EngineConfig) -> tuple[F64, B]:
    """Each sampling capped at ``gap_sampling_cap_s``, and whether it is sparse (or unknown)."""
    own = np.minimum(own_s, cfg.gap_sampling_cap_s)
    sparse: B = np.isnan(own) | (own >= cfg.gap_sparse_sampling_s)
    return own, sparse


def sampling_threshold_s(own_s: F64, cfg: EngineConfig) -> F64:
    """Silence that a vessel's own sampling explains, element-wise (NaN: not known).

    Examples
    --------
    >>> own = np.array([10.0, 1200.0, 2640.0, 2700.0, 5700.0, np.nan])
    >>> (sampling_threshold_s(own, EngineConfig()) / 3600.0).round(2).tolist()
    [0.02, 2.0, 4.4, 12.0, 12.0, 12.0]
    """
    own, sparse = _capped(own_s, cfg)  # NaN rows are sparse: the product's NaN is not taken
    out: F64 = np.where(sparse, cfg.gap_sparse_floor_s, cfg.gap_sampling_k * own)
    return out


def sampling_threshold_one(own_s: float, cfg: EngineConfig) -> float:
    """`sampling_threshold_s` of one vessel (a float, NaN: not known), the same figure.

    The scalar form for the rules asked one fix at a time (`geo.tracker`): a one-element
    array cost more than the arithmetic.

    Examples
    --------
    >>> [sampling_threshold_one(x, EngineConfig()) / 3600.0 for x in (1200.0, float("nan"))]
    [2.0, 12.0]
    """
    own = own_s if own_s != own_s else min(own_s, cfg.gap_sampling_cap_s)
    if own != own or own >= cfg.gap_sparse_sampling_s:
        return float(cfg.gap_sparse_floor_s)
    return float(cfg.gap_sampling_k * own)
