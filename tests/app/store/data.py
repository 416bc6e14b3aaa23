"""A small deterministic traffic picture shared by the query tests (both backends)."""

from __future__ import annotations

import numpy as np

from ais_ingest.records import Batch, PositionColumns, StaticReport

T0 = 1_780_272_000_000  # 2026-06-01T00:00:00Z
HOUR = 3_600_000


def traffic(n_vessels: int = 12, n_fixes: int = 40, step_ms: int = 60_000, seed: int = 7) -> Batch:
    """Vessels sailing straight lines in the Sicily channel, one fix a minute, a few gaps."""
    rng = np.random.default_rng(seed)
    mmsi = np.repeat(np.arange(n_vessels) + 247_000_001, n_fixes).astype(np.int64)
    k = np.tile(np.arange(n_fixes), n_vessels)
    lat0 = np.repeat(rng.uniform(35.0, 36.0, n_vessels), n_fixes)
    lon0 = np.repeat(rng.uniform(12.0, 13.0, n_vessels), n_fixes)
    cols = PositionColumns.empty(mmsi.size)
    cols.mmsi = mmsi
    cols.time_ms = T0 + k * step_ms + (mmsi - 247_000_000) * 1000
    cols.lat = np.round(lat0 + k * 0.002, 6).astype(np.float64)
    cols.lon = np.round(lon0 + k * 0.003 * np.sin(k / 7.0), 6).astype(np.float64)
    cols.msg_type[:] = 1
    cols.speed[:] = np.float32(10.5)
    cols.course[:] = rng.uniform(0, 359, mmsi.size).astype(np.float32).round(1)
    cols.speed[::5] = np.nan
    cols.source = ["rTEST"] * mmsi.size
    statics = [
        StaticReport(T0, 247_000_001 + i, 5, name=f"SHIP {i}", callsign=f"IAB{i}",
                     ship_type=(70, 80, 30)[i % 3])
        for i in range(n_vessels)
    ]  # fmt: skip
    return Batch(cols, statics)
