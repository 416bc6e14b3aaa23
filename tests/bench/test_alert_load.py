"""The watch floor's figures: which labels are positives, who must become a suspect, a short run."""

from __future__ import annotations

from typing import Any

from bench.alert_load import positive_labels, vessel_scenarios
from bench.eval import RunSpec, run_one
from geo.zones import SHIPPED_ZONE_FILE, load_zone_file

ZONES = load_zone_file(SHIPPED_ZONE_FILE)


def lab(kind: str, scenario: str, mmsi: int = 1, **kw: Any) -> dict[str, Any]:
    return {"kind": kind, "scenario": scenario, "mmsi": mmsi, "start": "2026-06-01T00:00:00Z",
            "end": "2026-06-01T01:00:00Z", **kw}  # fmt: skip


def test_positives_are_the_scripted_smuggling_patterns_not_ordinary_traffic() -> None:
    labels = [
        lab("encounter", "mothership_encounter"),
        lab("zone_exit", "departure", zone="departure-zuwara"),
        lab("zone_exit", "departure", zone="lby-territorial-sea"),  # leaving the 12 nm line
        lab("zone_entry", "departure", zone="arrival-lampedusa"),
        lab("zone_entry", "traffic", zone="arrival-lampedusa"),
        lab("loitering", "mothership"),
    ]
    kept = positive_labels(labels, ZONES)
    assert [(x["kind"], x.get("zone")) for x in kept] == [
        ("encounter", None),
        ("zone_exit", "departure-zuwara"),
        ("zone_entry", "arrival-lampedusa"),
    ]


def test_vessels_gone_dark_near_departure_areas_must_become_suspects_others_are_not_scored() -> (
    None
):
    labels = [
        lab("ais_gap", "dark", 1, lat=32.95, lon=12.1),  # off Zuwara
        lab("ais_gap", "dark", 2, lat=37.5, lon=11.0),  # off Sicily
        lab("encounter", "mothership_encounter", 3, other_mmsi=4),
        lab("zone_entry", "traffic", 5),
    ]
    got = vessel_scenarios(labels, [1, 2, 3, 4, 5, 6], ZONES)
    assert got == {
        1: "dark-near-departure",
        2: "dark-elsewhere",
        3: "mothership_encounter",
        4: "mothership_encounter",
        5: "traffic",
        6: "unlabelled",
    }


def test_a_short_smuggling_run_alerts_every_positive_with_far_fewer_alerts() -> None:
    _, info = run_one(RunSpec("smuggling", 3, 1.5, 60))
    load = info["alert_load"]
    assert load["labelled_positives"] > 0
    assert load["positives_alerted"] == load["labelled_positives"]
    assert load["alerts_after_rules"] < load["alerts_before_rules"] / 3
    assert info["suspects"]["false_suspects"] == 0
