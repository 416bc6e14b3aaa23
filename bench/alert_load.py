"""What a watch floor gets from one simulated run: alerts per 100 vessel-hours and suspects.

`Floor` watches a run as `bench.eval` feeds the engine: each batch's positions (vessel-hours:
for every MMSI, its first to its last fix), each call's events through `geo.triage.Triage`
(which episodes are alerts, which situations they fold into) and the vessels' risk after each
event (the first time each crosses the suspect level).

Figures, beside each other:

- **alerts per 100 vessel-hours** before rules (every episode an alert, as Mare did) and after
  (one alert per situation the shipped rules alert on);
- **recall of labelled positives**: of the smuggling-pattern labels (`POSITIVE`), how many match
  an event that is (or is folded into) an alert. None may be lost;
- **suspect precision and recall per scenario**: vessels of smuggling-pattern scenarios
  (`SUSPECT_SCENARIOS`) should reach risk 50, ordinary traffic (``traffic``, ``ngo_rescue``, and
  vessels without labels) should not; other scripted vessels (identity changes, invalid MMSIs,
  departures, vessels gone dark away from departure areas) are listed, not scored. With the
  time from a vessel's first indicator (the start of its first positive label: its encounter,
  gap, jump, watchlist hit...) to its crossing; detectors report an episode once it is
  confirmed (an encounter after 20 min together, a gap after 30 min of silence), so this is
  mostly their confirmation time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

import numpy as np
import shapely

from ais_ingest.records import Batch
from geo.alert_rules import SUSPECT_RISK
from geo.engine import Engine
from geo.events import Event, parse_time
from geo.triage import Triage
from geo.zones import Zone

#: Labels a watch floor must be alerted to: (kind, scenario) of the simulator's scripted
#: smuggling-pattern behaviours; zone labels also need the zone kind.
POSITIVE: dict[str, frozenset[str]] = {
    "encounter": frozenset({"mothership_encounter", "mothership"}),
    "ais_gap": frozenset({"dark"}),
    "position_jump": frozenset({"spoof_jump", "spoof_clone"}),
    "identity_change": frozenset({"identity"}),
    "watchlist_match": frozenset({"watchlist"}),
    "invalid_mmsi": frozenset({"invalid_mmsi"}),
    "zone_exit": frozenset({"departure"}),
    "zone_entry": frozenset({"departure"}),
}
#: Zone kinds of the zone labels above: departures leave departure areas, arrive in arrival areas.
POSITIVE_ZONE_KIND = {"zone_exit": "departure_hotspot", "zone_entry": "arrival_area"}
#: Vessels that must become suspects (risk >= 50): motherships and the boats meeting them,
#: watchlisted vessels, spoofers; and vessels gone dark within `NEAR_DEPARTURE_NM` of a
#: departure area (``dark-near-departure``).
SUSPECT_SCENARIOS = frozenset(
    {"mothership", "mothership_encounter", "watchlist", "spoof_jump", "spoof_clone",
     "dark-near-departure"}
)  # fmt: skip
#: Vessels that must not: ordinary traffic (also when it sails out of receiver range), and the
#: NGO rescue ships (they stop in the Libyan SAR region, a hard negative).
ORDINARY_SCENARIOS = frozenset({"traffic", "ngo_rescue", "unlabelled", "out_of_range"})
NEAR_DEPARTURE_NM = 25.0
_DEG_PER_NM = 1.0 / 60.0


@dataclass(slots=True)
class Floor:
    """Collects one run's alert load and risk crossings (see the module docstring)."""

    engine: Engine
    triage: Triage
    first_ms: dict[int, int] = field(default_factory=dict)
    last_ms: dict[int, int] = field(default_factory=dict)
    episodes: dict[tuple[Any, ...], str] = field(default_factory=dict)  # episode -> situation
    alerted: set[tuple[Any, ...]] = field(default_factory=set)  # episodes decided alerts
    alert_situations: dict[str, str] = field(default_factory=dict)  # situation -> first rule
    crossed_ms: dict[int, int] = field(default_factory=dict)
    max_risk: dict[int, int] = field(default_factory=dict)
    why: dict[int, list[str]] = field(default_factory=dict)  # contributions at the crossing

    def saw(self, batch: Batch) -> None:
        """Count a batch's fixes towards vessel-hours."""
        p = batch.positions
        if not len(p):
            return
        m = np.asarray(p.mmsi)
        t = np.asarray(p.time_ms)
        ids, inv = np.unique(m, return_inverse=True)
        lo = np.full(len(ids), np.iinfo(np.int64).max)
        hi = np.full(len(ids), np.iinfo(np.int64).min)
        np.minimum.at(lo, inv, t)
        np.maximum.at(hi, inv, t)
        for k, mm in enumerate(ids.tolist()):
            a, b = int(lo[k]), int(hi[k])
            self.first_ms[mm] = min(self.first_ms.get(mm, a), a)
            self.last_ms[mm] = max(self.last_ms.get(mm, b), b)

    def events(self, events: Sequence[Event]) -> None:
        """Triage the events of one engine call and follow their vessels' risk."""
        if not events:
            return
        for tr in self.triage.decide(list(events)):
            key = tr.event.key()
            self.episodes[key] = tr.situation
            if tr.decision.alert:
                self.alerted.add(key)
                self.alert_situations.setdefault(tr.situation, tr.decision.rule or "")
        now = self.engine.now_ms()
        for m in {x for e in events for x in (e.mmsi, e.other_mmsi) if x is not None}:
            score = self.engine.vessel_risk(m).score
            self.max_risk[m] = max(score, self.max_risk.get(m, 0))
            if score >= SUSPECT_RISK and m not in self.crossed_ms:
                self.crossed_ms[m] = now
                self.why[m] = self.engine.vessel_risk(m).explain()

    def is_alert(self, ev: dict[str, Any]) -> bool:
        """Whether an event (contract JSON) is, or is folded into, an alert."""
        key = (
            ev["kind"],
            ev["mmsi"],
            ev.get("other_mmsi"),
            ev.get("zone"),
            parse_time(ev["start"]),
        )
        return key in self.alerted or self.episodes.get(key) in self.alert_situations

    def vessel_hours(self) -> float:
        return sum(self.last_ms[m] - self.first_ms[m] for m in self.first_ms) / 3_600_000


