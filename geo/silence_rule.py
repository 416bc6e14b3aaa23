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
    own = np.minimum(own_s, cfg.gap_sampling_cap_s)
    out: B = np.isnan(own) | (own >= cfg.gap_sparse_sampling_s)
    return out


def sampling_threshold_s(own_s: F64, cfg: EngineConfig) -> F64:
    """Silence that a vessel's own sampling explains, element-wise (NaN: not known).

    Examples
    --------
    >>> own = np.array([10.0, 1200.0, 2640.0, 2700.0, 5700.0, np.nan])
    >>> (sampling_threshold_s(own, EngineConfig()) / 3600.0).round(2).tolist()
    [0.02, 2.0, 4.4, 12.0, 12.0, 12.0]
    """
    own = np.minimum(own_s, cfg.gap_sampling_cap_s)
    sparse = sparse_sampling(own_s, cfg)
    out: F64 = np.where(sparse, cfg.gap_sparse_floor_s, cfg.gap_sampling_k * np.nan_to_num(own))
    return out
