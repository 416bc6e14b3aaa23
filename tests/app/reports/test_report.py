"""The daily situation report on a simulated day: what the pages show, and that it is stable.

The day (bench.report_day) went through the real decoder, engine, rules and store on each
backend; the PDF is rasterised with PDFium and its pixels and text are checked against the
store and the API.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from app.reports import build_report, make_report, render
from app.reports.charts import COLOURS
from app.store.repo import Repo
from tests.app.reports.conftest import pdf_pages, pdf_text

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

DAY = date(2026, 6, 1)
QUIET_DAY = date(2026, 5, 20)  # before the simulation: no event, the same coast


def colour_pixels(image: Any, name: str, tolerance: int = 10) -> int:
    """Return how many pixels of the picture are within ``tolerance`` of a layer's colour."""
    hex_ = COLOURS[name].lstrip("#")
    rgb = np.array([int(hex_[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.int16)
    px = np.asarray(image, dtype=np.int16)
    return int((np.abs(px - rgb).max(axis=2) <= tolerance).sum())


def test_the_map_shows_land_and_the_days_events(repo: Repo) -> None:
    report = build_report(repo, DAY)
    page = pdf_pages(render(report, "pdf"))[0]
    quiet = pdf_pages(make_report(repo, QUIET_DAY, "pdf"))[0]
    assert colour_pixels(page, "land") > 20_000 and colour_pixels(quiet, "land") > 20_000
    assert colour_pixels(page, "sea") > 50_000
    layers = Counter(p.layer for p in report.points)
    assert layers["encounter"] == report.figures["encounters"] > 0
    assert layers["departure"] == report.figures["departures"] > 0
    assert layers["asset"] == 4
    assert colour_pixels(page, "asset") > 25 * layers["asset"]  # own assets: every day
    for layer in ("encounter", "dark"):  # drawn only as the day's events
        assert layers[layer] > 0, layer
        assert colour_pixels(page, layer) > 25 * layers[layer], layer
        assert colour_pixels(quiet, layer) < 20, layer
    for layer in ("departure", "arrival"):  # their areas' outlines share the colour
        assert colour_pixels(page, layer) - colour_pixels(quiet, layer) > 8 * layers[layer]


def test_two_renders_of_the_same_day_are_byte_identical(repo: Repo, tmp_path: Path) -> None:
    for fmt in ("pdf", "html"):
        first = make_report(repo, DAY, fmt)
        again = make_report(repo, DAY, fmt)
        assert first == again, fmt
    scoped = make_report(repo, DAY, "pdf", zones=["departure-zuwara", "arrival-lampedusa"])
    assert scoped == make_report(repo, DAY, "pdf", zones=["arrival-lampedusa", "departure-zuwara"])
    assert scoped != first


def test_page_one_states_the_days_figures(repo: Repo) -> None:
    report = build_report(repo, DAY)
    pages = pdf_text(render(report, "pdf"))
    first = " ".join(pages[0].split())
    f = report.figures
    h = report.all_alerts
    assert "Daily situation report: Monday 01 June 2026 (UTC)" in first
    assert f"{h.alerts} alerts: {h.acknowledged} acknowledged, {h.resolved} resolved" in first
    assert f"{f['messages']:,} position messages from {f['stations']}" in first
    assert report.top and f"{report.top[0].score} {report.top[0].name}" in first
    rest = " ".join(" ".join(pages[1:]).split())
    for a in report.alerts:
        assert f"{a['name']} ({a['mmsi']})" in rest
    assert len(pages) >= 2


def test_names_beyond_latin_1_print_as_sent(repo: Repo) -> None:
    """Names from registries, watchlists and zone files are not AIS's 6-bit ASCII.

    (Right-to-left scripts print their letters, unjoined and left to right: reportlab
    neither shapes nor reorders them.)
    """
    report = build_report(repo, DAY)
    assert report.alerts
    names = ["ΑΓΙΑ ΕΙΡΗΝΗ", "ĦAL FAR Ż", "ŠTIPANJA ČIŽ"]  # Greek, Maltese, Croatian
    for a, name in zip(report.alerts, names, strict=False):
        a["name"] = name
    text = " ".join(" ".join(pdf_text(render(report, "pdf"))).split())
    for a in report.alerts[: len(names)]:
        assert f"{a['name']} ({a['mmsi']})" in text


def test_the_html_says_what_the_pdf_says(repo: Repo) -> None:
    report = build_report(repo, DAY)
    page = render(report, "html").decode()
    assert page.count("data:image/png;base64,") == 2
    assert "http://" not in page and "https://" not in page  # nothing fetched when opened
    for a in report.alerts:
        assert f"{a['name']} ({a['mmsi']})" in page.replace("&#x27;", "'")


def test_mare_report_writes_the_file_and_refuses_bad_input(day_url: str, tmp_path: Path) -> None:
    from app.cli import (
        cli,
        commands,  # noqa: F401
    )

    runner = CliRunner()
    out = tmp_path / "sitrep.pdf"
    args = ["report", "--day", "2026-06-01", "--out", str(out), "--database", day_url]
    done = runner.invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert out.read_bytes().startswith(b"%PDF-")
    repo = Repo.open(day_url)
    try:
        assert out.read_bytes() == make_report(repo, DAY, "pdf")
    finally:
        repo.close()
    html = tmp_path / "sitrep.html"
    done = runner.invoke(
        cli, [*args[:3], "--out", str(html), "--url", day_url, "--zones", "arrival-lampedusa"]
    )
    assert done.exit_code == 0, done.output
    assert b"Arrival area" in html.read_bytes() or b"Lampedusa" in html.read_bytes()
    for bad, says in (
        (["--day", "2026-02-30"], "is not a date"),
        (["--day", "yesterday"], "is not a date"),
        (["--day", "2026-06-01", "--zones", "nowhere"], "unknown zone(s): nowhere"),
    ):
        done = runner.invoke(cli, ["report", *bad, "--out", str(out), "--url", day_url])
        assert done.exit_code == 2, bad
        assert says in done.output, done.output
        assert "Traceback" not in done.output
    done = runner.invoke(
        cli, ["report", "--day", "2026-06-01", "--out", "x.docx", "--url", day_url]
    )
    assert done.exit_code == 2 and ".pdf or .html" in done.output
