"""The report's tables as plain rows, shared by the PDF and the HTML rendering.

Each section is a title, a header and rows of strings, made once here so the two formats say
the same thing in the same order; the renderers only lay them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.reports.content import DayReport, Handling
from geo.detectors.base import format_duration


@dataclass(frozen=True, slots=True)
class Section:
    """One table of the detail pages."""

    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    #: Said instead of the table when there are no rows, and under it otherwise.
    note: str = ""
    #: Relative column widths (the renderer scales them to the page).
    widths: tuple[float, ...] = ()


def minutes(value: float | None) -> str:
    """Return a median time in minutes as a watch officer reads it ("" when there is none)."""
    return "" if value is None else format_duration(value * 60)


def handling_row(label: str, h: Handling) -> tuple[str, ...]:
    """Return one line of the handling table."""
    by = ", ".join(f"{who} ({n})" for who, n in h.by[:4]) + (" ..." if len(h.by) > 4 else "")
    return (
        label,
        str(h.alerts),
        str(h.acknowledged),
        str(h.assigned),
        str(h.resolved),
        str(h.open),
        minutes(h.ack_minutes),
        minutes(h.resolve_minutes),
        by,
    )


HANDLING_HEADER = (
    "",
    "alerts",
    "ack.",
    "assigned",
    "resolved",
    "open",
    "to ack.",
    "to resolve",
    "by",
)
HANDLING_WIDTHS = (2.6, 0.9, 0.8, 1.0, 1.0, 0.8, 1.1, 1.1, 3.0)


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def _episodes(title: str, rows: list[dict[str, Any]], none: str) -> Section:
    return Section(
        title,
        ("time", "end", "vessel", "MMSI", "zone", "what", "alert"),
        [
            (
                r["time"],
                r["end"],
                r["name"],
                str(r["mmsi"]),
                r["zone"],
                r["what"]
                + (f", {r['where']}" if r["where"] and r["where"] not in r["what"] else ""),
                r["alert"],
            )
            for r in rows
        ],
        "" if rows else none,
        (0.9, 0.9, 2.0, 1.3, 2.0, 5.0, 0.8),
    )


def sections(report: DayReport) -> list[Section]:
    """Return the detail pages' tables, in order."""
    r = report
    f = r.figures
    out = [
        Section(
            "Alerts by kind and what was done with them",
            HANDLING_HEADER,
            [handling_row(k.replace("_", " "), h) for k, h in r.by_kind]
            + ([handling_row("all", r.all_alerts)] if r.by_kind else []),
            "Times are medians from when Mare recorded the alert. "
            f"{r.carried_over} alert(s) raised before the day were still open at its start.",
            HANDLING_WIDTHS,
        ),
        Section(
            "Alerts by zone",
            HANDLING_HEADER,
            [handling_row(z, h) for z, h in r.by_zone],
            "" if r.by_zone else "No alert was raised.",
            HANDLING_WIDTHS,
        ),
        Section(
            "Alerts of the day",
            (
                "id",
                "time",
                "kind",
                "vessel",
                "zone",
                "sev.",
                "state",
                "acknowledged",
                "resolved",
                "assignee",
            ),
            [
                (
                    str(a["id"]),
                    a["time"],
                    a["what"],
                    f"{a['name']} ({a['mmsi']})",
                    a["zone"],
                    a["severity"],
                    a["state"],
                    a["ack"],
                    a["resolved"],
                    _s(a["assignee"]),
                )
                for a in r.alerts
            ],
            "" if r.alerts else "No alert was raised.",
            (0.7, 0.7, 1.6, 2.6, 1.7, 0.8, 1.2, 1.7, 1.7, 1.1),
        ),
        Section(
            "Vessels by risk at the end of the day",
            ("risk", "vessel", "MMSI", "flag", "why"),
            [(str(v.score), v.name, str(v.mmsi), v.flag, "; ".join(v.reasons)) for v in r.top],
            "" if r.top else "No vessel of the day carries any risk.",
            (0.6, 2.0, 1.2, 0.5, 8.0),
        ),
        Section(
            "Watchlist activity",
            ("vessel", "MMSI", "matched", "last heard", "what it did", "note"),
            [
                (w["name"], str(w["mmsi"]), w["matched"], w["last_heard"], w["episodes"], w["note"])
                for w in r.watchlist
            ],
            "" if r.watchlist else "No watchlisted vessel was heard.",
            (1.8, 1.2, 0.8, 2.2, 4.5, 2.0),
        ),
        _episodes(
            f"Departures from departure areas ({f['departures']} alerted, "
            f"{f['departures_routine']} routine)",
            r.departures,
            "No departure.",
        ),
        _episodes(
            f"Arrivals in arrival areas ({f['arrivals']} alerted, {f['arrivals_routine']} routine)",
            r.arrivals,
            "No arrival.",
        ),
        _episodes("Encounters", r.encounters, "No encounter."),
        Section(
            f"Dark episodes: AIS gaps where receivers hear well ({f['dark_hours']:g} h dark)",
            ("from", "to", "vessel", "MMSI", "h in day", "what"),
            [
                (d["time"], d["end"], d["name"], str(d["mmsi"]), f"{d['hours']:g}", d["what"])
                for d in r.dark
            ],
            "" if r.dark else "No vessel went dark.",
            (0.9, 0.9, 2.0, 1.3, 0.9, 6.0),
        ),
        _episodes("Dark targets: boats no AIS vessel explains", r.dark_targets, "No dark target."),
        Section(
            "Contacts: sightings, radar and satellite detections",
            ("time", "kind", "source", "lat", "lon", "explained by", "people"),
            [
                (
                    c["time"],
                    c["kind"],
                    c["source"],
                    str(c["lat"]),
                    str(c["lon"]),
                    c["explained"],
                    _s(c["people"]),
                )
                for c in r.contacts
            ],
            "" if r.contacts else "No contact.",
            (0.8, 1.0, 2.4, 1.0, 1.0, 2.0, 0.8),
        ),
        Section(
            "Own assets at the end of the day",
            ("asset", "kind", "lat", "lon", "position from"),
            [
                (a["name"], a["kind"], f"{a['lat']:.3f}", f"{a['lon']:.3f}", a["position"])
                for a in r.assets
            ],
            "" if r.assets else "No own asset is configured.",
            (2.5, 1.2, 1.2, 1.2, 2.0),
        ),
        Section(
            f"Data quality: {r.messages:,} position messages from {len(r.stations)} "
            "feed(s) or station(s)",
            ("feed or station", "messages", "first", "last"),
            [(s["source"], f"{s['messages']:,}", s["first"], s["last"]) for s in r.stations],
            gaps_text(report) if r.stations else "Nothing was heard all day.",
            (4.0, 1.5, 1.0, 1.0),
        ),
    ]
    return out


