"""Truth for silences: a transmitter switched off, or a vessel out of the receivers' range.

Both look the same in the feed; the simulator knows which is which. A silence counts when it is
longer than the engine's "went dark" threshold for the vessel's class and speed at its last fix
(`geo.detectors.gap.gap_threshold_s`, the definition the issue gives), starts at sea (not in a
port or anchorage zone) and concerns a vessel the engine tracks (not a SAR aircraft, not MMSI 0,
not a second transmitter on someone else's MMSI). Every ``ais_gap`` label says why in
``details.cause``:

- ``dark``: the planned switch-offs (`simulate.behaviours.add_gaps`), refined against what was
  received (`simulate.truth.refine`). Such a label carries the reception the vessel would have
  had, had it kept transmitting, from its last fix over the threshold: the worst chance,
  minute by minute along its true track, that a report of it reaches the feed. Under the
  engine's ``coverage_good`` (60 %; Global Fishing Watch's condition for calling a gap
  intentional is good reception where it starts) the label is ``optional``: a detector may
  call it dark or out of range, and is not scored on it. Every switch-off of the satellite
  shape is: a pass keeps one transmission in forty, and the holes between passes are the
  feed's. Nothing better is possible there: a vessel heard one to three times a pass is never
  heard the 14 times in 12 h that tell a switch-off from a hole (`geo.sparse_tracking`);
- ``out_of_range``: every other such silence of a vessel still transmitting, between two fixes
  heard or from the last fix heard to the end of the capture or of the vessel's voyage (then
  ``open``). One shorter than 1.2 times its threshold is ``optional`` too: whether a detector
  sees it past the threshold turns on a reported speed a tenth of a knot either side of a band;
  and so is one the engine's sampling rule does not count as a gap (see `_sampled_well`), and
  one after the vessel's first fix heard (a vessel heard once shows no transmitter that
  stopped: the engine's ``gap_min_fixes``; the same holds for a switch-off, `simulate.truth`);
- ``outage``: a silence that a station's outage made (`simulate.reporting.Outage`): take out
  the minutes when the outage took the reception the vessel would have had (`outage_ms`), and
  what is left is not past the threshold. Not dark, and not the vessel out of range: the
  feed's own hole, which `make eval` expects no ``ais_gap`` for. A silence that is partly an
  outage and partly more is labelled ``out_of_range`` and ``optional``, and a switch-off while
  the vessel's station is down gets the poor reception it had (``optional``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt
import shapely

from geo.config import EngineConfig
from geo.detectors.gap import gap_threshold_s
from geo.silence_rule import sampling_threshold_s
from simulate.agent import Agent
from simulate.reporting import Network
from simulate.truth import Label, RxLog, Zone
from simulate.world import haversine_m

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

MIN = 60_000
_CFG = EngineConfig()
#: Reception under which a dark gap's start is not good coverage (see the module docstring):
#: the engine's definition of good coverage, one rule in one place.
GOOD_RECEPTION = _CFG.coverage_good
#: Silences shorter than this many thresholds are optional (see the module docstring).
MARGINAL = 1.2
#: Share of its reports reaching the feed above which a vessel is heard (`outage_ms`).
HEARD_AT_ALL = 0.02


def threshold_ms(agent: Agent, t_ms: int) -> int:
    """Return the engine's silence threshold for an agent at a time (class, speed, status)."""
    s = agent.track.sample(np.array([t_ms], np.int64))
    msg_type = np.array([18 if agent.vessel.ais_class == "B" else 1], np.uint8)
    thr = gap_threshold_s(msg_type, s.sog.astype(np.float64), s.status.astype(np.int8), _CFG)
    return int(float(thr[0]) * 1000)


