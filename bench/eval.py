"""`make eval`: detection quality of the engine against `mare simulate`'s truth, per kind.

Simulates several seeds and scenarios, runs the same pipeline as `mare detect` (the ingest
`Decoder`, then `geo.engine.Engine` with the shipped zones and the sample watchlist) over each
capture in memory, matches events to truth labels and prints recall and precision per kind, as
JSON on stdout and as a table on stderr.

Matching: an event matches a label of the same kind and MMSI (for encounters the unordered pair
of MMSIs; for zone events also the zone id) whose time window overlaps the event's, widened by a
per-kind tolerance. A ``dark_target`` (a boat without AIS, no MMSI) matches the label of the boat
that made at least one of its contacts; contacts come from the simulator with the capture
(sightings, hotline calls, SAR passes with their false detections and misses:
`simulate.dark_boats`) and are handed to the engine as the capture plays, as a live service
gets them. Matching is one to one, closest start first. An event still open at the end of
the capture (``end`` null) lasts until the end of the capture, as its label does, and is scored
like any other; only open ``ais_gap`` events that match no label are left out of precision and
reported as ``open`` (a vessel whose voyage ends where the simulator stops it, in coverage, looks
like one that went dark).

Silences are scored as two kinds: ``ais_gap`` (the truth's ``cause: dark``, a transmitter
switched off) and ``ais_gap_out_of_range`` (``cause: out_of_range``, a vessel still transmitting
that no receiver heard). An engine event is the second when its ``details.coverage.verdict`` is
``edge`` (lost at the edge of coverage), else the first. A label marked ``optional`` (a
switch-off where reception was poor, a silence barely past its threshold: see
`simulate.silences`) counts for neither recall nor misses; an event matching it counts as right
whichever of the two kinds it is.

A silence a station's outage made (the truth's ``cause: outage``, scenario ``outage``: shore
stations down for a while) is no label to find: it is the feed's hole, not a vessel's doing,
and an ``ais_gap`` event over it, open or closed, is a false one (of the kind its verdict
names). Each run reports how many such silences there were and how many got an event.

Labels are also ``optional`` where the feed's sampling leaves them undecidable: a silence
shorter than ``gap_sampling_k`` of the longest sampling a vessel of the run can show (at one
report an hour a 4-hour silence is how the vessel is seen, not evidence of a switch-off; see
`geo.detectors.gap`), and an encounter whose vessels were heard together inside it for under
20 minutes (`simulate.truth`). The truth drops what no sampling shows at all (a spoof seen by one
fix, a name change carried by one static message). A clone's zone transitions (a second
transmitter on a vessel's MMSI, heard crossing a zone) are ``optional``: the feed shows them
under that MMSI, and which track a detector follows is its choice (`simulate.truth.ZoneTruth`).

Shapes of real feeds (issue 12), each scored on its own: terrestrial (every report heard),
decimated extracts (one report per vessel per 5, 10, 30, 60 min), satellite passes (a day: a
vessel heard every 90-100 min for 5 h, then unheard for 7 h and more; no silence of the feed's
own holes may be a gap), shared MMSIs,
and the antimeridian (a default run moved 167.5° east, so the Sicily channel straddles ±180°,
its zones moved and split there). The ``worst`` table takes, per kind, the lowest recall and
precision over the shapes: that is the figure to quote.

Decimated extracts are judged as an analyst runs `mare detect` on one: with the receiver
coverage learnt from a full feed (``--coverage``, `geo.coverage.CoverageMap`), here a day's
terrestrial run of another seed (`COVERAGE_MAP_RUN`: the same receivers, other traffic; a day
is the coverage's own window, and propagation's daily cycle: a 6-hour map left cells decided by
a few expected reports, and one of the 5-minute extracts' vessels that sailed out of range
"went dark" where 4.7 had been expected). An extract of a few vessels cannot learn where
coverage ends by itself; ``--no-map`` scores them without (every vessel that sails out of range
is then "gone dark").

Held-out runs (scenarios ``busy`` and ``degraded``, and seeds >= 1000) are never to be used
for tuning the engine: they are reported apart, flagged ``holdout``. Figures
under the issue's target (0.95) are marked ``!`` and listed at the end. The runs go two at a time
(``--jobs``): about five minutes of CPU in all, three of wall time on two idle cores.

Each run also reports what a watch floor gets (`bench.alert_load`): alerts per 100 vessel-hours
before and after the shipped alert rules beside the recall of labelled smuggling-pattern
positives, and precision and recall of "suspect" (risk >= 50) per scenario with the time from
a vessel's first indicator to its crossing; the demo's day (`DEMO_DAY`) is judged against
`ALERT_LOAD_TARGET`.

Usage: ``python -m bench.eval [--quick] [--jobs N] [--only TEXT] [--dump DIR] [--out FILE]
[--no-map]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo.events import parse_time

MIN = 60_000
#: Slack added to both ends of a label's window, per kind, ms. Zone transitions and jumps are
#: instants a detector may time one fix apart (class B: 3 min); loiters, encounters and gaps are
#: long, and detectors legitimately differ on when exactly they begin.
TOLERANCE_MS: dict[str, int] = {
    "zone_entry": 5 * MIN,
    "zone_exit": 5 * MIN,
    "zone_dwell": 10 * MIN,
    "loitering": 20 * MIN,
    "encounter": 20 * MIN,
    "ais_gap": 10 * MIN,
    "ais_gap_out_of_range": 10 * MIN,
    "position_jump": 10 * MIN,
    "identity_change": 15 * MIN,
    "invalid_mmsi": 10 * MIN,
    "watchlist_match": 10 * MIN,
    # A mothership's association starts at the first contact that saw them together, which may
    # be anywhere in the meeting; a dark target is matched by its contacts, not by time.
    "contact_association": 60 * MIN,
    "dark_target": 24 * 60 * MIN,
}
DEFAULT_TOLERANCE_MS = 10 * MIN
#: Issue 5's target: recall and precision of at least 0.95 for every kind.
TARGET = 0.95
#: Kinds whose events still open at the end of a capture and matching no label are left out of
#: precision (reported as ``open``): a vessel that sailed out of coverage looks exactly like one
#: that switched off, and nobody can label which. An open loiter, encounter or dwell is a claim
#: about what the vessel is doing at the end of the capture, and counts like a closed one.
OUT_OF_RANGE = "ais_gap_out_of_range"
GAP_KINDS = ("ais_gap", OUT_OF_RANGE)
OPEN_UNSCORED = frozenset(GAP_KINDS)


def scored_kind(obj: dict[str, Any], *, label: bool) -> str:
    """Return the kind an event or label is scored as (silences split by cause, see above)."""
    kind = str(obj["kind"])
    if kind != "ais_gap":
        return kind
    details = obj.get("details") or {}
    if label:
        return OUT_OF_RANGE if details.get("cause") == "out_of_range" else kind
    coverage = details.get("coverage") or {}
    return OUT_OF_RANGE if coverage.get("verdict") == "edge" else kind


@dataclass(frozen=True, slots=True)
class RunSpec:
    """One evaluation run."""

    scenario: str
    seed: int
    hours: float
    vessels: int | None = None
    shift_deg: float = 0.0  # the whole run moved east (the antimeridian shape)

    @property
    def holdout(self) -> bool:
        return self.scenario in HELD_OUT_SCENARIOS or self.seed >= 1000

    @property
    def shape(self) -> str:
        """The feed shape this run stands for (scored on its own)."""
        if self.shift_deg:
            return "antimeridian"
        if self.scenario.startswith("sparse") or self.scenario in (
            "satellite",
            "shared",
            "coverage",
            "outage",
        ):
            return self.scenario
        return "terrestrial"

    @property
    def name(self) -> str:
        shift = f"/lon+{self.shift_deg:g}" if self.shift_deg else ""
        return f"{self.scenario}/seed={self.seed}/{self.hours:g}h{shift}"


HELD_OUT_SCENARIOS = frozenset({"busy", "degraded"})
#: Extracts cut from a terrestrial feed: judged with the coverage of a full feed.
EXTRACT_SHAPES = frozenset({"sparse5", "sparse10", "sparse30", "sparse60"})
#: Scenarios that stand for a shape of feed of their own (scored apart, see the docstring).
FEED_SHAPES = frozenset(
    {"sparse5", "sparse10", "sparse30", "sparse60", "satellite", "shared", "coverage", "outage"}
)


#: The demo's day (`mare demo`: default scenario, seed 1, 24 h): the alert load is judged on it.
DEMO_DAY = RunSpec("default", 1, 24)
#: Issue 13's target: alerts per 100 vessel-hours on the demo's day, every labelled positive
#: alerted.
ALERT_LOAD_TARGET = 5.0
RUNS: tuple[RunSpec, ...] = (
    RunSpec("default", 1, 6),
    RunSpec("default", 2, 6),
    RunSpec("smuggling", 3, 6),
    RunSpec("smuggling", 4, 6),
    RunSpec("default", 1001, 6),
    RunSpec("busy", 2001, 4),
    RunSpec("degraded", 3001, 6),
    RunSpec("smuggling", 4001, 6),
    # Added after the held-out runs above had been looked at (to find causes, not to tune):
    # runs nobody has examined, so the held-out figures keep meaning "never seen".
    RunSpec("busy", 2002, 4),
    RunSpec("degraded", 3002, 6),
    # Issue 12: receivers that do not cover everything (and seeds >= 1000 held out).
    RunSpec("coverage", 5, 6),
    RunSpec("coverage", 5001, 6),
    # Receivers that go down for a while (a real feed's holes): no gap for what they lost.
    RunSpec("outage", 8, 6),
    RunSpec("outage", 5008, 6),
    # Issue 12: shapes of real feeds, each with a run to develop on and one held out. Satellite
    # runs last a day: their holes (7 h and more unheard, twice a day) must come and go.
    *(
        RunSpec(name, seed + k, 24 if name == "satellite" else 6, shift_deg=shift)
        for seed in (61, 6101)
        for k, (name, shift) in enumerate(
            (
                ("sparse5", 0.0),
                ("sparse10", 0.0),
                ("sparse30", 0.0),
                ("sparse60", 0.0),
                ("satellite", 0.0),
                ("shared", 0.0),
                ("default", 167.5),
            )
        )  # fmt: skip
    ),
    DEMO_DAY,
)
#: The full feed whose learnt coverage extracts are judged with (a seed no run uses; a day).
COVERAGE_MAP_RUN = RunSpec("default", 7, 24)
QUICK_RUNS: tuple[RunSpec, ...] = (
    RunSpec("smuggling", 3, 3, 120),
    RunSpec("degraded", 3001, 3, 120),
)


@dataclass(slots=True)
class KindScore:
    """Counts for one kind: labels found, events that were right."""

    labels: int = 0
    events: int = 0
    open_events: int = 0
    labels_found: int = 0
    events_right: int = 0
    missed: list[dict[str, Any]] = field(default_factory=list)
    false: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: KindScore) -> None:
        self.labels += other.labels
        self.events += other.events
        self.open_events += other.open_events
        self.labels_found += other.labels_found
        self.events_right += other.events_right
        self.missed.extend(other.missed)
        self.false.extend(other.false)

    @property
    def recall(self) -> float | None:
        return None if self.labels == 0 else self.labels_found / self.labels

    @property
    def precision(self) -> float | None:
        return None if self.events == 0 else self.events_right / self.events

    def to_dict(self, examples: int = 3) -> dict[str, Any]:
        r, p = self.recall, self.precision
        return {
            "labels": self.labels,
            "events": self.events,
            "open_events": self.open_events,
            "recall": None if r is None else round(r, 4),
            "precision": None if p is None else round(p, 4),
            "missed_examples": self.missed[:examples],
            "false_examples": self.false[:examples],
        }


def _window(obj: dict[str, Any], end_ms: int | None = None) -> tuple[int, int]:
    start = parse_time(obj["start"])
    if obj.get("end"):
        end = parse_time(obj["end"])
    else:
        end = start if end_ms is None else end_ms
    return start, max(start, end)


def _contact_keys(obj: dict[str, Any]) -> set[tuple[int, float, float]]:
    """Return the contacts of a dark_target event or label as (time ms, lat, lon)."""
    out: set[tuple[int, float, float]] = set()
    for c in obj.get("details", {}).get("contacts", []):
        if isinstance(c, dict):
            out.add((parse_time(c["time"]), round(float(c["lat"]), 5), round(float(c["lon"]), 5)))
        else:
            out.add((int(c[0]), round(float(c[1]), 5), round(float(c[2]), 5)))
    return out


def _key(obj: dict[str, Any]) -> tuple[Any, ...]:
    kind = obj["kind"]
    if kind == "dark_target":
        return (kind,)
    if kind == "encounter":
        pair = sorted(int(x) for x in (obj["mmsi"], obj.get("other_mmsi") or 0))
        return (kind, *pair)
    if kind.startswith("zone_"):
        return (kind, int(obj["mmsi"]), obj.get("zone"))
    return (kind, int(obj["mmsi"]))


def match(
    events: Sequence[dict[str, Any]],
    labels: Sequence[dict[str, Any]],
    tolerance_ms: dict[str, int] | None = None,
    end_ms: int | None = None,
) -> dict[str, KindScore]:
    """Score events against labels per kind (see the module docstring for the rule).

    ``end_ms`` is the end of the capture: an event still open then is taken to last until it.
    """
    tol = TOLERANCE_MS if tolerance_ms is None else tolerance_ms
    events = [{**ev, "kind": scored_kind(ev, label=False)} for ev in events]
    holes = [lab for lab in labels if is_outage(lab)]
    labels = [{**lab, "kind": scored_kind(lab, label=True)} for lab in labels if not is_outage(lab)]
    optional = [bool((lab.get("details") or {}).get("optional")) for lab in labels]
    scores: dict[str, KindScore] = defaultdict(KindScore)
    by_key: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for j, lab in enumerate(labels):
        if not optional[j]:
            scores[lab["kind"]].labels += 1
        kinds = GAP_KINDS if optional[j] and lab["kind"] in GAP_KINDS else (lab["kind"],)
        for kind in kinds:
            by_key[_key({**lab, "kind": kind})].append(j)
    pairs: list[tuple[int, int, int]] = []
    for i, ev in enumerate(events):
        e0, e1 = _window(ev, end_ms)
        t = tol.get(ev["kind"], DEFAULT_TOLERANCE_MS)
        seen = _contact_keys(ev) if ev["kind"] == "dark_target" else set()
        for j in by_key.get(_key(ev), []):
            if seen and not seen & _contact_keys(labels[j]):
                continue
            l0, l1 = _window(labels[j])
            if e0 <= l1 + t and l0 - t <= e1:
                pairs.append((abs(e0 - l0), i, j))
    pairs.sort()
    used_e: set[int] = set()
    used_l: set[int] = set()
    for _, i, j in pairs:
        if i in used_e or j in used_l:
            continue
        used_e.add(i)
        used_l.add(j)
        if not optional[j]:
            scores[labels[j]["kind"]].labels_found += 1
    for j, lab in enumerate(labels):
        if j not in used_l and not optional[j]:
            scores[lab["kind"]].missed.append(lab)
    for i, ev in enumerate(events):
        s = scores[ev["kind"]]
        if i in used_e:
            s.events += 1
            s.events_right += 1
        elif (
            ev.get("end") is None
            and ev["kind"] in OPEN_UNSCORED
            and not _other_silence(ev, [*labels, *holes], end_ms)
        ):
            s.open_events += 1
        else:
            s.events += 1
            s.false.append(ev)
    return dict(scores)


def is_outage(lab: dict[str, Any]) -> bool:
    """Return True for a silence label that a station's outage made (see the docstring)."""
    return lab["kind"] == "ais_gap" and (lab.get("details") or {}).get("cause") == "outage"


