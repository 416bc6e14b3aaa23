"""Coverage learned from the feed: a gap where the receivers stop is not a vessel going dark."""

import json
import math
import random
import re
from dataclasses import replace

import numpy as np
import pytest

from ais_ingest.records import PositionReport, Record
from geo.config import EngineConfig
from geo.coverage import Coverage, CoverageMap
from geo.engine import Engine
from geo.errors import CoverageMapError
from geo.events import Event, EventKind, Severity
from geo.risk import risk_score
from tests.geo.engine_scenarios import (
    PLACES,
    batches,
    canonical,
    final,
    make_engine,
    ms,
    of_kind,
    run_raw,
    track,
)

#: Two shore stations 2 deg of longitude apart on 35 N, each hearing 40 nm: a hole of ~19 nm
#: between them. Reception falls from 95 % to nothing over the last 8 nm of a range.
STATIONS = (("west", 12.0, 35.0), ("east", 14.0, 35.0))
RANGE_NM = 40.0


def heard_by(rep: PositionReport, rng: random.Random) -> str | None:
    """The station that hears a report, if any (the nearest one in range, with fringe loss)."""
    assert rep.lat is not None and rep.lon is not None
    best = None
    for name, lon, lat in STATIONS:
        d = math.hypot((rep.lon - lon) * math.cos(math.radians(35.0)), rep.lat - lat) * 60.0
        if best is None or d < best[1]:
            best = (name, d)
    assert best is not None
    name, d = best
    p = 0.95 if d < RANGE_NM - 8 else max(0.0, 0.95 * (RANGE_NM - d) / 8.0)
    return name if rng.random() < p else None


def received(recs: list[Record], seed: int) -> list[Record]:
    rng = random.Random(seed)
    out: list[Record] = []
    for r in recs:
        assert isinstance(r, PositionReport)
        st = heard_by(r, rng)
        if st is not None:
            out.append(replace(r, source=st))
    return out


def channel_traffic() -> list[Record]:
    """Ships crossing between the two stations' ranges every 20 min, both ways, for 10 h."""
    recs: list[Record] = []
    for k in range(30):
        start = k * 1200.0
        lat = 34.92 + 0.01 * (k % 7)  # one row of cells: later ships follow earlier ones
        if k % 2 == 0:
            recs += track(247100000 + k, start, start + 6 * 3600, 10, lat, 11.6, 14.0, 90.0)
        else:
            recs += track(247100000 + k, start, start + 6 * 3600, 10, lat, 14.4, 14.0, 270.0)
    # a fishing boat working near the west station all day: evidence of good reception there
    recs += track(247200001, 0, 12 * 3600, 30, 35.25, 11.8, 1.5, 45.0, msg_type=18)
    return recs


def dark_vessel() -> list[Record]:
    """A class A ship in the west station's good coverage, off for 1 h 30 min at hour 8."""
    on = track(247300001, 7 * 3600, 8 * 3600, 10, 35.1, 11.7, 6.0, 90.0)
    back = track(247300001, 9.5 * 3600, 10 * 3600, 10, 35.1, 11.7 + 0.2, 6.0, 90.0)
    return on + back


def scenario() -> list[Record]:
    return sorted(received(channel_traffic() + dark_vessel(), 1), key=lambda r: r.time_ms)


SCENARIO = scenario()
RAW = run_raw(SCENARIO)
# Closed gaps only: ships still silent at the end just stopped (the tracks end in coverage).
GAPS = [g for g in of_kind(final(RAW), EventKind.AIS_GAP) if not g.open]


def gap_of(mmsi: int) -> list[Event]:
    return [g for g in GAPS if g.mmsi == mmsi]


def test_switching_off_in_good_coverage_is_an_alert() -> None:
    (gap,) = gap_of(247300001)
    cov = gap.details["coverage"]
    assert cov["verdict"] == "good" and cov["reception"] >= 0.6
    assert gap.severity is Severity.MEDIUM
    assert cov["stations"][0]["station"] == "west"
    assert "edge" not in gap.details["summary"]


