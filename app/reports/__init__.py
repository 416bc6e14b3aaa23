"""The daily situation report: read the day from the store, render it as PDF or HTML.

`make_report` is what ``mare report`` and the service (`app.reports.schedule`, the reports
routes) call: the same day, scope and store give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from app.reports.content import DayReport, ReportError, build_report, parse_day
from app.store.repo import Repo
from geo.alert_rules import Narrowing

__all__ = [
    "FORMATS",
    "DayReport",
    "ReportError",
    "build_report",
    "make_report",
    "parse_day",
    "render",
    "render_all",
]

#: Formats by name, with their media types.
FORMATS = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


def render(report: DayReport, fmt: str) -> bytes:
    """Return ``report`` in format ``fmt`` (``pdf`` or ``html``)."""
    if fmt == "pdf":
        from app.reports.pdf import render_pdf

        return render_pdf(report)
    if fmt == "html":
        from app.reports.html import render_html

        return render_html(report)
    raise ReportError(f"format {fmt!r}: pdf or html")


def render_all(report: DayReport) -> dict[str, bytes]:
    """Return ``report`` in every format, its pictures drawn once."""
    from app.reports.charts import pictures
    from app.reports.html import render_html
    from app.reports.pdf import render_pdf

    pics = pictures(report)
    return {"pdf": render_pdf(report, pics), "html": render_html(report, pics)}


def make_report(
    repo: Repo,
    day: date,
    fmt: str,
    *,
    zones: Sequence[str] | None = None,
    narrow: Sequence[Narrowing] = (),
) -> bytes:
    """Read ``day`` (UTC) for ``zones`` (None: the whole area) and render it as ``fmt``."""
    if fmt not in FORMATS:
        raise ReportError(f"format {fmt!r}: pdf or html")
    return render(build_report(repo, day, zones=zones, narrow=narrow), fmt)