def gaps_text(report: DayReport) -> str:
    """Return the reception gaps of the day in words."""
    from app.reports.content import hhmm

    gaps = report.gaps
    if not gaps:
        return "No gap in reception: every 10 minutes of the day had messages."
    total = sum(b - a for a, b in gaps) / 60_000
    shown = ", ".join(f"{hhmm(a)}-{hhmm(b) if b % 86_400_000 else '24:00'}" for a, b in gaps[:8])
    more = f" and {len(gaps) - 8} more" if len(gaps) > 8 else ""
    return (
        f"Gaps in reception (10-minute spans without any message): {len(gaps)}, "
        f"{format_duration(total * 60)} in all; longest first: {shown}{more}."
    )


def headline(report: DayReport) -> list[tuple[str, str, str]]:
    """Return the key figures of page 1: (label, value, beside it)."""
    f = report.figures
    t = report.trend

    def vs(key: str, value: float) -> str:
        before = t[key][:-1][-7:]
        mean = sum(before) / len(before) if before else 0.0
        return f"7-d avg {mean:.1f}"

    return [
        ("Departures", f"{f['departures']}", vs("departures", float(f["departures"]))),
        ("Arrivals", f"{f['arrivals']}", f"+{f['arrivals_routine']} routine"),
        ("Encounters", f"{f['encounters']}", vs("encounters", float(f["encounters"]))),
        ("Went dark", f"{f['dark_episodes']}", f"{f['dark_hours']:g} dark hours"),
        ("Dark targets", f"{f['dark_targets']}", f"{f['contacts']} contacts"),
        ("Alerts", f"{f['alerts']}", f"{f['alerts_open']} still open"),
        ("Watchlist", f"{f['watchlist_vessels']}", "vessels active"),
        ("Messages", f"{f['messages']:,}", f"{f['stations']} feeds/stations"),
    ]
