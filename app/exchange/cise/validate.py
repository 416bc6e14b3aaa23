"""Validation against the shipped CISE 1.5.3 schemas (xmlschema, XSD 1.0).

Two schemas are loaded once per process: the data model's entry point ``entities.xsd``
(`Vessel`, `Anomaly`, `IrregularMigrationIncident` roots; see its comment for why that one) and
the service model's ``message.xsd`` (`Push`, `Acknowledgement`). CISE nodes put the payload's
entities in no namespace (``<Payload xsi:type="XmlEntityPayload"><Vessel>…``), which the
JAXB-generated ``xs:any namespace="##other"`` of ``XmlEntityPayload`` does not admit; so an
envelope is checked without its payload entities and each entity against the data model, which
is what the reference gateway does too.

Incoming XML is parsed with entities and external resources forbidden (no billion laughs, no
file or network reads through a DTD).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, cast

import xmlschema
from lxml import etree
from lxml.etree import _Element as Element

from app.exchange.cise.errors import CiseSchemaError

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
#: The root elements a CISE document from or to Mare may have.
ENTITY_ROOTS = ("Vessel", "Anomaly", "IrregularMigrationIncident")
MESSAGE_NS = "http://www.cise.eu/servicemodel/v1/message/"


@cache
def entity_schema() -> xmlschema.XMLSchema10:
    """Return the data-model schema (loaded once: ~0.3 s)."""
    return xmlschema.XMLSchema10(str(SCHEMA_DIR / "entities.xsd"))


@cache
def message_schema() -> xmlschema.XMLSchema10:
    """Return the service-model schema (the message envelope)."""
    return xmlschema.XMLSchema10(str(SCHEMA_DIR / "message.xsd"))


#: No DTD, no entity expansion, no network: a CISE message never needs them, and each is a way
#: to make a parser read files or eat memory.
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
    remove_comments=True, remove_pis=True, huge_tree=False,
)  # fmt: skip


def parse_xml(data: bytes | str) -> Element:
    """Parse a document safely (no DTD, no entities, no external resources)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise CiseSchemaError(f"not well-formed XML: {exc}") from None
    if root is None:
        raise CiseSchemaError("not an XML document")
    if root.getroottree().docinfo.doctype:
        raise CiseSchemaError("refused XML: a document type declaration (DTD) is not allowed")
    return root


def serialize(elem: Element) -> bytes:
    """Return a document's bytes: UTF-8 with declaration, indented for people reading it."""
    etree.indent(elem, space="  ")
    return etree.tostring(elem, xml_declaration=True, encoding="UTF-8")


def tag_of(elem: Element) -> str:
    """Return an element's tag as text (lxml types it loosely; Mare's tags are always text)."""
    tag = elem.tag
    return tag if isinstance(tag, str) else ""


def _reason(error: xmlschema.XMLSchemaValidationError) -> str:
    """Return the schema's reason with the offending value, so a sender sees what it sent."""
    reason = error.reason or str(error).splitlines()[0]
    elem = error.elem
    text = getattr(elem, "text", None)
    if isinstance(text, str) and text.strip() and len(elem) == 0:  # type: ignore[arg-type]
        reason += f" (got {text.strip()[:80]!r})"
    return reason


def _first_error(schema: xmlschema.XMLSchema10, elem: Element) -> CiseSchemaError | None:
    for error in schema.iter_errors(cast(Any, elem)):
        return CiseSchemaError(_reason(error), error.path)
    return None


def entity_errors(elem: Element) -> list[str]:
    """Return every schema error of one entity document (empty when valid)."""
    tag = tag_of(elem)
    if tag not in ENTITY_ROOTS:
        return [f"root element {tag!r} is not one of {', '.join(ENTITY_ROOTS)}"]
    out = []
    for error in entity_schema().iter_errors(cast(Any, elem)):
        out.append(f"{error.path}: {_reason(error)}")
    return out


def check_entity(elem: Element) -> None:
    """Raise `CiseSchemaError` naming the first schema error of an entity document."""
    tag = tag_of(elem)
    if tag not in ENTITY_ROOTS:
        raise CiseSchemaError(f"root element {tag!r} is not one of {', '.join(ENTITY_ROOTS)}")
    error = _first_error(entity_schema(), elem)
    if error is not None:
        raise error


#: The payload's own metadata elements, before the entities it carries.
_PAYLOAD_METADATA = frozenset((
    "InformationSecurityLevel", "InformationSensitivity", "IsPersonalData", "Purpose",
    "RetentionPeriod", "EnsureEncryption",
))  # fmt: skip


def payload_entities(message: Element) -> list[Element]:
    """Return the entities a message's ``Payload`` carries (its children after the metadata)."""
    payload = message.find("Payload")
    if payload is None:
        return []
    return [child for child in payload if tag_of(child) not in _PAYLOAD_METADATA]


def check_message(message: Element, *, kind: str = "Push") -> list[Element]:
    """Check an envelope and each entity it carries; return the entities.

    The envelope is validated with its payload's entities taken out (see the module docstring),
    then every entity against the data model; the first error found is raised, its path given
    from the message root so the sender sees where it is.
    """
    expected = f"{{{MESSAGE_NS}}}{kind}"
    if tag_of(message) != expected:
        raise CiseSchemaError(f"root element {tag_of(message)!r} is not a CISE {kind} message")
    payload = message.find("Payload")
    entities = payload_entities(message)
    if payload is not None:
        for ent in entities:
            payload.remove(ent)
    try:
        error = _first_error(message_schema(), message)
    finally:
        if payload is not None:
            payload.extend(entities)
    if error is not None:
        raise error
    for index, ent in enumerate(entities, start=1):
        try:
            check_entity(ent)
        except CiseSchemaError as exc:
            where = f"/{kind}/Payload/{tag_of(ent)}[{index}]"
            path = exc.path or ""
            inner = path.split("/", 2)[2] if path.count("/") >= 2 else ""
            raise CiseSchemaError(exc.reason, where + (f"/{inner}" if inner else "")) from None
    return entities