class SilenceTruth:
    """Labels silences of a finished run from its receive log and its receiver network."""

    def __init__(
        self,
        agents: list[Agent],
        log: RxLog,
        net: Network,
        reach: list[float],
        zones: list[Zone] | None,
        end_ms: int,
        *,
        base_loss: float,
        dup_prob: float,
    ) -> None:
        self.agents = agents
        self.log = log
        self.net = net
        self.reach = reach
        self.end_ms = end_ms
        self.base_loss = base_loss
        self.dup_prob = dup_prob
        quiet = [z.geom for z in zones or [] if z.kind in ("port", "anchorage")]
        self.quiet = shapely.union_all(quiet) if quiet else None
        if self.quiet is not None:
            shapely.prepare(self.quiet)

    def _per_minute(self, i: int, t0: int, t1: int, outages: bool = True) -> F64:
        """Chance, minute by minute on agent ``i``'s true track, of being heard (empty: gone)."""
        ag = self.agents[i]
        t = np.arange(t0, max(t0 + 1, t1), MIN, dtype=np.int64)
        t = t[(t >= ag.track.start) & (t <= ag.track.end)]
        if not len(t):
            return np.zeros(0)
        s = ag.track.sample(t)
        return self.net.probability(
            t, s.lon, s.lat, np.full(len(t), self.reach[i]),
            base_loss=self.base_loss, dup_prob=self.dup_prob, outages=outages,
        )  # fmt: skip

    def reception(self, i: int, t0: int, t1: int) -> float:
        """Worst chance, minute by minute on agent ``i``'s true track, of being heard."""
        p = self._per_minute(i, t0, t1)
        if not len(p):
            return 0.0
        return float(p.min())

    def annotate_dark(self, lab: Label, agent: int) -> Label:
        """Say how well covered a planned switch-off started (``optional`` if poorly)."""
        thr = threshold_ms(self.agents[agent], lab.start_ms)
        q = self.reception(agent, lab.start_ms, lab.start_ms + thr)
        details = dict(lab.details)
        details.update({"cause": "dark", "reception": round(q, 3)})
        if q < GOOD_RECEPTION:
            details["optional"] = True
        return replace(lab, details=details)

    def _tracked(self, ag: Agent) -> bool:
        return ag.log_as is None and ag.vessel.ais_class in ("A", "B") and ag.mmsi > 0

    def _at_sea(self, lon: float, lat: float) -> bool:
        return self.quiet is None or not bool(shapely.contains_xy(self.quiet, lon, lat))

    def out_of_range(self) -> list[Label]:
        """Label every silence past its threshold that no switch-off explains."""
        labels: list[Label] = []
        for i, ag in enumerate(self.agents):
            if not self._tracked(ag):
                continue
            t, genuine, lon, lat = self.log.pos(i)
            t, lon, lat = t[genuine], lon[genuine], lat[genuine]
            if not len(t):
                continue
            stop = min(ag.off, ag.track.end, self.end_ms)
            ends = np.append(t[1:], stop)
            for k in np.flatnonzero(ends - t > 30 * MIN).tolist():
                a, b = int(t[k]), int(ends[k])
                if any(d0 < b and a < d1 for d0, d1 in ag.dark):
                    continue
                thr = threshold_ms(ag, a)
                if b - a <= thr or not self._at_sea(float(lon[k]), float(lat[k])):
                    continue
                lab = self._label(i, ag, k, a, b, thr, lon, lat, is_open=k == len(t) - 1)
                down_ms = self.outage_ms(i, a, b)
                if down_ms and b - a - down_ms <= thr:
                    lab = self._outage_label(lab, down_ms)
                elif down_ms or not self._sampled_well(t[: k + 1], b - a):
                    lab.details["optional"] = True
                elif k + 1 < _CFG.gap_min_fixes:  # heard once: no silence to speak of
                    lab.details["optional"] = True
                labels.append(lab)
        return labels

    def outage_ms(self, i: int, t0: int, t1: int) -> int:
        """Time (ms, by the minute) in ``[t0, t1)`` when an outage made agent ``i`` unheard.

        A minute counts when the vessel would have been heard at all had every station been up
        (`HEARD_AT_ALL` of its reports: a class A sends six a minute, so a boat at a station's
        fringe is still heard every few minutes) and the outage took at least half of that:
        the silence is the receiver's, not the vessel's.
        """
        if not self.net.outages or not any(
            o.start_ms < t1 and t0 < o.end_ms for o in self.net.outages
        ):
            return 0
        up, now = self._per_minute(i, t0, t1, outages=False), self._per_minute(i, t0, t1)
        return int(((up >= HEARD_AT_ALL) & (now < 0.5 * up)).sum()) * MIN

    @staticmethod
    def _outage_label(lab: Label, down_ms: int) -> Label:
        details = {k: v for k, v in lab.details.items() if k != "optional"}
        details.update({"cause": "outage", "outage_minutes": round(down_ms / MIN, 1)})
        return replace(lab, scenario="outage", details=details)

    @staticmethod
    def _sampled_well(before: I64, silence_ms: int) -> bool:
        """Return True if the silence is long against how the vessel was heard before it.

        The engine calls a silence a gap only once it is longer than what the vessel's own
        interval explains (the longest of the last hours, up to ``gap_sampling_cap_s``; not
        known for a vessel heard for less than ``gap_floor_s`` and fewer than
        ``gap_sampling_min_fixes`` fixes): `geo.silence_rule.sampling_threshold_s`, the same
        function here. A boat heard in fits at the fringe of a range is a sparse feed of its
        own. A silence that rule does not count is ``optional`` here: reported or not, it is
        not scored.
        """
        cfg = _CFG
        watched = (
            int(before[-1] - before[0]) >= cfg.gap_floor_s * 1000
            or len(before) >= cfg.gap_sampling_min_fixes
        )
        recent = before[before >= before[-1] - int(cfg.gap_sampling_half_life_s * 1000)]
        longest = float(np.diff(recent).max()) / 1000.0 if len(recent) > 1 else 0.0
        typical = min(longest, cfg.gap_sampling_cap_s) if watched else float("nan")
        return silence_ms > float(sampling_threshold_s(np.array([typical]), cfg)[0]) * 1000

    def _label(
        self,
        i: int,
        ag: Agent,
        k: int,
        a: int,
        b: int,
        thr: int,
        lon: F64,
        lat: F64,
        *,
        is_open: bool,
    ) -> Label:
        details: dict[str, object] = {
            "cause": "out_of_range",
            "duration_minutes": round((b - a) / MIN, 1),
            "threshold_minutes": round(thr / MIN, 1),
        }
        if is_open:
            details["open"] = True
        else:
            d = haversine_m(lon[k : k + 1], lat[k : k + 1], lon[k + 1 : k + 2], lat[k + 1 : k + 2])
            details["distance_nm"] = round(float(d[0]) / 1852, 2)
        if b - a < MARGINAL * thr:
            details["optional"] = True
        return Label(
            kind="ais_gap",
            mmsi=ag.mmsi,
            start_ms=a,
            end_ms=b,
            scenario="out_of_range",
            lon=float(lon[k]),
            lat=float(lat[k]),
            details=details,
        )
