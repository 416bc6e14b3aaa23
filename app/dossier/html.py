"""The dossier as one self-contained HTML file: the same `Dossier` as the PDF, map inlined.

No script, no external file: it opens from a USB stick in an agency without network, and its
bytes depend on the dossier alone (the map is a ``data:`` PNG).
"""

from __future__ import annotations

import base64
from html import escape

from app.dossier.content import Dossier, Section

CSS = """
body { font: 13px/1.45 "DejaVu Sans", Arial, sans-serif; margin: 24px auto; max-width: 980px;
       color: #1b1b1b; }
h1 { font-size: 22px; margin-bottom: 2px; } h2 { font-size: 16px; margin-top: 26px; }
.meta { color: #555; font-size: 12px; }
table { border-collapse: collapse; width: 100%; margin-top: 6px; }
th, td { border: 1px solid #aaa; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #e4e8ee; } td { white-space: pre-wrap; }
table.pairs th { width: 28%; }
img.map { width: 100%; border: 1px solid #aaa; }
"""


def _pairs(pairs: list[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in pairs)
    return f'<table class="pairs">{rows}</table>'


def _section(sec: Section) -> str:
    head = f"<h2>{escape(sec.title)}</h2>"
    if not sec.rows:
        return f"{head}<p>{escape(sec.empty)}</p>"
    ths = "".join(f"<th>{escape(h)}</th>" for h in sec.header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in sec.rows
    )
    return f"{head}<table><thead><tr>{ths}</tr></thead><tbody>{body}</tbody></table>"


def render(doc: Dossier, map_png: bytes) -> bytes:
    """Return the HTML of a dossier with its map (same inputs, same bytes)."""
    title = escape(f"Case {doc.case_id}: {doc.title}")
    meta = escape(f"Suspect vessel dossier - as of {doc.as_of} - prepared by {doc.prepared_by}")
    img = base64.b64encode(map_png).decode("ascii")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{title}</title><style>{CSS}</style></head><body>",
        f'<h1>{title}</h1><p class="meta">{meta}</p>',
        "<h2>Identity</h2>",
        _pairs(doc.identity),
        "<h2>Case summary</h2>",
        _pairs(doc.summary),
        "<h2>Map: track, events and contacts</h2>",
        f'<img class="map" alt="map of the track, events and contacts" '
        f'src="data:image/png;base64,{img}">',
        '<p class="meta">Track from the stored positions; coastline GSHHG (Wessel &amp; Smith), '
        "drawn offline.</p>",
        *(_section(s) for s in doc.sections),
        "</body></html>",
        "",
    ]
    return "\n".join(parts).encode("utf-8")
