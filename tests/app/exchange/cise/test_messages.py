"""Push envelopes out and in, partner agreements: pure functions, worked examples."""

import json
from pathlib import Path
from typing import Any

import pytest

from app.exchange.cise.entities import Sender, VesselFacts, event_element, vessel_element
from app.exchange.cise.envelope import PushMeta, build_ack, build_push, read_push
from app.exchange.cise.errors import CiseSchemaError
from app.exchange.cise.inbound import CiseContentError, Origin, events_of_push
from app.exchange.cise.partners import (
    CisePartnerFileError,
    Partner,
    covers,
    load_partners,
    partner_of_token,
)
from app.exchange.cise.validate import message_schema, parse_xml, serialize
from geo.events import EventKind, Severity

A = Sender(authority="Guardia Costiera MRCC Roma", service_id="it.mrcc.mare")
ORIGIN = Origin(
    partner="it-mrcc", authority="Guardia Costiera MRCC Roma", service_id="it.mrcc.mare",
    message_id="m-1", received_ms=1_780_000_000_000, priority="High",
)  # fmt: skip
ENCOUNTER = {
    "kind": "encounter", "mmsi": 642123456, "other_mmsi": 672654321, "zone": "alpha",
    "start": "2026-06-01T03:10:00Z", "end": "2026-06-01T05:55:00Z", "lat": 33.91,
    "lon": 12.77, "severity": "high",
    "details": {"summary": "encounter of 642123456 with 672654321", "min_distance_m": 147,
                "zone_name": "Alpha box", "zone_kind": "patrol_area"},
}  # fmt: skip


def push_of(*entities: Any, sender: str = "it.mrcc.mare") -> Any:
    meta = PushMeta(message_id="m-1", created_ms=1_780_000_000_000, sender_service_id=sender,
                    recipient_service_id="mt.afm.mare", priority="High")  # fmt: skip
    return parse_xml(serialize(build_push(meta, list(entities))))


def test_a_push_is_valid_against_the_service_model_and_reads_back() -> None:
    vessels = {642123456: VesselFacts(mmsi=642123456, name="AL NAJMA")}
    msg = push_of(
        event_element(ENCOUNTER, sender=A, vessels=vessels),
        vessel_element(vessels[642123456], sender=A),
    )
    got = read_push(msg)
    assert got.sender_service_id == "it.mrcc.mare" and got.message_id == "m-1"
    assert got.created_ms == 1_780_000_000_000 and got.priority == "High"
    assert [e.tag for e in got.entities] == ["Anomaly", "Vessel"]
    assert msg.findtext("Sender/ServiceType") == "AnomalyService"
    assert msg.findtext("Payload/InformationSensitivity") == "Amber"


def test_an_acknowledgement_is_valid() -> None:
    ack = build_ack(message_id="a-1", created_ms=1_780_000_000_000, sender_service_id="mt",
                    code="InvalidRequestObject", detail="bad", correlation_id="m-1")  # fmt: skip
    assert list(message_schema().iter_errors(serialize(ack))) == []


def test_a_push_without_entities_is_refused() -> None:
    with pytest.raises(CiseSchemaError, match="no entity"):
        read_push(push_of())


def test_a_mare_encounter_comes_back_as_the_same_episode_marked_with_its_source() -> None:
    msg = push_of(event_element(ENCOUNTER, sender=A), vessel_element(
        VesselFacts(mmsi=642123456, name="AL NAJMA", callsign="5AFST"), sender=A))  # fmt: skip
    [ev] = events_of_push(read_push(msg).entities, ORIGIN)
    assert ev.kind is EventKind.ENCOUNTER and ev.severity is Severity.HIGH
    assert (ev.mmsi, ev.other_mmsi) == (642123456, 672654321)
    assert ev.start_ms == 1_780_283_400_000 and ev.end_ms == 1_780_293_300_000
    assert (ev.lat, ev.lon) == (33.91, 12.77)
    assert ev.zone is None  # the partner's zones are not ours
    assert ev.details["partner_zone"] == {"id": "alpha", "name": "Alpha box"}
    assert ev.details["min_distance_m"] == 147
    assert ev.details["vessel"]["name"] == "AL NAJMA"
    assert ev.details["summary"].startswith("Guardia Costiera MRCC Roma: encounter")
    source = ev.details["source"]
    assert source["authority"] == "Guardia Costiera MRCC Roma" and source["via"] == "cise"
    assert source["uuid"] and source["entity"] == "Anomaly"


