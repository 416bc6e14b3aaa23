"""The feed shapes the simulator makes for issue 12: decimated extracts, satellite passes, shared
MMSIs, and the world moved across the antimeridian."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Point, box

from ais_ingest.decoder import Decoder
from ais_ingest.records import Batch, PositionReport
from geo.events import parse_time
from geo.zones import Zone, ZoneKind
from simulate.sampling import PASS_MS, FeedSampling, shift_longitude, shift_zones
from simulate.scenario import Simulation

START = parse_time("2026-06-01T00:00:00Z")


def decoded(sim: Simulation) -> Batch:
    dec = Decoder()
    lines = list(sim)
    parts = [dec.decode([line for _, line in lines], lines[-1][0]), dec.flush()]
    return Batch.concat(parts)


def fixes_by_mmsi(batch: Batch) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    pos = batch.positions
    for m, t in zip(pos.mmsi.tolist(), pos.time_ms.tolist(), strict=True):
        out[m].append(t)
    return {m: sorted(set(ts)) for m, ts in out.items()}


def test_a_decimated_extract_keeps_one_report_per_vessel_per_bin() -> None:
    every = 10 * 60_000
    s = FeedSampling.parse("every:10", seed=3)
    agent = np.repeat(np.arange(3), 200).astype(np.int64)
    t = np.tile(np.arange(0, 200 * 10_000, 10_000), 3).astype(np.int64)
    order = np.argsort(t, kind="stable")
    keep = np.zeros(len(t), dtype=np.bool_)
    keep[order] = s.keep(agent[order], t[order])
    for a in range(3):
        kept = t[(agent == a) & keep]
        assert 3 <= len(kept) <= 5  # 2,000 s touch 4 or 5 bins of 600 s
        # one per bin: any two kept reports are in different bins, so any three span a bin
        assert np.all(kept[2:] - kept[:-2] > every)


@pytest.mark.parametrize("minutes", [10, 60])
def test_a_sparse_scenario_hears_each_vessel_about_once_per_its_minutes(minutes: int) -> None:
    sim = Simulation(
        hours=3, seed=5, start_ms=START, vessels=40, scenario=f"sparse{minutes}", zones=None
    )
    fixes = fixes_by_mmsi(decoded(sim))
    per_hour = [len(ts) / 3.0 for m, ts in fixes.items() if len(ts) > 1]
    assert per_hour and np.median(per_hour) <= 60 / minutes + 1
    gaps = [b - a for ts in fixes.values() for a, b in zip(ts, ts[1:], strict=False)]
    assert max(gaps) > minutes * 60_000 * 0.9  # sparse indeed, not a dense feed


def test_satellite_passes_bring_a_few_fixes_every_hour_and_a_half() -> None:
    sim = Simulation(hours=6, seed=6, start_ms=START, vessels=40, scenario="satellite", zones=None)
    fixes = fixes_by_mmsi(decoded(sim))
    silences = [b - a for ts in fixes.values() for a, b in zip(ts, ts[1:], strict=False)]
    bursts = [s for s in silences if s < PASS_MS]
    long = [s for s in silences if s >= 80 * 60_000]
    assert long and len(long) >= len(silences) // 6
    assert all(s < PASS_MS for s in bursts)
    per_vessel = [len(ts) for ts in fixes.values()]
    assert np.median(per_vessel) <= 16  # a handful of fixes in six hours


def test_satellite_passes_leave_every_vessel_unheard_for_seven_hours_twice_a_day() -> None:
    """In view for 5 h of every 12: a vessel followed for 20 h has a hole of 7 h at least."""
    sim = Simulation(hours=24, seed=6, start_ms=START, vessels=30, scenario="satellite", zones=None)
    fixes = fixes_by_mmsi(decoded(sim))
    followed = [ts for ts in fixes.values() if ts[-1] - ts[0] >= 20 * 3_600_000]
    assert followed
    for ts in followed:
        assert max(b - a for a, b in zip(ts, ts[1:], strict=False)) >= 7 * 3_600_000


def test_the_shared_scenario_puts_several_names_on_one_mmsi_and_labels_it_once() -> None:
    sim = Simulation(hours=6, seed=7, start_ms=START, vessels=60, scenario="shared", zones=None)
    batch = decoded(sim)
    shared = [lab for lab in sim.labels if lab.details.get("cause") == "shared_mmsi"]
    assert shared
    names: dict[int, set[str]] = defaultdict(set)
    for rep in batch.statics:
        if rep.name:
            names[rep.mmsi].add(rep.name.strip())
    for lab in shared:
        assert len(names[lab.mmsi]) >= 2  # the transmitters' names alternate
        assert sum(1 for x in shared if x.mmsi == lab.mmsi) == 1  # one label per MMSI


@settings(max_examples=100, deadline=None)
@given(st.floats(-179.0, 179.0), st.floats(-60.0, 60.0), st.floats(0.0, 360.0))
def test_moved_zones_hold_exactly_the_moved_points(lon: float, lat: float, shift: float) -> None:
    z = Zone(
        "z", "Z", ZoneKind.CUSTOM, MultiPolygon([box(lon - 0.5, lat - 0.5, lon + 0.5, lat + 0.5)])
    )
    (moved,) = shift_zones([z], shift)
    pts = [(lon + dx, lat + dy) for dx in (-0.7, -0.2, 0.0, 0.3, 0.6) for dy in (-0.6, 0.1)]
    recs = [
        PositionReport(START, 1, 1, la, lo, None, None, None, 0, None, True, None) for lo, la in pts
    ]
    shifted = shift_longitude(Batch.from_records(recs), shift).positions
    for (lo, la), slo, sla in zip(pts, shifted.lon.tolist(), shifted.lat.tolist(), strict=True):
        assert -180.0 <= slo < 180.0
        inside = z.geometry.covers(Point(lo, la))
        assert moved.geometry.covers(Point(slo, sla)) == inside
