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

import math
from typing import Any

import numpy as np

from geo.config import KNOT_MS, EngineConfig
from geo.coverage_buckets import NO_STATION, STATION_BITS, Bucket, is_class_b, reduce_keys
from geo.coverage_exchange import add_shared, shared_pending
from geo.coverage_map import CoverageMap, add_hours, hours_document, load_coverage_map
from geo.coverage_verdict import VERDICTS, CoverageAt, assess
from geo.detectors.base import F64, I64, U8, B
from geo.errors import CoverageMapError
from geo.stations import StationWatch
from geo.vessel_reception import MILLI, VesselReception

__all__ = ["VERDICTS", "Coverage", "CoverageAt", "CoverageMap", "is_class_b", "load_coverage_map"]

HOUR_MS = 3_600_000
_M_PER_DEG = 111_195.0
#: Intervals longer than this never enter the demonstrated rate (satellite revisits are shorter).
_RATE_MAX_MS = 2 * HOUR_MS
#: Closed slices held back before their buckets take them (see `Coverage.commit`).
_FLUSH_SLICES = 30


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
        self.buckets: dict[int, Bucket] = {}  # hour -> what was heard and expected in it
        self.station_names: list[str] = []
        self.station_code: dict[str, int] = {}
        self.station_last: dict[int, int] = {}
        # per slot: demonstrated rate, own reception, station of the last fix
        self.vessels = VesselReception(self.cfg)
        self.stations = StationWatch(self.cfg)
        self.pending: list[dict[str, Any]] = []
        #: Next stand-in for another engine's vessel (`add_shared`): above every slot.
        self.stand_ins = 1 << 31
        self._closed: list[tuple[int, list[dict[str, Any]]]] = []  # (hour, parts) not in buckets

    # -- the hot path --------------------------------------------------------------------------

    def station_codes(self, sources: list[str]) -> I64:
        """Return a small integer per row for its receiving station (names interned once).

        New names get codes in the order they first appear: a set's order changes with each
        process's string hashing, and codes break ties in what events say (the stations that
        heard a place), so the same capture gave other details in another process.
        """
        code = self.station_code
        for name in dict.fromkeys(sources):
            if name not in code:
                code[name] = min(len(self.station_names), NO_STATION - 1)
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

    def reference_s(self, slot: I64, nominal_s: F64) -> F64:
        """Interval against which a vessel's reports are expected: nominal, or its own if longer."""
        return self.vessels.reference_s(slot, nominal_s)

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
        first = has & (self.vessels.every_s[slot] <= 0) & (dt <= self.cfg.gap_floor_s * 1000.0)
        ref_ms = np.where(first, np.maximum(ref_ms, dt.astype(np.float64)), ref_ms)
        short = has & (dt <= np.maximum(4.0 * ref_ms, 600_000.0))
        exp = np.where(short, dt * MILLI // np.maximum(ref_ms, 1.0), 0).astype(np.int64)
        # the vessel's own reception: every interval, a silence counting up to the dark floor
        own = np.minimum(dt, self.cfg.gap_floor_s * 1000.0) * MILLI // np.maximum(ref_ms, 1.0)
        # An interval of a few reports counts where it ends: the cell where it began but for
        # the odd boundary crossing, and one key per fix halves what is reduced.
        part: dict[str, Any] = {
            "key": (cell << STATION_BITS) + station,
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
            part["silent_key"] = (lc << STATION_BITS) + NO_STATION
            part["silent_exp"] = le
        self.pending.append(part)
        last = starts[1:] - 1
        self.vessels.st_last[slot[last]] = station[last] + 1

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
        gap is judged, take the closed slices of an hour in one go (`flush`), which costs a
        fraction of merging them one by one and gives the same integer sums.
        """
        hour = (end_ms - 1) // HOUR_MS
        self.stand_ins = 1 << 31
        if self.pending:
            parts, self.pending = self.pending, []
            self.vessels.merge_rates(parts, end_ms)
            self.vessels.merge_tracks(parts, end_ms)
            station = np.concatenate([p["station"] for p in parts])
            who = np.concatenate([p.get("who", p["slot"]) for p in parts])
            self.stations.heard(station, end_ms, who)
            for s in np.flatnonzero(np.bincount(station)).tolist():
                self.station_last[s] = end_ms
            if self._closed and self._closed[0][0] != hour:
                self.flush()
            self._closed.append((hour, parts))
            if len(self._closed) >= _FLUSH_SLICES:
                self.flush()
        expired = [h for h in self.buckets if h <= hour - self.window_h]
        if expired:
            self.flush()
            for h in expired:
                self._expire(h)

    # -- several engines, one map (`geo.coverage_exchange`) ----------------------------------

    def shared_pending(self) -> dict[str, Any]:
        """Return what the open slice adds to the map and the stations (`shared_pending`)."""
        return shared_pending(self)

    def add_shared(self, other: dict[str, Any]) -> None:
        """Add another engine's `shared_pending` to the open slice (`add_shared`)."""
        add_shared(self, other)

    def flush(self) -> None:
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
            bucket = self.buckets[hour] = Bucket()
        bucket.add(key, heard, exp)

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
        self.flush()
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
        self.flush()
        parts = [b.to_state() for b in self.buckets.values()]
        keys = np.array([k for p in parts for k in p["keys"]], dtype=np.int64) >> STATION_BITS
        heard = np.array([x for p in parts for x in p["heard"]], dtype=np.int64)
        exp = np.array([x for p in parts for x in p["expected"]], dtype=np.int64)
        k, h, e = reduce_keys(keys, heard, exp) if len(keys) else (keys, heard, exp)
        return CoverageMap(self.deg, k, h, e)

    def hours_document(self) -> dict[str, Any]:
        """Return what the window has learnt, hour by hour (`geo.coverage_map.hours_document`)."""
        return hours_document(self)

    def add_hours(self, doc: Any) -> int:
        """Take the hours of a `hours_document`; return how many (`geo.coverage_map.add_hours`)."""
        return add_hours(self, doc)

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
        return self.vessels.last_station(slot)

    def stations_at(
        self, lon: float, lat: float, now_ms: int, top: int = 3
    ) -> list[dict[str, Any]]:
        """Stations that heard the cell (or its block), by share, and how long each is silent.

        Both classes count: the question is who covers the place.
        """
        self.flush()
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

    #: Coverage where a vessel vanished, and the verdict (`geo.coverage_verdict.assess`).
    assess = assess

    # -- snapshot ------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """Everything needed to resume, pending slice contributions included (JSON-able)."""
        self.flush()
        pending = []
        for p in self.pending:
            pending.append(
                {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in p.items()}
            )
        return {
            "buckets": {str(h): b.to_state() for h, b in sorted(self.buckets.items())},
            "stations": list(self.station_names),
            "station_last": [[s, t] for s, t in sorted(self.station_last.items())],
            **self.vessels.to_state(),
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
            self.buckets[int(h)] = Bucket.from_state(b)
        self.station_last = {s: t for s, t in obj.get("station_last", [])}
        self.stations.load_state(obj.get("station_watch", {}))
        self.vessels.load_state(obj)
        for p in obj.get("pending", []):
            part = {
                k: (np.array(v, dtype=np.int64) if isinstance(v, list) else v) for k, v in p.items()
            }
            self.pending.append(part)