def test_crossing_the_hole_between_stations_is_lost_at_the_edge_not_dark() -> None:
    crossings = [g for g in GAPS if 247100000 <= g.mmsi < 247100100]
    assert len(crossings) >= 20  # nearly every ship falls silent crossing the hole
    late = [g for g in crossings if g.start_ms > ms(3 * 3600)]  # once ships crossed that way
    assert late and all(g.details["coverage"]["verdict"] == "edge" for g in late)
    assert all(g.severity is Severity.LOW for g in late)
    assert all("edge of receiver coverage" in g.details["summary"] for g in late)
    # the open "went dark" alert of each carried the same verdict as its closing update
    opens = {e.key(): e for e in RAW if e.kind is EventKind.AIS_GAP and e.open}
    for g in late:
        assert opens[g.key()].details["coverage"] == g.details["coverage"]
        assert opens[g.key()].severity is Severity.LOW


def test_an_edge_gap_weighs_a_quarter_in_the_risk_score() -> None:
    edge = next(g for g in GAPS if g.details["coverage"]["verdict"] == "edge")
    good = replace(edge, details={**edge.details, "coverage": {"verdict": "good"}})
    assert risk_score(edge.mmsi, [edge], edge.end_ms or 0).score == 5
    assert risk_score(edge.mmsi, [good], edge.end_ms or 0).score == 20
    assert "edge of coverage" in risk_score(edge.mmsi, [edge], edge.end_ms or 0).explain()[0]


def test_a_vessel_alone_in_a_capture_keeps_its_alert() -> None:
    # An extract of one vessel: nothing is known of coverage but its own reports, which were
    # all heard; its silence is not explained away.
    recs = track(247000001, 0, 1800, 10, 34.0, 12.0, 12.0, 90.0)
    recs += track(247000001, 5400, 7200, 10, 34.0, 12.5, 12.0, 90.0)
    (gap,) = of_kind(final(run_raw(recs)), EventKind.AIS_GAP)
    assert gap.details["coverage"]["verdict"] == "good"
    assert gap.severity is Severity.MEDIUM


def test_satellite_like_sampling_is_judged_on_the_vessels_own_rate() -> None:
    # One fix every 30 min for 12 h (a satellite feed), then silent for 10 h: reception is
    # measured against the rate the vessel is heard at, not the 10 s it transmits at.
    recs = track(247000002, 0, 12 * 3600, 1800, 34.0, 12.0, 10.0, 90.0)
    recs += track(247000002, 22 * 3600, 24 * 3600, 1800, 34.0, 12.0 + 1.6, 10.0, 90.0)
    recs += track(247000003, 0, 24 * 3600, 60, 40.0, 5.0, 0.1, 0.0, status=1)  # keeps time going
    gaps = [g for g in of_kind(final(run_raw(recs)), EventKind.AIS_GAP) if g.mmsi == 247000002]
    assert gaps and all(g.details["coverage"]["verdict"] != "edge" for g in gaps)


def test_coverage_does_not_depend_on_batch_sizes_or_the_clock() -> None:
    rng = random.Random(3)
    sizes = [rng.randint(1, 5000) for _ in range(60)]
    assert canonical(run_raw(SCENARIO, sizes=sizes)) == canonical(RAW)
    eng = make_engine()
    out = []
    for b in batches(SCENARIO, [rng.randint(1, 3000) for _ in range(200)]):
        out += eng.process(b)
        out += eng.advance(int(b.positions.time_ms.max()) + 45_000 if len(b.positions) else 0)
    out += eng.flush()
    assert canonical(final(out)) == canonical(final(RAW))


