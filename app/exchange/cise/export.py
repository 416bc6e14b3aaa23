"""Write Mare's events and their vessels as CISE documents, one XML file per entity.

Every document is validated against the shipped schemas before it is written: a document the
schemas refuse is a defect in Mare, so the export stops and names it rather than hand a partner
something its gateway will bounce.

File names: ``Anomaly-<uuid>.xml``, ``IrregularMigrationIncident-<uuid>.xml`` (the entity's
identifier, stable across exports of the same episode) and ``Vessel-<mmsi>.xml``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ais_ingest.mmsi import flag_of
from app.exchange.cise import vocab
from app.exchange.cise.entities import (
    Sender,
    SuspectRisk,
    VesselFacts,
    event_element,
    event_uuid,
    facts_from_event,
    involved_mmsis,
    merge_facts,
    vessel_element,
    vessel_mmsis,
)
from app.exchange.cise.errors import CiseError, CiseSchemaError
from app.exchange.cise.validate import check_entity, parse_xml, serialize, tag_of
from geo.events import Event, EventKind, parse_time
from geo.risk import risk_score

_KINDS = {k.value for k in EventKind}


@dataclass
class ExportSummary:
    """What an export wrote, by root element, and the input lines it could not read."""

    written: Counter[str] = field(default_factory=Counter)
    skipped_lines: int = 0
    files: list[Path] = field(default_factory=list)


def read_events(fh: IO[str], summary: ExportSummary) -> Iterator[dict[str, Any]]:
    """Yield contract events from JSON lines; a malformed line is counted and skipped.

    Kinds this version of Mare does not know (from a newer Mare) are kept: they are sent as
    an ``Other`` anomaly rather than lost.
    """
    for line in fh:
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict) or not isinstance(obj.get("kind"), str):
                raise ValueError("not an event object")
            parse_time(str(obj["start"]))
            if obj.get("end"):
                parse_time(str(obj["end"]))
        except (ValueError, KeyError, TypeError):
            summary.skipped_lines += 1
            continue
        yield obj


def _as_engine_events(events: Iterable[Mapping[str, Any]]) -> list[Event]:
    out = []
    for ev in events:
        if ev.get("kind") in _KINDS and isinstance(ev.get("mmsi"), int):
            try:
                out.append(Event.from_dict(dict(ev)))
            except (ValueError, KeyError, TypeError):
                continue
    return out


def event_time_ms(event: Mapping[str, Any]) -> int:
    """Return an event's latest time: its end, else its start."""
    return parse_time(str(event.get("end") or event["start"]))


def facts_from_events(events: Sequence[Mapping[str, Any]]) -> dict[int, VesselFacts]:
    """Return what the events say of each vessel, its location the latest event's position.

    An events file knows a vessel only through its events: identification from their details,
    flag from the MMSI, and as last location the position of its latest event.
    """
    identity: dict[int, VesselFacts] = {}
    last: dict[int, tuple[int, float, float]] = {}
    for ev in events:
        for mmsi in vessel_mmsis(ev):
            found = facts_from_event(ev, mmsi)
            # A later event's identity wins (an identity change names the new one).
            identity[mmsi] = merge_facts(found, identity[mmsi]) if mmsi in identity else found
            t = event_time_ms(ev)
            lat, lon = ev.get("lat"), ev.get("lon")
            if lat is not None and lon is not None and t >= last.get(mmsi, (-1, 0.0, 0.0))[0]:
                last[mmsi] = (t, float(lat), float(lon))
    out: dict[int, VesselFacts] = {}
    for mmsi, found in identity.items():
        flag = flag_of(mmsi)
        where = VesselFacts(mmsi=mmsi, flag=flag.iso_alpha2 if flag else None)
        if mmsi in last:
            t, lat, lon = last[mmsi]
            where = merge_facts(where, VesselFacts(mmsi=mmsi, lat=lat, lon=lon, time_ms=t))
        out[mmsi] = merge_facts(found, where)
    return out


def with_risk(
    facts: Mapping[int, VesselFacts], events: Sequence[Mapping[str, Any]], as_of_ms: int
) -> dict[int, VesselFacts]:
    """Return the facts with each vessel's suspect score from these events, as of a time.

    The score is the engine's own (`geo.risk.risk_score`), so a partner reads the same number
    and the same reasons as the watch officer.
    """
    engine_events = _as_engine_events(events)
    by_mmsi: dict[int, list[Event]] = {}
    for ev in engine_events:
        by_mmsi.setdefault(ev.mmsi, []).append(ev)
        if ev.other_mmsi is not None:
            by_mmsi.setdefault(ev.other_mmsi, []).append(ev)
    out = dict(facts)
    for mmsi, f in facts.items():
        risk = risk_score(mmsi, by_mmsi.get(mmsi, []), as_of_ms)
        if risk.score > 0:
            out[mmsi] = merge_facts(
                f,
                VesselFacts(
                    mmsi=mmsi, risk=SuspectRisk(risk.score, tuple(risk.explain()), as_of_ms)
                ),
            )
    return out


class DocumentWriter:
    """Validates each entity and writes it to its own file under ``out_dir``."""

    def __init__(self, out_dir: Path, summary: ExportSummary) -> None:
        self.out_dir = out_dir
        self.summary = summary
        out_dir.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, elem: Any, what: str) -> None:
        data = serialize(elem)
        try:
            check_entity(parse_xml(data))
        except CiseSchemaError as exc:
            raise CiseError(f"{what}: the CISE schema refuses Mare's document ({exc})") from None
        path = self.out_dir / name
        path.write_bytes(data)
        self.summary.written[tag_of(elem)] += 1
        self.summary.files.append(path)


def export(
    events: Sequence[Mapping[str, Any]],
    out_dir: Path,
    *,
    sender: Sender,
    vessels: Mapping[int, VesselFacts] | None = None,
    risk_type: str = vocab.DEFAULT_RISK_TYPE,
    as_of_ms: int | None = None,
) -> ExportSummary:
    """Write one document per event and one per vessel the events involve.

    ``vessels`` adds what a store knows (static data, latest fix) to what the events say;
    ``as_of_ms`` is when the suspect scores are taken (default: the latest event's time).
    """
    summary = ExportSummary()
    writer = DocumentWriter(out_dir, summary)
    facts = facts_from_events(events)
    for mmsi, known in (vessels or {}).items():
        facts[mmsi] = merge_facts(known, facts[mmsi]) if mmsi in facts else known
    if as_of_ms is None:
        as_of_ms = max((event_time_ms(ev) for ev in events), default=0)
    facts = with_risk(facts, events, as_of_ms)
    for ev in events:
        elem = event_element(ev, sender=sender, vessels=facts, risk_type=risk_type)
        what = f"{ev.get('kind')} of {ev.get('mmsi')} at {ev.get('start')}"
        writer.write(f"{tag_of(elem)}-{event_uuid(sender, ev)}.xml", elem, what)
    for mmsi in involved_mmsis(events):
        elem = vessel_element(facts[mmsi], sender=sender, risk_type=risk_type)
        writer.write(f"Vessel-{mmsi}.xml", elem, f"vessel {mmsi}")
    return summary
