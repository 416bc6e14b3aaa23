"""A vessel heard again on its dead reckoning after a silence that another transmitter filled.

Satellite AIS hears a vessel at passes and leaves it unheard for 7-20 h when passes are
missed. A second transmitter on the same MMSI (a clone) heard in such a silence, far off but
within what the vessel's class could have sailed since its last fix, is taken for the vessel
by the outlier filter (`geo.tracker`): across 7 h a class A ship may be 350 nm away. The
vessel's own next fix is then implausible from the clone's, and one fix far off a track is a
lone bad fix. Global Fishing Watch's and other peers' satellite feeds show this often (the
simulated satellite day: a clone heard twice 6 h 43 min after its vessel's last pass, 265 nm
off, 39.4 kn from it, under class A's 50 kn). What shows the conflict is the fix itself:

1. it lies on the **dead reckoning** of the track as it was before the silence: the last fix
   before the silence moved along its reported course over ground at its speed over ground
   (a rhumb line, as a vessel holds a course), within `tolerance_nm`;
2. the fixes heard during the silence (at least ``excursion_fixes``, the track followed since,
   consistent with each other) are **impossible to visit** between the two: going from the
   last fix before the silence to the first or the latest of them and on to the new fix needs
   more than the class's top speed (``jump_speed_a_kn``, ``jump_speed_b_kn``, those of the
   outlier filter) over the whole time, however the visit is timed.

Then the silence's fixes were a second transmitter, and the tracker opens the shared-MMSI
episode instead of dropping the vessel's fix. A single vessel never meets (2): it was at each
of its fixes, so it visited them. Nor can a vessel slower than about a third of its class's top
speed with a corrupt fix on its dead reckoning: ``d(A, C) + d(C, F) <= d(A, C) + d(C, A) +
d(A, F)`` is then at most three of its runs, plus the tolerance. What the rule risks is a
corrupt fix that lands inside the tolerance circle of a fast vessel's dead reckoning, and that
circle is a small share of the area the vessel could reach (the satellite day's: 25 nm of a
390-nm radius, 0.4 % of the disc).

Tolerance, growing with the silence (``t`` hours long, ``run = sog * t`` nm)::

    tolerance = dr_base_nm + dr_run_share * run + dr_drift_kn * t

- ``dr_base_nm`` (1 nm): what a fix and an instantaneous SOG/COG carry however short the
  silence: COG noise of a few degrees on a yawing hull, a satellite fix's time stamped by the
  receiver up to a minute late, type 27 positions rounded to a tenth of a minute.
- ``dr_run_share`` (0.2 of the run): a course kept within about 5 degrees (0.09 of the run
  across) and a speed over ground within 10-15 % of the reported one over hours of wind and
  sea (0.15 along) make 0.18; 0.2 allows a change of about 11 degrees. A vessel that altered
  course more in the silence is not recognised: its fix stays a lone outlier, as before the
  rule, which is a miss and never a false event.
- ``dr_drift_kn`` (1 kn per hour): dead reckoning ignores set and drift; surface currents are
  0.2-0.5 kn in the central Mediterranean, 1-2 kn in the main ocean currents.
- ``dr_horizon_s`` (24 h): satellite holes last 7-20 h (a day of missed passes at most);
  after a day a course held is no evidence. At 10 kn the circle is then 73 nm across a
  reachable disc of 1,200 nm.
- ``dr_min_silence_s`` (30 min, the time a far fix is remembered): only a fix after such a
  silence, and off its dead reckoning, is remembered as the start of a silence's track
  (`Anchor`): a shorter silence leaves a clone's fixes interleaved with the vessel's inside
  the time the tracker's own interleaving rule sees them.

A fix without speed over ground (or with one above its class's top speed) starts no dead
reckoning; without a course, a vessel slower than ``dr_slow_kn`` (2 kn, moored, at anchor,
drifting) is reckoned where it was, its run added to the tolerance.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from geo.config import NM_M, EngineConfig
from geo.detectors.base import distance_m
from geo.geodesy import haversine_nm, rhumb_destination


@dataclass(slots=True)
class Anchor:
    """The last fix before a long silence, and what was heard after it.

    ``after_*`` is the first fix after the silence, off the dead reckoning (else nothing is
    remembered); ``count`` is the vessel's accepted fixes up to and including it, so the
    silence's track has ``fixes now - count + 1`` fixes.
    """

    t: int
    lat: float
    lon: float
    msg_type: int
    sog: float
    cog: float | None
    after_t: int
    after_lat: float
    after_lon: float
    count: int

    def to_state(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_state(cls, obj: dict[str, Any]) -> Anchor:
        return cls(**obj)


def can_reckon(sog: float, cog: float, msg_type: int, cfg: EngineConfig) -> bool:
    """Whether a fix's speed and course start a dead reckoning (see the module docstring)."""
    if sog != sog or sog < 0.0 or sog > top_speed_kn(msg_type, cfg):
        return False
    return cog == cog or sog < cfg.dr_slow_kn


