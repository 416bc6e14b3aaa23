import json
from pathlib import Path

import numpy as np
import pytest

from simulate.agent import PlannedLabel
from simulate.reporting import CLASS_RANGE, Network
from simulate.truth import RxLog, ZoneTruth, load_zones, refine

T0 = 1_780_272_000_000
MIN = 60_000


def _log(times: list[int], genuine: list[bool] | None = None) -> RxLog:
    log = RxLog({0})
    t = np.array(times, np.int64)
    g = np.array(genuine if genuine is not None else [True] * len(times))
    log.positions(np.zeros(len(t), np.int64), t, g, np.full(len(t), 12.0), np.full(len(t), 34.0))
    return log


def test_gap_runs_from_last_fix_before_dark_to_first_fix_after() -> None:
    fixes = [T0, T0 + 10_000, T0 + 20_000, T0 + 3 * 3_600_000 + 7_000, T0 + 3 * 3_600_000 + 17_000]
    p = PlannedLabel("ais_gap", "dark", 0, T0 + 25_000, T0 + 3 * 3_600_000, "gap")
    lab = refine(p, _log(fixes), {0: 247000001})
    assert lab is not None
    assert (lab.start_ms, lab.end_ms) == (T0 + 20_000, T0 + 3 * 3_600_000 + 7_000)
    assert lab.mmsi == 247000001


def test_gap_without_a_fix_after_it_is_not_labelled() -> None:
    p = PlannedLabel("ais_gap", "dark", 0, T0 + 25_000, T0 + 3_600_000, "gap")
    assert refine(p, _log([T0, T0 + 10_000]), {0: 1}) is None


def test_spoof_label_spans_the_genuine_fixes_around_the_false_ones() -> None:
    fixes = [T0, T0 + 10_000, T0 + 20_000, T0 + 30_000]
    p = PlannedLabel("position_jump", "spoof_jump", 0, T0 + 5_000, T0 + 25_000, "spoof")
    lab = refine(p, _log(fixes, [True, False, False, True]), {0: 1})
    assert lab is not None and (lab.start_ms, lab.end_ms) == (T0, T0 + 30_000)
    lost = refine(p, _log([T0, T0 + 30_000]), {0: 1})
    assert lost is None  # every spoofed fix was lost: nothing to detect


def test_a_spoof_of_which_one_false_fix_was_heard_is_not_labelled() -> None:
    p = PlannedLabel("position_jump", "spoof_jump", 0, T0 + 5_000, T0 + 25_000, "spoof")
    fixes = [T0, T0 + 10_000, T0 + 30_000]
    assert refine(p, _log(fixes, [True, False, True]), {0: 1}) is None


def test_identity_change_runs_from_last_old_static_to_first_new_one() -> None:
    log = RxLog({0})
    for k, key in enumerate(["A", "B", "A", "B", "A2", "B", "A2"]):
        log.static(0, T0 + k * 3 * MIN, (key,))
    p = PlannedLabel(
        "identity_change", "identity", 0, T0 + 10 * MIN, T0 + 10 * MIN, "static_change"
    )
    lab = refine(p, log, {0: 1})
    assert lab is not None and (lab.start_ms, lab.end_ms) == (T0 + 9 * MIN, T0 + 12 * MIN)


def test_an_identity_change_heard_once_before_leaving_range_is_not_labelled() -> None:
    log = RxLog({0})
    for k, key in enumerate(["A", "B", "A", "B", "A2"]):
        log.static(0, T0 + k * 3 * MIN, (key,))
    p = PlannedLabel(
        "identity_change", "identity", 0, T0 + 10 * MIN, T0 + 10 * MIN, "static_change"
    )
    assert refine(p, log, {0: 1}) is None


