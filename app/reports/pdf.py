"""The report as a PDF (reportlab): page 1 for the commander, the detail tables behind it.

reportlab's ``invariant`` mode fixes the creation date and the document id and the pictures are
PNGs without run-dependent metadata, so the same report gives the same bytes. Text is in the
embedded DejaVu Sans of `app.reports.fonts`, so vessel names in any script print as sent.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    KeepInFrame,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from app.reports.charts import Pictures, pictures
from app.reports.content import DayReport
from app.reports.fonts import BOLD, FONT, register
from app.reports.tables import Section, gaps_text, handling_row, headline, minutes, sections

MARGIN = 11 * mm
WIDTH = A4[0] - 2 * MARGIN
_base = getSampleStyleSheet()
TITLE = ParagraphStyle(
    "t", parent=_base["Title"], fontName=BOLD, fontSize=14, leading=17, spaceAfter=1, alignment=0
)
H2 = ParagraphStyle(
    "h2",
    parent=_base["Heading2"],
    fontName=BOLD,
    fontSize=9.5,
    leading=12,
    spaceBefore=5,
    spaceAfter=2,
)
BODY = ParagraphStyle("b", parent=_base["BodyText"], fontName=FONT, fontSize=7, leading=8.6)
SMALL = ParagraphStyle("s", parent=BODY, fontSize=6.3, leading=7.6)
CELL = ParagraphStyle("c", parent=BODY, fontSize=6.3, leading=7.4)
FIG_VALUE = ParagraphStyle("fv", parent=BODY, fontSize=13, leading=15, fontName=BOLD)
GRID = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), FONT, 6.3),
        ("FONT", (0, 0), (-1, 0), BOLD, 6.3),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde3ea")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b8c0")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]
)


def _p(text: Any, style: ParagraphStyle = CELL) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _table(
    header: tuple[str, ...],
    rows: list[tuple[str, ...]],
    widths: tuple[float, ...],
    width: float = WIDTH,
) -> Table:
    scale = width / sum(widths) if widths else width / max(1, len(header))
    cols = [w * scale for w in widths] if widths else None
    data = [[_p(h) for h in header]] + [[_p(c) for c in row] for row in rows]
    t = Table(data, colWidths=cols, repeatRows=1)
    t.setStyle(GRID)
    return t


def _figures(report: DayReport) -> Table:
    cells = []
    for label, value, beside in headline(report):
        cells.append([_p(label, SMALL), Paragraph(escape(value), FIG_VALUE), _p(beside, SMALL)])
    row = [cells[i] for i in range(len(cells))]
    t = Table([row], colWidths=[WIDTH / len(row)] * len(row))
    t.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.4, colors.HexColor("#8a96a3")),
                ("INNERGRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b8c0")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return t


def _image(png: bytes, width: float, ratio: float) -> Image:
    return Image(io.BytesIO(png), width=width, height=width * ratio)


def _first_page_bottom(report: DayReport) -> Table:
    """Top vessels on the left; alerts, watchlist and data quality on the right."""
    half = WIDTH / 2 - 2 * mm
    left: list[Any] = [Paragraph("Vessels by risk at the end of the day", H2)]
    if report.top:
        for v in report.top[:6]:
            reasons = "; ".join(v.reasons[:3]) + ("; ..." if len(v.reasons) > 3 else "")
            who = f"{v.name or v.mmsi} ({v.mmsi}{', ' + v.flag if v.flag else ''})"
            left.append(
                Paragraph(f"<b>{v.score}</b> &nbsp;<b>{escape(who)}</b>: {escape(reasons)}", BODY)
            )
    else:
        left.append(_p("No vessel of the day carries any risk.", BODY))
    h = report.all_alerts
    right: list[Any] = [Paragraph("Alerts and what was done", H2)]
    rows = [handling_row(k.replace("_", " "), x)[:7] for k, x in report.by_kind[:7]]
    if rows:
        hdr = ("kind", "alerts", "ack.", "assigned", "resolved", "open", "to ack.")
        right.append(_table(hdr, rows, (2.4, 0.9, 0.8, 1.1, 1.1, 0.8, 1.2), half))
        who = ", ".join(f"{w} ({n})" for w, n in h.by[:4]) or "nobody yet"
        right.append(
            _p(
                f"{h.alerts} alerts: {h.acknowledged} acknowledged, {h.resolved} resolved, "
                f"{h.open} open; median {minutes(h.ack_minutes) or '-'} to acknowledge, "
                f"{minutes(h.resolve_minutes) or '-'} to resolve; by {who}. "
                f"{report.carried_over} older alert(s) still open at 00:00.",
                SMALL,
            )
        )
    else:
        right.append(_p("No alert was raised.", BODY))
    right.append(Paragraph("Watchlist", H2))
    if report.watchlist:
        for w in report.watchlist[:4]:
            what = w["episodes"] or (f"matched at {w['matched']}" if w["matched"] else "heard")
            right.append(
                _p(
                    f"{w['name']} ({w['mmsi']}): {what}"
                    + (f"; last heard {w['last_heard']}" if w["last_heard"] else ""),
                    SMALL,
                )
            )
    else:
        right.append(_p("No watchlisted vessel was heard.", SMALL))
    right.append(Paragraph("Data quality", H2))
    right.append(
        _p(
            f"{report.messages:,} position messages from {len(report.stations)} "
            f"feed(s) or station(s). {gaps_text(report)}",
            SMALL,
        )
    )
    t = Table(
        [
            [
                KeepInFrame(half, 84 * mm, left, mode="shrink"),
                KeepInFrame(half, 84 * mm, right, mode="shrink"),
            ]
        ],
        colWidths=[half + 2 * mm, half + 2 * mm],
    )
    t.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    return t


def _section(s: Section) -> list[Any]:
    out: list[Any] = [Paragraph(escape(s.title), H2)]
    if s.rows:
        out.append(_table(s.header, s.rows, s.widths))
    if s.note:
        out.append(_p(s.note, SMALL))
    return out


def render_pdf(report: DayReport, pics: Pictures | None = None) -> bytes:
    """Return the report as PDF bytes (the same bytes for the same report)."""
    register()
    pics = pics or pictures(report)
    buf = io.BytesIO()
    title = f"Daily situation report {report.day.isoformat()} ({report.scope_text})"

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 6.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(MARGIN, 6 * mm, f"Mare - {title}")
        canvas.drawRightString(A4[0] - MARGIN, 6 * mm, f"page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=9 * mm,
        bottomMargin=11 * mm,
        title=title,
        author="Mare",
        creator="Mare",
        subject="situation report",
        invariant=1,
    )
    day_words = report.day.strftime("%A %d %B %Y")
    story: list[Any] = [
        Paragraph(f"Daily situation report: {escape(day_words)} (UTC)", TITLE),
        _p(
            f"Scope: {report.scope_text}"
            + (f"; narrowed by {', '.join(report.narrow)}" if report.narrow else "")
            + f". {report.figures['vessels']} vessels took part in the day's episodes.",
            BODY,
        ),
        Spacer(1, 2 * mm),
        _figures(report),
        Spacer(1, 1.5 * mm),
        _image(pics.map, WIDTH, 4.0 / 7.2),
        _image(pics.trend, WIDTH, 1.35 / 7.2),
        _first_page_bottom(report),
        PageBreak(),
    ]
    for s in sections(report):
        story += _section(s)
    story.append(Spacer(1, 3 * mm))
    story.append(
        _p(
            "How the figures are counted: docs/reports.md. The day is the UTC calendar day; "
            "an episode is of the day when it started in it. Departures and arrivals count those "
            "the alert rules made or folded into an alert; routine traffic's passages are counted "
            "apart. Dark hours are the hours inside AIS gaps where receivers hear well.",
            SMALL,
        )
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
