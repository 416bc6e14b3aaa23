"""A learnt coverage map carried from one feed to another (``mare detect --coverage-out``).

An extract of a few vessels cannot learn where coverage ends; the full feed it was cut from
can. `CoverageMap` is that feed's learnt figures (heard and expected per cell and class, the
window summed), read back with `load_coverage_map` and added to another feed's own in every
lookup (`geo.coverage.Coverage.set_prior`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from geo.coverage_buckets import NO_STATION, STATION_BITS, Bucket
from geo.detectors.base import I64
from geo.errors import CoverageMapError

MAP_FORMAT = "mare-coverage-map"
MAP_VERSION = 1
#: What a service carries over a restart (`Coverage.hours_document`).
HOURS_FORMAT = "mare-coverage-hours"


@dataclass(frozen=True, slots=True)
class CoverageMap:
    """Heard and expected reports (thousandths) per cell key (`Coverage.cells`), keys sorted."""

    cell_deg: float
    keys: I64
    heard: I64
    expected: I64

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON document (``cells``: ``[key, heard, expected]`` rows)."""
        rows = zip(self.keys.tolist(), self.heard.tolist(), self.expected.tolist(), strict=True)
        return {
            "format": MAP_FORMAT,
            "version": MAP_VERSION,
            "cell_deg": self.cell_deg,
            "cells": [list(r) for r in rows],
        }

    @classmethod
    def from_dict(cls, obj: Any) -> CoverageMap:
        """Read `to_dict` output; anything else raises `CoverageMapError` saying why.

        Examples
        --------
        >>> m = CoverageMap.from_dict({"format": "mare-coverage-map", "version": 1,
        ...     "cell_deg": 0.1, "cells": [[7, 2, 4000], [3, 1, 1000]]})
        >>> m.keys.tolist(), m.expected.tolist()
        ([3, 7], [1000, 4000])
        """
        if not isinstance(obj, dict) or obj.get("format") != MAP_FORMAT:
            raise CoverageMapError(f"not a coverage map (format is not {MAP_FORMAT!r})")
        if obj.get("version") != MAP_VERSION:
            raise CoverageMapError(f"coverage map version {obj.get('version')!r} is not 1")
        deg = obj.get("cell_deg")
        cells = obj.get("cells")
        if not isinstance(deg, int | float) or deg <= 0 or not isinstance(cells, list):
            raise CoverageMapError("a coverage map needs cell_deg > 0 and a list of cells")
        try:
            arr = np.array(cells, dtype=np.int64).reshape(-1, 3)
        except (TypeError, ValueError):
            raise CoverageMapError("each cell must be [key, heard, expected] integers") from None
        if len(arr) and (arr.min() < 0 or len(np.unique(arr[:, 0])) != len(arr)):
            raise CoverageMapError("cell figures must be non-negative and keys unique")
        arr = arr[np.argsort(arr[:, 0])]
        return cls(float(deg), arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy())


def load_coverage_map(path: Path) -> CoverageMap:
    """Read a coverage map file (``mare detect --coverage-out``); `CoverageMapError`: why not."""
    try:
        return CoverageMap.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise CoverageMapError(f"cannot read coverage map {path}: {exc.strerror or exc}") from None
    except ValueError as exc:  # not JSON
        raise CoverageMapError(f"coverage map {path} is not JSON: {exc}") from None
    except CoverageMapError as exc:
        raise CoverageMapError(f"coverage map {path}: {exc}") from None


class HourlyCoverage(Protocol):
    """What the hours documents read and add to of `geo.coverage.Coverage` (which imports this)."""

    deg: float
    station_names: list[str]
    buckets: dict[int, Bucket]

    def flush(self) -> None: ...

    def station_codes(self, sources: list[str]) -> I64: ...


def hours_document(cov: HourlyCoverage) -> dict[str, Any]:
    """Return what the window has learnt, hour by hour, to carry over a restart (JSON).

    Unlike `learnt_map` (the window summed, for another feed to judge with), the hours stay
    apart and keep their stations, so a service that starts without its snapshot
    (`add_hours`) is where it was: each hour leaves the window when it would have.
    """
    cov.flush()
    return {
        "format": HOURS_FORMAT,
        "version": MAP_VERSION,
        "cell_deg": cov.deg,
        "stations": list(cov.station_names),
        "hours": {str(h): b.to_state() for h, b in sorted(cov.buckets.items())},
    }


def add_hours(cov: HourlyCoverage, doc: Any) -> int:
    """Take the hours of a `hours_document` (another process's); return how many.

    Station codes are this coverage's (names travel); hours it holds already are added
    to. Anything but such a document raises `CoverageMapError` saying why.
    """
    if not isinstance(doc, dict) or doc.get("format") != HOURS_FORMAT:
        raise CoverageMapError(f"not learnt coverage (format is not {HOURS_FORMAT!r})")
    if doc.get("version") != MAP_VERSION or doc.get("cell_deg") != cov.deg:
        raise CoverageMapError(
            f"learnt coverage of version {doc.get('version')!r}, cells of"
            f" {doc.get('cell_deg')!r} deg: this engine reads version 1, {cov.deg} deg"
        )
    names, hours = doc.get("stations"), doc.get("hours")
    if not isinstance(names, list) or not isinstance(hours, dict):
        raise CoverageMapError("learnt coverage needs a list of stations and hours")
    cov.flush()
    codes = np.append(cov.station_codes([str(n) for n in names]), NO_STATION)
    mask = (1 << STATION_BITS) - 1
    for h, b in hours.items():
        try:
            keys, heard, exp = (np.array(b[k], np.int64) for k in ("keys", "heard", "expected"))
            if not len(keys) == len(heard) == len(exp) or keys.ndim != 1:
                raise ValueError
            st = keys & mask
            st = np.where(st == NO_STATION, len(names), st)
            keys = ((keys >> STATION_BITS) << STATION_BITS) + codes[st]
            hour = int(h)
        except (KeyError, TypeError, ValueError, IndexError):
            raise CoverageMapError(f"learnt coverage: hour {h!r} is not readable") from None
        cov.buckets.setdefault(hour, Bucket()).add(keys, heard, exp)
    return len(hours)