def top_speed_kn(msg_type: int, cfg: EngineConfig) -> float:
    """Return the class's top speed, as the outlier filter has it (types 18/19: class B)."""
    return cfg.jump_speed_b_kn if msg_type in (18, 19) else cfg.jump_speed_a_kn


def tolerance_nm(hours: float, run_nm: float, cfg: EngineConfig) -> float:
    """How far from the dead reckoning a vessel may be after ``hours`` unheard.

    Examples
    --------
    The satellite day's vessel, 7 h 50 min unheard at 10.2 kn:

    >>> round(tolerance_nm(7.84, 10.2 * 7.84, EngineConfig()), 1)
    24.8
    """
    return cfg.dr_base_nm + cfg.dr_run_share * run_nm + cfg.dr_drift_kn * hours


def miss_nm(
    anchor: Anchor, t: int, lat: float, lon: float, cfg: EngineConfig
) -> tuple[float, float]:
    """Return how far a fix is from the anchor's dead reckoning, and the tolerance there (nm).

    Examples
    --------
    Five hours at 10 kn due north from 35°N 12°E, heard 53 nm north (3 nm ahead):

    >>> a = Anchor(0, 35.0, 12.0, 1, 10.0, 0.0, 0, 0.0, 0.0, 1)
    >>> miss, tol = miss_nm(a, 5 * 3_600_000, 35.0 + 53 / 60, 12.0, EngineConfig())
    >>> round(miss, 1), round(tol, 1)
    (3.0, 16.0)
    """
    hours = max(t - anchor.t, 0) / 3_600_000
    run = anchor.sog * hours
    if anchor.cog is None:  # slow, course unknown: where it was, give or take its run
        return float(haversine_nm(anchor.lat, anchor.lon, lat, lon)), (
            tolerance_nm(hours, run, cfg) + run
        )
    dr_lat, dr_lon = rhumb_destination(anchor.lat, anchor.lon, anchor.cog, run)
    return float(haversine_nm(dr_lat, dr_lon, lat, lon)), tolerance_nm(hours, run, cfg)


def off_course(anchor: Anchor, t: int, lat: float, lon: float, cfg: EngineConfig) -> bool:
    """Whether a fix after a silence is off the dead reckoning (so worth remembering)."""
    miss, tol = miss_nm(anchor, t, lat, lon, cfg)
    return miss > tol


def detour_kn(
    anchor: Anchor, via: tuple[float, float], t: int, lat: float, lon: float, cfg: EngineConfig
) -> float:
    """Speed needed to go from the anchor to ``via`` (lat, lon) and on to a fix, in the time.

    Each fix's position tolerance is taken off, and the time tolerance added, as in the outlier
    filter.
    """
    d = (
        distance_m(anchor.lon, anchor.lat, via[1], via[0])
        + distance_m(via[1], via[0], lon, lat)
        - 3 * cfg.fix_tolerance_m
    )
    dt = (t - anchor.t) / 1000.0 + cfg.time_tolerance_s
    return max(d, 0.0) / NM_M / (dt / 3600.0)