def test_a_callsign_match_needs_a_static_message_that_carried_the_callsign() -> None:
    """A class B unit's type 24 part A carries its name only: a feed that kept part A and
    lost part B (a satellite pass, an archive) shows no callsign to match."""
    p = PlannedLabel(
        "watchlist_match", "watchlist", 0, T0, T0 + 60 * MIN, "seen_static",
        details={"matched_on": ["callsign"]},
    )  # fmt: skip
    log = _log([T0 + MIN, T0 + 30 * MIN])
    log.static(0, T0 + 2 * MIN, ("A",), frozenset({"name"}))
    assert refine(p, log, {0: 1}) is None
    log.static(0, T0 + 20 * MIN, ("B",), frozenset({"callsign"}))
    lab = refine(p, log, {0: 1})
    assert lab is not None and lab.start_ms == T0 + 20 * MIN


SQUARE = [[12.0, 34.0], [12.1, 34.0], [12.1, 34.1], [12.0, 34.1], [12.0, 34.0]]


def _zone_file(tmp_path: Path, **props: object) -> Path:
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "dep-test", "name": "test", "kind": "departure_hotspot"}
                | props,
                "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
            }
        ],
    }
    path = tmp_path / "z.geojson"
    path.write_text(json.dumps(fc))
    return path


def _observe(zt: ZoneTruth, m: list[int], minutes: list[float], lon: list[float]) -> None:
    t = np.array([T0 + int(x * MIN) for x in minutes], np.int64)
    zt.observe(np.array(m, np.int64), t, np.array(lon), np.full(len(m), 34.05), ["x"] * len(m))


def test_zone_transitions_need_a_known_state_before(tmp_path: Path) -> None:
    zt = ZoneTruth(load_zones(_zone_file(tmp_path, alerts=["exit"])))
    # vessel 1 starts inside and leaves; vessel 2 enters (no entry alert) then leaves
    _observe(zt, [1, 1, 1, 2, 2, 2, 2, 2], [0, 1, 2, 0, 1, 2, 3, 4],
             [12.05, 12.2, 12.2, 12.2, 12.05, 12.05, 12.2, 12.2])  # fmt: skip
    exits = [(lab.mmsi, lab.start_ms) for lab in zt.labels]
    assert exits == [(1, T0 + MIN), (2, T0 + 3 * MIN)]
    assert all(lab.kind == "zone_exit" and lab.zone == "dep-test" for lab in zt.labels)


def test_one_fix_across_a_boundary_is_jitter_not_a_transition(tmp_path: Path) -> None:
    zt = ZoneTruth(load_zones(_zone_file(tmp_path)))
    _observe(zt, [1] * 6, [0, 1, 2, 3, 4, 5], [12.2, 12.2, 12.09, 12.2, 12.09, 12.09])
    assert [(lab.kind, lab.start_ms) for lab in zt.labels] == [("zone_entry", T0 + 4 * MIN)]


def test_a_zone_with_an_empty_alert_list_raises_no_labels(tmp_path: Path) -> None:
    zones = load_zones(_zone_file(tmp_path, kind="port", alerts=[]))
    assert zones[0].alerts == frozenset()
    zt = ZoneTruth(zones)
    _observe(zt, [1] * 4, [0, 1, 2, 3], [12.2, 12.05, 12.05, 12.05])
    assert zt.labels == []


def test_a_visit_longer_than_the_dwell_time_is_a_dwell_from_entry_to_exit(
    tmp_path: Path,
) -> None:
    zt = ZoneTruth(load_zones(_zone_file(tmp_path, alerts=["dwell"], dwell_minutes=60)))
    # vessel 1: in for 90 min then out; vessel 2: in for 30 min; vessel 3: inside at the end
    out, inn = 12.2, 12.05
    _observe(zt, [1] * 6, [0, 10, 11, 80, 100, 101], [out, inn, inn, inn, out, out])
    _observe(zt, [2] * 5, [0, 10, 11, 40, 41], [out, inn, inn, out, out])
    _observe(zt, [3] * 3, [0, 10, 11], [out, inn, inn])
    _observe(zt, [3], [120], [12.05])
    zt.finish()
    dwells = sorted((lab.mmsi, lab.start_ms, lab.end_ms) for lab in zt.labels)
    assert dwells == [(1, T0 + 10 * MIN, T0 + 100 * MIN), (3, T0 + 10 * MIN, T0 + 120 * MIN)]
    assert all(lab.kind == "zone_dwell" for lab in zt.labels)