def test_coverage_survives_a_snapshot() -> None:
    k = int(len(SCENARIO) * 0.6)
    eng = make_engine()
    out = eng.process(batches(SCENARIO[:k])[0])
    blob = eng.snapshot()
    assert json.loads(blob)["coverage"]["buckets"]
    eng2 = Engine.restore(blob, [], places=PLACES)
    out += eng2.process(batches(SCENARIO[k:])[0]) + eng2.flush()
    assert canonical(out) == canonical(RAW)


def test_old_snapshots_without_coverage_restore_with_an_empty_map() -> None:
    eng = make_engine()
    eng.process(batches(SCENARIO[:5000])[0])
    state = json.loads(eng.snapshot())
    del state["coverage"]
    eng2 = Engine.restore(json.dumps(state).encode(), [], places=PLACES)
    assert eng2.coverage.buckets == {}


T1 = np.array([1], dtype=np.uint8)


def test_learnt_hours_carried_to_a_new_engine_judge_as_they_did() -> None:
    """A service that starts without its snapshot takes the hours it had learnt."""
    k = int(len(SCENARIO) * 0.6)
    eng = make_engine()
    eng.process(batches(SCENARIO[:k])[0])
    doc = json.loads(json.dumps(eng.coverage.hours_document()))
    fresh = make_engine()
    fresh.coverage.station_codes(["sat", "east"])  # other codes for the same names
    assert fresh.coverage.add_hours(doc) == len(eng.coverage.buckets) > 1
    assert fresh.coverage.learnt_map().to_dict() == eng.coverage.learnt_map().to_dict()
    now = eng.now_ms()
    for lon, lat in ((11.8, 35.25), (13.0, 35.0), (14.2, 35.0)):
        assert fresh.coverage.quality(lon, lat) == eng.coverage.quality(lon, lat)
        who = [(s["station"], s["share"]) for s in eng.coverage.stations_at(lon, lat, now)]
        assert [
            (s["station"], s["share"]) for s in fresh.coverage.stations_at(lon, lat, now)
        ] == who
    for bad, why in (
        ({**doc, "format": "mare-coverage-map"}, "not learnt coverage"),
        ({**doc, "cell_deg": 0.5}, "0.5 deg"),
        ({**doc, "hours": {"1": {"keys": [1, 2], "heard": [1], "expected": [1]}}}, "hour '1'"),
    ):
        with pytest.raises(CoverageMapError, match=re.escape(why)):
            make_engine().coverage.add_hours(bad)


def test_hours_leave_the_window() -> None:
    cov = Coverage(EngineConfig(coverage_window_s=2 * 3600.0))
    one = np.array([0], dtype=np.int64)
    for h in range(4):
        t = np.array([ms(h * 3600 + 60)], dtype=np.int64)
        cov.observe(
            one, t, np.array([12.0]), np.array([35.0]), t - 10_000, np.array([12.0]),
            np.array([35.0]), np.array([10.0]), np.array([False]), one, np.array([0, 1]), T1, T1,
        )  # fmt: skip
        cov.commit(ms(h * 3600 + 120))
    cell = int(cov.cells(np.array([12.0]), np.array([35.0]))[0])
    assert cov.counts([cell]) == (2, 2000)
    assert len(cov.buckets) == 2


def test_long_silences_teach_the_cells_on_the_way() -> None:
    cov = Coverage(EngineConfig())
    one = np.array([0], dtype=np.int64)
    t1 = np.array([ms(3600)], dtype=np.int64)
    cov.observe(
        one, t1, np.array([13.0]), np.array([35.0]), t1 - 3_600_000, np.array([12.0]),
        np.array([35.0]), np.array([10.0]), np.array([False]), one, np.array([0, 1]), T1, T1,
    )  # fmt: skip
    cov.commit(ms(3660))
    # 360 reports expected over an hour, spread over the ten cells crossed, none heard but the
    # last fix
    cov.counts([])  # (reading the map takes the slices held back)
    (bucket,) = cov.buckets.values()
    assert len(bucket.cells) >= 10
    assert bucket.expected == 360_000
    q, evidence = cov.quality(12.5, 35.0, pool=False)
    assert evidence > 0 and (q is None or q == 0.0)