def outage_report(
    events: Sequence[dict[str, Any]], labels: Sequence[dict[str, Any]]
) -> dict[str, int]:
    """Return how many silences outages made and how many of them got an ``ais_gap`` event."""
    holes = [lab for lab in labels if is_outage(lab)]
    alerted = 0
    for lab in holes:
        l0, l1 = _window(lab)
        t = TOLERANCE_MS["ais_gap"]
        if any(
            ev["kind"] == "ais_gap"
            and int(ev["mmsi"]) == int(lab["mmsi"])
            and _window(ev, l1)[0] <= l1 + t
            and l0 - t <= _window(ev, l1)[1]
            for ev in events
        ):
            alerted += 1
    return {"silences": len(holes), "alerted": alerted}


def _other_silence(
    ev: dict[str, Any], labels: Sequence[dict[str, Any]], end_ms: int | None
) -> bool:
    """Return True if a silence label of the vessel overlaps this open gap (wrong cause named)."""
    e0, e1 = _window(ev, end_ms)
    for lab in labels:
        if lab["kind"] in GAP_KINDS and int(lab["mmsi"]) == int(ev["mmsi"]):
            l0, l1 = _window(lab)
            if e0 <= l1 and l0 <= e1:
                return True
    return False


def merge_scores(parts: Iterable[dict[str, KindScore]]) -> dict[str, KindScore]:
    """Add up per-kind scores of several runs."""
    out: dict[str, KindScore] = defaultdict(KindScore)
    for part in parts:
        for kind, s in part.items():
            out[kind].add(s)
    return dict(sorted(out.items()))


