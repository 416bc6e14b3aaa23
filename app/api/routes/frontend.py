"""The dashboard: static files, the deck.gl bundle pydeck ships, and the initial map description.

Operation rooms are often air-gapped, so the page must load everything from this server: the
deck.gl bundle is served straight from the installed pydeck package (the same JavaScript pydeck's
own notebook widget runs, so the map description below and the renderer always agree on the
version), the basemap is local coastline data, and fonts are the system's. None of these routes
needs a token: they carry no operational data (the data comes from ``/api/v1`` with a bearer
token once the user has signed in).
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, Response

#: The static files of the dashboard (no build step: what is in the folder is what is served).
#: The dashboard's static files, shipped inside the `app` package (so the wheel has them).
FRONTEND_DIR = Path(str(resources.files("app") / "frontend"))

#: Central Mediterranean, from Tunisia to Crete: the area the coastline data covers.
INITIAL_VIEW = {"latitude": 35.2, "longitude": 14.2, "zoom": 5.6}

#: The dashboard's files never carry secrets; a short cache keeps a reload fresh after an upgrade.
_STATIC_CACHE = "public, max-age=300"
#: The bundle is named by its pydeck version, so it may be cached for a day.
_BUNDLE_CACHE = "public, max-age=86400"
#: A strict policy: the page may talk to this server only (``connect-src 'self'`` covers the
#: WebSocket on the same host and port); deck.gl compiles shaders from strings, which needs
#: ``'unsafe-eval'``; workers and images may be blobs or data URLs the page draws itself.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)


def deck_bundle_path() -> Path:
    """Return the deck.gl bundle inside the installed pydeck package.

    pydeck ships deck.gl as the notebook extension's ``static/index.js``: a UMD bundle that
    defines ``window.deck`` (core, layers including TripsLayer, JSONConverter) and needs no base
    map library.
    """
    import pydeck

    return Path(pydeck.__file__).resolve().parent / "nbextension" / "static" / "index.js"


@lru_cache(maxsize=1)
def deck_bundle_etag() -> str:
    """Return a strong ETag for the bundle (its size and pydeck version; it never changes)."""
    import pydeck

    path = deck_bundle_path()
    text = f"{pydeck.__version__}:{path.stat().st_size}:{path.stat().st_mtime_ns}"
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:20] + '"'


@lru_cache(maxsize=1)
def map_description() -> dict[str, Any]:
    """Describe the map's fixed layers and view with pydeck; the page fills in the data.

    The page turns this JSON into deck.gl objects with deck's ``JSONConverter``; the live
    layers (vessels, tracks, alerts) are built in the page because they change every second.
    """
    import pydeck as pdk

    layers = [
        pdk.Layer(
            "GeoJsonLayer",
            id="land",
            data=None,
            filled=True,
            stroked=True,
            get_fill_color=[30, 39, 50],
            get_line_color=[88, 104, 122],
            line_width_units='"pixels"',
            get_line_width=1,
            pickable=False,
        ),
        pdk.Layer(
            "GeoJsonLayer",
            id="zones",
            data=None,
            filled=True,
            stroked=True,
            line_width_units='"pixels"',
            get_line_width=1.5,
            pickable=True,
            auto_highlight=True,
            highlight_color=[255, 255, 255, 40],
        ),
        pdk.Layer(
            "TextLayer",
            id="zone-names",
            data=None,
            get_size=12,
            get_color=[200, 210, 222, 200],
            font_family='"system-ui, sans-serif"',
            size_units='"pixels"',
            get_text_anchor='"middle"',
            get_alignment_baseline='"center"',
            pickable=False,
        ),
    ]
    deck = pdk.Deck(
        layers=layers,
        initial_view_state=pdk.ViewState(**INITIAL_VIEW),
        views=[pdk.View(type="MapView", controller=True)],
        map_provider=None,
        map_style=None,
    )
    description: dict[str, Any] = json.loads(deck.to_json())
    description["pydeck_version"] = pdk.__version__
    return description


def _safe_static_path(path: str) -> Path:
    """Resolve ``path`` inside the frontend folder, refusing anything that escapes it."""
    candidate = (FRONTEND_DIR / path).resolve()
    if not candidate.is_relative_to(FRONTEND_DIR) or not candidate.is_file():
        raise HTTPException(status_code=404, detail="not found")
    return candidate


def _media_type(path: Path) -> str:
    if path.suffix == ".js":
        return "text/javascript; charset=utf-8"
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


@router.get("/")
async def index() -> FileResponse:
    """Serve the dashboard's single page."""
    return FileResponse(
        FRONTEND_DIR / "index.html",
        media_type="text/html; charset=utf-8",
        headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/favicon.ico")
async def favicon() -> FileResponse:
    """Serve the icon browsers ask for on their own (an SVG, drawn here, never fetched)."""
    return FileResponse(FRONTEND_DIR / "favicon.svg", media_type="image/svg+xml")


@router.get("/static/vendor/deck.gl.js")
async def deck_bundle(request: Request) -> Response:
    """Serve deck.gl from the installed pydeck package (never from a CDN)."""
    etag = deck_bundle_etag()
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return FileResponse(
        deck_bundle_path(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": _BUNDLE_CACHE, "ETag": etag},
    )


@router.get("/static/map.json")
async def map_json() -> JSONResponse:
    """Serve the pydeck description of the fixed layers and the initial view."""
    return JSONResponse(map_description(), headers={"Cache-Control": _STATIC_CACHE})


@router.get("/static/{path:path}")
async def static_file(path: str) -> FileResponse:
    """Serve one of the dashboard's own files."""
    file = _safe_static_path(path)
    return FileResponse(
        file,
        media_type=_media_type(file),
        headers={"Cache-Control": _STATIC_CACHE, "X-Content-Type-Options": "nosniff"},
    )
