"""`make bench`, the daily report: `mare report` on a simulated day beside the day's alert export.

The day (bench.report_day: 6 h of 60 vessels with the simulator's smuggling patterns, through the
real decoder, engine, rules and store) is written to a SQLite file once; then, best of 3 each,
the report read and rendered as PDF and as HTML, and the baseline: the same day's alerts read and
written as CSV, as ``GET /api/v1/export/alerts`` does. The ratio is what the picture, the trend,
the risk wording and the layout cost over reading the day's alerts at all.
"""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from bench.report_day import DAY_START_MS, fill
from bench.timing import best_of

REPEATS = 3


def run() -> dict[str, Any]:
    """Fill a store with the simulated day, then time the report and the baseline."""
    from app.reports import build_report, render
    from app.store.repo import AlertFilter, Repo

    day = date(2026, 6, 1)
    with tempfile.TemporaryDirectory() as tmp:
        repo = Repo.open(f"sqlite:///{Path(tmp) / 'mare.sqlite'}")
        try:
            filled = fill(repo, hours=6.0, vessels=60)

            def export() -> int:
                f = AlertFilter(start_ms=DAY_START_MS, end_ms=DAY_START_MS + 86_400_000 - 1)
                alerts = repo.list_alerts(f, limit=10_000)
                buf = io.StringIO()
                w = csv.writer(buf)
                w.writerows([[a[k] for k in ("id", "kind", "mmsi", "start", "zone")]
                             for a in alerts])  # fmt: skip
                return len(buf.getvalue())

            def report(fmt: str) -> int:
                return len(render(build_report(repo, day), fmt))

            base_wall, base_cpu, base_bytes = best_of(export, REPEATS)
            pdf_wall, pdf_cpu, pdf_bytes = best_of(lambda: report("pdf"), REPEATS)
            html_wall, html_cpu, html_bytes = best_of(lambda: report("html"), REPEATS)
        finally:
            repo.close()
    return {
        "day": filled,
        "report_pdf_s": round(pdf_wall, 3),
        "report_pdf_cpu_s": round(pdf_cpu, 3),
        "report_pdf_bytes": pdf_bytes,
        "report_html_s": round(html_wall, 3),
        "report_html_bytes": html_bytes,
        "baseline_alert_export_s": round(base_wall, 4),
        "baseline_alert_export_cpu_s": round(base_cpu, 4),
        "baseline_bytes": base_bytes,
        "pdf_ratio_to_baseline": round(pdf_wall / base_wall, 1) if base_wall else None,
    }
