"""The suspect dossier: one document about a case for another agency (issue 17).

`export` turns a case view (`app.api.case_view.load_case`) into PDF or HTML bytes and says what
they contain, for the audit log. The content (`content`), the map (`mapimage`) and each format
(`pdf`, `html`) are modules of their own; none reads a clock or the network, so the same case
gives the same bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from app.dossier import content, html, mapimage, pdf

FORMATS = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class Exported:
    """A rendered dossier and what the audit log records of it."""

    body: bytes
    media_type: str
    filename: str
    contents: dict[str, Any]


def export(view: dict[str, Any], *, fmt: str, prepared_by: str, land: Any) -> Exported:
    """Render a case view as ``fmt`` (pdf or html); ``land`` is the coastline geometry."""
    doc = content.build(view, prepared_by)
    picture = mapimage.png(view, land)
    body = pdf.render(doc, picture) if fmt == "pdf" else html.render(doc, picture)
    contents = {
        "format": fmt,
        "bytes": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        **doc.contents,
    }
    return Exported(body, FORMATS[fmt], f"mare-case-{doc.case_id}.{fmt}", contents)