def test_another_systems_anomaly_maps_by_its_type_and_the_messages_priority() -> None:
    anomaly = parse_xml(
        "<Anomaly><OccurrencePeriod><StartDate>2026-06-01</StartDate>"
        "<StartTime>04:00:00Z</StartTime></OccurrencePeriod>"
        "<LocationRel><Location><Geometry><WKT>POINT (12.5 34.25)</WKT></Geometry></Location>"
        "</LocationRel><AnomalyType>WithoutAISTransmission</AnomalyType></Anomaly>"
    )
    [ev] = events_of_push([anomaly], ORIGIN)
    assert ev.kind is EventKind.AIS_GAP and ev.mmsi == 0 and ev.end_ms is None
    assert (ev.lat, ev.lon) == (34.25, 12.5) and ev.severity is Severity.HIGH
    other = parse_xml("<Anomaly><AnomalyType>CargoLeaking</AnomalyType></Anomaly>")
    [ev] = events_of_push([other], ORIGIN)
    assert ev.kind is EventKind.PARTNER_REPORT and ev.details["anomaly_type"] == "CargoLeaking"
    assert ev.start_ms == ev.end_ms == ORIGIN.received_ms


def test_a_vessel_alone_is_a_partner_report_where_the_partner_saw_it() -> None:
    vessel = vessel_element(
        VesselFacts(
            mmsi=642310217,
            name="AL NAJMA",
            lat=33.4,
            lon=13.7,
            time_ms=1_780_276_000_000,
            persons_on_board=3,
        ),  # fmt: skip
        sender=A,
    )
    [ev] = events_of_push([parse_xml(serialize(vessel))], ORIGIN)
    assert ev.kind is EventKind.PARTNER_REPORT and ev.mmsi == 642310217
    assert ev.start_ms == 1_780_276_000_000 and (ev.lat, ev.lon) == (33.4, 13.7)
    assert ev.details["vessel"]["name"] == "AL NAJMA" and ev.details["people"] == 3


def test_positions_out_of_range_are_refused() -> None:
    bad = parse_xml(
        "<Anomaly><LocationRel><Location><Geometry><Latitude>95</Latitude>"
        "<Longitude>12</Longitude></Geometry></Location></LocationRel></Anomaly>"
    )
    with pytest.raises(CiseContentError, match="latitude"):
        events_of_push([bad], ORIGIN)


def partner(**over: Any) -> Partner:
    raw: dict[str, Any] = {
        "id": "mt-afm", "authority": "Armed Forces of Malta", "service_id": "mt.afm.mare",
        "url": "https://cise.afm.example/api/v1/cise/push",
        "send": {"zones": ["alpha"], "kinds": ["encounter", "ais_gap"], "min_severity": "medium"},
        "outbound_token": "to-malta", "inbound_token": "from-malta-0123456789",
    }  # fmt: skip
    raw.update(over)
    return Partner.model_validate(raw)


def test_an_agreement_covers_its_zones_kinds_and_severities_only() -> None:
    p = partner()
    assert covers(p, ENCOUNTER)
    assert not covers(p, dict(ENCOUNTER, zone="beta"))
    assert not covers(p, dict(ENCOUNTER, zone=None))  # the liaison rule: zoneless is outside
    assert not covers(p, dict(ENCOUNTER, kind="loitering"))
    assert not covers(p, dict(ENCOUNTER, severity="low"))
    assert covers(p, dict(ENCOUNTER, severity="critical"))
    everything = partner(send={})
    assert covers(everything, dict(ENCOUNTER, zone=None, severity="info"))
    assert not covers(partner(send=None), ENCOUNTER)


def test_partner_tokens_are_never_shown_and_match_exactly() -> None:
    p = partner()
    shown = p.public()
    assert "from-malta" not in json.dumps(shown) and "to-malta" not in json.dumps(shown)
    assert shown["inbound_token_set"] and shown["outbound_token_set"]
    assert partner_of_token([p], "from-malta-0123456789") is p
    assert partner_of_token([p], "from-malta-012345678") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "Expecting"),
        ('{"partners": [{"id": "Bad Id", "authority": "x", "service_id": "y"}]}', "partners.0.id"),
        ('{"partners": [{"id": "a", "authority": "x", "service_id": "y", "send": {}}]}', "url"),
        (
            '{"partners": [{"id": "a", "authority": "x", "service_id": "y",'
            ' "send": {"kinds": ["piracy"]}, "url": "https://x"}]}',
            "piracy",
        ),
        (
            '{"partners": [{"id": "a", "authority": "x", "service_id": "y"},'
            ' {"id": "a", "authority": "z", "service_id": "w"}]}',
            "share one id",
        ),
    ],
)
def test_a_bad_partners_file_is_refused_naming_the_file_and_the_fault(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "partners.json"
    path.write_text(content)
    with pytest.raises(CisePartnerFileError) as info:
        load_partners(path)
    assert str(path) in str(info.value) and message in str(info.value)
