"""A simulated day in a store of each backend (SQLite, a real PostGIS), shared by a module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.store.repo import Repo
from bench.report_day import fill
from tests.app.store.conftest import create_database, drop_database


@pytest.fixture(scope="session", params=["sqlite", "postgis"])
def day_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The URL of a database holding the simulated day (bench.report_day), per backend.

    One per session: filling it is most of these tests' time; tests add to it (reports,
    users) and never take away what another test reads.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('day') / 'mare.sqlite'}"
    else:
        url = create_database("mare_report")
        from app.store.engine import make_engine
        from app.store.migrate import upgrade

        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
    repo = Repo.open(url)
    try:
        fill(repo, hours=4.0, vessels=40)
    finally:
        repo.close()
    yield url
    if request.param == "postgis":
        drop_database(url)


@pytest.fixture
def repo(day_url: str) -> Iterator[Repo]:
    r = Repo.open(day_url)
    yield r
    r.close()


def pdf_pages(data: bytes, scale: float = 2.0) -> list[object]:
    """Return the PDF's pages as PIL images (pypdfium2, PDFium's rasteriser)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    return [doc[i].render(scale=scale).to_pil().convert("RGB") for i in range(len(doc))]


def pdf_text(data: bytes) -> list[str]:
    """Return each page's text."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