def clone_evidence(
    anchor: Anchor,
    silence_fixes: int,
    last: tuple[float, float],
    t: int,
    lat: float,
    lon: float,
    cfg: EngineConfig,
) -> dict[str, Any] | None:
    """Return why a fix shows the silence's fixes were a second transmitter, or None.

    ``silence_fixes`` is how many fixes the track followed since the anchor has, ``last`` its
    latest (lat, lon); the fix (``t``, ``lat``, ``lon``) is implausible from it.

    Examples
    --------
    The satellite day (seed 65): last pass 16:01 at 10.2 kn, 333.3°; two fixes 265 nm west at
    22:44-22:48; the vessel at 23:51, 81 nm from its last pass:

    >>> a = Anchor(0, 34.3812, 17.0968, 1, 10.2, 333.3, 24_194_000, 34.9108, 11.773, 5)
    >>> h = 28_231_000
    >>> ev = clone_evidence(a, 2, (34.9053, 11.7742), h, 35.5712, 16.3172, EngineConfig())
    >>> ev["off_reckoning_nm"], ev["tolerance_nm"], ev["detour_kn"], ev["top_speed_kn"]
    (2.4, 24.8, 62.6, 50.0)
    >>> clone_evidence(a, 1, (34.9108, 11.773), h, 35.5712, 16.3172, EngineConfig()) is None
    True
    """
    if silence_fixes < cfg.excursion_fixes or not 0 < t - anchor.t <= cfg.dr_horizon_s * 1000:
        return None
    miss, tol = miss_nm(anchor, t, lat, lon, cfg)
    if miss > tol:
        return None
    top = top_speed_kn(anchor.msg_type, cfg)
    need = min(
        detour_kn(anchor, (anchor.after_lat, anchor.after_lon), t, lat, lon, cfg),
        detour_kn(anchor, last, t, lat, lon, cfg),
    )
    if need <= top:
        return None
    hours = (t - anchor.t) / 3_600_000
    return {
        "before_silence": {
            "time_ms": anchor.t,
            "lat": round(anchor.lat, 5),
            "lon": round(anchor.lon, 5),
        },
        "speed_kn": round(anchor.sog, 1),
        "course": None if anchor.cog is None else round(anchor.cog, 1),
        "unheard_h": round(hours, 2),
        "off_reckoning_nm": round(miss, 1),
        "tolerance_nm": round(tol, 1),
        "detour_kn": round(need, 1),
        "top_speed_kn": top,
    }


class Anchors:
    """Per vessel slot, the anchors of its last long silences (newest last).

    At most ``max_tracks`` per slot (a clone heard at several passes may leave silences of its
    own after the vessel's); each is forgotten ``dr_horizon_s`` after its silence began.
    """

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self.by_slot: dict[int, list[Anchor]] = {}
        self._prune_at = 1024

    def __contains__(self, slot: int) -> bool:
        return slot in self.by_slot

    def after_silence(
        self,
        slot: int,
        before: tuple[int, float, float, int],
        sog: float,
        cog: float,
        fix: tuple[int, float, float],
        count: int,
    ) -> None:
        """Remember a silence if ``fix`` ends a long one off the dead reckoning of ``before``.

        ``before`` is the last fix before it (time ms, lat, lon, message type) with its SOG and
        COG; ``count`` the vessel's accepted fixes up to and including ``fix`` (time, lat, lon).
        """
        cfg = self.cfg
        t0, lat0, lon0, msg_type = before
        t, lat, lon = fix
        if t - t0 < cfg.dr_min_silence_s * 1000 or not can_reckon(sog, cog, msg_type, cfg):
            return
        course = None if cog != cog else cog
        anchor = Anchor(t0, lat0, lon0, msg_type, sog, course, t, lat, lon, count)
        if not off_course(anchor, t, lat, lon, cfg):
            return
        kept = [a for a in self.by_slot.get(slot, []) if t - a.t <= cfg.dr_horizon_s * 1000]
        self.by_slot[slot] = [*kept, anchor][-cfg.max_tracks :]
        if len(self.by_slot) > self._prune_at:
            self._prune(t)

    def clone_heard(
        self, slot: int, count: int, last: tuple[float, float], t: int, lat: float, lon: float
    ) -> tuple[Anchor, dict[str, Any]] | None:
        """Return the anchor a fix returns to, with the evidence, if it shows a clone.

        ``count`` is the vessel's accepted fixes so far, ``last`` (lat, lon) the latest; the
        newest anchor that shows it wins (`clone_evidence`).
        """
        for anchor in reversed(self.by_slot.get(slot, [])):
            evidence = clone_evidence(anchor, count - anchor.count + 1, last, t, lat, lon, self.cfg)
            if evidence is not None:
                return anchor, evidence
        return None

    def forget(self, slot: int) -> None:
        """Forget a vessel's silences: its track jumped, or a shared-MMSI episode took over."""
        self.by_slot.pop(slot, None)

    def _prune(self, now_ms: int) -> None:
        """Forget silences past the horizon of every vessel (amortised: the map doubled)."""
        horizon = self.cfg.dr_horizon_s * 1000
        self.by_slot = {
            s: kept
            for s, v in self.by_slot.items()
            if (kept := [a for a in v if now_ms - a.t <= horizon])
        }
        self._prune_at = max(1024, 2 * len(self.by_slot))

    def to_state(self) -> dict[str, Any]:
        return {str(s): [a.to_state() for a in v] for s, v in self.by_slot.items()}

    def load_state(self, obj: dict[str, Any]) -> None:
        self.by_slot = {int(s): [Anchor.from_state(a) for a in v] for s, v in obj.items()}