def learn_coverage(spec: RunSpec) -> dict[str, Any]:
    """Return the coverage map a full run learns (as ``mare detect --coverage-out`` writes it)."""
    from ais_ingest.decoder import Decoder
    from geo.engine import Engine
    from geo.zones import SHIPPED_ZONE_FILE, load_zone_file
    from simulate.scenario import Simulation

    zones_file = SHIPPED_ZONE_FILE if SHIPPED_ZONE_FILE.exists() else None
    zones = load_zone_file(zones_file) if zones_file is not None else []
    sim = Simulation(hours=spec.hours, seed=spec.seed, scenario=spec.scenario, zones=zones_file)
    engine = Engine(zones)
    decoder = Decoder()
    chunk: list[str] = []
    last = sim.start
    for t, line in sim:
        chunk.append(line)
        last = t
        if len(chunk) == 8192:
            engine.process(decoder.decode(chunk, last))
            chunk = []
    engine.process(decoder.decode(chunk, last))
    engine.process(decoder.flush())
    engine.flush()
    return engine.coverage.learnt_map().to_dict()


def run_one(
    spec: RunSpec, dump: Path | None = None, coverage_map: dict[str, Any] | None = None
) -> tuple[dict[str, KindScore], dict[str, Any]]:
    """Simulate, detect and score one run; with ``dump``, write its events and labels there.

    ``coverage_map`` (`learn_coverage`) is given to the engine of an extract's run.
    """
    from ais_ingest.decoder import Decoder
    from ais_ingest.records import Batch
    from bench.alert_load import Floor, load_report, suspect_report
    from geo.alert_rules import load_rules_file
    from geo.engine import Engine
    from geo.triage import Triage
    from geo.watchlist import load_watchlist
    from geo.zones import SHIPPED_ZONE_FILE, load_zone_file
    from simulate.sampling import shift_longitude, shift_zones
    from simulate.scenario import Simulation
    from simulate.watchlist import SAMPLE_FILE

    zones_file = SHIPPED_ZONE_FILE if SHIPPED_ZONE_FILE.exists() else None
    zones = load_zone_file(zones_file) if zones_file is not None else []
    if spec.shift_deg:
        zones = shift_zones(zones, spec.shift_deg)
    t0 = time.perf_counter()
    c0 = time.process_time()
    sim = Simulation(
        hours=spec.hours, seed=spec.seed, vessels=spec.vessels, scenario=spec.scenario,
        zones=zones_file,
    )  # fmt: skip
    engine = Engine(zones, watchlist=load_watchlist(SAMPLE_FILE))
    with_map = coverage_map is not None and spec.scenario in EXTRACT_SHAPES
    if with_map:
        from geo.coverage import CoverageMap

        engine.set_coverage_map(CoverageMap.from_dict(coverage_map))
    floor = Floor(engine, Triage(engine, load_rules_file(zone_ids={z.id for z in zones})).follow())
    decoder = Decoder()
    events: list[dict[str, Any]] = []
    chunk: list[str] = []
    last = sim.start
    lines = 0

    def feed(batch: Batch) -> None:
        if spec.shift_deg:
            batch = shift_longitude(batch, spec.shift_deg)
        floor.saw(batch)
        got = engine.process(batch)
        floor.events(got)
        events.extend(e.to_dict() for e in got)

    # Contacts go to the engine as a live service gets them; a run moved across the globe
    # (antimeridian shape) scores the AIS kinds only: its contacts stay where they were made.
    contacts = sim.contacts if not spec.shift_deg else []
    given = 0
    for t, line in sim:
        chunk.append(line)
        last = t
        if len(chunk) == 8192:
            engine.add_contacts(contacts[given:])
            given = len(contacts)
            feed(decoder.decode(chunk, last))
            lines += len(chunk)
            chunk = []
    engine.add_contacts(contacts[given:])
    if chunk:
        feed(decoder.decode(chunk, last))
        lines += len(chunk)
    feed(decoder.flush())
    tail = engine.flush()
    floor.events(tail)
    events.extend(e.to_dict() for e in tail)
    events = _episodes(events)
    labels = [lab.to_dict() for lab in sim.labels]
    if spec.shift_deg:
        labels = [
            lab for lab in labels if lab["kind"] not in ("dark_target", "contact_association")
        ]
    mark_undecidable(labels, sim.sampling, engine.config)
    scores = match(events, labels, end_ms=sim.end)
    if dump is not None:
        dump.mkdir(parents=True, exist_ok=True)
        # (the run's whole name: the 6-h and 24-h runs of a seed are two files)
        stem = f"{spec.scenario}-{spec.seed}-{spec.hours:g}h" + (
            f"-lon{spec.shift_deg:+g}" if spec.shift_deg else ""
        )
        for name, objs in (("events", events), ("truth", labels)):
            with (dump / f"{stem}.{name}.jsonl").open("w") as f:
                f.writelines(json.dumps(o, default=str) + "\n" for o in objs)
    info = {
        "run": spec.name,
        "holdout": spec.holdout,
        "shape": spec.shape,
        "lines": lines,
        "labels": len(labels),
        "events": len(events),
        "seconds": round(time.perf_counter() - t0, 1),
        "cpu_seconds": round(time.process_time() - c0, 1),
        "zones": zones_file is not None,
        "coverage_map": COVERAGE_MAP_RUN.name if with_map else None,
        "outage_silences": outage_report(events, labels),
        "alert_load": load_report(floor, events, labels, zones, sim.end),
        "suspects": suspect_report(floor, labels, zones),
    }
    return scores, info