def extract(recs: list[Record], mmsis: set[int], every_s: float) -> list[Record]:
    """An analyst's extract: a few vessels, one report each per ``every_s`` at most."""
    out: list[Record] = []
    last: dict[int, int] = {}
    for r in recs:
        if r.mmsi in mmsis and r.time_ms - last.get(r.mmsi, -(10**15)) >= every_s * 1000:
            out.append(r)
            last[r.mmsi] = r.time_ms
    return out


def test_an_extract_judged_with_the_full_feeds_map_sees_the_edge() -> None:
    full = make_engine()
    full.process(batches(SCENARIO)[0])
    full.flush()
    learnt = CoverageMap.from_dict(json.loads(json.dumps(full.coverage.learnt_map().to_dict())))
    assert len(learnt.keys) > 10 and learnt.expected.sum() > learnt.heard.sum() * 1000 // 2
    # an extract of one ship that crossed the hole, one report in 5 min
    (mmsi,) = {g.mmsi for g in GAPS if g.mmsi == 247100021}
    recs = extract(SCENARIO, {mmsi}, 300.0)
    (alone,) = of_kind(final(run_raw(recs)), EventKind.AIS_GAP)
    # by itself it hears its vessel at its sampling, everywhere: it cannot see the edge
    assert alone.details["coverage"]["verdict"] == "good"
    eng = make_engine()
    eng.set_coverage_map(learnt)
    (gap,) = of_kind(final(eng.process(batches(recs)[0]) + eng.flush()), EventKind.AIS_GAP)
    assert gap.key() == alone.key() and gap.details["coverage"]["verdict"] == "edge"
    assert gap.severity is Severity.LOW


def _map_of(cell_q: dict[tuple[float, float], float]) -> CoverageMap:
    """A learnt map: 1,000 class A reports expected in each cell, the given share heard."""
    cov = Coverage(EngineConfig())
    keys = [int(cov.cells(np.array([lon]), np.array([lat]))[0]) for lon, lat in cell_q]
    heard = [int(q * 1000) for q in cell_q.values()]
    return CoverageMap.from_dict(
        {
            "format": "mare-coverage-map",
            "version": 1,
            "cell_deg": 0.1,
            "cells": [[k, h, 1_000_000] for k, h in zip(keys, heard, strict=True)],
        }
    )


@pytest.mark.parametrize(("every_s", "q", "verdict"), [
    (10.0, 0.7, "good"),  # heard every 10 s: its own reception shows a fade, the map need not
    (300.0, 0.7, "edge"),  # one report in 5 min, last heard where 30 % is lost to distance
    (300.0, 0.9, "good"),  # ... or where only slot collisions cost anything
])  # fmt: skip
def test_a_sparse_vessel_last_heard_at_a_stations_fringe_is_lost_at_the_edge(
    every_s: float, q: float, verdict: str
) -> None:
    cov = Coverage(EngineConfig())
    cov.set_prior(_map_of({(12.05, 35.05): q}))
    cov.vessels.ensure(1)
    cov.vessels.every_s[0] = every_s  # the vessel's demonstrated interval, as `observe` learns it
    got = cov.assess(12.05, 35.05, 10.0, 90.0, 1800.0, ms(0), msg_type=1, slot=0, nominal_s=10.0)
    assert (got.verdict, got.at_last_fix) == (verdict, q)


def _judge(
    cells: dict[tuple[float, float], float],
    every_s: float,
    sog: float,
    horizon_s: float,
    own: float | None = None,
    at: tuple[float, float] = (12.25, 35.05),
) -> tuple[str, float | None]:
    """The verdict on a class A vessel last heard at ``at`` heading east, under a learnt map."""
    cov = Coverage(EngineConfig())
    cov.set_prior(_map_of(cells))
    cov.vessels.ensure(1)
    cov.vessels.every_s[0] = every_s
    if own is not None:  # the vessel's own recent reception, 100 reports' worth expected
        cov.vessels.trk_h[0], cov.vessels.trk_e[0] = 100.0 * own, 100.0
    got = cov.assess(*at, sog, 90.0, horizon_s, ms(0), msg_type=1, slot=0, nominal_s=10.0)
    return got.verdict, got.reception


