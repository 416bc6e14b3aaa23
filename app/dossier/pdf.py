"""The dossier as PDF (reportlab): a cover with identity, summary and map, then the tables.

``invariant=1`` removes the creation date and the random document id, so the same `Dossier`
and map give the same bytes. Text is set in DejaVu Sans (`app.reports.fonts`), so names and
notes in any European script print as typed rather than as boxes; Arabic prints its letters,
but neither joined nor right to left (reportlab does not shape text).
"""

from __future__ import annotations

import io
from itertools import zip_longest
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from app.dossier.content import Dossier, Section
from app.reports.fonts import BOLD, FONT, register

#: Column widths (fractions of the text width) by section, so long text wraps where it should.
WIDTHS = {
    "Timeline": (0.2, 0.1, 0.6, 0.1),
    "Notes": (0.2, 0.2, 0.6),
    "Linked vessels": (0.13, 0.17, 0.11, 0.11, 0.28, 0.2),
    "Contacts": (0.2, 0.1, 0.2, 0.14, 0.08, 0.28),
    "Events attached": (0.2, 0.15, 0.12, 0.1, 0.43),
}


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=11)
    return {
        "body": body,
        "cell": ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9.5),
        "head": ParagraphStyle("head", parent=body, fontName=BOLD, fontSize=7.5, leading=9.5),
        "h1": ParagraphStyle("h1", parent=body, fontName=BOLD, fontSize=16, leading=20),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName=BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4
        ),
        "small": ParagraphStyle(
            "small", parent=body, fontSize=7, leading=9, textColor=colors.HexColor("#555555")
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _grid(rows: list[list[Any]], widths: list[float], header: bool) -> Table:
    t = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#999999")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e8ee")))
    t.setStyle(TableStyle(style))
    return t


def _overview(doc: Dossier, st: dict[str, ParagraphStyle], width: float) -> Table:
    """Identity beside the case summary: the first page holds both and the map."""
    rows = [[_p("Identity", st["head"]), "", _p("Case", st["head"]), ""]]
    for left, right in zip_longest(doc.identity, doc.summary, fillvalue=("", "")):
        rows.append(
            [
                _p(left[0], st["head"]),
                _p(left[1], st["cell"]),
                _p(right[0], st["head"]),
                _p(right[1], st["cell"]),
            ]
        )
    fr = (0.16, 0.34, 0.16, 0.34)
    t = _grid(rows, [width * f for f in fr], header=True)
    t.setStyle(TableStyle([("SPAN", (0, 0), (1, 0)), ("SPAN", (2, 0), (3, 0))]))
    return t


def _section(sec: Section, st: dict[str, ParagraphStyle], width: float) -> list[Any]:
    out: list[Any] = [_p(sec.title, st["h2"])]
    if not sec.rows:
        return [KeepTogether([*out, _p(sec.empty, st["body"])])]
    widths = [width * f for f in WIDTHS.get(sec.title, [1 / len(sec.header)] * len(sec.header))]
    rows = [[_p(h, st["head"]) for h in sec.header]]
    rows += [[_p(c, st["cell"]) for c in row] for row in sec.rows]
    out.append(_grid(rows, widths, header=True))
    return out


def render(doc: Dossier, map_png: bytes) -> bytes:
    """Return the PDF of a dossier with its map (same inputs, same bytes)."""
    register()
    st = _styles()
    buf = io.BytesIO()
    label = f"Mare case {doc.case_id} - as of {doc.as_of} - prepared by {doc.prepared_by}"

    def footer(canvas: Any, pdf: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.drawString(15 * mm, 10 * mm, label)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"page {pdf.page}")
        canvas.restoreState()

    pdf = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=18 * mm,
        title=f"Case {doc.case_id}: {doc.title}",
        author=doc.prepared_by,
        subject="Mare suspect dossier",
        creator="Mare",
        invariant=1,
    )
    width = pdf.width
    story: list[Any] = [
        _p(f"Case {doc.case_id}: {doc.title}", st["h1"]),
        _p(
            f"Suspect vessel dossier - as of {doc.as_of} - prepared by {doc.prepared_by}",
            st["small"],
        ),
        Spacer(1, 3 * mm),
        _overview(doc, st, width),
        Spacer(1, 3 * mm),
        Image(io.BytesIO(map_png), width=width * 0.86, height=width * 0.86 * 0.75),
        _p(
            "Track from the stored positions; coastline GSHHG (Wessel & Smith), drawn offline.",
            st["small"],
        ),
        PageBreak(),
    ]
    for sec in doc.sections:
        story += _section(sec, st, width)
    pdf.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