def mark_undecidable(labels: list[dict[str, Any]], sampling: Any, config: Any) -> None:
    """Mark ``optional`` the silences a feed's sampling leaves undecidable (module docstring).

    At one report every N minutes a vessel's own sampling is up to 2N (the bins' phase), capped
    like the engine's, and a silence the engine's rule explains by it
    (`geo.silence_rule.sampling_threshold_s`: six intervals, or 12 h on a feed as sparse as
    one report in 45 min) is how the vessel is seen. Satellite passes: the cap, so 12 h.
    """
    if sampling.kind == "all":
        return
    import numpy as np

    from geo.silence_rule import sampling_threshold_s

    cap = config.gap_sampling_cap_s
    own = cap if sampling.kind == "satellite" else min(2 * sampling.every_ms / 1000.0, cap)
    term = float(sampling_threshold_s(np.array([own]), config)[0])
    limit_ms = max(config.gap_floor_s, term) * 1000
    for lab in labels:
        if lab["kind"] == "ais_gap":
            s0, s1 = _window(lab)
            # A satellite feed is out of view of a vessel 7 h of every 12: a switch-off's
            # reception over its threshold is nil for hours, so, as a switch-off in poor
            # reception (`simulate.silences`), it may be called dark or lost: not scored.
            dark_by_passes = sampling.kind == "satellite" and (
                (lab.get("details") or {}).get("cause") == "dark"
            )
            if s1 - s0 <= limit_ms or dark_by_passes:
                lab["details"] = {**(lab.get("details") or {}), "optional": True}


