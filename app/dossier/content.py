"""What a dossier says, apart from how it looks: one `Dossier` that the PDF and HTML both render.

Built from the case view (`app.api.case_view.load_case`: what the exporter may see) and who
exports it. Nothing here reads a clock: the dossier is dated by the newest fact it holds ("as
of"), so exporting the same case twice gives the same bytes, and what changed between two
exports is exactly what the case gained.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from geo.events import format_time
from geo.shiptypes import ship_type_text

STATUS_WORDS = {
    "open": "open",
    "monitoring": "monitoring",
    "handed_over": "handed over",
    "closed": "closed",
}


@dataclass(frozen=True, slots=True)
class Section:
    """A titled table: a header row and rows of text (an empty table says ``empty``)."""

    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    empty: str = "none"


@dataclass(frozen=True, slots=True)
class Dossier:
    """Everything one dossier shows, in order."""

    case_id: int
    title: str
    as_of: str
    prepared_by: str
    identity: list[tuple[str, str]]
    summary: list[tuple[str, str]]
    sections: list[Section] = field(default_factory=list)
    #: What the audit log records of this export (ids of everything it contains).
    contents: dict[str, Any] = field(default_factory=dict)


def _s(value: Any) -> str:
    return "-" if value is None or value == "" else str(value)


def _as_of(view: dict[str, Any]) -> str:
    case = view["case"]
    times = [case["updated_at"], case["created_at"]]
    times += [n["edited_at"] or n["time"] for n in case["notes"]]
    times += [c["time"] for c in case["changes"]] + [ln["added_at"] for ln in case["links"]]
    times += [e["end"] or e["start"] for e in view["events"]]
    if view["track"]["time_ms"]:
        times.append(format_time(int(view["track"]["time_ms"][-1])))
    return str(max(t for t in times if t))


def _type(code: int | None) -> str:
    words = ship_type_text(code)
    return "-" if code is None else f"{words} ({code})" if words else str(code)


def _identity(v: dict[str, Any]) -> list[tuple[str, str]]:
    names = sorted({i["name"] for i in v["identities"] if i["name"]} - {v["name"]})
    pos = v["last_position"]
    return [
        ("MMSI", str(v["mmsi"])),
        ("Name", _s(v["name"])),
        ("Call sign", _s(v["callsign"])),
        ("IMO", _s(v["imo"])),
        ("Flag (from MMSI)", _s(v["flag"])),
        ("Ship type", _type(v["ship_type"])),
        ("Length (m)", _s(v["length"] or None)),
        ("Destination", _s(v["destination"])),
        ("Other names sent", ", ".join(names) or "-"),
        ("First seen", _s(v["first_seen"])),
        ("Last seen", _s(v["last_seen"])),
        ("Last position", "-" if pos is None else f"{pos['lat']:.4f} N, {pos['lon']:.4f} E"),
    ]


def build(view: dict[str, Any], prepared_by: str) -> Dossier:
    """Return the dossier of a case view, as exported by ``prepared_by``."""
    case, vessel, att = view["case"], view["vessel"], view["attached"]
    alerts = [e for e in view["events"] if e["alert"]]
    summary = [
        ("Status", STATUS_WORDS.get(case["status"], case["status"])),
        ("Assignee", _s(case["assignee"])),
        ("Opened", f"{case['created_at']} by {case['created_by']}"),
        ("Last change", case["updated_at"]),
        ("Positions stored", str(len(view["track"]["time_ms"]))),
        ("Events (alerts)", f"{view['events_total']} ({len(alerts)})"),
        ("Notes", str(len(case["notes"]))),
        ("Linked vessels", str(len(att["linked_vessels"]))),
        ("Contacts attached", str(len(att["contacts"]))),
        ("Events attached", str(len(att["events"]))),
    ]
    if view["events_total"] > len(view["events"]):
        summary.append(("Events listed", f"the newest {len(view['events'])}"))
    sections = [
        Section(
            "Timeline",
            ("Time (UTC)", "What", "Detail", "By"),
            [
                (t["time"], t["kind"].replace("_", " "), t["text"], t.get("by") or "")
                for t in view["timeline"]
            ],
        ),
        Section(
            "Notes",
            ("Time (UTC)", "Author", "Note"),
            [
                (
                    n["time"],
                    n["author"]
                    + (f" (edited by {n['edited_by']} {n['edited_at']})" if n["edited_by"] else ""),
                    n["text"],
                )
                for n in case["notes"]
            ],
        ),
        Section(
            "Linked vessels",
            ("MMSI", "Name", "IMO", "Call sign", "Why linked", "Added"),
            [
                (
                    str(v["ref"]),
                    _s(v["name"]),
                    _s(v["imo"]),
                    _s(v["callsign"]),
                    _s(v["reason"]),
                    f"{v['added_at']} by {v['added_by']}",
                )
                for v in att["linked_vessels"]
            ],
        ),
        Section(
            "Contacts",
            ("Time (UTC)", "Kind", "Position", "Source", "People", "Note"),
            [
                (
                    c["time"],
                    c["kind"],
                    f"{c['lat']:.4f} N, {c['lon']:.4f} E",
                    _s(c.get("source")),
                    _s(c.get("people")),
                    _s(c.get("note")),
                )
                for c in att["contacts"]
            ],
        ),
        Section(
            "Events attached",
            ("Start (UTC)", "Kind", "Zone", "Severity", "Summary"),
            [
                (
                    e["start"],
                    e["kind"],
                    _s(e["zone"]),
                    e["severity"],
                    _s((e.get("details") or {}).get("summary")),
                )
                for e in att["events"]
            ],
        ),
    ]
    contents = {
        "as_of": _as_of(view),
        "mmsi": case["mmsi"],
        "positions": len(view["track"]["time_ms"]),
        "timeline_entries": len(view["timeline"]),
        "note_ids": [n["id"] for n in case["notes"]],
        "linked_mmsis": [v["ref"] for v in att["linked_vessels"]],
        "contact_ids": [c["id"] for c in att["contacts"]],
        "attached_event_ids": [e["id"] for e in att["events"]],
        "event_ids": [e["id"] for e in view["events"]],
    }
    return Dossier(
        case_id=case["id"],
        title=case["title"],
        as_of=contents["as_of"],
        prepared_by=prepared_by,
        identity=_identity(vessel),
        summary=summary,
        sections=sections,
        contents=contents,
    )
