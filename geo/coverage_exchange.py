"""Several engines, one coverage map (`app.bus`: one engine per partition of the vessels).

The per-vessel parts of learnt coverage (rates, own reception: `geo.vessel_reception`) stay
with the engine that owns the vessel; the map's cells and the stations' reports are what every
engine's gap judgement reads. Engines that split the vessels between them exchange what each
slice adds (`shared_pending`) at each slice close and each adds the others' (`add_shared`):
integer sums, so every engine holds the map one engine over all vessels would. Station codes
are local to an engine: names travel instead.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from geo.arrays import distinct
from geo.coverage_buckets import NO_STATION, STATION_BITS, reduce_keys
from geo.detectors.base import I64


class SharedCoverage(Protocol):
    """What the exchange reads and adds to of `geo.coverage.Coverage` (which imports it)."""

    pending: list[dict[str, Any]]
    station_names: list[str]
    stand_ins: int

    def station_codes(self, sources: list[str]) -> I64: ...


def shared_pending(cov: SharedCoverage) -> dict[str, Any]:
    """Return what the open slice adds to the map and the stations, reduced, by name.

    The per-vessel parts (rates, own reception) stay with the engine that owns the vessel;
    the map's cells and the stations' reports are what every engine's gap judgement reads,
    so engines that split the vessels between them exchange these at each slice close and
    each `add_shared` the others': integer sums, so every engine holds the map one engine
    over all vessels would. Station codes are local to an engine: names travel instead.
    """
    parts = cov.pending
    out: dict[str, Any] = {"stations": [], "cells": [], "station": [], "heard": [],
                           "exp": [], "silent_cells": [], "silent_exp": [],
                           "reports": [], "vessels": []}  # fmt: skip
    if not parts:
        return out
    key = np.concatenate([p["key"] for p in parts])
    exp = np.concatenate([p["exp"] for p in parts])
    ukey, heard, uexp = reduce_keys(key, np.ones(len(key), np.int64), exp)
    station = ukey & ((1 << STATION_BITS) - 1)
    codes = distinct(station)
    out["stations"] = [cov.station_names[c] for c in codes.tolist()]
    out["cells"] = (ukey >> STATION_BITS).tolist()
    out["station"] = np.searchsorted(codes, station).tolist()
    out["heard"] = heard.tolist()
    out["exp"] = uexp.tolist()
    silent = [p for p in parts if "silent_key" in p]
    if silent:
        sk, se = reduce_keys(
            np.concatenate([p["silent_key"] for p in silent]),
            np.concatenate([p["silent_exp"] for p in silent]),
        )
        out["silent_cells"] = (sk >> STATION_BITS).tolist()
        out["silent_exp"] = se.tolist()
    st = np.concatenate([p["station"] for p in parts])
    slot = np.concatenate([p["slot"] for p in parts])
    pairs = distinct(st * (1 << 32) + slot)
    reports = np.bincount(np.searchsorted(codes, st), minlength=len(codes))
    vessels = np.bincount(np.searchsorted(codes, pairs >> 32), minlength=len(codes))
    out["reports"] = reports.tolist()
    out["vessels"] = vessels.tolist()
    return out


def add_shared(cov: SharedCoverage, other: dict[str, Any]) -> None:
    """Add another engine's `shared_pending` to the open slice (merged at `commit`).

    Its reports come back as rows (a cell's heard count as that many rows, its expected
    count on the first) and its vessels as stand-ins distinct from every slot, so `commit`
    merges them exactly as it merges the engine's own.
    """
    if not other["stations"] and not other["silent_cells"]:
        return
    codes = cov.station_codes(list(other["stations"]))
    heard = np.asarray(other["heard"], np.int64)
    key = np.repeat(
        (np.asarray(other["cells"], np.int64) << STATION_BITS)
        + codes[np.asarray(other["station"], np.int64)],
        heard,
    )
    exp = np.zeros(len(key), np.int64)
    firsts = np.cumsum(heard) - heard
    exp[firsts] = np.asarray(other["exp"], np.int64)
    reports = np.asarray(other["reports"], np.int64)
    vessels = np.asarray(other["vessels"], np.int64)
    station = np.repeat(codes, reports)
    # a station's reports go to its v stand-ins in turn: v distinct vessels, as many reports
    v = np.repeat(np.maximum(vessels, 1), reports)
    first = np.repeat(np.cumsum(vessels) - vessels, reports)
    at = np.arange(len(station), dtype=np.int64) - np.repeat(np.cumsum(reports) - reports, reports)
    who = cov.stand_ins + first + at % v
    cov.stand_ins += int(vessels.sum())
    none = np.zeros(0, np.int64)
    part: dict[str, Any] = {
        "key": key, "exp": exp, "station": station, "who": who,
        "slot": none, "own": none, "rate_slot": none, "rate_r": none,
    }  # fmt: skip
    if other["silent_cells"]:
        part["silent_key"] = (
            np.asarray(other["silent_cells"], np.int64) << STATION_BITS
        ) + NO_STATION
        part["silent_exp"] = np.asarray(other["silent_exp"], np.int64)
    cov.pending.append(part)