def test_departures_are_labelled_leaving_their_departure_area(tmp_path: Path) -> None:
    import shapely
    from shapely.geometry import mapping

    from simulate.behaviours import LY_DEPARTURES, TN_DEPARTURES
    from simulate.scenario import Simulation
    from simulate.world import world

    feats = []
    for name in LY_DEPARTURES + TN_DEPARTURES:
        p = world().place(name).sea
        geom = shapely.Point(p).buffer(0.12)
        slug = "dep-" + name.lower().replace(" ", "-")
        feats.append(
            {
                "type": "Feature",
                "geometry": mapping(geom),
                "properties": {
                    "id": slug,
                    "name": name,
                    "kind": "departure_hotspot",
                    "alerts": ["entry", "exit"],
                },
            }
        )
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    sim = Simulation(hours=3, seed=21, start_ms=T0, vessels=15, scenario="smuggling", zones=path)
    for _ in sim:
        pass
    exits = [lab for lab in sim.labels if lab.kind == "zone_exit" and lab.scenario == "departure"]
    assert exits
    assert all(lab.zone is not None and lab.zone.startswith("dep-") for lab in exits)
    assert sim.summary["zones"] is True


def test_a_vessel_silent_inside_and_seen_again_outside_has_no_dwell(tmp_path: Path) -> None:
    zt = ZoneTruth(load_zones(_zone_file(tmp_path, alerts=["dwell"], dwell_minutes=60)))
    out, inn = 12.2, 12.05
    _observe(zt, [1] * 6, [0, 10, 11, 100, 101, 102], [out, inn, inn, out, out, out])  # dark 89 min
    _observe(zt, [2] * 6, [0, 10, 11, 75, 100, 101], [out, inn, inn, inn, out, out])  # seen at 75
    zt.finish()
    assert [(lab.mmsi, lab.start_ms, lab.end_ms) for lab in zt.labels] == [
        (2, T0 + 10 * MIN, T0 + 100 * MIN)
    ]


def test_stations_hear_fully_near_and_nothing_beyond_their_range() -> None:
    net = Network.of(("lampedusa", "malta"))
    lamp = net.stations[0]
    t = np.full(4, T0, np.int64)
    # due south of Lampedusa: 10 nm, the fringe, and well beyond its 75 nm (and Malta's)
    lon, lat = np.full(4, lamp.lon), lamp.lat - np.array([10.0, 65.0, 95.0, 130.0]) / 60.0
    a = net.probability(t, lon, lat, np.full(4, CLASS_RANGE["A"]), base_loss=0.05, dup_prob=0.0)
    b = net.probability(t, lon, lat, np.full(4, CLASS_RANGE["B"]), base_loss=0.05, dup_prob=0.0)
    assert a[0] > 0.9 and 0.0 < a[1] < a[0] and a[3] == 0.0
    assert b[0] > 0.9 and b[1] < a[1] and b[2] == 0.0  # class B is heard less far


def test_a_network_needs_two_stations() -> None:
    with pytest.raises(ValueError):
        Network.of(("malta",))


def test_a_clones_zone_transitions_are_optional_labels_under_the_mmsi_it_used(
    tmp_path: Path,
) -> None:
    """A second transmitter on an MMSI, heard crossing a zone, is what the feed shows of that
    MMSI: its transitions are neither asked of a detector nor false (issue 12's shared MMSIs)."""
    zt = ZoneTruth(load_zones(_zone_file(tmp_path)))
    _observe(zt, [247000001] * 3, [0, 1, 2], [12.5, 12.5, 12.5])  # the vessel, far away
    assert zt.clones is not None
    _observe(zt.clones, [7] * 6, [0, 1, 2, 3, 4, 5], [12.2, 12.2, 12.05, 12.05, 12.05, 12.2])
    zt.finish({7: 247000001})
    got = [(lab.kind, lab.mmsi, lab.details.get("optional")) for lab in zt.labels]
    assert got == [("zone_entry", 247000001, True)]