@pytest.mark.parametrize(("ahead", "own", "verdict"), [
    ((0.65, 0.71, 0.85), 1.0, "good"),  # every cell of its way better heard than where it was
    ((0.65, 0.55, 0.85), 1.0, "edge"),  # a cell on the way where it could have been lost
    ((0.46, 0.46, 0.46), 1.0, "edge"),  # along the fringe, not into coverage
    ((0.65, 0.71, 0.85), 0.63, "edge"),  # it missed reports: a vessel fading, not an extract's
    ((0.65, 0.71, 0.85), None, "edge"),  # nothing shows it kept at its sampling
])  # fmt: skip
def test_a_sparse_vessel_heading_from_the_fringe_into_coverage_is_judged_on_its_way(
    ahead: tuple[float, ...], own: float | None, verdict: str
) -> None:
    # One report in 10 min (an extract), last heard where the class is heard 46 %, heading
    # for a station: 12 kn over the hour its sampling allows covers the next cells east.
    cells = {(12.05, 35.05): 0.46, **{(12.15 + 0.1 * i, 35.05): q for i, q in enumerate(ahead)}}
    got, _ = _judge(cells, 600.0, 12.0, 3600.0, own=own, at=(12.05, 35.05))
    assert got == verdict


@pytest.mark.parametrize(("behind", "verdict"), [
    (0.90, "edge"),  # reception fell from 90 % to 66 % on its way: it keeps falling
    (0.67, "good"),  # it barely fell: the fringe cell alone is no edge
    (0.50, "good"),  # it rose toward the last fix
])  # fmt: skip
def test_a_vessel_heading_off_the_map_from_a_fading_fringe_is_lost_at_the_edge(
    behind: float, verdict: str
) -> None:
    # A fast boat heard every report (not sparse), last heard in a cell heard 66 %, heading
    # east past every cell anything was heard in: 24 kn over the 30-min threshold is 12 nm.
    cells = {(12.05, 35.05): behind, (12.15, 35.05): behind, (12.25, 35.05): 0.66}
    got, reception = _judge(cells, 10.0, 24.0, 1800.0, own=0.72)
    assert got == verdict
    assert reception is not None and reception <= 0.66


def test_a_slow_vessel_off_the_map_keeps_the_fringe_cells_figure() -> None:
    # The same fade behind, at 4 kn: its way off the map is 2 nm, a third of a cell.
    cells = {(12.05, 35.05): 0.90, (12.15, 35.05): 0.90, (12.25, 35.05): 0.66}
    assert _judge(cells, 10.0, 4.0, 1800.0, own=0.72)[0] == "good"


def test_a_bad_coverage_map_is_refused_saying_why() -> None:
    good = {"format": "mare-coverage-map", "version": 1, "cell_deg": 0.1, "cells": [[1, 2, 3]]}
    assert CoverageMap.from_dict(good).heard.tolist() == [2]
    for bad, why in (
        ({**good, "format": "geojson"}, "not a coverage map"),
        ({**good, "version": 2}, "version"),
        ({**good, "cells": [[1, 2]]}, "[key, heard, expected]"),
        ({**good, "cells": [[1, -2, 3]]}, "non-negative"),
        ({**good, "cells": [[1, 2, 3], [1, 2, 3]]}, "unique"),
        ([], "not a coverage map"),
    ):
        with pytest.raises(CoverageMapError, match=re.escape(why)):
            CoverageMap.from_dict(bad)
    coarse = CoverageMap.from_dict({**good, "cell_deg": 0.5})
    with pytest.raises(CoverageMapError, match="cells of 0.5 deg"):
        make_engine().set_coverage_map(coarse)