def positive_labels(
    labels: Sequence[dict[str, Any]], zones: Sequence[Zone]
) -> list[dict[str, Any]]:
    """The labels a watch floor must be alerted to (`POSITIVE`)."""
    kind_of = {z.id: str(z.kind) for z in zones}
    out = []
    for lab in labels:
        if lab.get("scenario") not in POSITIVE.get(lab["kind"], ()):
            continue
        if (lab.get("details") or {}).get("optional"):
            continue  # the truth itself does not require it to be found
        want = POSITIVE_ZONE_KIND.get(lab["kind"])
        if want is not None and kind_of.get(lab.get("zone") or "") != want:
            continue
        out.append(lab)
    return out


def vessel_scenarios(
    labels: Sequence[dict[str, Any]], mmsis: Sequence[int], zones: Sequence[Zone]
) -> dict[int, str]:
    """One scenario per vessel for the suspect score: scored ones win over ordinary ones."""
    departure = [z.geometry for z in zones if str(z.kind) == "departure_hotspot"]
    near = (
        shapely.union_all(departure).buffer(NEAR_DEPARTURE_NM * _DEG_PER_NM) if departure else None
    )
    names: dict[int, set[str]] = defaultdict(set)
    for lab in labels:
        s = str(lab.get("scenario"))
        if s == "dark" and lab["kind"] == "ais_gap":
            at = lab.get("lon"), lab.get("lat")
            close = near is not None and None not in at and near.contains(shapely.Point(*at))
            s = "dark-near-departure" if close else "dark-elsewhere"
        names[int(lab["mmsi"])].add(s)
        if lab.get("other_mmsi") is not None:
            names[int(lab["other_mmsi"])].add(s)
    out: dict[int, str] = {}
    for m in mmsis:
        got = names.get(m, set())
        scored = sorted(got & SUSPECT_SCENARIOS)
        unscored = sorted(got - ORDINARY_SCENARIOS - {"dark"})
        out[m] = scored[0] if scored else unscored[0] if unscored else (
            "traffic" if "traffic" in got else "ngo_rescue" if got else "unlabelled"
        )  # fmt: skip
    return out


