"""Entities a partner pushed, as Mare events marked with the sending authority.

Pure: the partner's authority and the message's fields are arguments. Each `Anomaly` or
`IrregularMigrationIncident` becomes one event; the `Vessel`s of the same Push tell their names
and call signs; a Push of vessels alone makes one ``partner_report`` event each (where the
partner saw the vessel, and when). Nothing here trusts the partner beyond the schema: numbers
are range-checked, and its own view of Mare's kind (``mare:<kind>`` in Metadata/Designation,
as another Mare sends) is used only when it names a kind this Mare knows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lxml.etree import _Element as Element

from app.exchange.cise import vocab
from app.exchange.cise.entities import MARE_COMMENT_PREFIX
from app.exchange.cise.errors import CiseError
from app.exchange.cise.validate import tag_of
from geo.events import Event, EventKind, Severity

_KINDS = {k.value for k in EventKind}
_PRIORITY_SEVERITY = {"High": Severity.HIGH, "Medium": Severity.MEDIUM, "Low": Severity.LOW}
_INCIDENT_SEVERITY = {
    "Extreme": Severity.CRITICAL,
    "Severe": Severity.HIGH,
    "Moderate": Severity.MEDIUM,
    "Minor": Severity.LOW,
}


class CiseContentError(CiseError):
    """A valid entity Mare cannot place: no usable time, or a position out of range."""


@dataclass(frozen=True, slots=True)
class Origin:
    """Who sent a Push, as Mare knows the partner (not as the message claims)."""

    partner: str
    authority: str
    service_id: str
    message_id: str
    received_ms: int
    priority: str = "Medium"


def _period_ms(period: Element | None, which: str) -> int | None:
    if period is None:
        return None
    day = period.findtext(f"{which}Date")
    clock = period.findtext(f"{which}Time")
    if not day:
        return None
    text = f"{day.strip()[:10]}T{(clock or '00:00:00Z').strip()}"
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CiseContentError(f"{which.lower()} time {text!r} is not a date and time") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp()) * 1000


def _float(text: str | None, low: float, high: float, what: str) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise CiseContentError(f"{what} {text!r} is not a number") from None
    if not low <= value <= high:
        raise CiseContentError(f"{what} {value} is out of range")
    return value


def _position(loc_rel: Element | None) -> tuple[float | None, float | None]:
    if loc_rel is None:
        return None, None
    geom = loc_rel.find("Location/Geometry")
    if geom is None:
        return None, None
    lat = _float(geom.findtext("Latitude"), -90, 90, "latitude")
    lon = _float(geom.findtext("Longitude"), -180, 180, "longitude")
    if lat is None or lon is None:
        wkt = (geom.findtext("WKT") or "").strip().upper()
        if wkt.startswith("POINT"):
            parts = wkt[5:].strip(" ()").split()
            if len(parts) >= 2:
                lon = _float(parts[0], -180, 180, "longitude")
                lat = _float(parts[1], -90, 90, "latitude")
    if lat is None or lon is None:
        return None, None
    return lat, lon


def _mmsi(obj: Element) -> int | None:
    text = obj.findtext("MMSI")
    if text is None:
        return None
    value = int(text)  # the schema has checked it is an integer
    return value if 0 < value <= 999_999_999 else None


def _mare_comment(entity: Element) -> dict[str, Any]:
    """Return the severity and details another Mare put in Metadata/Comments, if any."""
    for meta in entity.findall("Metadata"):
        text = meta.findtext("Comments") or ""
        if text.startswith(MARE_COMMENT_PREFIX):
            try:
                obj = json.loads(text[len(MARE_COMMENT_PREFIX) :])
            except json.JSONDecodeError:
                return {}
            return obj if isinstance(obj, dict) else {}
    return {}


def _kind(entity: Element) -> str:
    designation = entity.findtext("Metadata/Designation") or ""
    if designation.startswith("mare:") and designation[5:] in _KINDS:
        return designation[5:]
    if tag_of(entity) == "Anomaly":
        kind = vocab.KIND_OF_ANOMALY_TYPE.get(entity.findtext("AnomalyType") or "")
        if kind is not None:
            return kind
    if tag_of(entity) == "IrregularMigrationIncident" and "dark_target" in _KINDS:
        return "dark_target"
    return EventKind.PARTNER_REPORT.value


def _names(vessels: list[Element]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for v in vessels:
        mmsi = _mmsi(v)
        if mmsi is not None:
            out[mmsi] = {"name": v.findtext("Name"), "callsign": v.findtext("CallSign")}
    return out


def _source(origin: Origin, entity: Element) -> dict[str, Any]:
    return {
        "via": "cise",
        "partner": origin.partner,
        "authority": origin.authority,
        "service_id": origin.service_id,
        "message_id": origin.message_id,
        "entity": tag_of(entity),
        "uuid": entity.findtext("Identifier/UUID"),
        "generated_by": entity.findtext("Identifier/GeneratedBy/LegalName"),
    }


def _event(entity: Element, origin: Origin, names: Mapping[int, dict[str, Any]]) -> Event:
    kind = _kind(entity)
    mare = _mare_comment(entity)
    details: dict[str, Any] = dict(mare.get("details") or {}) if kind != "partner_report" else {}
    period = entity.find("OccurrencePeriod")
    start = _period_ms(period, "Start")
    end = _period_ms(period, "End")
    loc_rel = entity.find("LocationRel")
    lat, lon = _position(loc_rel)
    if start is None and loc_rel is not None:
        start = _period_ms(loc_rel.find("DateTime"), "Start")
    if start is None:
        start = origin.received_ms
    mmsis = [
        m for m in (_mmsi(o) for o in entity.findall("InvolvedObjectRel/Object")) if m is not None
    ]
    severity_text = mare.get("severity")
    if severity_text in {s.value for s in Severity}:
        severity = Severity(severity_text)
    elif entity.findtext("Severity") in _INCIDENT_SEVERITY:
        severity = _INCIDENT_SEVERITY[str(entity.findtext("Severity"))]
    else:
        severity = _PRIORITY_SEVERITY.get(origin.priority, Severity.MEDIUM)
    description = entity.findtext("Metadata/Description")
    details["summary"] = f"{origin.authority}: " + (
        description or str(entity.findtext("AnomalyType") or tag_of(entity))
    )
    if kind == "partner_report" and entity.findtext("AnomalyType"):
        details["anomaly_type"] = entity.findtext("AnomalyType")
    zone_designation = (
        loc_rel.findtext("Location/Metadata/Designation") if loc_rel is not None else None
    )
    if zone_designation:
        details["partner_zone"] = {
            "id": zone_designation.removeprefix("zone:"),
            "name": loc_rel.findtext("Location/Metadata/Description")
            if loc_rel is not None
            else None,
        }
    people = entity.findtext("InvolvedObjectRel/Object/TotalPersonsOnBoard")
    if people is not None:
        details.setdefault("people", int(people))
    if mmsis and mmsis[0] in names:
        details.setdefault("vessel", {"mmsi": mmsis[0], **names[mmsis[0]]})
    details["source"] = _source(origin, entity)
    return Event(
        kind=EventKind(kind),
        mmsi=mmsis[0] if mmsis else 0,
        start_ms=start,
        end_ms=end if end is not None else (start if kind == "partner_report" else None),
        lat=lat,
        lon=lon,
        severity=severity,
        other_mmsi=mmsis[1] if len(mmsis) > 1 else None,
        zone=None,  # the partner's zones are not Mare's: kept in details.partner_zone
        details=details,
    )


def _vessel_report(vessel: Element, origin: Origin) -> Event:
    loc_rel = vessel.find("LocationRel")
    lat, lon = _position(loc_rel)
    seen = _period_ms(loc_rel.find("PeriodOfTime"), "Start") if loc_rel is not None else None
    start = seen if seen is not None else origin.received_ms
    mmsi = _mmsi(vessel) or 0
    name = vessel.findtext("Name")
    label = name or (f"MMSI {mmsi}" if mmsi else "a vessel without MMSI")
    details: dict[str, Any] = {
        "summary": f"{origin.authority}: reported {label}",
        "vessel": {
            "mmsi": mmsi or None,
            "name": name,
            "callsign": vessel.findtext("CallSign"),
            "imo": int(vessel.findtext("IMONumber") or 0) or None,
            "flag": vessel.findtext("Nationality"),
            "ship_type": vessel.findtext("ShipType"),
        },
        "source": _source(origin, vessel),
    }
    people = vessel.findtext("TotalPersonsOnBoard")
    if people is not None:
        details["people"] = int(people)
    risk_level = vessel.findtext("InvolvedRiskRel/Risk/RiskLevel")
    if risk_level:
        details["partner_risk"] = {
            "level": risk_level,
            "type": vessel.findtext("InvolvedRiskRel/Risk/RiskType"),
            "description": vessel.findtext("InvolvedRiskRel/Risk/Metadata/Description"),
        }
    return Event(
        kind=EventKind.PARTNER_REPORT,
        mmsi=mmsi,
        start_ms=start,
        end_ms=start,
        lat=lat,
        lon=lon,
        severity=_PRIORITY_SEVERITY.get(origin.priority, Severity.MEDIUM),
        details=details,
    )


def events_of_push(entities: list[Element], origin: Origin) -> list[Event]:
    """Return the events a Push's entities make (see the module docstring)."""
    vessels = [e for e in entities if tag_of(e) == "Vessel"]
    incidents = [e for e in entities if tag_of(e) != "Vessel"]
    if not incidents:
        return [_vessel_report(v, origin) for v in vessels]
    names = _names(vessels)
    return [_event(e, origin, names) for e in incidents]
