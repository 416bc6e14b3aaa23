"""Mare's events and vessels as CISE 1.5.3 entities (XML elements, schema order).

Pure: everything an entity says comes from its arguments (the event's contract JSON, what is
known of its vessels, who is sending); nothing reads the clock. Elements are built in the
order of the schema's sequences (a validator refuses any other), and only with values that are
known: an unknown field is left out, never sent as a guess.

Entities are linked by identifier: a vessel has the same UUID in its own document and wherever
an event involves it (derived from the sender and MMSI), and an event's UUID derives from the
sender and its episode key, so a later version of the same episode (an AIS gap that ended) is
recognisably an update.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from lxml.etree import Element as new_element
from lxml.etree import SubElement
from lxml.etree import _Element as Element

from app.exchange.cise import vocab
from geo.events import parse_time

XSI = "http://www.w3.org/2001/XMLSchema-instance"
VESSEL_NS = "http://www.cise.eu/datamodel/v1/entity/vessel/"
#: UUIDs of Mare's entities are version-5 UUIDs in this namespace (fixed: changing it would
#: change every identifier partners have stored).
MARE_UUID_NS = uuid.UUID("5b0f0b8e-3c1e-4d55-9a39-4d6172650001")
#: An event's Metadata/Comments: this prefix, then JSON of its severity and details (the
#: evidence, which the model has no field for); a Mare receiver reads them back exactly.
MARE_COMMENT_PREFIX = "mare: "


@dataclass(frozen=True, slots=True)
class Sender:
    """Who the entities come from: the authority's name and its CISE service or node id."""

    authority: str = "Mare"
    service_id: str = "mare"


@dataclass(frozen=True, slots=True)
class SuspectRisk:
    """A vessel's suspect score (0-100) and the sentences that explain it."""

    score: float
    explanation: tuple[str, ...] = ()
    as_of_ms: int | None = None


@dataclass(frozen=True, slots=True)
class VesselFacts:
    """What Mare knows of a vessel; every field but the MMSI may be unknown."""

    mmsi: int | None
    name: str | None = None
    callsign: str | None = None
    imo: int | None = None
    ship_type: int | None = None
    flag: str | None = None
    length_m: float | None = None
    beam_m: int | None = None
    draught_m: float | None = None
    lat: float | None = None
    lon: float | None = None
    time_ms: int | None = None
    sog: float | None = None
    cog: float | None = None
    heading: int | None = None
    nav_status: int | None = None
    persons_on_board: int | None = None
    #: A vessel with no MMSI (a dark boat) is identified by its track or contact id.
    local_id: str | None = None
    risk: SuspectRisk | None = None
    sources: tuple[str, ...] = field(default=())


