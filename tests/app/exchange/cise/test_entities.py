"""Mare's events and vessels as CISE entities: the mapping of docs/cise.md, each one valid."""

import re
from pathlib import Path
from typing import Any

import pytest

from app.exchange.cise import vocab
from app.exchange.cise.entities import (
    Sender,
    SuspectRisk,
    VesselFacts,
    event_element,
    event_uuid,
    involved_mmsis,
    vessel_element,
    vessel_uuid,
)
from app.exchange.cise.validate import check_entity, parse_xml, serialize
from geo.events import EventKind

SENDER = Sender(authority="Guardia Costiera MRCC Roma", service_id="it.mrcc-rome.mare")
DOC = Path(__file__).resolve().parents[4] / "docs" / "cise.md"


def event(kind: str, **over: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "kind": kind, "mmsi": 642123456, "other_mmsi": None, "zone": None,
        "start": "2026-06-01T03:10:00Z", "end": "2026-06-01T05:55:00Z",
        "lat": 33.91, "lon": 12.77, "severity": "high", "details": {"summary": f"a {kind}"},
    }  # fmt: skip
    ev.update(over)
    return ev


def roundtrip(elem: Any) -> Any:
    """Serialise, parse back and validate: what a partner receives."""
    doc = parse_xml(serialize(elem))
    check_entity(doc)
    return doc


def objects(doc: Any) -> list[tuple[str | None, str | None]]:
    return [
        (rel.findtext("Object/MMSI"), rel.findtext("ObjectRole"))
        for rel in doc.findall("InvolvedObjectRel")
    ]


def test_an_encounter_involves_both_vessels_as_participants() -> None:
    ev = event(
        "encounter",
        other_mmsi=672654321,
        details={"summary": "encounter", "other": {"mmsi": 672654321, "name": "YASMINE"}},
    )
    doc = roundtrip(event_element(ev, sender=SENDER))
    assert doc.tag == "Anomaly"
    assert doc.findtext("AnomalyType") == "UnexpectedMovement"
    assert objects(doc) == [("642123456", "Participant"), ("672654321", "Participant")]
    assert doc.findtext("InvolvedObjectRel[2]/Object/Name") == "YASMINE"
    assert doc.findtext("OccurrencePeriod/StartTime") == "03:10:00Z"
    assert doc.findtext("OccurrencePeriod/EndDate") == "2026-06-01"
    assert doc.findtext("LocationRel/Location/Geometry/Latitude") == "33.91000"
    assert doc.findtext("Metadata/Designation") == "mare:encounter"


@pytest.mark.parametrize(
    ("kind", "anomaly_type"),
    [
        ("ais_gap", "WithoutAISTransmission"),
        ("position_jump", "PerformingAISSpoofing"),
        ("identity_change", "DetecionOfChangesInAISParameters"),
        ("loitering", "UnexpectedMovement"),
        ("zone_entry", "Other"),
        ("invalid_mmsi", "Other"),
    ],
)
def test_each_kind_gets_its_anomaly_type_and_the_vessel_causes_it(
    kind: str, anomaly_type: str
) -> None:
    doc = roundtrip(event_element(event(kind), sender=SENDER))
    assert doc.findtext("AnomalyType") == anomaly_type
    assert objects(doc) == [("642123456", "Cause")]


def test_an_ais_gap_is_located_at_the_last_place_seen_and_an_open_one_has_no_end() -> None:
    doc = roundtrip(event_element(event("ais_gap", end=None), sender=SENDER))
    assert doc.findtext("LocationRel/LocationRole") == "LastPlace"
    assert doc.find("OccurrencePeriod/EndDate") is None


def test_a_zone_event_names_its_zone_and_a_known_zone_kind() -> None:
    ev = event(
        "zone_entry",
        zone="ita-territorial-sea",
        details={"zone_name": "Italian territorial sea", "zone_kind": "territorial_sea"},
    )
    doc = roundtrip(event_element(ev, sender=SENDER))
    loc = doc.find("LocationRel/Location")
    assert loc.findtext("LocationZone") == "TerritorialWaters"
    assert loc.findtext("Metadata/Designation") == "zone:ita-territorial-sea"
    hotspot = event(
        "zone_dwell", zone="departure-zuwara", details={"zone_kind": "departure_hotspot"}
    )
    doc = roundtrip(event_element(hotspot, sender=SENDER))
    assert doc.findtext("LocationRel/Location/LocationZone") == "Other"


def test_a_watchlist_match_implies_a_risk_with_the_watchlists_note() -> None:
    ev = event("watchlist_match", details={"note": "arms embargo inspection"})
    doc = roundtrip(event_element(ev, sender=SENDER, risk_type="WeaponsTrafficking"))
    risk = doc.find("ImpliedRiskRel/Risk")
    assert risk.findtext("RiskType") == "WeaponsTrafficking"
    assert risk.findtext("RiskLevel") == "High"
    assert risk.findtext("Metadata/Description") == "arms embargo inspection"