def _episodes(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the last version of each episode (an open event later closed is one episode)."""
    last: dict[tuple[Any, ...], dict[str, Any]] = {}
    for ev in events:
        key = (ev["kind"], ev["mmsi"], ev.get("other_mmsi"), ev.get("zone"), ev["start"])
        last[key] = ev
    return list(last.values())


def _table(title: str, scores: dict[str, KindScore]) -> str:
    """Per-kind table; ``!`` marks a figure under `TARGET`."""
    rows = [
        f"{title}",
        f"{'kind':<17}{'labels':>7}{'events':>7}{'open':>6}{'recall':>9}{'prec':>9}",
    ]
    for kind, s in scores.items():
        cells = []
        for v in (s.recall, s.precision):
            cells.append("-" if v is None else f"{v:.3f}" + ("!" if v < TARGET else " "))
        rows.append(
            f"{kind:<17}{s.labels:>7}{s.events:>7}{s.open_events:>6}{cells[0]:>9}{cells[1]:>9}"
        )
    return "\n".join(rows)


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}" + ("!" if v < TARGET else "")


def worst_of(shapes: dict[str, dict[str, KindScore]]) -> dict[str, dict[str, Any]]:
    """Per kind, the lowest recall and precision over the shapes, and which shape it was."""
    out: dict[str, dict[str, Any]] = {}
    kinds = sorted({k for sc in shapes.values() for k in sc})
    for kind in kinds:
        row: dict[str, Any] = {"recall": None, "recall_shape": None, "precision": None,
                               "precision_shape": None}  # fmt: skip
        for name, sc in shapes.items():
            s = sc.get(kind)
            if s is None:
                continue
            for what, v in (("recall", s.recall), ("precision", s.precision)):
                if v is not None and (row[what] is None or v < row[what]):
                    row[what], row[f"{what}_shape"] = round(v, 4), name
        out[kind] = row
    return out


def below_target(scores: dict[str, KindScore]) -> list[str]:
    """Kinds whose recall or precision is under `TARGET` (kinds without labels or events skip)."""
    out = []
    for kind, s in scores.items():
        for what, v in (("recall", s.recall), ("precision", s.precision)):
            if v is not None and v < TARGET:
                out.append(f"{kind} {what} {v:.3f}")
    return out


def floor_table(per_run: list[dict[str, Any]]) -> str:
    """What the watch floor gets per run: alert load before/after rules and suspects."""
    rows = [
        "== the watch floor: alerts per 100 vessel-hours, recall of labelled positives, "
        "suspects (risk >= 50) ==",
        f"{'run':<28}{'v-hours':>8}{'before':>8}{'after':>7}{'pos':>5}{'found':>6}"
        f"{'alerted':>8}{'sus.P':>7}{'sus.R':>7}",
    ]
    for r in per_run:
        a, s = r["alert_load"], r["suspects"]
        cells = ["-" if v is None else f"{v:.2f}" for v in (s["precision"], s["recall"])]
        after = a["per_100_vessel_hours_after"]
        flag = "!" if r["run"] == DEMO_DAY.name and (after or 0) >= ALERT_LOAD_TARGET else " "
        lost = "!" if a["positives_alerted"] < a["positives_with_an_event"] else " "
        rows.append(
            f"{r['run']:<28}{a['vessel_hours']:>8.0f}{a['per_100_vessel_hours_before']:>8.2f}"
            f"{after:>6.2f}{flag}{a['labelled_positives']:>5}{a['positives_with_an_event']:>6}"
            f"{a['positives_alerted']:>7}{lost}{cells[0]:>7}{cells[1]:>7}"
        )
    rows.append(
        "(pos: labelled positives; found: with an event at all; alerted: with an alert after "
        "rules, '!' if rules lost one)"
    )
    day = [r for r in per_run if r["run"] == DEMO_DAY.name]
    if day:
        a = day[0]["alert_load"]
        ok = (a["per_100_vessel_hours_after"] or 0) < ALERT_LOAD_TARGET
        kept = a["positives_alerted"] == a["positives_with_an_event"]
        every = a["positives_alerted"] == a["labelled_positives"]
        rows.append(
            f"demo day: {a['per_100_vessel_hours_after']} alerts per 100 vessel-hours (target "
            f"< {ALERT_LOAD_TARGET:g}): {'met' if ok else 'NOT MET'}; rules "
            f"{'lost no' if kept else 'LOST a'} labelled positive; "
            f"{a['positives_alerted']}/{a['labelled_positives']} positives alerted"
            + ("" if every else " (the others have no event of their kind: detection, not rules)")
        )
    return "\n".join(rows)


def _run_job(
    job: tuple[RunSpec, Path | None, dict[str, Any] | None],
) -> tuple[dict[str, KindScore], dict[str, Any]]:
    return run_one(*job)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.eval", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="two short runs (a smoke test)")
    ap.add_argument("--out", type=Path, help="also write the JSON report here")
    ap.add_argument("--dump", type=Path, help="write each run's events and truth (JSONL) here")
    ap.add_argument("--only", help="run only the runs whose name contains this text")
    ap.add_argument("--jobs", type=int, default=2, help="runs in parallel (default 2)")
    ap.add_argument(
        "--no-map", action="store_true", help="judge extracts without a full feed's coverage"
    )
    args = ap.parse_args(argv)
    pool_of = QUICK_RUNS if args.quick else RUNS
    specs = [s for s in pool_of if not args.only or args.only in s.name]
    names = ", ".join(s.name + (" (holdout)" if s.holdout else "") for s in specs)
    print(f"eval: {len(specs)} runs on {args.jobs} processes: {names}", file=sys.stderr)
    cover: dict[str, Any] | None = None
    if not args.no_map and any(s.scenario in EXTRACT_SHAPES for s in specs):
        print(f"eval: coverage map learnt from {COVERAGE_MAP_RUN.name}", file=sys.stderr)
        cover = learn_coverage(COVERAGE_MAP_RUN)
    jobs = [(spec, args.dump, cover) for spec in specs]
    if args.jobs > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(_run_job, jobs))
    else:
        results = [_run_job(job) for job in jobs]
    per_run = []
    tuned: list[dict[str, KindScore]] = []
    held: list[dict[str, KindScore]] = []
    for spec, (scores, info) in zip(specs, results, strict=True):
        (held if spec.holdout else tuned).append(scores)
        info["kinds"] = {k: s.to_dict(0) for k, s in sorted(scores.items())}
        per_run.append(info)
        title = f"{spec.name}{' (holdout)' if spec.holdout else ''} ({info['cpu_seconds']} s CPU)"
        print(_table(title, dict(sorted(scores.items()))), file=sys.stderr)
        holes = info["outage_silences"]
        if holes["silences"]:
            print(f"silences made by station outages: {holes['silences']}, with an ais_gap: "
                  f"{holes['alerted']}", file=sys.stderr)  # fmt: skip
    tuning = merge_scores(tuned)
    holdout = merge_scores(held)
    by_shape: dict[str, list[dict[str, KindScore]]] = defaultdict(list)
    for spec, (scores, _) in zip(specs, results, strict=True):
        by_shape[spec.shape].append(scores)
    shapes = {name: merge_scores(parts) for name, parts in sorted(by_shape.items())}
    worst = worst_of(shapes)
    report = {
        "runs": per_run,
        "tuning": {k: s.to_dict() for k, s in tuning.items()},
        "holdout": {k: s.to_dict() for k, s in holdout.items()},
        "shapes": {n: {k: s.to_dict(0) for k, s in sc.items()} for n, sc in shapes.items()},
        "worst": worst,
        "target": TARGET,
        "below_target": {
            "tuning": below_target(tuning),
            "holdout": below_target(holdout),
            **{f"shape:{n}": below_target(sc) for n, sc in shapes.items()},
        },
        "note": "holdout runs must not be used to tune the engine",
    }
    report["alert_load"] = {r["run"]: r["alert_load"] for r in per_run}
    report["suspects"] = {r["run"]: r["suspects"] for r in per_run}
    text = json.dumps(report, indent=2, default=str)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    print(floor_table(per_run), file=sys.stderr)
    cpu = sum(r["cpu_seconds"] for r in per_run)
    print(_table("== tuning runs ==", tuning), file=sys.stderr)
    print(_table("== HELD-OUT runs (never tune on these) ==", holdout), file=sys.stderr)
    for name, sc in shapes.items():
        print(_table(f"== shape: {name} ==", sc), file=sys.stderr)
    print("== worst over the shapes (the figure to quote) ==", file=sys.stderr)
    for kind, w in worst.items():
        print(f"{kind:<17} recall {_fmt(w['recall'])} ({w['recall_shape']})  precision "
              f"{_fmt(w['precision'])} ({w['precision_shape']})", file=sys.stderr)  # fmt: skip
    for name, part in (("tuning", tuning), ("held-out", holdout)):
        low = below_target(part)
        print(f"{name}: " + ("every kind >= target" if not low else "below target (!): "
              + ", ".join(low)), file=sys.stderr)  # fmt: skip
    print(f"{len(per_run)} runs, {cpu:.0f} s of CPU", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