def iso_datetime(ms: int) -> str:
    """Return epoch ms as xs:dateTime in UTC with ``Z`` (whole seconds)."""
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _date_time(ms: int) -> tuple[str, str]:
    dt = datetime.fromtimestamp(ms // 1000, tz=UTC)
    return dt.strftime("%Y-%m-%d"), dt.strftime("%H:%M:%SZ")


def vessel_uuid(sender: Sender, facts: VesselFacts) -> str:
    """Return the stable UUID of a vessel as this sender names it."""
    ident = f"mmsi:{facts.mmsi}" if facts.mmsi else f"track:{facts.local_id}"
    return str(uuid.uuid5(MARE_UUID_NS, f"{sender.service_id}|vessel|{ident}"))


def event_uuid(sender: Sender, event: Mapping[str, Any]) -> str:
    """Return the stable UUID of an episode (its contract key) as this sender names it."""
    key = "|".join(
        "" if event.get(k) is None else str(event.get(k))
        for k in ("kind", "mmsi", "other_mmsi", "zone", "start")
    )
    return str(uuid.uuid5(MARE_UUID_NS, f"{sender.service_id}|event|{key}"))


def _text(parent: Element, tag: str, value: object) -> None:
    if value is None or value == "":
        return
    SubElement(parent, tag).text = _format(value)


def _format(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


def _identifier(parent: Element, sender: Sender, uid: str, generated_ms: int | None) -> None:
    ident = SubElement(parent, "Identifier")
    org = SubElement(ident, "GeneratedBy")
    _text(org, "LegalName", sender.authority)
    if generated_ms is not None:
        _text(ident, "GeneratedIn", iso_datetime(generated_ms))
    _text(ident, "UUID", uid)


def _metadata(
    parent: Element,
    *,
    comments: str | None = None,
    created_ms: int | None = None,
    description: str | None = None,
    designation: str | None = None,
) -> None:
    if not any((comments, created_ms, description, designation)):
        return
    meta = SubElement(parent, "Metadata")
    _text(meta, "Comments", comments)
    if created_ms is not None:
        _text(meta, "CreationDate", iso_datetime(created_ms))
    _text(meta, "Description", description)
    _text(meta, "Designation", designation)


def _period(parent: Element, tag: str, start_ms: int | None, end_ms: int | None) -> None:
    if start_ms is None and end_ms is None:
        return
    period = SubElement(parent, tag)
    if end_ms is not None:
        end_date, end_time = _date_time(end_ms)
        _text(period, "EndDate", end_date)
        _text(period, "EndTime", end_time)
    if start_ms is not None:
        start_date, start_time = _date_time(start_ms)
        _text(period, "StartDate", start_date)
        _text(period, "StartTime", start_time)


def _location(
    parent: Element,
    lat: float | None,
    lon: float | None,
    *,
    zone_type: str | None = None,
    zone_id: str | None = None,
    zone_name: str | None = None,
) -> None:
    loc = SubElement(parent, "Location")
    if lat is not None and lon is not None:
        geom = SubElement(loc, "Geometry")
        _text(geom, "Latitude", f"{lat:.5f}")
        _text(geom, "Longitude", f"{lon:.5f}")
        _text(geom, "WKT", f"POINT ({lon:.5f} {lat:.5f})")
    if zone_id is not None:
        _text(loc, "LocationZone", zone_type or "Other")
        _metadata(loc, description=zone_name, designation=f"zone:{zone_id}")


def _risk(
    parent: Element,
    *,
    level: str | None,
    risk_type: str,
    description: str | None,
    uid: str | None = None,
    sender: Sender | None = None,
    as_of_ms: int | None = None,
) -> None:
    risk = SubElement(parent, "Risk")
    if uid is not None and sender is not None:
        _identifier(risk, sender, uid, as_of_ms)
    _metadata(risk, description=description, created_ms=as_of_ms)
    _text(risk, "RiskLevel", level)
    _text(risk, "RiskType", risk_type)


def vessel_element(
    facts: VesselFacts,
    *,
    sender: Sender,
    risk_type: str = vocab.DEFAULT_RISK_TYPE,
    as_object: bool = False,
    brief: bool = False,
) -> Element:
    """Return a Vessel entity: a document root, or (``as_object``) an event's involved object.

    ``brief`` keeps identification only (an event's reference to a vessel whose own document
    carries the rest).
    """
    if as_object:
        # Object is abstract: the vessel says its type, with the prefix declared on itself.
        elem = new_element("Object", nsmap={"xsi": XSI, "vessel": VESSEL_NS})
        elem.set(f"{{{XSI}}}type", "vessel:Vessel")
    else:
        elem = new_element("Vessel")
    _identifier(elem, sender, vessel_uuid(sender, facts), None)
    if facts.local_id is not None and not facts.mmsi:
        _metadata(elem, designation=f"track:{facts.local_id}")
    _text(elem, "Name", facts.name)
    if not brief:
        if facts.risk is not None:
            level = vocab.risk_level(facts.risk.score)
            if level is not None:
                rel = SubElement(elem, "InvolvedRiskRel")
                text = f"Mare suspect score {facts.risk.score:.0f}/100"
                if facts.risk.explanation:
                    text += ": " + "; ".join(facts.risk.explanation)
                _risk(rel, level=level, risk_type=risk_type, description=text,
                      as_of_ms=facts.risk.as_of_ms)  # fmt: skip
        if facts.lat is not None and facts.lon is not None:
            rel = SubElement(elem, "LocationRel")
            _location(rel, facts.lat, facts.lon)
            _text(rel, "COG", facts.cog)
            _text(rel, "Heading", facts.heading)
            _period(rel, "PeriodOfTime", facts.time_ms, None)
            _text(rel, "SourceType", "Declaration" if facts.mmsi else "Observation")
            _text(rel, "SOG", facts.sog)
    if facts.flag:
        _text(elem, "Nationality", facts.flag.upper())
    if not brief:
        _text(elem, "TotalPersonsOnBoard", facts.persons_on_board)
        _text(elem, "Beam", facts.beam_m)
    _text(elem, "CallSign", facts.callsign)
    if not brief:
        _text(elem, "Draught", facts.draught_m)
    _text(elem, "IMONumber", facts.imo)
    if not brief:
        _text(elem, "Length", facts.length_m)
    _text(elem, "MMSI", facts.mmsi or None)
    if not brief and facts.nav_status is not None:
        _text(elem, "NavigationalStatus", vocab.NAVIGATIONAL_STATUS.get(facts.nav_status))
    if not brief:
        _text(elem, "ShipType", vocab.vessel_type(facts.ship_type))
    return elem


def _count(value: object) -> int | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return int(value)
    return None


def people_on_board(event: Mapping[str, Any]) -> int | None:
    """Return the people a dark target (or a mothership's boat) carries, None if not known."""
    details = event.get("details") or {}
    for key in ("people", "target_people"):
        n = _count(details.get(key))
        if n is not None:
            return n
    return None


def vessel_mmsis(event: Mapping[str, Any]) -> list[int]:
    """Return the MMSIs of an event's AIS vessels (a dark target's number is not one)."""
    target = vocab.TARGET_FIELD.get(str(event.get("kind")))
    out = []
    for key in ("mmsi", "other_mmsi"):
        value = event.get(key)
        if key != target and isinstance(value, int) and 0 < value <= 999_999_999:
            out.append(value)
    return out


def entity_root(event: Mapping[str, Any]) -> str:
    """Return the root element an event becomes: IrregularMigrationIncident or Anomaly."""
    if event.get("kind") in vocab.MIGRATION_KINDS and (people_on_board(event) or 0) > 0:
        return "IrregularMigrationIncident"
    return "Anomaly"


def _dark_boat(event: Mapping[str, Any]) -> VesselFacts:
    """Return the boat without AIS of a dark target or a mothership's meeting."""
    details: Mapping[str, Any] = event.get("details") or {}
    length = details.get("length_m", details.get("target_length_m"))
    number = event.get(vocab.TARGET_FIELD.get(str(event.get("kind")), "mmsi"))
    label = details.get("target") or (f"DT-{number}" if number else event_key_text(event))
    return VesselFacts(
        mmsi=None,
        lat=event.get("lat"),
        lon=event.get("lon"),
        time_ms=parse_time(event["end"] or event["start"]),
        length_m=float(length) if isinstance(length, int | float) else None,
        persons_on_board=people_on_board(event),
        local_id=str(label),
    )


def event_key_text(event: Mapping[str, Any]) -> str:
    """Return the episode key of a contract event as one string (its stored key)."""
    return "|".join(
        "" if event.get(k) is None else str(event.get(k))
        for k in ("kind", "mmsi", "other_mmsi", "zone", "start")
    )


def _involved(
    parent: Element,
    facts: VesselFacts,
    role: str,
    *,
    sender: Sender,
) -> None:
    rel = SubElement(parent, "InvolvedObjectRel")
    rel.append(vessel_element(facts, sender=sender, as_object=True, brief=facts.mmsi is not None))
    _text(rel, "ObjectRole", role)


def event_element(
    event: Mapping[str, Any],
    *,
    sender: Sender,
    vessels: Mapping[int, VesselFacts] | None = None,
    risk_type: str = vocab.DEFAULT_RISK_TYPE,
    created_ms: int | None = None,
) -> Element:
    """Return the Anomaly or IrregularMigrationIncident entity of one contract event.

    ``vessels`` gives what is known of the event's vessels (by MMSI); a vessel not in it is
    referred to by its MMSI alone.
    """
    kind = str(event["kind"])
    details: Mapping[str, Any] = event.get("details") or {}
    severity = str(event.get("severity") or "low")
    start_ms = parse_time(event["start"])
    end_ms = parse_time(event["end"]) if event.get("end") else None
    known = vessels or {}
    root = entity_root(event)
    elem = new_element(root)
    _identifier(elem, sender, event_uuid(sender, event), created_ms)
    summary = details.get("summary")
    _metadata(
        elem,
        comments=MARE_COMMENT_PREFIX
        + json.dumps(
            {"severity": severity, "details": details}, separators=(",", ":"), sort_keys=True
        ),
        created_ms=created_ms,
        description=str(summary) if summary else kind.replace("_", " "),
        designation=f"mare:{kind}",
    )
    from_contact = kind in vocab.MIGRATION_KINDS
    _text(elem, "NatureType", "Observed" if kind == "dark_target" else "Estimated")
    _period(elem, "OccurrencePeriod", start_ms, end_ms)
    if kind == "watchlist_match" or root == "IrregularMigrationIncident":
        rel = SubElement(elem, "ImpliedRiskRel")
        note = details.get("note") if kind == "watchlist_match" else summary
        _risk(rel, level=vocab.RISK_LEVEL.get(severity), risk_type=risk_type,
              description=str(note) if note else None)  # fmt: skip
    if event.get("lat") is not None and event.get("lon") is not None:
        rel = SubElement(elem, "LocationRel")
        zone = event.get("zone")
        _location(
            rel,
            float(event["lat"]),
            float(event["lon"]),
            zone_type=vocab.LOCATION_ZONE.get(str(details.get("zone_kind")), "Other"),
            zone_id=str(zone) if zone else None,
            zone_name=str(details.get("zone_name") or zone) if zone else None,
        )
        _period(rel, "DateTime", end_ms if kind == "ais_gap" else start_ms, None)
        if kind == "ais_gap":
            _text(rel, "LocationRole", "LastPlace")
        _text(rel, "SourceType", "Observation" if from_contact else "Declaration")
    for n, mmsi in enumerate(vessel_mmsis(event)):
        facts = known.get(mmsi) or facts_from_event(event, mmsi)
        if n == 0 and mmsi == event.get("mmsi"):
            role = vocab.VESSEL_ROLE.get(kind, vocab.DEFAULT_VESSEL_ROLE)
        else:
            role = vocab.OTHER_VESSEL_ROLE
        _involved(elem, facts, role, sender=sender)
    if kind in vocab.TARGET_FIELD:
        _involved(elem, _dark_boat(event), "Participant", sender=sender)
    if root == "Anomaly":
        _text(elem, "AnomalyType", vocab.ANOMALY_TYPE.get(kind, vocab.DEFAULT_ANOMALY_TYPE))
    else:
        _incident_fields(elem, event, severity)
    return elem


def _incident_fields(elem: Element, event: Mapping[str, Any], severity: str) -> None:
    details: Mapping[str, Any] = event.get("details") or {}
    confidence = details.get("confidence")
    contacts = details.get("contacts")
    if confidence is None and isinstance(contacts, list):
        known = [c.get("confidence") for c in contacts if isinstance(c, Mapping)]
        numbers = [c for c in known if isinstance(c, int | float) and not isinstance(c, bool)]
        confidence = max(numbers) if numbers else None
    certainty = "Possible"
    if isinstance(confidence, int | float) and not isinstance(confidence, bool):
        certainty = (
            "Likely" if confidence >= 0.7 else "Possible" if confidence >= 0.3 else "Unlikely"
        )
    _text(elem, "Certainty", certainty)
    _text(elem, "Severity", vocab.INCIDENT_SEVERITY.get(severity, "Unknown"))
    _text(elem, "IrregularMigrationIncidentType", "NonSpecified")


def facts_from_event(event: Mapping[str, Any], mmsi: int) -> VesselFacts:
    """Return what an event's own details say of one of its vessels (name, call sign, IMO)."""
    details: Mapping[str, Any] = event.get("details") or {}
    found: dict[str, Any] = {}
    for key in ("vessel", "other", "identity", "entry"):
        part = details.get(key)
        if not isinstance(part, Mapping):
            continue
        if key == "other" and mmsi != event.get("other_mmsi"):
            continue
        if key != "other" and mmsi != event.get("mmsi"):
            continue
        for field_name in ("name", "callsign", "imo", "ship_type"):
            value = part.get(field_name)
            if value not in (None, "") and field_name not in found:
                found[field_name] = value
    return VesselFacts(
        mmsi=mmsi,
        name=str(found["name"]) if "name" in found else None,
        callsign=str(found["callsign"]) if "callsign" in found else None,
        imo=int(found["imo"]) if isinstance(found.get("imo"), int) else None,
        ship_type=int(found["ship_type"]) if isinstance(found.get("ship_type"), int) else None,
    )


def merge_facts(a: VesselFacts, b: VesselFacts) -> VesselFacts:
    """Return ``a`` with its unknown fields filled from ``b``."""
    values = {f.name: getattr(a, f.name) for f in fields(a)}
    for name, value in values.items():
        if value in (None, ()):
            values[name] = getattr(b, name)
    return VesselFacts(**values)


def involved_mmsis(events: Sequence[Mapping[str, Any]]) -> list[int]:
    """Return the MMSIs events involve, in order of first appearance."""
    seen: dict[int, None] = {}
    for ev in events:
        for mmsi in vessel_mmsis(ev):
            seen.setdefault(mmsi, None)
    return list(seen)
