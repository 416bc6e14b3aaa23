"""The report as one self-contained HTML page: the same content as the PDF, pictures inline.

Nothing is fetched when the page is opened (pictures are ``data:`` URIs, the style is inline),
so the file can be mailed or opened in an air-gapped room; the same report gives the same bytes.
"""

from __future__ import annotations

import base64
from html import escape

from app.reports.charts import Pictures, pictures
from app.reports.content import DayReport
from app.reports.tables import Section, gaps_text, headline, sections

STYLE = """
body{font:13px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:62em;color:#1d242b}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.05em;margin:1.4em 0 .3em}
.figs{display:grid;grid-template-columns:repeat(8,1fr);border:1px solid #8a96a3}
.figs div{padding:.3em .4em;border-right:1px solid #c0c8d0}.figs b{display:block;font-size:1.5em}
.figs small{color:#4a5560}img{width:100%;display:block}
table{border-collapse:collapse;width:100%;font-size:.85em}
th{background:#dde3ea;text-align:left}td,th{padding:2px 4px;border-bottom:1px solid #c0c8d0;
vertical-align:top}p.note{font-size:.85em;color:#4a5560}
""".strip()


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _section(s: Section) -> str:
    parts = [f"<h2>{escape(s.title)}</h2>"]
    if s.rows:
        head = "".join(f"<th>{escape(h)}</th>" for h in s.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in s.rows
        )
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    if s.note:
        parts.append(f'<p class="note">{escape(s.note)}</p>')
    return "\n".join(parts)


def render_html(report: DayReport, pics: Pictures | None = None) -> bytes:
    """Return the report as UTF-8 HTML bytes."""
    pics = pics or pictures(report)
    day = report.day.strftime("%A %d %B %Y")
    figs = "".join(
        f"<div><small>{escape(label)}</small><b>{escape(value)}</b><small>{escape(beside)}"
        "</small></div>"
        for label, value, beside in headline(report)
    )
    top = "".join(
        f"<li><b>{v.score}</b> {escape(v.name or str(v.mmsi))} ({v.mmsi}): "
        f"{escape('; '.join(v.reasons[:3]))}</li>"
        for v in report.top[:6]
    )
    narrowed = f"; narrowed by {', '.join(report.narrow)}" if report.narrow else ""
    body = [
        f"<h1>Daily situation report: {escape(day)} (UTC)</h1>",
        f"<p>Scope: {escape(report.scope_text)}{escape(narrowed)}. "
        f"{report.figures['vessels']} vessels took part in the day's episodes.</p>",
        f'<div class="figs">{figs}</div>',
        _img(pics.map, "Map of the day"),
        _img(pics.trend, "The day against the 7 and 28 days before"),
        "<h2>Vessels by risk at the end of the day</h2>",
        f"<ol>{top}</ol>" if top else "<p>No vessel of the day carries any risk.</p>",
        f'<p class="note">{escape(gaps_text(report))}</p>',
    ]
    body += [_section(s) for s in sections(report)]
    title = f"Mare daily situation report {report.day.isoformat()} ({report.scope_text})"
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
    return page.encode("utf-8")
