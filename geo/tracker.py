"""Per-vessel state and the outlier filter that keeps every other detector's track clean.

A fix whose implied speed from the vessel's last good fix is beyond what its class can do is an
outlier: it is held aside, never fed to the detectors. What happens next decides what it was:

- nothing consistent follows: a lone bad fix, forgotten after ``alt_timeout_s``;
- ``excursion_fixes`` (two) or more fixes consistent with each other but far off, then the old
  track again: a short spoofed interval (two fixes in the same impossible place are not random
  corruption), one ``position_jump`` event (cause ``excursion``) when the track comes back;
- ``track_confirm_fixes`` fixes consistent with the outlier follow, and none from the old
  track: the vessel's reported position really moved, one ``position_jump`` event, the new
  position becomes the track (and a move back to where it was before, within
  ``jump_return_window_s``, updates that same event instead of raising a second one). The
  first accepted fix of the new track is flagged ``moved``: the vessel did not sail there, so
  the zone detector takes its zones as they are instead of reporting entries and exits (and on
  a jump back compares them with those before the first jump);
- the outlier's track keeps reporting *interleaved* with the old track: two transmitters share
  the MMSI, one ``position_jump`` episode (cause ``two_transmitters``) with both positions, at
  the second transmitter's position, open until it has been silent for ``alt_timeout_s``; the
  first track stays the one the detectors follow.

Hot state (last fix per vessel) lives in numpy arrays indexed by a slot per MMSI so that a whole
slice is checked in a few vectorised operations; Python runs only for the vessels flagged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from geo.config import KNOT_MS, EngineConfig
from geo.detectors.base import (
    F64,
    I8,
    I64,
    U8,
    B,
    distance_m,
    format_duration,
    haversine_m,
    knots,
    nm,
)
from geo.events import Event, EventKind, Severity

_HOT = {
    "t": (np.int64, -1),
    "lon": (np.float64, np.nan),
    "lat": (np.float64, np.nan),
    "sog": (np.float64, np.nan),
    "cog": (np.float64, np.nan),
    "msg_type": (np.uint8, 0),
    "status": (np.int8, -1),
    "supp": (np.bool_, False),
    "n_fixes": (np.int64, 0),
    "seen_t": (np.int64, -1),
    "mmsi_col": (np.int64, 0),
}


class Fleet:
    """Slots for MMSIs and the last accepted fix of each vessel as growable numpy columns."""

    def __init__(self) -> None:
        self.mmsi: list[int] = []
        self.slot_of: dict[int, int] = {}
        self.cap = 0
        self.t: I64 = np.zeros(0, dtype=np.int64)
        self.lon: F64 = np.zeros(0)
        self.lat: F64 = np.zeros(0)
        self.sog: F64 = np.zeros(0)
        self.cog: F64 = np.zeros(0)
        self.msg_type: U8 = np.zeros(0, dtype=np.uint8)
        self.status: I8 = np.zeros(0, dtype=np.int8)
        self.supp: B = np.zeros(0, dtype=np.bool_)
        self.n_fixes: I64 = np.zeros(0, dtype=np.int64)
        self.seen_t: I64 = np.zeros(0, dtype=np.int64)  # last record time, accepted or not
        self.mmsi_col: I64 = np.zeros(0, dtype=np.int64)
        self._grow(256)

    def __len__(self) -> int:
        return len(self.mmsi)

    def _grow(self, cap: int) -> None:
        for name, (dtype, missing) in _HOT.items():
            old = getattr(self, name)
            new: np.ndarray[Any, Any] = np.full(cap, missing, dtype=dtype)
            new[: len(old)] = old
            setattr(self, name, new)
        self.cap = cap

    def slots(self, mmsi_unique: I64) -> I64:
        """Return the slot of each MMSI, creating slots for new ones (in the given order)."""
        out = np.empty(len(mmsi_unique), dtype=np.int64)
        slot_of = self.slot_of
        first_new = len(self.mmsi)
        for i, m in enumerate(mmsi_unique.tolist()):
            s = slot_of.get(m)
            if s is None:
                s = len(self.mmsi)
                slot_of[m] = s
                self.mmsi.append(m)
            out[i] = s
        if len(self.mmsi) > self.cap:
            self._grow(max(2 * self.cap, len(self.mmsi)))
        if len(self.mmsi) > first_new:
            self.mmsi_col[first_new : len(self.mmsi)] = self.mmsi[first_new:]
        return out

    def to_state(self) -> dict[str, Any]:
        n = len(self.mmsi)
        cols = {}
        for name in _HOT:
            arr = getattr(self, name)[:n]
            if arr.dtype.kind == "f":
                cols[name] = [None if v != v else float(v) for v in arr.tolist()]
            else:
                cols[name] = arr.tolist()
        return {"mmsi": list(self.mmsi), "cols": cols}

    @classmethod
    def from_state(cls, obj: dict[str, Any]) -> Fleet:
        fleet = cls()
        mmsis = np.array(obj["mmsi"], dtype=np.int64)
        fleet.slots(mmsis)
        n = len(mmsis)
        for name, (dtype, _) in _HOT.items():
            vals = [np.nan if v is None else v for v in obj["cols"][name]]
            getattr(fleet, name)[:n] = np.array(vals, dtype=dtype)
        return fleet


def tolerance_m(msg_type: U8, cfg: EngineConfig) -> F64:
    """Position uncertainty per fix: coarse for type 27 long-range reports."""
    return np.where(msg_type == 27, cfg.long_range_tolerance_m, cfg.fix_tolerance_m)


def speed_limit_kn(msg_type: U8, cfg: EngineConfig) -> F64:
    """Plausible top speed per fix by transponder class (types 18/19 are class B)."""
    is_b = (msg_type == 18) | (msg_type == 19)
    return np.where(is_b, cfg.jump_speed_b_kn, cfg.jump_speed_a_kn)


def implied_speed_kn(
    t0: I64,
    lon0: F64,
    lat0: F64,
    tol0: F64,
    t1: I64,
    lon1: F64,
    lat1: F64,
    tol1: F64,
    cfg: EngineConfig,
) -> F64:
    """Speed needed to go from fix 0 to fix 1, after both position and timing uncertainty."""
    d = np.maximum(haversine_m(lon0, lat0, lon1, lat1) - tol0 - tol1, 0.0)
    dt = (t1 - t0) / 1000.0 + cfg.time_tolerance_s
    return d / dt / KNOT_MS


@dataclass(slots=True)
class Fix:
    """One fix held by the outlier filter."""

    t: int
    lon: float
    lat: float
    msg_type: int


@dataclass(slots=True)
class AltTrack:
    """Fixes consistent with each other but not with the vessel's track."""

    first: Fix
    last: Fix
    count: int = 1
    interleaved: int = 0  # fixes of the main track received since `first`
    anchor_t: int = -1  # time of the main track's last fix when `first` arrived
    reported: bool = False  # reported as an excursion (a short jump and back)