def test_a_dark_target_with_people_is_an_irregular_migration_incident() -> None:
    ev = event(
        "dark_target",
        mmsi=1_763_447_710,  # the target's number, not an MMSI
        details={
            "target": "DT-447710", "target_number": 1_763_447_710, "people": 60,
            "length_m": 11.0, "contacts": [{"kind": "aircraft", "confidence": 0.8},
                                           {"kind": "sar", "confidence": 0.5}],
            "summary": "boat without AIS DT-447710, 60 people",
        },
    )  # fmt: skip
    doc = roundtrip(event_element(ev, sender=SENDER))
    assert doc.tag == "IrregularMigrationIncident"
    [boat] = doc.findall("InvolvedObjectRel/Object")
    assert boat.findtext("TotalPersonsOnBoard") == "60" and boat.findtext("Length") == "11"
    assert boat.find("MMSI") is None  # a target number is never sent as an MMSI
    assert boat.findtext("Metadata/Designation") == "track:DT-447710"
    assert doc.findtext("Certainty") == "Likely"  # the best contact's confidence
    assert doc.findtext("Severity") == "Severe"
    assert doc.findtext("ImpliedRiskRel/Risk/RiskType") == "IllegalImmigration"
    assert doc.findtext("NatureType") == "Observed"


def test_a_dark_target_without_people_is_an_anomaly_without_ais() -> None:
    ev = event("dark_target", mmsi=1_342_165_466, details={"target": "DT-165466", "people": None})
    doc = roundtrip(event_element(ev, sender=SENDER))
    assert doc.tag == "Anomaly"
    assert doc.findtext("AnomalyType") == "WithoutAISTransmission"
    assert doc.find("InvolvedObjectRel/Object/MMSI") is None


def test_a_mothership_is_the_means_of_a_crossing_with_people_on_board() -> None:
    ev = event(
        "contact_association",
        other_mmsi=1_763_447_710,  # the boat it met: a target number
        details={"target": "DT-447710", "target_people": 45, "target_length_m": 9.5,
                 "how": "met", "summary": "met boat without AIS DT-447710"},
    )  # fmt: skip
    doc = roundtrip(event_element(ev, sender=SENDER))
    assert doc.tag == "IrregularMigrationIncident"
    assert objects(doc) == [("642123456", "Mean"), (None, "Participant")]
    assert doc.findtext("InvolvedObjectRel[2]/Object/TotalPersonsOnBoard") == "45"
    assert involved_mmsis([ev]) == [642123456]


def test_a_kind_added_later_is_still_sent_as_other() -> None:
    doc = roundtrip(event_element(event("rendezvous_at_night"), sender=SENDER))
    assert doc.findtext("AnomalyType") == "Other"


def test_a_vessel_carries_what_is_known_and_its_suspect_score_as_a_risk() -> None:
    facts = VesselFacts(
        mmsi=642310217, name="AL NAJMA", callsign="5AFST", imo=9123456, ship_type=30,
        flag="ly", length_m=24.0, beam_m=7, draught_m=3.1, lat=33.36, lon=13.75,
        time_ms=1_780_276_000_000, sog=0.4, cog=181.5, heading=511 - 330, nav_status=7,
        risk=SuspectRisk(62, ("encounter with 642440950 for 39 min: +27",), 1_780_276_000_000),
    )  # fmt: skip
    doc = roundtrip(vessel_element(facts, sender=SENDER))
    assert doc.tag == "Vessel"
    assert doc.findtext("MMSI") == "642310217"
    assert doc.findtext("IMONumber") == "9123456"
    assert doc.findtext("Nationality") == "LY"
    assert doc.findtext("ShipType") == "FishingVessel"
    assert doc.findtext("Length") == "24"
    assert doc.findtext("Beam") == "7"
    assert doc.findtext("NavigationalStatus") == "EngagedInFishing"
    assert doc.findtext("LocationRel/SOG") == "0.4"
    assert doc.findtext("LocationRel/PeriodOfTime/StartTime") == "01:06:40Z"
    risk = doc.find("InvolvedRiskRel/Risk")
    assert risk.findtext("RiskLevel") == "Medium"
    assert "+27" in risk.findtext("Metadata/Description")
    assert doc.findtext("Identifier/GeneratedBy/LegalName") == SENDER.authority


def test_identifiers_are_stable_and_shared_between_documents() -> None:
    ev = event("ais_gap")
    assert event_uuid(SENDER, ev) == event_uuid(SENDER, dict(ev, end=None, severity="low"))
    assert event_uuid(SENDER, ev) != event_uuid(Sender("x", "other.node"), ev)
    doc = roundtrip(event_element(ev, sender=SENDER))
    assert doc.findtext("Identifier/UUID") == event_uuid(SENDER, ev)
    assert doc.findtext("InvolvedObjectRel/Object/Identifier/UUID") == vessel_uuid(
        SENDER, VesselFacts(mmsi=642123456)
    )


def test_ais_ship_types_map_to_the_models_short_list() -> None:
    assert [vocab.vessel_type(t) for t in (0, 30, 37, 52, 60, 70, 84, 41, 99, None)] == [
        None, "FishingVessel", "Other", "SpecialPurposeShip", "PassengerShip",
        "GeneralCargoShip", "OilTanker", "HighSpeedCraft", "Other", None,
    ]  # fmt: skip
    assert [vocab.risk_level(s) for s in (0, 1, 49, 50, 75, 100)] == [
        None, "Low", "Low", "Medium", "High", "High",
    ]  # fmt: skip


def test_every_event_kind_has_a_row_in_the_table_and_in_docs_cise_md() -> None:
    text = DOC.read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE))
    kinds = {k.value for k in EventKind} | vocab.MIGRATION_KINDS
    assert kinds <= set(vocab.ANOMALY_TYPE)
    assert kinds <= rows, f"docs/cise.md lacks rows for {sorted(kinds - rows)}"
    for kind in kinds:
        row = re.search(rf"^\| `{kind}` \|(.*)$", text, flags=re.MULTILINE)
        assert row is not None and vocab.ANOMALY_TYPE[kind] in row.group(1), kind
