"""The validator over the shipped CISE schemas: accepts the model's documents, refuses others."""

import pytest

from app.exchange.cise.errors import CiseSchemaError
from app.exchange.cise.validate import (
    check_entity,
    check_message,
    entity_errors,
    parse_xml,
)

XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
VESSEL_NS = 'xmlns:vessel="http://www.cise.eu/datamodel/v1/entity/vessel/"'

ANOMALY = f"""<Anomaly>
  <OccurrencePeriod><StartDate>2026-06-01</StartDate><StartTime>03:10:00Z</StartTime></OccurrencePeriod>
  <LocationRel><Location><Geometry><Latitude>33.9</Latitude><Longitude>12.7</Longitude></Geometry>
  </Location></LocationRel>
  <InvolvedObjectRel>
    <Object {XSI} {VESSEL_NS} xsi:type="vessel:Vessel"><MMSI>642123456</MMSI></Object>
    <ObjectRole>Participant</ObjectRole>
  </InvolvedObjectRel>
  <AnomalyType>WithoutAISTransmission</AnomalyType>
</Anomaly>"""

# The form CISE nodes send (CISE Sim's own example): payload entities in no namespace.
PUSH = """<ns4:Push xmlns:ns2="http://www.cise.eu/servicemodel/v1/authority/"
    xmlns:ns4="http://www.cise.eu/servicemodel/v1/message/"
    xmlns:ns3="http://www.cise.eu/servicemodel/v1/service/">
  <CorrelationID>476d949d-5aa4-44cc-8e20-c1a2288fe098</CorrelationID>
  <CreationDateTime>2018-01-18T13:45:29.590+01:00</CreationDateTime>
  <MessageID>2657a510-5469-429f-ad00-7c96daa7c7a2</MessageID>
  <Priority>Low</Priority>
  <Sender><ServiceID>de.sim1-node01.vessel.push.provider</ServiceID>
    <ServiceOperation>Push</ServiceOperation><ServiceType>VesselService</ServiceType></Sender>
  <Recipient><ServiceID>de.sim2-node01.vessel.push.consumer</ServiceID></Recipient>
  <Payload xsi:type="ns4:XmlEntityPayload" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
    <InformationSecurityLevel>NonClassified</InformationSecurityLevel>
    <InformationSensitivity>Green</InformationSensitivity>
    <IsPersonalData>false</IsPersonalData>
    <Purpose>NonSpecified</Purpose>
    <EnsureEncryption>false</EnsureEncryption>
    <Vessel><IMONumber>7710525</IMONumber></Vessel>
  </Payload>
</ns4:Push>"""


def test_the_models_documents_are_accepted() -> None:
    check_entity(parse_xml(ANOMALY))
    check_entity(parse_xml("<Vessel><Name>AL NAJMA</Name><MMSI>642310217</MMSI></Vessel>"))
    check_entity(
        parse_xml(
            "<IrregularMigrationIncident><Certainty>Likely</Certainty>"
            "<IrregularMigrationIncidentType>NonSpecified</IrregularMigrationIncidentType>"
            "</IrregularMigrationIncident>"
        )
    )


def test_wrong_enumeration_value_is_refused_naming_the_element() -> None:
    bad = ANOMALY.replace("WithoutAISTransmission", "Smuggling")
    with pytest.raises(CiseSchemaError) as info:
        check_entity(parse_xml(bad))
    assert info.value.path == "/Anomaly/AnomalyType"
    assert "Smuggling" in str(info.value)


def test_text_in_a_numeric_field_is_refused() -> None:
    bad = ANOMALY.replace("<MMSI>642123456</MMSI>", "<MMSI>six four two</MMSI>")
    errors = entity_errors(parse_xml(bad))
    assert len(errors) == 1
    assert errors[0].startswith("/Anomaly/InvolvedObjectRel/Object/MMSI:")


def test_elements_out_of_the_schema_order_are_refused() -> None:
    bad = "<Vessel><MMSI>642310217</MMSI><Name>AL NAJMA</Name></Vessel>"
    with pytest.raises(CiseSchemaError):
        check_entity(parse_xml(bad))


def test_an_abstract_object_without_its_type_is_refused() -> None:
    bad = ANOMALY.replace(f'{XSI} {VESSEL_NS} xsi:type="vessel:Vessel"', "")
    with pytest.raises(CiseSchemaError):
        check_entity(parse_xml(bad))


def test_unknown_root_and_unknown_child_are_refused() -> None:
    with pytest.raises(CiseSchemaError, match="not one of"):
        check_entity(parse_xml("<Risk><RiskType>Smuggling</RiskType></Risk>"))
    with pytest.raises(CiseSchemaError):
        check_entity(parse_xml("<Vessel><Colour>Red</Colour><Tonnage>5</Tonnage></Vessel>"))


def test_entities_dtds_and_broken_xml_are_refused_before_validation() -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE v [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><Vessel><Name>&b;</Name></Vessel>'
    )
    with pytest.raises(CiseSchemaError, match="DTD"):
        parse_xml(laughs)
    external = (
        '<?xml version="1.0"?><!DOCTYPE v [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<Vessel><Name>&x;</Name></Vessel>"
    )
    with pytest.raises(CiseSchemaError):
        parse_xml(external)
    with pytest.raises(CiseSchemaError, match="well-formed"):
        parse_xml("<Vessel><Name>open")


def test_a_cise_nodes_push_is_accepted_with_its_payload_entities() -> None:
    entities = check_message(parse_xml(PUSH))
    assert [e.tag for e in entities] == ["Vessel"]
    assert entities[0].findtext("IMONumber") == "7710525"


def test_a_push_with_an_invalid_entity_names_it_from_the_message_root() -> None:
    bad = PUSH.replace("<IMONumber>7710525", "<IMONumber>IMO7710525")
    with pytest.raises(CiseSchemaError) as info:
        check_message(parse_xml(bad))
    assert info.value.path == "/Push/Payload/Vessel[1]/IMONumber"


def test_a_push_missing_its_message_id_is_refused() -> None:
    bad = PUSH.replace("<MessageID>2657a510-5469-429f-ad00-7c96daa7c7a2</MessageID>", "")
    with pytest.raises(CiseSchemaError):
        check_message(parse_xml(bad))
    with pytest.raises(CiseSchemaError, match="not a CISE Push"):
        check_message(parse_xml(ANOMALY))