@dataclass(slots=True)
class SharedEpisode:
    """Two transmitters on one MMSI: open while the second keeps reporting."""

    start: int
    track_a: Fix
    first_b: Fix
    last_b: Fix
    fixes_b: int


@dataclass(slots=True)
class JumpMemory:
    """Where a vessel was before its last jump, to recognise a jump back as the same episode."""

    before: Fix
    event_start: int
    details: dict[str, Any]
    lat: float
    lon: float


def _fix_from(obj: dict[str, Any]) -> Fix:
    return Fix(**obj)


class Tracker:
    """The outlier filter; see the module docstring for the rules."""

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self.alt: dict[int, AltTrack] = {}  # by slot
        self.memory: dict[int, JumpMemory] = {}
        self.shared: dict[int, SharedEpisode] = {}
        self.rejected = 0
        self._returned = False  # the last accepted jump went back to the track before a jump

    def _plausible(self, a: Fix, b: Fix) -> bool:
        cfg = self.cfg
        tol = (cfg.long_range_tolerance_m if a.msg_type == 27 else cfg.fix_tolerance_m) + (
            cfg.long_range_tolerance_m if b.msg_type == 27 else cfg.fix_tolerance_m
        )
        limit = cfg.jump_speed_b_kn if b.msg_type in (18, 19) else cfg.jump_speed_a_kn
        d = max(distance_m(a.lon, a.lat, b.lon, b.lat) - tol, 0.0)
        dt = (b.t - a.t) / 1000.0 + cfg.time_tolerance_s
        return d / dt / KNOT_MS <= limit

    def filter(
        self,
        fleet: Fleet,
        slot: I64,
        t: I64,
        lon: F64,
        lat: F64,
        msg_type: U8,
        starts: I64,
    ) -> tuple[B, I8, list[Event]]:
        """Return which fixes of a slice part are accepted, which start a new track, and events.

        A fix that starts a new track is one the vessel's reported position jumped to: there is
        no path between it and the fix before. The arrays are grouped by vessel (``starts`` as in
        `SliceContext`), time-ordered within each group.
        """
        n = len(t)
        cfg = self.cfg
        is_first = np.zeros(n, dtype=np.bool_)
        is_first[starts[:-1]] = True
        prev_idx = np.arange(n) - 1
        fs = slot[is_first]
        p_t = np.empty(n, dtype=np.int64)
        p_lon = np.empty(n)
        p_lat = np.empty(n)
        p_type = np.empty(n, dtype=np.uint8)
        p_t[1:], p_lon[1:], p_lat[1:], p_type[1:] = t[:-1], lon[:-1], lat[:-1], msg_type[:-1]
        p_t[is_first] = fleet.t[fs]
        p_lon[is_first] = fleet.lon[fs]
        p_lat[is_first] = fleet.lat[fs]
        p_type[is_first] = fleet.msg_type[fs]
        del prev_idx
        has_prev = p_t >= 0
        speed = implied_speed_kn(
            p_t,
            p_lon,
            p_lat,
            tolerance_m(p_type, cfg),
            t,
            lon,
            lat,
            tolerance_m(msg_type, cfg),
            cfg,
        )
        bad = has_prev & (speed > speed_limit_kn(msg_type, cfg))
        if self.alt or self.shared:
            watched = set(self.alt) | set(self.shared)
            bad |= np.isin(slot, np.fromiter(watched, dtype=np.int64, count=len(watched)))
        accepted = np.ones(n, dtype=np.bool_)
        moved = np.zeros(n, dtype=np.int8)
        events: list[Event] = []
        if not bad.any():
            return accepted, moved, events
        hit = np.logical_or.reduceat(bad, starts[:-1])
        for g in np.flatnonzero(hit).tolist():
            a, b = int(starts[g]), int(starts[g + 1])
            s = int(slot[a])
            primary = None
            if fleet.t[s] >= 0:
                primary = Fix(
                    int(fleet.t[s]),
                    float(fleet.lon[s]),
                    float(fleet.lat[s]),
                    int(fleet.msg_type[s]),
                )
            n_fixes = int(fleet.n_fixes[s])
            for i in range(a, b):
                fix = Fix(int(t[i]), float(lon[i]), float(lat[i]), int(msg_type[i]))
                n_before = n_fixes
                self._returned = False
                ok, primary, n_fixes = self._one(s, fleet.mmsi[s], primary, n_fixes, fix, events)
                accepted[i] = ok
                if ok and n_fixes == 1 and n_before > 0:  # a new track, not the first fix
                    moved[i] = 2 if self._returned else 1
        self.rejected += int(n - accepted.sum())
        return accepted, moved, events

    def _one(
        self, s: int, mmsi: int, primary: Fix | None, n_fixes: int, fix: Fix, events: list[Event]
    ) -> tuple[bool, Fix, int]:
        cfg = self.cfg
        alt = self.alt.get(s)
        if alt is not None and fix.t - alt.last.t > cfg.alt_timeout_s * 1000:
            del self.alt[s]
            alt = None
        ep = self.shared.get(s)
        if ep is not None and fix.t - ep.last_b.t > cfg.alt_timeout_s * 1000:
            del self.shared[s]
            events.append(self._shared_event(mmsi, ep, closed=True))
            ep = None
        if primary is None or self._plausible(primary, fix):
            if alt is not None:
                alt.interleaved += 1
                if (
                    alt.interleaved == 1
                    and alt.count >= cfg.excursion_fixes
                    and not alt.reported
                    and ep is None
                ):
                    alt.reported = True
                    events.append(self._excursion(mmsi, primary, alt, fix))
            return True, fix, n_fixes + 1
        if alt is not None and self._plausible(alt.last, fix):
            alt.count += 1
            alt.last = fix
            if ep is not None:
                ep.last_b = fix
                ep.fixes_b += 1
                return False, primary, n_fixes
            if alt.count < cfg.track_confirm_fixes:
                return False, primary, n_fixes
            if alt.interleaved > 0:
                ep = SharedEpisode(alt.anchor_t, primary, alt.first, fix, alt.count)
                self.shared[s] = ep
                events.append(self._shared_event(mmsi, ep, closed=False))
                return False, primary, n_fixes
            del self.alt[s]
            self._moved(s, mmsi, primary, n_fixes, alt, fix, events)
            return True, fix, 1
        if distance_m(primary.lon, primary.lat, fix.lon, fix.lat) < cfg.jump_min_distance_m:
            return False, primary, n_fixes
        self.alt[s] = AltTrack(first=fix, last=fix, anchor_t=primary.t)
        return False, primary, n_fixes

    def _moved(
        self,
        s: int,
        mmsi: int,
        before: Fix,
        n_fixes: int,
        alt: AltTrack,
        fix: Fix,
        events: list[Event],
    ) -> None:
        cfg = self.cfg
        mem = self.memory.pop(s, None)
        if (
            mem is not None
            and alt.first.t - mem.event_start <= cfg.jump_return_window_s * 1000
            and self._plausible(mem.before, alt.first)
        ):
            details = dict(mem.details)
            details["returned"] = {
                "time_ms": alt.first.t,
                "lat": round(alt.first.lat, 5),
                "lon": round(alt.first.lon, 5),
                "after": format_duration((alt.first.t - mem.event_start) / 1000.0),
            }
            details["summary"] = (
                details["summary"] + f"; back on its track after {details['returned']['after']}"
            )
            self._returned = True
            events.append(
                Event(
                    EventKind.POSITION_JUMP,
                    mmsi,
                    mem.event_start,
                    alt.first.t,
                    mem.lat,
                    mem.lon,
                    Severity.MEDIUM,
                    details=details,
                )
            )
            return
        if n_fixes < 2:
            return  # no established track yet: the first fix was the odd one, nothing to report
        d = distance_m(before.lon, before.lat, alt.first.lon, alt.first.lat)
        dt = (alt.first.t - before.t) / 1000.0
        info: dict[str, Any] = {
            "cause": "position_jump",
            "from": {"time_ms": before.t, "lat": round(before.lat, 5), "lon": round(before.lon, 5)},
            "to": {
                "time_ms": alt.first.t,
                "lat": round(alt.first.lat, 5),
                "lon": round(alt.first.lon, 5),
            },
            "distance_nm": nm(d),
            "elapsed_s": round(dt, 1),
            "implied_speed_kn": round(knots(d, dt), 1) if dt > 0 else None,
            "speed_limit_kn": cfg.jump_speed_b_kn
            if alt.first.msg_type in (18, 19)
            else cfg.jump_speed_a_kn,
            "confirming_fixes": alt.count,
            "summary": f"position jumped {nm(d)} nm in {format_duration(max(dt, 0.0))}",
        }
        severity = Severity.HIGH if d > 50 * 1852 else Severity.MEDIUM
        events.append(
            Event(
                EventKind.POSITION_JUMP,
                mmsi,
                before.t,
                alt.first.t,
                alt.first.lat,
                alt.first.lon,
                severity,
                details=info,
            )
        )
        self.memory[s] = JumpMemory(before, before.t, info, alt.first.lat, alt.first.lon)

    def _excursion(self, mmsi: int, before: Fix | None, alt: AltTrack, back: Fix) -> Event:
        """Report a short jump and back: consistent fixes far off, then the track again.

        Keyed like the two-transmitter episode that the same fixes would open if the far track
        went on interleaving (start at the track's last fix before the first far one), so such
        an episode updates this event instead of adding a second.
        """
        a = before if before is not None else back
        d = distance_m(a.lon, a.lat, alt.first.lon, alt.first.lat)
        away = (back.t - alt.first.t) / 1000.0
        details: dict[str, Any] = {
            "cause": "excursion",
            "from": {"time_ms": a.t, "lat": round(a.lat, 5), "lon": round(a.lon, 5)},
            "to": {
                "time_ms": alt.first.t,
                "lat": round(alt.first.lat, 5),
                "lon": round(alt.first.lon, 5),
            },
            "returned": {"time_ms": back.t, "lat": round(back.lat, 5), "lon": round(back.lon, 5)},
            "distance_nm": nm(d),
            "far_fixes": alt.count,
            "summary": (
                f"position jumped {nm(d)} nm for {format_duration(away)}"
                f" ({alt.count} consistent fixes), then back on its track"
            ),
        }
        severity = Severity.HIGH if d > 50 * 1852 else Severity.MEDIUM
        start = alt.anchor_t if alt.anchor_t >= 0 else a.t
        return Event(
            EventKind.POSITION_JUMP,
            mmsi,
            start,
            back.t,
            alt.first.lat,
            alt.first.lon,
            severity,
            details=details,
        )

    def _shared_event(self, mmsi: int, ep: SharedEpisode, *, closed: bool) -> Event:
        a, b = ep.track_a, ep.first_b
        d = distance_m(a.lon, a.lat, b.lon, b.lat)
        details: dict[str, Any] = {
            "cause": "two_transmitters",
            "track_a": {"time_ms": a.t, "lat": round(a.lat, 5), "lon": round(a.lon, 5)},
            "track_b": {"time_ms": b.t, "lat": round(b.lat, 5), "lon": round(b.lon, 5)},
            "distance_nm": nm(d),
            "summary": f"two transmitters share this MMSI, {nm(d)} nm apart",
        }
        if closed:
            last = ep.last_b
            details["track_b_last"] = {
                "time_ms": last.t,
                "lat": round(last.lat, 5),
                "lon": round(last.lon, 5),
            }
            details["track_b_fixes"] = ep.fixes_b
            details["summary"] += f", for {format_duration((last.t - ep.start) / 1000.0)}"
        return Event(
            EventKind.POSITION_JUMP,
            mmsi,
            ep.start,
            ep.last_b.t if closed else None,
            b.lat,
            b.lon,
            Severity.HIGH,
            details=details,
        )

    def to_state(self) -> dict[str, Any]:
        return {
            "alt": {str(k): asdict(v) for k, v in self.alt.items()},
            "memory": {str(k): asdict(v) for k, v in self.memory.items()},
            "shared": {str(k): asdict(v) for k, v in self.shared.items()},
            "rejected": self.rejected,
        }

    def load_state(self, obj: dict[str, Any]) -> None:
        self.alt = {
            int(k): AltTrack(
                _fix_from(v["first"]),
                _fix_from(v["last"]),
                v["count"],
                v["interleaved"],
                v["anchor_t"],
                bool(v.get("reported", False)),
            )
            for k, v in obj["alt"].items()
        }
        self.memory = {
            int(k): JumpMemory(
                _fix_from(v["before"]), v["event_start"], v["details"], v["lat"], v["lon"]
            )
            for k, v in obj["memory"].items()
        }
        self.shared = {
            int(k): SharedEpisode(
                v["start"],
                _fix_from(v["track_a"]),
                _fix_from(v["first_b"]),
                _fix_from(v["last_b"]),
                v["fixes_b"],
            )
            for k, v in obj["shared"].items()
        }
        self.rejected = int(obj["rejected"])