def suspect_report(
    floor: Floor, labels: Sequence[dict[str, Any]], zones: Sequence[Zone]
) -> dict[str, Any]:
    """Per scenario: vessels, how many crossed the suspect level, and how long it took."""
    mmsis = sorted(floor.first_ms)
    scen = vessel_scenarios(labels, mmsis, zones)
    first_label: dict[int, int] = {}
    for lab in positive_labels(labels, zones):  # the behaviour itself, not earlier passages
        if lab["kind"] in POSITIVE:
            for m in (lab["mmsi"], lab.get("other_mmsi")):
                if m is not None:
                    t = parse_time(lab["start"])
                    first_label[int(m)] = min(t, first_label.get(int(m), t))
    per: dict[str, dict[str, Any]] = {}
    for m in mmsis:
        s = scen[m]
        row = per.setdefault(s, {"vessels": 0, "suspects": 0, "minutes_to_suspect": [],
                                 "max_risk": []})  # fmt: skip
        row["vessels"] += 1
        row["max_risk"].append(floor.max_risk.get(m, 0))
        if m in floor.crossed_ms:
            row["suspects"] += 1
            if m in first_label:
                row["minutes_to_suspect"].append((floor.crossed_ms[m] - first_label[m]) / 60_000)
    tp = sum(r["suspects"] for s, r in per.items() if s in SUSPECT_SCENARIOS)
    pos = sum(r["vessels"] for s, r in per.items() if s in SUSPECT_SCENARIOS)
    fp = sum(r["suspects"] for s, r in per.items() if s in ORDINARY_SCENARIOS)
    out: dict[str, Any] = {"by_scenario": {}}
    for s, r in sorted(per.items()):
        mins = r["minutes_to_suspect"]
        scored = "positive" if s in SUSPECT_SCENARIOS else (
            "negative" if s in ORDINARY_SCENARIOS else "not scored"
        )  # fmt: skip
        out["by_scenario"][s] = {
            "scored": scored,
            "vessels": r["vessels"],
            "suspects": r["suspects"],
            "median_max_risk": median(r["max_risk"]) if r["max_risk"] else None,
            "median_minutes_first_indicator_to_suspect": round(median(mins), 1) if mins else None,
        }
    false = [m for m in mmsis if scen[m] in ORDINARY_SCENARIOS and m in floor.crossed_ms]
    out["false_suspect_examples"] = [
        {"mmsi": m, "scenario": scen[m], "why": floor.why.get(m, [])} for m in false[:5]
    ]
    out["recall"] = None if pos == 0 else round(tp / pos, 4)
    out["precision"] = None if tp + fp == 0 else round(tp / (tp + fp), 4)
    out["positives"] = pos
    out["false_suspects"] = fp
    return out


def load_report(
    floor: Floor, events: Sequence[dict[str, Any]], labels: Sequence[dict[str, Any]],
    zones: Sequence[Zone], end_ms: int,
) -> dict[str, Any]:  # fmt: skip
    """Alerts per 100 vessel-hours before and after rules, beside recall of labelled positives."""
    from bench.eval import match

    vh = floor.vessel_hours()
    before = len(floor.episodes)
    after = len(floor.alert_situations)
    positives = positive_labels(labels, zones)
    alerted = [e for e in events if floor.is_alert(e)]
    found_all = sum(s.labels_found for s in match(events, positives, end_ms=end_ms).values())
    found = sum(s.labels_found for s in match(alerted, positives, end_ms=end_ms).values())
    missed = [lab for k, s in match(alerted, positives, end_ms=end_ms).items() for lab in s.missed]
    return {
        "vessel_hours": round(vh, 1),
        "alerts_before_rules": before,
        "alerts_after_rules": after,
        "per_100_vessel_hours_before": round(100 * before / vh, 2) if vh else None,
        "per_100_vessel_hours_after": round(100 * after / vh, 2) if vh else None,
        "labelled_positives": len(positives),
        "positives_with_an_event": found_all,
        "positives_alerted": found,
        "recall_of_positives_after_rules": round(found / len(positives), 4) if positives else None,
        "recall_of_positives_before_rules": (
            round(found_all / len(positives), 4) if positives else None
        ),
        "alerts_by_rule": dict(Counter(floor.alert_situations.values()).most_common()),
        "positives_missed_examples": missed[:5],
    }
