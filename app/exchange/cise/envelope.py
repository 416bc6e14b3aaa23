"""The service model's messages: a `Push` carrying entities, and the `Acknowledgement` answer.

Pure: identifiers and times are arguments. Elements follow ``message.xsd``'s sequences; the
root is in the message namespace, its children unqualified, and the payload's entities in no
namespace, as CISE nodes exchange them (the CISE Sim's examples).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml.etree import Element as new_element
from lxml.etree import SubElement
from lxml.etree import _Element as Element

from app.exchange.cise.entities import XSI, iso_datetime
from app.exchange.cise.errors import CiseSchemaError
from app.exchange.cise.validate import MESSAGE_NS, check_message, tag_of

SERVICE_NS = "http://www.cise.eu/servicemodel/v1/service/"
#: The service type of a Push by the entity it leads with.
SERVICE_TYPE = {
    "Anomaly": "AnomalyService",
    "IrregularMigrationIncident": "IrregularMigrationIncidentService",
    "Vessel": "VesselService",
}


@dataclass(frozen=True, slots=True)
class PushMeta:
    """The envelope's fields Mare sets; the payload's labels come from the partner agreement."""

    message_id: str
    created_ms: int
    sender_service_id: str
    recipient_service_id: str
    priority: str = "Medium"
    context_id: str | None = None
    correlation_id: str | None = None
    purpose: str = "BorderMonitoring"
    security_level: str = "NonClassified"
    sensitivity: str = "Amber"


@dataclass(frozen=True, slots=True)
class ReceivedPush:
    """What Mare reads of a valid incoming Push."""

    message_id: str
    created_ms: int | None
    sender_service_id: str
    priority: str
    entities: list[Element]


def _text(parent: Element, tag: str, value: str | None) -> None:
    if value is not None:
        SubElement(parent, tag).text = value


def _service(parent: Element, tag: str, service_id: str, service_type: str, role: str) -> None:
    svc = SubElement(parent, tag)
    _text(svc, "ServiceID", service_id)
    _text(svc, "ServiceOperation", "Push")
    _text(svc, "ServiceRole", role)
    _text(svc, "ServiceType", service_type)


def build_push(meta: PushMeta, entities: list[Element]) -> Element:
    """Return a Push message carrying ``entities`` (the first one names the service type)."""
    root = new_element(f"{{{MESSAGE_NS}}}Push", nsmap={"msg": MESSAGE_NS, "xsi": XSI})
    _text(root, "ContextID", meta.context_id)
    _text(root, "CorrelationID", meta.correlation_id)
    _text(root, "CreationDateTime", iso_datetime(meta.created_ms))
    _text(root, "MessageID", meta.message_id)
    _text(root, "Priority", meta.priority)
    _text(root, "RequiresAck", "false")
    service_type = SERVICE_TYPE.get(tag_of(entities[0]) if entities else "", "AnomalyService")
    _service(root, "Sender", meta.sender_service_id, service_type, "Provider")
    _service(root, "Recipient", meta.recipient_service_id, service_type, "Consumer")
    payload = SubElement(root, "Payload")
    payload.set(f"{{{XSI}}}type", "msg:XmlEntityPayload")
    _text(payload, "InformationSecurityLevel", meta.security_level)
    _text(payload, "InformationSensitivity", meta.sensitivity)
    _text(payload, "IsPersonalData", "false")
    _text(payload, "Purpose", meta.purpose)
    _text(payload, "EnsureEncryption", "false")
    for entity in entities:
        payload.append(entity)
    return root


def build_ack(
    *,
    message_id: str,
    created_ms: int,
    sender_service_id: str,
    code: str,
    detail: str | None = None,
    correlation_id: str | None = None,
) -> Element:
    """Return the synchronous Acknowledgement of a received message (``AckCode`` and why)."""
    root = new_element(f"{{{MESSAGE_NS}}}Acknowledgement", nsmap={"msg": MESSAGE_NS})
    _text(root, "CorrelationID", correlation_id)
    _text(root, "CreationDateTime", iso_datetime(created_ms))
    _text(root, "MessageID", message_id)
    _text(root, "Priority", "Low")
    sender = SubElement(root, "Sender")
    _text(sender, "ServiceID", sender_service_id)
    _text(sender, "ServiceOperation", "Acknowledgement")
    _text(root, "AckCode", code)
    _text(root, "AckDetail", detail)
    return root


def _time_ms(text: str | None) -> int | None:
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        return None
    return int(dt.timestamp() * 1000)


def read_push(root: Element) -> ReceivedPush:
    """Validate a Push (envelope and each entity) and return what Mare needs of it.

    Raises `CiseSchemaError` naming the first schema error, or a Push without entities.
    """
    entities = check_message(root, kind="Push")
    if not entities:
        raise CiseSchemaError("the Push carries no entity in its Payload", "/Push/Payload")
    sender = root.findtext("Sender/ServiceID")
    if not sender:
        raise CiseSchemaError("the Push names no Sender/ServiceID", "/Push/Sender")
    return ReceivedPush(
        message_id=str(root.findtext("MessageID")),
        created_ms=_time_ms(root.findtext("CreationDateTime")),
        sender_service_id=sender.strip(),
        priority=str(root.findtext("Priority")),
        entities=entities,
    )
