"""The suspect dossier: PDF and HTML, the map drawn offline, byte-identical, audited; the CLI.

The PDF is rendered to images (pdfium) and looked at as a reader would: the map page must show
land (the coastline's fill colour) and the track (its line colour), and the text must hold the
vessel, the notes and the attachments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium
from typer.testing import CliRunner

from app.api.services import services_of
from app.cli import cli
from app.cli import commands as _commands  # noqa: F401  (registers the commands)
from app.dossier import mapimage
from geo.land import load_land
from geo.shipped import LAND_FILE
from tests.app.api.conftest import IN_BETA, Service, feed_scenario
from tests.app.api.nmea import position, static

#: A boat that passes just south of Lampedusa (12.53-12.63 E, 35.49-35.52 N), heading east.
NEAR_LAMPEDUSA = 247_000_055


def rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)


def pixels_of(image: np.ndarray, hex_colour: str, tolerance: int = 12) -> int:
    """Count pixels within ``tolerance`` of a colour in an RGB(A) image."""
    diff = np.abs(image[..., :3].astype(np.int16) - rgb(hex_colour))
    return int(np.count_nonzero(diff.max(axis=-1) <= tolerance))


def pages(pdf: bytes) -> tuple[list[np.ndarray], str]:
    doc = pdfium.PdfDocument(pdf)
    images, text = [], []
    for page in doc:
        images.append(page.render(scale=2, rev_byteorder=True).to_numpy())
        text.append(page.get_textpage().get_text_range())
    doc.close()
    return images, "\n".join(text)


def make_case(svc: Service) -> int:
    """Feed the scenario and a boat near Lampedusa; make it a case with a note and attachments."""
    ids = feed_scenario(svc)
    t0 = svc.event_time()
    lines = static(NEAR_LAMPEDUSA, "SAHARA EXPRESS", t0, callsign="5AXY")
    lines += [position(NEAR_LAMPEDUSA, 12.40 + 0.015 * k, 35.45, t0 + 120 * k) for k in range(21)]
    svc.send(lines)

    def stored() -> bool:
        track = svc.get(f"/api/v1/vessels/{NEAR_LAMPEDUSA}/track").json()
        return len(track.get("times", [])) == 21

    svc.wait_for(stored, timeout=20)
    body = {
        "mmsi": NEAR_LAMPEDUSA,
        "title": "Mother ship south of Lampedusa",
        "note": "Towed two rubber boats; crew of 4 (Frontex report 12/3)",
    }
    cid: int = svc.post("/api/v1/cases", "analyst", json=body).json()["id"]
    contact = {
        "time": "2026-09-21T14:20:00Z",
        "lat": 35.4,
        "lon": 12.55,
        "kind": "aircraft",
        "people": 45,
        "note": "rubber boat, Eagle 1",
    }
    stored_contact = svc.post("/api/v1/contacts", json=contact).json()["contacts"][0]["id"]
    for link in (
        {"kind": "vessel", "ref": IN_BETA, "reason": "met at sea"},
        {"kind": "contact", "ref": stored_contact},
        {"kind": "event", "ref": ids["alpha"]},
    ):
        assert svc.post(f"/api/v1/cases/{cid}/links", "officer", json=link).status_code == 201
    return cid


def test_the_pdf_dossier_shows_land_and_track_and_is_the_same_bytes_again(svc: Service) -> None:
    cid = make_case(svc)
    first = svc.get(f"/api/v1/cases/{cid}/dossier?format=pdf", "officer")
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/pdf"
    assert f'filename="mare-case-{cid}.pdf"' in first.headers["content-disposition"]
    again = svc.get(f"/api/v1/cases/{cid}/dossier", "officer")
    assert again.content == first.content  # deterministic: same case, same exporter

    images, text = pages(first.content)
    assert len(images) >= 2
    for words in (
        "SAHARA EXPRESS",
        "5AXY",
        str(NEAR_LAMPEDUSA),
        "Towed two rubber boats",
        "BRAVO",
        "met at sea",
        "rubber boat, Eagle 1",
        "zone_entry",
        "officer1",
    ):
        assert words in text, words
    front = images[0]  # identity, case summary and the map on the first page
    assert pixels_of(front, mapimage.LAND) > 400, "no land on the map"
    assert pixels_of(front, mapimage.TRACK, tolerance=30) > 300, "no track on the map"
    assert pixels_of(images[1], mapimage.LAND) == 0  # the check tells pages apart

    exports = [
        a for a in services_of(svc.app).repo.audit_of(f"case:{cid}") if a["action"] == "case.export"
    ]
    assert [a["user"] for a in exports] == ["officer1", "officer1"]
    detail = exports[0]["detail"]
    assert detail["format"] == "pdf" and detail["bytes"] == len(first.content)
    assert detail["positions"] == 21 and detail["linked_mmsis"] == [IN_BETA]
    assert len(detail["contact_ids"]) == 1 and len(detail["note_ids"]) == 1

    # a change in the case is a change in the dossier
    svc.post(f"/api/v1/cases/{cid}/notes", "analyst", json={"text": "Handed to ITCG"})
    assert svc.get(f"/api/v1/cases/{cid}/dossier", "officer").content != first.content


def test_the_html_dossier_is_self_contained_and_deterministic(svc: Service) -> None:
    cid = make_case(svc)
    svc.post(f"/api/v1/cases/{cid}/notes", "analyst", json={"text": "<script>alert(1)</script>"})
    r = svc.get(f"/api/v1/cases/{cid}/dossier?format=html")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert page == svc.get(f"/api/v1/cases/{cid}/dossier?format=html").text
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'src="data:image/png;base64,' in page and "http" not in page.split("<body>")[1]
    for words in ("SAHARA EXPRESS", "Towed two rubber boats", "Linked vessels", "Timeline"):
        assert words in page
    assert svc.get(f"/api/v1/cases/{cid}/dossier?format=docx").status_code == 422
    assert svc.get("/api/v1/cases/999/dossier").status_code == 404
    # the liaison (zone alpha): this boat left alpha, so its case is the liaison's; a case on
    # the beta boat alone is not, and its dossier is a 404 like the case itself
    beta = svc.post("/api/v1/cases", json={"mmsi": IN_BETA, "title": "beta"}).json()["id"]
    assert svc.get(f"/api/v1/cases/{beta}/dossier", "liaison").status_code == 404
    own = svc.get(f"/api/v1/cases/{cid}/dossier?format=html", "liaison")
    assert own.status_code == 200 and "prepared by liaison1" in own.text
    # the liaison's dossier lists no event outside alpha (beta's alert is not the liaison's)
    assert "Beta box" not in own.text and "zone_exit" in own.text


def test_the_map_extent_examples() -> None:
    import doctest

    assert doctest.testmod(mapimage).failed == 0


def test_the_map_check_would_see_a_map_without_land(tmp_path: Path) -> None:
    """Open sea (Ionian, 18 E 35 N): the map has sea and track, and no land to count."""
    view: dict[str, Any] = {
        "track": {"time_ms": [0, 1], "lon": [18.0, 18.1], "lat": [35.0, 35.05]},
        "events": [],
        "attached": {"contacts": [], "events": []},
    }
    png = mapimage.png(view, load_land(LAND_FILE))
    assert png == mapimage.png(view, load_land(LAND_FILE))
    path = tmp_path / "sea.png"
    path.write_bytes(png)
    import matplotlib.image

    image = (matplotlib.image.imread(path) * 255).astype(np.uint8)
    assert pixels_of(image, mapimage.LAND) == 0
    assert pixels_of(image, mapimage.SEA) > 10_000
    assert pixels_of(image, mapimage.TRACK, tolerance=30) > 50


def test_mare_case_export_writes_the_dossier_and_audits_it(svc: Service, tmp_path: Path) -> None:
    cid = make_case(svc)
    repo = services_of(svc.app).repo
    url = repo.engine.url.render_as_string(hide_password=False)
    out = tmp_path / "dossier.pdf"
    runner = CliRunner()
    done = runner.invoke(
        cli, ["case", "export", str(cid), "--out", str(out), "--url", url, "--actor", "desk-7"]
    )
    assert done.exit_code == 0, done.output
    assert f"case {cid}: {out}" in done.output and "21 positions" in done.output
    _, text = pages(out.read_bytes())
    assert "SAHARA EXPRESS" in text and "prepared by desk-7" in text
    html = tmp_path / "dossier.html"
    assert (
        runner.invoke(
            cli, ["case", "export", str(cid), "--out", str(html), "--url", url, "--actor", "desk-7"]
        ).exit_code
        == 0
    )
    assert "Mother ship south of Lampedusa" in html.read_text()
    acts = [(a["action"], a["user"]) for a in repo.audit_of(f"case:{cid}")]
    assert acts[-2:] == [("case.export", "desk-7"), ("case.export", "desk-7")]
    bad = runner.invoke(cli, ["case", "export", "999", "--out", str(out), "--url", url])
    assert bad.exit_code == 2 and "case 999" in bad.output
    wrong = runner.invoke(
        cli, ["case", "export", str(cid), "--out", str(tmp_path / "d.docx"), "--url", url]
    )
    assert wrong.exit_code == 2 and ".pdf or .html" in wrong.output
