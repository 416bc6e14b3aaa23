"""``ais_gap``: a vessel at sea silent for far longer than its class and speed require.

The threshold is ``max(k x expected report interval, floor)`` (see `EngineConfig` for the
numbers and why). The expected interval is taken at the last fix before the silence, from
ITU-R M.1371-5 Table 1 (class A) and Table 2 (class B "CS"). A gap is reported once, when the
vessel reappears (duration, distance, implied speed); in live mode an open "went dark" alert with
the same episode key is raised at the first slice end after the threshold passed, and the
closing event updates it.

Every gap carries ``details.coverage`` (`geo.coverage.CoverageAt`): how well the receivers hear
the place where the vessel vanished and the way it was going, learned from the feed itself. The
verdict is made once per episode, when the threshold passes (the open alert), and the closing
event keeps it, so an episode never changes its mind. At the edge of coverage (``edge``) the gap
is downgraded to severity low and worded as a loss of contact, not suppressed: see
`geo.coverage.Coverage.assess` for why.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from geo.config import EngineConfig
from geo.coverage import Coverage
from geo.detectors.base import (
    F64,
    I8,
    U8,
    SliceContext,
    distance_m,
    format_duration,
    knots,
    nm,
)
from geo.events import Event, EventKind, Severity
from geo.tracker import Fleet


def expected_interval_s(msg_type: U8, sog: F64, status: I8) -> F64:
    """Nominal seconds between position reports (ITU-R M.1371-5), element-wise.

    Examples
    --------
    >>> expected_interval_s(np.array([1, 1, 18, 18], dtype=np.uint8),
    ...     np.array([12.0, 0.1, 8.0, 0.5]), np.array([0, 1, -1, -1], dtype=np.int8)).tolist()
    [10.0, 180.0, 30.0, 180.0]
    """
    sog0 = np.nan_to_num(sog, nan=0.0)
    is_b = (msg_type == 18) | (msg_type == 19)
    anchored = ((status == 1) | (status == 5)) & (sog0 <= 3.0)
    class_a = np.select([anchored, sog0 > 23.0, sog0 > 14.0], [180.0, 2.0, 6.0], 10.0)
    class_b = np.where(sog0 > 2.0, 30.0, 180.0)
    out = np.where(is_b, class_b, class_a)
    return np.where(msg_type == 27, 180.0, out)


def gap_threshold_s(msg_type: U8, sog: F64, status: I8, cfg: EngineConfig) -> F64:
    """Silence after which a vessel is dark, element-wise."""
    base = np.maximum(cfg.gap_k * expected_interval_s(msg_type, sog, status), cfg.gap_floor_s)
    return np.where(msg_type == 27, np.maximum(base, cfg.gap_long_range_floor_s), base)


class GapDetector:
    """Reports silences at sea; keeps which vessels already have an open "went dark" alert."""

    def __init__(self, cfg: EngineConfig, coverage: Coverage | None = None) -> None:
        self.cfg = cfg
        self.coverage = coverage if coverage is not None else Coverage(cfg)
        self.dark: set[int] = set()  # slots with an open alert
        self.cover: dict[int, dict[str, Any]] = {}  # slot -> coverage verdict of its open alert

    def process(self, ctx: SliceContext, fleet: Fleet, describe: Any) -> list[Event]:
        """Mark ``ctx.gap`` and return closed gap events for vessels that reappeared."""
        thr = gap_threshold_s(ctx.prev_type, ctx.prev_sog, ctx.prev_status, self.cfg)
        dt = (ctx.t - ctx.prev_t) / 1000.0
        gap = (ctx.prev_t >= 0) & (dt > thr)
        ctx.gap = gap
        events: list[Event] = []
        for i in np.flatnonzero(gap).tolist():
            s = int(ctx.slot[i])
            self.dark.discard(s)
            cover = self.cover.pop(s, None)
            if ctx.prev_supp[i]:
                continue  # silent in port or at anchorage: not a gap at sea
            events.append(self._event(ctx, i, float(thr[i]), describe, cover))
        return events

    def _event(
        self,
        ctx: SliceContext,
        i: int,
        thr: float,
        describe: Any,
        cover: dict[str, Any] | None,
    ) -> Event:
        t0, t1 = int(ctx.prev_t[i]), int(ctx.t[i])
        lon0, lat0 = float(ctx.prev_lon[i]), float(ctx.prev_lat[i])
        d = distance_m(lon0, lat0, float(ctx.lon[i]), float(ctx.lat[i]))
        dur = (t1 - t0) / 1000.0
        details = self._open_details(
            lon0, lat0, float(ctx.prev_sog[i]), int(ctx.prev_type[i]), thr, describe
        )
        if cover is None:  # reappeared before any slice end saw it dark: judge it now
            cover = self.coverage.assess(
                lon0,
                lat0,
                float(ctx.prev_sog[i]),
                float(ctx.prev_cog[i]),
                thr,
                t0 + int(thr * 1000),
            ).to_dict()
        details["coverage"] = cover
        edge = cover["verdict"] == "edge"
        details.update(
            {
                "duration_s": round(dur, 1),
                "duration": format_duration(dur),
                "distance_nm": nm(d),
                "implied_speed_kn": round(knots(d, dur), 1),
                "reappeared": {
                    "lat": round(float(ctx.lat[i]), 5),
                    "lon": round(float(ctx.lon[i]), 5),
                },
            }
        )
        details["summary"] = (
            f"silent for {format_duration(dur)} at sea, reappeared {nm(d)} nm away"
            f" ({round(knots(d, dur), 1)} kn implied)"
        )
        if edge:
            details["summary"] += "; lost at the edge of receiver coverage"
            sev = Severity.LOW
        else:
            sev = Severity.HIGH if dur >= 6 * 3600 else Severity.MEDIUM
        return Event(EventKind.AIS_GAP, int(ctx.mmsi[i]), t0, t1, lat0, lon0, sev, details=details)

    @staticmethod
    def _open_details(
        lon: float, lat: float, sog: float, msg_type: int, thr: float, describe: Any
    ) -> dict[str, Any]:
        return {
            "threshold_s": round(thr, 1),
            "last_speed_kn": None if sog != sog else round(sog, 1),
            "ais_class": "B" if msg_type in (18, 19) else ("long_range" if msg_type == 27 else "A"),
            "last_position": {"lat": round(lat, 5), "lon": round(lon, 5)},
            "last_seen_near": describe(lon, lat),
        }

    def tick(self, boundary_ms: int, fleet: Fleet, describe: Any) -> list[Event]:
        """Open "went dark" alerts for vessels at sea silent too long by ``boundary_ms``."""
        n = len(fleet)
        if n == 0:
            return []
        t = fleet.t[:n]
        thr = gap_threshold_s(fleet.msg_type[:n], fleet.sog[:n], fleet.status[:n], self.cfg)
        due = (t >= 0) & ~fleet.supp[:n] & ((boundary_ms - t) / 1000.0 > thr)
        events: list[Event] = []
        for s in np.flatnonzero(due).tolist():
            if s in self.dark:
                continue
            self.dark.add(s)
            lon, lat = float(fleet.lon[s]), float(fleet.lat[s])
            sog, th = float(fleet.sog[s]), float(thr[s])
            details = self._open_details(lon, lat, sog, int(fleet.msg_type[s]), th, describe)
            cover = self.coverage.assess(
                lon, lat, sog, float(fleet.cog[s]), th, boundary_ms, int(fleet.msg_type[s]), s
            ).to_dict()
            self.cover[s] = cover
            details["coverage"] = cover
            if cover["verdict"] == "edge":
                details["summary"] = (
                    f"lost at the edge of receiver coverage: silent longer than"
                    f" {format_duration(th)}"
                )
                sev = Severity.LOW
            else:
                details["summary"] = f"went dark at sea: silent longer than {format_duration(th)}"
                sev = Severity.MEDIUM
            events.append(
                Event(
                    EventKind.AIS_GAP,
                    fleet.mmsi[s],
                    int(t[s]),
                    None,
                    lat,
                    lon,
                    sev,
                    details=details,
                )
            )
        return events

    def to_state(self) -> dict[str, Any]:
        return {"dark": sorted(self.dark), "cover": [[s, c] for s, c in sorted(self.cover.items())]}

    def load_state(self, obj: dict[str, Any]) -> None:
        self.dark = set(obj["dark"])
        self.cover = {int(s): c for s, c in obj.get("cover", [])}
