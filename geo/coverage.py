"""Receiver coverage learned from the feed itself, so that "went dark" is told from "out of range".

A vessel that sails beyond the last shore station's range falls silent exactly as one that
switches its transponder off. Nobody hands Mare a coverage map (receivers come and go, ranges
breathe with the weather), so it learns one from what it hears, per cell of
``coverage_cell_deg`` (0.1 deg, ~6 nm: finer than the few-mile fringe of a VHF station's range,
coarse enough that a cell crossed by one ship has evidence):

- *heard*: the fixes accepted in the cell;
- *expected*: what the vessels there should have sent: for each pair of consecutive fixes of a
  vessel, the time between them over its reference interval. A pair a few intervals apart counts
  in the first fix's cell; a longer silence (up to ``coverage_interp_max_s``, at a speed a ship
  can do) is spread along the straight line between the fixes, so the cells a vessel crossed
  unheard learn that nothing is heard there (Global Fishing Watch measures reception the same
  way, against positions interpolated along tracks); a longer one counts ``gap_floor_s`` worth
  at its start only;
- per vessel, its own recent reception the same way (heard over expected, halving every
  ``coverage_track_half_life_s``), which needs no map;
- the reference interval is ITU-R M.1371's nominal one for the class and speed, or the
  vessel's own demonstrated interval if longer: the lowest, over time, of the mean interval of
  a slice (unless it has only an interval or two, under a quarter of the running mean of the
  last ``_RATE_INTERVALS``: then that mean), in seconds (drifting up slowly). A vessel seen only by
  satellite every 30 min is "fully heard" at one fix in 30 min, and its silences are judged by
  the sampling detectors, not blamed on reception. A mean of several intervals, not the
  shortest one: a decimated extract (one report per vessel per N minutes, bins at their own
  phase) has the odd interval of seconds where a bin's first report follows the last bin's
  closely, and one such interval taken as the rate made every other interval of the extract
  look like 1 report heard in 60, every cell "the edge of coverage" and every switch-off "lost
  at the edge" (issue 12: ``ais_gap`` recall 0.00 on the 10-minute extract). In seconds, not
  as a multiple of the nominal interval: an extract samples a vessel every N minutes whatever
  its speed, and a multiple learned at anchor (nominal 3 min) made the same vessel under way
  (nominal 10 s) look heard once in eighteen.

Reception ``q = heard / expected`` (at most 1) is pooled over a sliding window of
``coverage_window_s`` (24 h: a day of traffic, and propagation's daily cycle) in hourly buckets.
Per receiving station (the tag block ``s:``, else the feed's name) the heard fixes per cell are
kept too, and each station's last report, so an event can say who covers a place and whether
those receivers are still talking.

Determinism: contributions of a slice are held aside and merged when the slice closes
(`commit`), into the bucket of the hour the slice ends in; every lookup therefore sees the same
slices whatever the batch sizes, live or replayed. Counts are integers (expected reports in
thousandths), so sums do not depend on the order they are made in.

`assess` is what the gap detector asks where a vessel vanished; see `Coverage.assess` for the
verdicts and why the edge is downgraded rather than suppressed.

A feed of a few vessels cannot learn where coverage ends: an extract of the vessels of interest
(one report each per 5 or 10 min) is "fully heard" wherever it was heard, and a vessel that
sails out of range vanishes in cells nothing else crossed. What an analyst running `mare detect`
on an extract knows better is the coverage of the full feed it was cut from: `CoverageMap` is
the learnt figures of a run (heard and expected per cell and class, the window summed), saved
by ``mare detect --coverage-out`` and given to another with ``--coverage``. Its counts are
added to the feed's own in every lookup (`Coverage.set_prior`): evidence pooled, so a full
feed's thousands of expected reports decide a cell and an extract's few do not dilute them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geo.config import KNOT_MS, EngineConfig
from geo.detectors.base import F64, I64, U8, B
from geo.errors import CoverageMapError
from geo.silence_reception import silence_reception
from geo.stations import StationWatch

MILLI = 1000
HOUR_MS = 3_600_000
_STATION_BITS = 16  # room for 65,535 station names; more are folded into the last but one
_NO_STATION = (1 << _STATION_BITS) - 1  # rows of expected reports that no station heard
_M_PER_DEG = 111_195.0
#: Upward drift of a vessel's best demonstrated rate: doubles in 6 h without better evidence,
#: so a vessel that leaves terrestrial range for satellite-only reception is re-learned.
_RATE_DOUBLING_MS = 6 * HOUR_MS
#: Intervals longer than this never enter the demonstrated rate (satellite revisits are shorter).
_RATE_MAX_MS = 2 * HOUR_MS
#: Fewest expected reports a reception figure rests on for a sparsely sampled vessel.
_MIN_SPARSE_EVIDENCE = 3
#: A vessel heard at best once in this many nominal intervals is sampled sparsely: one at a
#: station's fringe, heard one report in three, is not; a class B boat of a 5-minute extract
#: (one report in ten of its 30 s) must not sit on the boundary.
_SPARSE_X = 5.0
#: Intervals in the running mean that makes the demonstrated rate: a rate must be shown over
#: several reports, not by one short interval (see the module docstring).
_RATE_INTERVALS = 8
#: Intervals in one slice that show a rate by themselves (a vessel heard every few seconds).
_RATE_SLICE_INTERVALS = 3
#: A slice's mean interval this many times under the running mean is an extract's odd one.
_RATE_OUTLIER = 4.0

VERDICTS = ("good", "edge", "unknown")
_PER_SLOT = ("every_s", "rate_t", "rate_m", "rate_n", "trk_h", "trk_e", "trk_t", "st_last")
#: Closed slices held back before their buckets take them (see `Coverage.commit`).
_FLUSH_SLICES = 30


def is_class_b(msg_type: U8) -> B:
    """Return True for class B "CS" reports (types 18 and 19)."""
    return (msg_type == 18) | (msg_type == 19)  # type: ignore[no-any-return]


def _reduce(keys: I64, *values: I64) -> tuple[I64, ...]:
    """Return the unique keys (sorted) and the sum of each value column per key."""
    uk, inv = np.unique(keys, return_inverse=True)
    inv = inv.ravel()
    out: list[I64] = [uk]
    for v in values:  # float sums of integers are exact below 2**53
        out.append(np.rint(np.bincount(inv, weights=v, minlength=len(uk))).astype(np.int64))
    return tuple(out)


class _Bucket:
    """One hour: heard and expected per (cell, station), keys ``cell << 16 | station``, sorted.

    A cell's figures are the sum over its range of keys. Slices are appended reduced and
    merged when the bucket is read (or has grown): lookups are rare (a gap's judgement), slices
    many, and integer sums do not care about the order.
    """

    _COMPACT_ROWS = 1 << 14

    def __init__(self) -> None:
        e = np.zeros(0, dtype=np.int64)
        self._keys, self._heard, self._exp = e, e, e
        self._cum_h, self._cum_e = np.zeros(1, np.int64), np.zeros(1, np.int64)
        self._raw: list[tuple[I64, I64, I64]] = []
        self._raw_rows = 0

    def add(self, keys: I64, heard: I64, exp: I64) -> None:
        """Add rows, reduced at once (thousands of fixes fall in a few hundred cells)."""
        k, h, e = _reduce(keys, heard, exp)
        self._raw.append((k, h, e))
        self._raw_rows += len(k)
        if self._raw_rows > self._COMPACT_ROWS:
            self._compact()

    def _compact(self) -> None:
        if not self._raw:
            return
        keys, heard, exp = (np.concatenate(c) for c in zip(*self._raw, strict=True))
        self._raw, self._raw_rows = [], 0
        self._keys, self._heard, self._exp = _reduce(
            np.concatenate([self._keys, keys]),
            np.concatenate([self._heard, heard]),
            np.concatenate([self._exp, exp]),
        )
        self._cum_h = np.concatenate([[0], np.cumsum(self._heard)])
        self._cum_e = np.concatenate([[0], np.cumsum(self._exp)])

    @property
    def cells(self) -> I64:
        """Return the cells with figures (each once)."""
        self._compact()
        return np.unique(self._keys >> _STATION_BITS)

    @property
    def expected(self) -> int:
        """Return the expected reports (thousandths) of the whole bucket."""
        self._compact()
        return int(self._cum_e[-1])

    def get(self, cells: I64) -> tuple[int, int]:
        """Return heard and expected summed over ``cells`` (each once)."""
        self._compact()
        lo = np.searchsorted(self._keys, cells << _STATION_BITS)
        hi = np.searchsorted(self._keys, (cells + 1) << _STATION_BITS)
        h = self._cum_h[hi] - self._cum_h[lo]
        e = self._cum_e[hi] - self._cum_e[lo]
        return int(h.sum()), int(e.sum())

    def stations(self, cell: int) -> dict[int, int]:
        """Return heard per station code in one cell."""
        self._compact()
        bounds = [cell << _STATION_BITS, (cell + 1) << _STATION_BITS]
        lo, hi = np.searchsorted(self._keys, bounds).tolist()
        mask = (1 << _STATION_BITS) - 1
        return {
            int(k) & mask: int(h)
            for k, h in zip(self._keys[lo:hi], self._heard[lo:hi], strict=True)
            if h and int(k) & mask != _NO_STATION
        }

    def to_state(self) -> dict[str, list[int]]:
        self._compact()
        return {
            "keys": self._keys.tolist(),
            "heard": self._heard.tolist(),
            "expected": self._exp.tolist(),
        }

    @classmethod
    def from_state(cls, obj: dict[str, list[int]]) -> _Bucket:
        b = cls()
        keys, heard, exp = (  # (a bucket of an earlier layout restores empty)
            np.array(obj.get(k, []), dtype=np.int64) for k in ("keys", "heard", "expected")
        )
        if len(keys) != len(heard) or len(keys) != len(exp):
            return b
        b.add(keys, heard, exp)
        return b


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


@dataclass(frozen=True, slots=True)
class CoverageAt:
    """Coverage where a vessel vanished, as carried in ``ais_gap`` details (``coverage``)."""

    verdict: str  # one of VERDICTS
    reception: float | None  # the figure judged (`geo.silence_reception`)
    at_last_fix: float | None  # reception in the last fix's cell (or its 3 x 3 block)
    evidence: float  # expected reports behind ``at_last_fix``
    cells_ahead: int  # cells with evidence on the dead-reckoned way during the threshold
    own: float | None  # the vessel's own recent reception (its last half hour or so)
    stations: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON object of the event contract's ``details.coverage``."""
        return {
            "verdict": self.verdict,
            "reception": None if self.reception is None else round(self.reception, 3),
            "at_last_fix": None if self.at_last_fix is None else round(self.at_last_fix, 3),
            "evidence_reports": round(self.evidence, 1),
            "cells_ahead": self.cells_ahead,
            "own_reception": None if self.own is None else round(self.own, 3),
            "stations": list(self.stations),
        }


class Coverage:
    """Hourly buckets of heard and expected reports per cell (and heard per station and cell)."""

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self.deg = cfg.coverage_cell_deg
        self.cols = int(round(360.0 / self.deg))
        self.rows = int(round(180.0 / self.deg))
        self.window_h = max(1, int(round(cfg.coverage_window_s / 3600.0)))
        self.min_evidence_milli = int(cfg.coverage_min_evidence * MILLI)
        self.prior: CoverageMap | None = None  # configuration, like zones: not in a snapshot
        self._reset()

    def _reset(self) -> None:
        self.buckets: dict[int, _Bucket] = {}  # hour -> what was heard and expected in it
        self.station_names: list[str] = []
        self.station_code: dict[str, int] = {}
        self.station_last: dict[int, int] = {}
        # per slot: best demonstrated interval in seconds (0: none yet) and when it was set;
        # the vessel's own recent reception (heard, expected; decayed) and when it was updated
        self.every_s: F64 = np.zeros(0)
        self.rate_t: I64 = np.zeros(0, dtype=np.int64)
        # the running mean of the last intervals (s), and how many it has seen
        self.rate_m: F64 = np.zeros(0)
        self.rate_n: I64 = np.zeros(0, dtype=np.int64)
        self.trk_h: F64 = np.zeros(0)
        self.trk_e: F64 = np.zeros(0)
        self.trk_t: I64 = np.zeros(0, dtype=np.int64)
        self.st_last: I64 = np.zeros(0, dtype=np.int64)  # station of the last fix, code + 1
        self.stations = StationWatch(self.cfg)
        self._pending: list[dict[str, Any]] = []
        #: Next stand-in for another engine's vessel (`add_shared`): above every slot.
        self._stand_ins = 1 << 31
        self._closed: list[tuple[int, list[dict[str, Any]]]] = []  # (hour, parts) not in buckets

    # -- the hot path --------------------------------------------------------------------------

    def station_codes(self, sources: list[str]) -> I64:
        """Return a small integer per row for its receiving station (names interned once)."""
        code = self.station_code
        for name in set(sources) - code.keys():
            code[name] = min(len(self.station_names), _NO_STATION - 1)
            self.station_names.append(name)
        return np.fromiter(map(code.__getitem__, sources), np.int64, len(sources))

    def cells(self, lon: F64, lat: F64, class_b: B | bool = False) -> I64:
        """Return the key of each point's cell for a transmitter class.

        Class A and class B are mapped apart: a class B "CS" unit sends 2 W against class A's
        12.5 W from a lower antenna, so a station that hears every ship in a cell may hear few
        of the boats there. Keys are ``2 x cell + is_b``, cells counted in rows from the south
        pole and columns from -180.
        """
        inv = 1.0 / self.deg
        row = np.minimum(((lat + 90.0) * inv).astype(np.int64), self.rows - 1)
        col = (((lon + 180.0) % 360.0) * inv).astype(np.int64) % self.cols
        return (row * self.cols + col) * 2 + np.asarray(class_b, dtype=np.int64)

    def _ensure(self, n: int) -> None:
        if n > len(self.every_s):
            cap = max(n, 2 * len(self.every_s), 256)
            for name in _PER_SLOT:
                old = getattr(self, name)
                new = np.zeros(cap, dtype=old.dtype)
                new[: len(old)] = old
                setattr(self, name, new)

    def reference_s(self, slot: I64, nominal_s: F64) -> F64:
        """Interval against which a vessel's reports are expected: nominal, or its own if longer."""
        self._ensure(int(slot.max()) + 1 if len(slot) else 0)
        r = self.every_s[slot] if len(slot) else np.zeros(0)
        return np.maximum(nominal_s, r)

    def observe(
        self,
        slot: I64,
        t: I64,
        lon: F64,
        lat: F64,
        prev_t: I64,
        prev_lon: F64,
        prev_lat: F64,
        prev_nominal_s: F64,
        prev_supp: B,
        station: I64,
        starts: I64,
        msg_type: U8,
        prev_type: U8,
    ) -> None:
        """Hold one slice part's accepted fixes aside until the slice closes (see `commit`).

        ``starts`` (vessel groups, as in `SliceContext`) is not needed since intervals count
        where they end; it stays for callers that pass a context's fields.
        """
        n = len(t)
        if n == 0:
            return
        cell = self.cells(lon, lat, is_class_b(msg_type))
        has = prev_t >= 0
        dt = np.where(has, t - prev_t, 0)
        ref_ms = self.reference_s(slot, prev_nominal_s) * 1000.0
        # A vessel with no rate shown yet (its first interval) is heard as it is sampled, if
        # the interval is shorter than a silence could be (``gap_floor_s``): it counts one
        # report expected, not dt / nominal (an extract's first 10-minute interval is not 60
        # reports missed). A longer first interval is a silence like any other.
        first = has & (self.every_s[slot] <= 0) & (dt <= self.cfg.gap_floor_s * 1000.0)
        ref_ms = np.where(first, np.maximum(ref_ms, dt.astype(np.float64)), ref_ms)
        short = has & (dt <= np.maximum(4.0 * ref_ms, 600_000.0))
        exp = np.where(short, dt * MILLI // np.maximum(ref_ms, 1.0), 0).astype(np.int64)
        # the vessel's own reception: every interval, a silence counting up to the dark floor
        own = np.minimum(dt, self.cfg.gap_floor_s * 1000.0) * MILLI // np.maximum(ref_ms, 1.0)
        # An interval of a few reports counts where it ends: the cell where it began but for
        # the odd boundary crossing, and one key per fix halves what is reduced.
        part: dict[str, Any] = {
            "key": (cell << _STATION_BITS) + station,
            "exp": exp,
            "station": station,
        }
        # The vessel's demonstrated rate, from every interval a receiver could plausibly leave.
        rs = has & (dt > 0) & (dt <= _RATE_MAX_MS)
        part["slot"] = slot
        part["own"] = own.astype(np.int64)
        part["rate_slot"] = slot[rs]
        part["rate_r"] = dt[rs].astype(np.int64)  # ms: thousandths of a second
        long_ = np.flatnonzero(has & ~short & ~prev_supp)
        if len(long_):
            lc, le = self._silences(
                dt[long_], ref_ms[long_], prev_lon[long_], prev_lat[long_], lon[long_], lat[long_],
                is_class_b(prev_type[long_]),
            )  # fmt: skip
            part["silent_key"] = (lc << _STATION_BITS) + _NO_STATION
            part["silent_exp"] = le
        self._pending.append(part)
        last = starts[1:] - 1
        self.st_last[slot[last]] = station[last] + 1

    def _silences(
        self, dt: I64, ref_ms: F64, lon0: F64, lat0: F64, lon1: F64, lat1: F64, class_b: B
    ) -> tuple[I64, I64]:
        """Expected-but-unheard reports of long silences, along the way where it is known."""
        cells: list[I64] = []
        exps: list[I64] = []
        step_m = self.deg * _M_PER_DEG / 2.0
        for i in range(len(dt)):
            d_lon = (float(lon1[i]) - float(lon0[i]) + 540.0) % 360.0 - 180.0
            d_lat = float(lat1[i]) - float(lat0[i])
            dist = math.hypot(d_lon * math.cos(math.radians(float(lat0[i]))), d_lat) * _M_PER_DEG
            secs = float(dt[i]) / 1000.0
            plausible = dist / max(secs, 1.0) <= self.cfg.jump_speed_b_kn * KNOT_MS
            if secs <= self.cfg.coverage_interp_max_s and plausible:
                total = int(float(dt[i]) * MILLI // max(float(ref_ms[i]), 1.0))
                k = int(min(200, max(1, math.ceil(dist / step_m))))
                f = (np.arange(k, dtype=np.float64) + 0.5) / k
                c = self.cells(
                    float(lon0[i]) + f * d_lon, float(lat0[i]) + f * d_lat, bool(class_b[i])
                )
                e = np.full(k, total // k, dtype=np.int64)
                e[0] += total - int(e.sum())
            else:
                cap_ms = self.cfg.gap_floor_s * 1000.0
                total = int(min(float(dt[i]), cap_ms) * MILLI // max(float(ref_ms[i]), 1.0))
                c = self.cells(lon0[i : i + 1], lat0[i : i + 1], bool(class_b[i]))
                e = np.array([total], dtype=np.int64)
            cells.append(c)
            exps.append(e)
        return np.concatenate(cells), np.concatenate(exps)

    # -- slice close ---------------------------------------------------------------------------

    def commit(self, end_ms: int) -> None:
        """Close a slice: its contributions go to the hour it ends in; old hours are dropped.

        What the next slice's fixes depend on (each vessel's demonstrated rate, its own
        reception, each station's last report) is updated now; the buckets, read only when a
        gap is judged, take the closed slices of an hour in one go (`_flush`), which costs a
        fraction of merging them one by one and gives the same integer sums.
        """
        hour = (end_ms - 1) // HOUR_MS
        self._stand_ins = 1 << 31
        if self._pending:
            parts, self._pending = self._pending, []
            self._merge_rates(parts, end_ms)
            self._merge_tracks(parts, end_ms)
            station = np.concatenate([p["station"] for p in parts])
            who = np.concatenate([p.get("who", p["slot"]) for p in parts])
            self.stations.heard(station, end_ms, who)
            for s in np.flatnonzero(np.bincount(station)).tolist():
                self.station_last[s] = end_ms
            if self._closed and self._closed[0][0] != hour:
                self._flush()
            self._closed.append((hour, parts))
            if len(self._closed) >= _FLUSH_SLICES:
                self._flush()
        expired = [h for h in self.buckets if h <= hour - self.window_h]
        if expired:
            self._flush()
            for h in expired:
                self._expire(h)

    # -- several engines, one map (`app.bus`: one engine per partition of the vessels) ---------

    def shared_pending(self) -> dict[str, Any]:
        """Return what the open slice adds to the map and the stations, reduced, by name.

        The per-vessel parts (rates, own reception) stay with the engine that owns the vessel;
        the map's cells and the stations' reports are what every engine's gap judgement reads,
        so engines that split the vessels between them exchange these at each slice close and
        each `add_shared` the others': integer sums, so every engine holds the map one engine
        over all vessels would. Station codes are local to an engine: names travel instead.
        """
        parts = self._pending
        out: dict[str, Any] = {"stations": [], "cells": [], "station": [], "heard": [],
                               "exp": [], "silent_cells": [], "silent_exp": [],
                               "reports": [], "vessels": []}  # fmt: skip
        if not parts:
            return out
        key = np.concatenate([p["key"] for p in parts])
        exp = np.concatenate([p["exp"] for p in parts])
        ukey, heard, uexp = _reduce(key, np.ones(len(key), np.int64), exp)
        station = ukey & ((1 << _STATION_BITS) - 1)
        codes = np.unique(station)
        out["stations"] = [self.station_names[c] for c in codes.tolist()]
        out["cells"] = (ukey >> _STATION_BITS).tolist()
        out["station"] = np.searchsorted(codes, station).tolist()
        out["heard"] = heard.tolist()
        out["exp"] = uexp.tolist()
        silent = [p for p in parts if "silent_key" in p]
        if silent:
            sk, se = _reduce(
                np.concatenate([p["silent_key"] for p in silent]),
                np.concatenate([p["silent_exp"] for p in silent]),
            )
            out["silent_cells"] = (sk >> _STATION_BITS).tolist()
            out["silent_exp"] = se.tolist()
        st = np.concatenate([p["station"] for p in parts])
        slot = np.concatenate([p["slot"] for p in parts])
        pairs = np.unique(st * (1 << 32) + slot)
        reports = np.bincount(np.searchsorted(codes, st), minlength=len(codes))
        vessels = np.bincount(np.searchsorted(codes, pairs >> 32), minlength=len(codes))
        out["reports"] = reports.tolist()
        out["vessels"] = vessels.tolist()
        return out

    def add_shared(self, other: dict[str, Any]) -> None:
        """Add another engine's `shared_pending` to the open slice (merged at `commit`).

        Its reports come back as rows (a cell's heard count as that many rows, its expected
        count on the first) and its vessels as stand-ins distinct from every slot, so `commit`
        merges them exactly as it merges the engine's own.
        """
        if not other["stations"] and not other["silent_cells"]:
            return
        codes = self.station_codes(list(other["stations"]))
        heard = np.asarray(other["heard"], np.int64)
        key = np.repeat(
            (np.asarray(other["cells"], np.int64) << _STATION_BITS)
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
        at = np.arange(len(station), dtype=np.int64) - np.repeat(
            np.cumsum(reports) - reports, reports
        )
        who = self._stand_ins + first + at % v
        self._stand_ins += int(vessels.sum())
        none = np.zeros(0, np.int64)
        part: dict[str, Any] = {
            "key": key, "exp": exp, "station": station, "who": who,
            "slot": none, "own": none, "rate_slot": none, "rate_r": none,
        }  # fmt: skip
        if other["silent_cells"]:
            part["silent_key"] = (
                np.asarray(other["silent_cells"], np.int64) << _STATION_BITS
            ) + _NO_STATION
            part["silent_exp"] = np.asarray(other["silent_exp"], np.int64)
        self._pending.append(part)

    def _flush(self) -> None:
        """Add the closed slices held back to their hours' buckets."""
        by_hour: dict[int, list[dict[str, Any]]] = {}
        for hour, parts in self._closed:
            by_hour.setdefault(hour, []).extend(parts)
        self._closed = []
        for hour, parts in by_hour.items():
            self._merge(hour, parts)

    def _merge(self, hour: int, parts: list[dict[str, Any]]) -> None:
        key = np.concatenate([p["key"] for p in parts])
        exp = np.concatenate([p["exp"] for p in parts])
        heard = np.ones(len(key), np.int64)
        silent = [p for p in parts if "silent_key" in p]
        if silent:
            sk = np.concatenate([p["silent_key"] for p in silent])
            key = np.concatenate([key, sk])
            exp = np.concatenate([exp, *(p["silent_exp"] for p in silent)])
            heard = np.concatenate([heard, np.zeros(len(sk), np.int64)])
        bucket = self.buckets.get(hour)
        if bucket is None:
            bucket = self.buckets[hour] = _Bucket()
        bucket.add(key, heard, exp)

    def _merge_rates(self, parts: list[dict[str, Any]], end_ms: int) -> None:
        slot = np.concatenate([p["rate_slot"] for p in parts])
        if not len(slot):
            return
        r = np.concatenate([p["rate_r"] for p in parts])
        counts = np.bincount(slot)
        us = np.flatnonzero(counts)
        c = counts[us]
        sums = np.rint(np.bincount(slot, weights=r)[us])  # exact: integers below 2**53
        mean = sums / c / MILLI
        self._ensure(int(us.max()) + 1)
        # The slice's intervals enter the running mean as one step of their count (order-free).
        n_old = self.rate_n[us]
        # (a plain mean of the first ones, so a first odd interval does not linger)
        keep = np.where(
            n_old < _RATE_INTERVALS, n_old / (n_old + c), (1.0 - 1.0 / _RATE_INTERVALS) ** c
        )
        running = keep * self.rate_m[us] + (1.0 - keep) * mean
        self.rate_m[us] = running
        self.rate_n[us] = n_old + c
        old = self.every_s[us]
        age = (end_ms - self.rate_t[us]) / _RATE_DOUBLING_MS
        drifted = np.where(old > 0, old * np.exp2(np.minimum(age, 60.0)), np.inf)
        # A slice of several intervals shows a rate by itself (a terrestrial feed: the best
        # slice is the vessel heard at its nominal rate), and so does one near the vessel's
        # running mean (a vessel at a station's fringe, heard one report in three); one or two
        # far under it do not (an extract's odd short interval): the running mean stands.
        shown_here = np.where(
            (c >= _RATE_SLICE_INTERVALS) | (mean * _RATE_OUTLIER >= running), mean, running
        )
        # Until the mean has seen its intervals it is the rate as it stands (not yet a floor).
        shown = n_old >= _RATE_INTERVALS
        self.every_s[us] = np.where(shown, np.minimum(drifted, shown_here), shown_here)
        self.rate_t[us] = end_ms

    def _merge_tracks(self, parts: list[dict[str, Any]], end_ms: int) -> None:
        slot = np.concatenate([p["slot"] for p in parts])
        own = np.concatenate([p["own"] for p in parts])
        if not len(slot):  # only other engines' contributions (`add_shared`)
            return
        heard = np.bincount(slot)
        us = np.flatnonzero(heard)
        exp = np.rint(np.bincount(slot, weights=own)[us]) / MILLI
        self._ensure(int(us.max()) + 1)
        decay = np.exp2(-(end_ms - self.trk_t[us]) / (self.cfg.coverage_track_half_life_s * 1000))
        self.trk_h[us] = self.trk_h[us] * decay + heard[us]
        self.trk_e[us] = self.trk_e[us] * decay + exp
        self.trk_t[us] = end_ms

    def own_reception(self, slot: int) -> tuple[float | None, float]:
        """Return a vessel's own recent reception (heard over expected) and its evidence."""
        if slot >= len(self.trk_e) or self.trk_e[slot] < self.cfg.coverage_track_evidence:
            return None, float(self.trk_e[slot]) if slot < len(self.trk_e) else 0.0
        return min(1.0, float(self.trk_h[slot] / self.trk_e[slot])), float(self.trk_e[slot])

    def _expire(self, hour: int) -> None:
        del self.buckets[hour]

    # -- lookups -------------------------------------------------------------------------------

    def quality(
        self,
        lon: float,
        lat: float,
        class_b: bool = False,
        pool: bool = True,
        min_evidence_milli: int | None = None,
    ) -> tuple[float | None, float]:
        """Return ``(reception, evidence)`` at a point: heard over expected, expected reports.

        With ``pool``, a cell with too little evidence of its own borrows its 3 x 3 block's.
        Reception is None where the evidence is under ``coverage_min_evidence``.
        """
        need = self.min_evidence_milli if min_evidence_milli is None else min_evidence_milli
        c = int(self.cells(np.array([lon]), np.array([lat]), class_b)[0])
        h, e = self.counts([c])
        if e < need and pool:
            h, e = self.counts(self._block(c))
        if e < need:
            return None, e / MILLI
        return min(1.0, h * MILLI / e), e / MILLI

    def counts(self, cells: list[int]) -> tuple[int, int]:
        """Heard and expected (thousandths) in the window and the prior, summed over cells."""
        self._flush()
        keys = np.array(sorted(cells), dtype=np.int64)
        h = e = 0
        for b in self.buckets.values():
            hh, ee = b.get(keys)
            h += hh
            e += ee
        p = self.prior
        if p is not None and len(p.keys):
            i = np.minimum(np.searchsorted(p.keys, keys), len(p.keys) - 1)
            hit = i[p.keys[i] == keys]
            h += int(p.heard[hit].sum())
            e += int(p.expected[hit].sum())
        return h, e

    def set_prior(self, prior: CoverageMap | None) -> None:
        """Judge coverage with a map learnt from another feed too (module docstring)."""
        if prior is not None and abs(prior.cell_deg - self.deg) > 1e-9:
            raise CoverageMapError(
                f"the coverage map has cells of {prior.cell_deg} deg, the engine {self.deg} deg"
            )
        self.prior = prior

    def learnt_map(self) -> CoverageMap:
        """Return what this feed taught, the window's hours summed, stations folded."""
        self._flush()
        parts = [b.to_state() for b in self.buckets.values()]
        keys = np.array([k for p in parts for k in p["keys"]], dtype=np.int64) >> _STATION_BITS
        heard = np.array([x for p in parts for x in p["heard"]], dtype=np.int64)
        exp = np.array([x for p in parts for x in p["expected"]], dtype=np.int64)
        k, h, e = _reduce(keys, heard, exp) if len(keys) else (keys, heard, exp)
        return CoverageMap(self.deg, k, h, e)

    def hours_document(self) -> dict[str, Any]:
        """Return what the window has learnt, hour by hour, to carry over a restart (JSON).

        Unlike `learnt_map` (the window summed, for another feed to judge with), the hours stay
        apart and keep their stations, so a service that starts without its snapshot
        (`add_hours`) is where it was: each hour leaves the window when it would have.
        """
        self._flush()
        return {
            "format": HOURS_FORMAT,
            "version": MAP_VERSION,
            "cell_deg": self.deg,
            "stations": list(self.station_names),
            "hours": {str(h): b.to_state() for h, b in sorted(self.buckets.items())},
        }

    def add_hours(self, doc: Any) -> int:
        """Take the hours of a `hours_document` (another process's); return how many.

        Station codes are this coverage's (names travel); hours it holds already are added
        to. Anything but such a document raises `CoverageMapError` saying why.
        """
        if not isinstance(doc, dict) or doc.get("format") != HOURS_FORMAT:
            raise CoverageMapError(f"not learnt coverage (format is not {HOURS_FORMAT!r})")
        if doc.get("version") != MAP_VERSION or doc.get("cell_deg") != self.deg:
            raise CoverageMapError(
                f"learnt coverage of version {doc.get('version')!r}, cells of"
                f" {doc.get('cell_deg')!r} deg: this engine reads version 1, {self.deg} deg"
            )
        names, hours = doc.get("stations"), doc.get("hours")
        if not isinstance(names, list) or not isinstance(hours, dict):
            raise CoverageMapError("learnt coverage needs a list of stations and hours")
        self._flush()
        codes = np.append(self.station_codes([str(n) for n in names]), _NO_STATION)
        mask = (1 << _STATION_BITS) - 1
        for h, b in hours.items():
            try:
                keys, heard, exp = (np.array(b[k], np.int64) for k in ("keys", "heard", "expected"))
                if not len(keys) == len(heard) == len(exp) or keys.ndim != 1:
                    raise ValueError
                st = keys & mask
                st = np.where(st == _NO_STATION, len(names), st)
                keys = ((keys >> _STATION_BITS) << _STATION_BITS) + codes[st]
                hour = int(h)
            except (KeyError, TypeError, ValueError, IndexError):
                raise CoverageMapError(f"learnt coverage: hour {h!r} is not readable") from None
            self.buckets.setdefault(hour, _Bucket()).add(keys, heard, exp)
        return len(hours)

    def _block(self, key: int) -> list[int]:
        row, col = divmod(key >> 1, self.cols)
        return [
            ((row + dr) * self.cols + (col + dc) % self.cols) * 2 + (key & 1)
            for dr in (-1, 0, 1)
            for dc in (-1, 0, 1)
            if 0 <= row + dr < self.rows
        ]

    def station_name(self, code: int) -> str:
        """Return a station's name from its code."""
        return self.station_names[code] if 0 <= code < len(self.station_names) else "?"

    def last_station(self, slot: int) -> int:
        """Return the code of the station that heard a vessel's last fix (-1: not known)."""
        return int(self.st_last[slot]) - 1 if slot < len(self.st_last) else -1

    def stations_at(
        self, lon: float, lat: float, now_ms: int, top: int = 3
    ) -> list[dict[str, Any]]:
        """Stations that heard the cell (or its block), by share, and how long each is silent.

        Both classes count: the question is who covers the place.
        """
        self._flush()
        c = int(self.cells(np.array([lon]), np.array([lat]))[0])
        per: dict[int, int] = {}
        for cells in ([c, c + 1], self._block(c) + self._block(c + 1)):
            for b in self.buckets.values():
                for cc in cells:
                    for s, h in b.stations(cc).items():
                        per[s] = per.get(s, 0) + h
            if per:
                break
        total = sum(per.values())
        out = []
        for s, h in sorted(per.items(), key=lambda x: (-x[1], x[0]))[:top]:
            last = self.station_last.get(s, now_ms)
            out.append(
                {
                    "station": self.station_names[s],
                    "share": round(h / total, 3),
                    "silent_s": max(0, (now_ms - last) // 1000),
                }
            )
        return out

    def evidence_needed(self, slot: int | None, nominal_s: float | None = None) -> int:
        """Return the expected reports (thousandths) a reception figure needs for a vessel.

        ``coverage_min_evidence`` reports on a terrestrial feed. A vessel the feed samples
        sparsely, its best demonstrated interval ``every_s`` more than `_SPARSE_X` times its
        nominal one ``nominal_s`` (a decimated extract, satellite passes; a vessel at the fringe
        of a station, heard one report in three, is not), is judged where vessels are sampled
        alike, and there each expected report stands for many: `_MIN_SPARSE_EVIDENCE` of them
        (a cell silent for three of its expected reports) are evidence enough.
        """
        if slot is None or nominal_s is None or slot >= len(self.every_s):
            return self.min_evidence_milli
        if self.every_s[slot] <= _SPARSE_X * nominal_s:
            return self.min_evidence_milli
        return min(self.min_evidence_milli, _MIN_SPARSE_EVIDENCE * MILLI)

    def assess(
        self,
        lon: float,
        lat: float,
        sog: float,
        cog: float,
        horizon_s: float,
        now_ms: int,
        msg_type: int = 1,
        slot: int | None = None,
        nominal_s: float | None = None,
    ) -> CoverageAt:
        """Coverage where a vessel vanished, and the verdict the gap detector acts on.

        Reception, for the vessel's class, is taken at the last fix and on the way it was
        going: dead-reckoned at its last speed and course for ``horizon_s`` (the silence
        threshold), the cells with evidence it would have crossed; and in the vessel's own
        recent reports (`own_reception`: a boat working at the fringe of a range is heard in
        fits and starts before it is not heard at all, whatever the map knows yet). One figure
        is made of them (`geo.silence_reception`: the vessel's own reception before its cell's,
        the mean over the way, the cell as well where the way runs off the map), and decides:

        - ``good``: at least ``coverage_good`` (60 % of what vessels send is heard): a silence
          past the threshold there is not the receivers' doing; an alert as before;
        - ``edge``: less: the receivers lose vessels there, and the silence may be nothing but
          the vessel sailing out of range. Downgraded (severity low, worded as such, a quarter
          of the risk weight), not suppressed: Global Fishing Watch drops gaps that start in
          poor reception because its product is statistics, but a watch officer's is vessels,
          and a smuggler who knows where the coast stations stop switches off just there;
        - ``unknown``: too little evidence (a cold start, an extract of a few vessels): an alert
          as before, saying coverage is unknown.

        A sparsely sampled vessel (`evidence_needed`: an extract, satellite AIS) is ``good``
        only if, besides, its last fix's cell is fully heard (``coverage_full``, what slot
        collisions leave): one report in five minutes is heard well until the receivers lose
        the vessel altogether, so its own reception never shows the fade across a station's
        fringe, and a last report where the feed already loses reports to distance is a vessel
        at the fringe. The cells beyond, where it would be lost, are seldom crossed by anything
        heard: waiting for their evidence called such vessels dark (issue 12: most false
        ``ais_gap`` of the 5-minute extracts were last heard where 60-78 % was heard).
        """
        class_b = msg_type in (18, 19)
        need = self.evidence_needed(slot, nominal_s)
        # A sparsely sampled vessel shows no fringe at its last fix (one report in ten minutes
        # is heard well until the receivers lose it altogether): the way ahead decides, and its
        # cells borrow their blocks' evidence as the last fix's cell does.
        sparse = need < self.min_evidence_milli
        q0, ev0 = self.quality(lon, lat, class_b, min_evidence_milli=need)
        ahead: list[float] = []
        off_map = False  # a cell on the way where nothing was ever heard nor expected
        if math.isfinite(sog) and math.isfinite(cog) and sog > 0.5 and horizon_s > 0:
            dist = sog * KNOT_MS * horizon_s
            step = self.deg * _M_PER_DEG / 2.0
            k = int(min(24, max(1, math.ceil(dist / step))))
            f = np.arange(1, k + 1, dtype=np.float64) / k * dist / _M_PER_DEG
            coslat = max(math.cos(math.radians(lat)), 0.01)
            lons = lon + f * math.sin(math.radians(cog)) / coslat
            lats = np.clip(lat + f * math.cos(math.radians(cog)), -89.99, 89.99)
            start = int(self.cells(np.array([lon]), np.array([lat]), class_b)[0])
            seen: set[int] = {start}
            for c, lo, la in zip(
                self.cells(lons, lats, class_b).tolist(), lons.tolist(), lats.tolist(), strict=True
            ):
                if c in seen:
                    continue
                seen.add(c)
                q, ev = self.quality(lo, la, class_b, pool=sparse, min_evidence_milli=need)
                if q is not None:
                    ahead.append(q)
                off_map = off_map or ev == 0.0
        q_own, _ = self.own_reception(slot) if slot is not None else (None, 0.0)
        judged = silence_reception(q0, q_own, ahead, off_map)
        fringe = sparse and q0 is not None and q0 < self.cfg.coverage_full
        if judged is None:
            verdict = "unknown"
        elif judged >= self.cfg.coverage_good and not fringe:
            verdict = "good"
        else:
            verdict = "edge"
        return CoverageAt(
            verdict, judged, q0, ev0, len(ahead), q_own, tuple(self.stations_at(lon, lat, now_ms))
        )

    # -- snapshot ------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """Everything needed to resume, pending slice contributions included (JSON-able)."""
        self._flush()
        pending = []
        for p in self._pending:
            pending.append(
                {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in p.items()}
            )
        n = len(self.every_s)
        return {
            "buckets": {str(h): b.to_state() for h, b in sorted(self.buckets.items())},
            "stations": list(self.station_names),
            "station_last": [[s, t] for s, t in sorted(self.station_last.items())],
            **{name: getattr(self, name)[:n].tolist() for name in _PER_SLOT},
            "pending": pending,
            "station_watch": self.stations.to_state(),
        }

    def load_state(self, obj: dict[str, Any]) -> None:
        """Inverse of `to_state` (an empty object leaves an empty map: older snapshots)."""
        self._reset()
        for name in obj.get("stations", []):
            self.station_code[name] = len(self.station_names)
            self.station_names.append(name)
        for h, b in obj.get("buckets", {}).items():
            self.buckets[int(h)] = _Bucket.from_state(b)
        self.station_last = {s: t for s, t in obj.get("station_last", [])}
        self.stations.load_state(obj.get("station_watch", {}))
        n = len(obj.get("rate_t", []))
        self._ensure(n)
        for name in _PER_SLOT:
            arr = getattr(self, name)
            arr[:n] = np.array(obj.get(name, [0] * n), dtype=arr.dtype)
        for p in obj.get("pending", []):
            part = {
                k: (np.array(v, dtype=np.int64) if isinstance(v, list) else v) for k, v in p.items()
            }
            self._pending.append(part)
