from ais_ingest.records import Record
from geo.events import EventKind
from geo.zones import ZoneKind
from tests.geo.engine_scenarios import T0, of_kind, pos, run, track, zone

# A 0.1 x 0.1 degree box in the Sicily channel.
BOX = zone("box", ZoneKind.PATROL_AREA, (12.5, 35.0, 12.6, 35.1))
DWELL = zone(
    "dep",
    ZoneKind.DEPARTURE_HOTSPOT,
    (12.5, 35.0, 12.6, 35.1),
    alerts=("entry", "exit", "dwell"),
    dwell_minutes=30,
    name="Zuwara departure",
)


def test_crossing_a_zone_gives_one_entry_and_one_exit_with_names() -> None:
    recs = track(247000001, 0, 3600, 10, 35.05, 12.45, 12.0, 90.0)
    events = run(recs, [BOX])
    entries = of_kind(events, EventKind.ZONE_ENTRY)
    exits = of_kind(events, EventKind.ZONE_EXIT)
    assert len(entries) == 1 and len(exits) == 1
    assert entries[0].zone == "box" and entries[0].details["zone_name"] == "Box"
    assert (
        entries[0].lon is not None and 12.5 <= entries[0].lon <= 12.51
    )  # dated at the first fix inside
    assert exits[0].details["inside_s"] > 0
    assert exits[0].start_ms > entries[0].start_ms


def test_jitter_across_boundary_gives_one_entry_and_no_exit() -> None:
    recs = track(247000002, 0, 600, 10, 35.05, 12.45, 12.0, 90.0)  # reaches the box edge
    last_t = 600
    for k in range(1, 120):  # then drifts on the boundary: in, out, in, out ...
        lon = 12.5002 if k % 2 else 12.4998
        recs.append(pos(last_t + k * 10, 247000002, 35.05, lon, 0.5))
    recs += track(247000002, last_t + 1300, last_t + 2000, 10, 35.05, 12.52, 1.0, 90.0)
    events = run(recs, [BOX])
    assert len(of_kind(events, EventKind.ZONE_ENTRY)) == 1
    assert of_kind(events, EventKind.ZONE_EXIT) == []


def test_vessel_first_seen_inside_is_not_an_entry_but_its_exit_is() -> None:
    recs = track(247000003, 0, 1800, 10, 35.05, 12.55, 12.0, 90.0)
    events = run(recs, [BOX])
    assert of_kind(events, EventKind.ZONE_ENTRY) == []
    assert len(of_kind(events, EventKind.ZONE_EXIT)) == 1


def test_dwell_is_reported_once_per_visit_and_closed_by_the_exit() -> None:
    recs = track(247000004, 0, 600, 10, 35.05, 12.45, 12.0, 90.0)
    recs += track(247000004, 610, 3610, 30, 35.05, 12.52, 0.3, 90.0)  # 50 min inside, slow
    recs += track(247000004, 3620, 5000, 10, 35.05, 12.52, 20.0, 90.0)  # and out
    events = run(recs, [DWELL])
    dwell = of_kind(events, EventKind.ZONE_DWELL)
    assert len(dwell) == 1
    assert dwell[0].end_ms is not None and dwell[0].end_ms - dwell[0].start_ms > 45 * 60_000
    assert "Zuwara departure" in dwell[0].details["summary"]


def test_zone_alerts_choose_which_transitions_are_reported() -> None:
    entry_only = zone("e", ZoneKind.TERRITORIAL_SEA, (12.5, 35.0, 12.6, 35.1), alerts=("entry",))
    recs = track(247000005, 0, 3600, 10, 35.05, 12.45, 12.0, 90.0)
    events = run(recs, [entry_only])
    assert [e.kind for e in events] == [EventKind.ZONE_ENTRY]
    assert events[0].start_ms > T0


def test_a_vessel_silent_inside_raises_no_dwell_until_a_fix_shows_it_stayed() -> None:
    recs = track(247000005, 0, 600, 10, 35.05, 12.45, 12.0, 90.0)
    recs += track(247000005, 610, 1200, 30, 35.05, 12.52, 0.3, 90.0)  # 10 min inside, then silent
    recs += track(247000006, 0, 7200, 10, 34.0, 12.0, 12.0, 90.0)  # keeps the clock going
    assert of_kind(run(recs, [DWELL]), EventKind.ZONE_DWELL) == []
    late = recs + track(247000005, 4000, 4300, 30, 35.05, 12.53, 0.3, 90.0)  # seen again inside
    (dwell,) = of_kind(run(late, [DWELL]), EventKind.ZONE_DWELL)
    assert dwell.start_ms < T0 + 700_000 and dwell.open


def test_dwell_is_proven_by_a_fix_inside_after_the_deadline_not_by_one_outside() -> None:
    def visit(mmsi: int, last_inside_s: float) -> list[Record]:
        recs = track(mmsi, 0, 900, 10, 35.05, 12.45, 12.0, 90.0)  # enters at ~740 s
        recs += track(mmsi, 1020, last_inside_s, 120, 35.05, 12.5115, 0.3, 90.0)
        return recs + track(mmsi, 3400, 3600, 10, 35.05, 12.65, 12.0, 90.0)  # next seen outside

    entry = of_kind(run(visit(247000007, 2600), [DWELL]), EventKind.ZONE_ENTRY)[0]
    assert entry.start_ms < T0 + 760_000  # deadline: about 2540 s
    (dwell,) = of_kind(run(visit(247000007, 2600), [DWELL]), EventKind.ZONE_DWELL)
    assert dwell.end_ms is not None and dwell.start_ms == entry.start_ms
    assert of_kind(run(visit(247000008, 2460), [DWELL]), EventKind.ZONE_DWELL) == []