def test_coverages_of_split_vessels_sum_to_one_map_with_add_shared() -> None:
    """Two engines' coverage, each of half the vessels, exchanged at every slice close: the map,
    the stations' counts and silences are those of one coverage over every vessel."""
    rng = np.random.default_rng(5)
    one, halves = Coverage(EngineConfig()), [Coverage(EngineConfig()), Coverage(EngineConfig())]
    names = ["west", "east", "sat"]
    last: dict[int, tuple[int, float, float]] = {}
    for k in range(1, 40):  # 39 one-minute slices of 12 vessels
        end = ms(k * 60)
        mm = np.arange(12, dtype=np.int64)
        t = end - rng.integers(1_000, 59_000, 12)
        lon = 12.0 + rng.random(12) * 0.5
        lat = 35.0 + rng.random(12) * 0.5
        prev = [last.get(int(m), (-1, np.nan, np.nan)) for m in mm]
        st = rng.integers(0, 3, 12)
        if k > 20:
            st[st == 1] = 0  # "east" falls silent
        for cov, keep in ((one, mm >= 0), (halves[0], mm % 2 == 0), (halves[1], mm % 2 == 1)):
            s = mm[keep]  # slots: the MMSIs themselves (each coverage has its own slots)
            codes = cov.station_codes([names[i] for i in st[keep]])
            cov.observe(
                s, t[keep], lon[keep], lat[keep],
                np.array([p[0] for p in prev], np.int64)[keep],
                np.array([p[1] for p in prev])[keep], np.array([p[2] for p in prev])[keep],
                np.full(keep.sum(), 10.0), np.zeros(keep.sum(), bool), codes,
                np.arange(keep.sum() + 1), np.ones(keep.sum(), np.uint8),
                np.ones(keep.sum(), np.uint8),
            )  # fmt: skip
        parts = [h.shared_pending() for h in halves]
        halves[0].add_shared(parts[1])
        halves[1].add_shared(parts[0])
        for cov in (one, *halves):
            cov.commit(end)
        rows = zip(mm.tolist(), t.tolist(), lon.tolist(), lat.tolist(), strict=True)
        last.update({m: (a, b, c) for m, a, b, c in rows})

    def shared(cov: Coverage) -> dict[str, object]:
        """What every engine must hold alike, by station name (codes are each one's own)."""
        state = cov.to_state()
        name = dict(enumerate(state["stations"]))
        buckets = {
            h: sorted(
                ((k >> 16, name.get(k & 0xFFFF, "-")), heard, exp)
                for k, heard, exp in zip(b["keys"], b["heard"], b["expected"], strict=True)
            )
            for h, b in state["buckets"].items()
        }
        watch = state["station_watch"]
        return {
            "buckets": buckets,
            "rate": {name[s]: v for s, v in watch["rate"]},
            "ships": {name[s]: v for s, v in watch["ships"]},
            "last": {name[s]: t for s, t in state["station_last"]},
            "outages": [(name[o.station], o.since_ms) for o in cov.stations.outages(ms(2400))],
        }

    assert shared(halves[0]) == shared(one) == shared(halves[1])
    assert shared(one)["outages"] == [("east", ms(20 * 60))]  # what the exchange must carry


def test_station_codes_follow_first_appearance_whatever_the_process_hashing() -> None:
    """Codes break ties in the stations an ``ais_gap`` names; a set's order differed between
    two processes (string hashing), and so did the same capture's event details."""
    cov = Coverage(EngineConfig())
    names = [f"station-{k:02d}" for k in (7, 3, 19, 0, 12, 5, 16, 1, 9, 14, 2, 18, 6, 11, 4)]
    codes = cov.station_codes([*names, *reversed(names)])
    assert cov.station_names == names
    assert codes.tolist() == [*range(len(names)), *reversed(range(len(names)))]
