"""The dossier's map: the vessel's track, its events and attached contacts over the coastline.

Drawn offline with matplotlib (Agg) from the coastline Mare ships (GSHHG, clipped to the area
of the case), so an air-gapped operations room can export a dossier; no tile server. The PNG is
deterministic: fixed size and DPI, no timestamp or software tag in its metadata, the same
drawing order for the same case.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd  # noqa: E402 - after the backend is chosen
import shapely  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

#: The central Mediterranean, from Tunisia to Crete: the map of a case with nothing to place.
DEFAULT_EXTENT = (10.0, 31.0, 20.0, 38.5)
#: Smallest map side, in degrees: a vessel that lay at anchor still shows its coast.
MIN_SPAN_DEG = 0.6
SEA = "#dce9f2"
LAND = "#d8cfb8"
COAST = "#8a7f66"
TRACK = "#1f4e99"
#: Event marker colour by severity (as the dashboard's alert list: worse is redder).
SEVERITY_COLOURS = {"low": "#5b8f3a", "medium": "#d89b00", "high": "#d3541b", "critical": "#b0001e"}
CONTACT = "#6a2c91"
WIDTH_IN, HEIGHT_IN, DPI = 8.0, 6.0, 130


def extent(lons: Sequence[float], lats: Sequence[float]) -> tuple[float, float, float, float]:
    """Return the map's (min lon, min lat, max lon, max lat): the points with room, 4:3 wide.

    The box is 4:3 on the ground (longitude degrees shrink by the cosine of the latitude), so
    the map fills the page's frame whatever the track's shape.

    Examples
    --------
    >>> extent([12.0, 12.2], [35.0, 35.1])
    (11.611391, 34.75, 12.588609, 35.35)
    """
    if not lons:
        return DEFAULT_EXTENT
    x0, x1, y0, y1 = min(lons), max(lons), min(lats), max(lats)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    shrink = math.cos(math.radians(cy))
    half_y = max((y1 - y0) / 2, (x1 - x0) * shrink * 3 / 8, MIN_SPAN_DEG / 2)
    half_x = half_y * 4 / 3 / shrink
    return (
        round(cx - half_x, 6),
        round(max(cy - half_y, -85.0), 6),
        round(cx + half_x, 6),
        round(min(cy + half_y, 85.0), 6),
    )


def _events(view: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the vessel's events and the attached ones (another vessel's, say), once each."""
    ids = {e["id"] for e in view["events"]}
    return [*view["events"], *(e for e in view["attached"]["events"] if e["id"] not in ids)]


def _points(view: dict[str, Any]) -> tuple[list[float], list[float]]:
    lons = list(view["track"]["lon"])
    lats = list(view["track"]["lat"])
    for e in _events(view):
        if e.get("lon") is not None and e.get("lat") is not None:
            lons.append(e["lon"])
            lats.append(e["lat"])
    for c in view["attached"]["contacts"]:
        lons.append(c["lon"])
        lats.append(c["lat"])
    return lons, lats


def draw(view: dict[str, Any], land: Any) -> Figure:
    """Return the figure of a case's map (see the module docstring); ``land`` may be None."""
    lons, lats = _points(view)
    x0, y0, x1, y1 = extent(lons, lats)
    pad_x, pad_y = (x1 - x0) * 0.08, (y1 - y0) * 0.08
    x0, x1, y0, y1 = x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    ax = fig.add_axes((0.07, 0.07, 0.91, 0.91))
    ax.set_facecolor(SEA)
    if land is not None:
        clipped = shapely.clip_by_rect(land, x0, y0, x1, y1)
        if not clipped.is_empty:
            gpd.GeoSeries([clipped]).plot(ax=ax, color=LAND, edgecolor=COAST, linewidth=0.6)
    track = view["track"]
    if track["lon"]:
        ax.plot(track["lon"], track["lat"], color=TRACK, linewidth=2.4, label="track", zorder=3)
        ax.plot(
            track["lon"][0],
            track["lat"][0],
            marker="o",
            color=TRACK,
            markersize=6,
            linestyle="none",
            label="first fix",
            zorder=4,
        )
        ax.plot(
            track["lon"][-1],
            track["lat"][-1],
            marker="s",
            color=TRACK,
            markersize=6,
            linestyle="none",
            label="last fix",
            zorder=4,
        )
    shown: set[str] = set()
    for e in _events(view):
        if e.get("lon") is None or e.get("lat") is None:
            continue
        sev = str(e.get("severity"))
        label = f"{sev} event" if sev not in shown else None
        shown.add(sev)
        ax.plot(
            e["lon"],
            e["lat"],
            marker="^",
            markersize=8,
            linestyle="none",
            color=SEVERITY_COLOURS.get(sev, "#444444"),
            markeredgecolor="black",
            markeredgewidth=0.5,
            label=label,
            zorder=5,
        )
    for i, c in enumerate(view["attached"]["contacts"]):
        ax.plot(
            c["lon"],
            c["lat"],
            marker="D",
            markersize=7,
            linestyle="none",
            color=CONTACT,
            label="contact" if i == 0 else None,
            zorder=5,
        )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)))
    ax.tick_params(labelsize=7)
    ax.set_xlabel("longitude (°E)", fontsize=7)
    ax.set_ylabel("latitude (°N)", fontsize=7)
    ax.grid(color="white", linewidth=0.5, alpha=0.7)
    if not track["lon"]:
        ax.text(
            0.5,
            0.5,
            "no positions stored for this vessel",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=9,
            color="#555555",
        )
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right", fontsize=7, framealpha=0.9)
    return fig


def png(view: dict[str, Any], land: Any) -> bytes:
    """Return the map as PNG bytes, the same bytes for the same case."""
    fig = draw(view, land)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()
