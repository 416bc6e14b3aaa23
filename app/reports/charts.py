"""The report's pictures, drawn offline with matplotlib: the day's map and the trend plots.

The map is the dashboard's shipped basemap (Natural Earth land, GSHHG "h" in the central box,
land borders; `geo.shipped`) clipped to the day's extent, with the day's events on it; no tile
server, no internet. Figures are made
with matplotlib's object API (no pyplot state, so reports can be drawn from worker threads)
and saved as PNG without the "Software" metadata, so the same report gives the same bytes.

The colours are fixed here, once, and named (`COLOURS`): the tests look for them in the
rendered pages.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from app.reports.content import SERIES, DayReport
from geo.shipped import BASEMAP_FILE

#: RGB of each layer (and of land and sea), as drawn.
COLOURS: dict[str, str] = {
    "sea": "#eaf1f6",
    "land": "#cfc6b0",
    "coast": "#8c8170",
    "departure": "#e07b00",
    "arrival": "#1b9e4b",
    "encounter": "#d7191c",
    "dark": "#6a3d9a",
    "dark_target": "#000000",
    "contact": "#7f7f7f",
    "asset": "#1f4e9c",
    "zone": "#555555",
    "bar": "#9aa5b1",
    "today": "#b2182b",
}
#: Marker and size of each layer, and its legend's words.
LAYERS: dict[str, tuple[str, float, str]] = {
    "departure": ("^", 46, "departure"),
    "arrival": ("v", 46, "arrival"),
    "encounter": ("o", 46, "encounter"),
    "dark": ("X", 42, "went dark (AIS gap)"),
    "dark_target": ("D", 34, "dark target"),
    "contact": (".", 30, "contact"),
    "asset": ("s", 40, "own asset"),
}
MAP_DPI = 200
PLOT_DPI = 200
#: PNG metadata: none that changes between runs (matplotlib writes its version by default).
PNG_META: dict[str, str | None] = {"Software": None}


@lru_cache(maxsize=2)
def _basemap(path: str) -> tuple[Any, Any]:
    """Return the basemap file's land polygons and land borders as arrays (read once)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    land: list[Any] = []
    borders: list[Any] = []
    for f in data["features"]:
        geom = shapely.geometry.shape(f["geometry"])
        kind = (f.get("properties") or {}).get("kind", "land")
        (borders if kind == "border" or geom.geom_type.endswith("LineString") else land).append(
            geom
        )
    return np.array(land, dtype=object), np.array(borders, dtype=object)


def _rings(geom: Any) -> list[Any]:
    """Return the exterior rings of a (multi)polygon as arrays of (lon, lat)."""
    out = []
    for g in shapely.get_parts(geom):
        if g.geom_type == "Polygon" and not g.is_empty:
            out.append(shapely.get_coordinates(g.exterior))
        elif g.geom_type in ("MultiPolygon", "GeometryCollection"):
            out += _rings(g)
    return out


def _png(fig: Figure, dpi: int) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata=PNG_META)
    return buf.getvalue()


def fit_extent(
    extent: tuple[float, float, float, float], width_in: float, height_in: float
) -> tuple[float, float, float, float]:
    """Return ``extent`` widened in one direction to fill a picture of that shape.

    Degrees of longitude are drawn shorter than degrees of latitude by cos(latitude), as on a
    chart of those latitudes, so the picture is filled without distorting the coast.
    """
    x0, y0, x1, y1 = extent
    k = 1.0 / math.cos(math.radians((y0 + y1) / 2))
    w, h = x1 - x0, y1 - y0
    want = height_in / width_in  # shown height over shown width
    if h * k / w > want:
        w = h * k / want
    else:
        h = w * want / k
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def map_png(report: DayReport, width_in: float = 7.2, height_in: float = 4.0) -> bytes:
    """Return the day's map as PNG bytes."""
    x0, y0, x1, y1 = fit_extent(report.extent, width_in, height_in)
    fig = Figure(figsize=(width_in, height_in))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_facecolor(COLOURS["sea"])
    land, borders = _basemap(str(BASEMAP_FILE))
    box = (x0 - 0.1, y0 - 0.1, x1 + 0.1, y1 + 0.1)
    rings = [r for g in shapely.clip_by_rect(land, *box) for r in _rings(g)]
    if rings:
        ax.add_collection(
            PolyCollection(
                rings, facecolors=COLOURS["land"], edgecolors=COLOURS["coast"], linewidths=0.4
            )
        )
    for line in shapely.get_parts(shapely.clip_by_rect(borders, *box)):
        if not line.is_empty and line.geom_type == "LineString":
            xy = shapely.get_coordinates(line)
            ax.plot(xy[:, 0], xy[:, 1], color=COLOURS["coast"], linewidth=0.3, linestyle=":")
    for kind, geom in report.zone_shapes:
        colour = {
            "departure_hotspot": COLOURS["departure"],
            "arrival_area": COLOURS["arrival"],
        }.get(kind, COLOURS["zone"])
        for ring in _rings(geom):
            ax.plot(ring[:, 0], ring[:, 1], color=colour, linewidth=0.8, linestyle="--")
    handles = []
    for layer, (marker, size, words) in LAYERS.items():
        pts = [p for p in report.points if p.layer == layer]
        if not pts:
            continue
        ax.scatter(
            [p.lon for p in pts],
            [p.lat for p in pts],
            s=size,
            marker=marker,
            c=COLOURS[layer],
            edgecolors="white",
            linewidths=0.5,
            zorder=3,
        )
        if layer == "asset":
            for p in pts:
                ax.annotate(
                    p.label,
                    (p.lon, p.lat),
                    xytext=(4, 3),
                    textcoords="offset points",
                    fontsize=6,
                    color=COLOURS["asset"],
                    zorder=4,
                )
        handles.append(
            Line2D(
                [],
                [],
                marker=marker,
                linestyle="",
                color=COLOURS[layer],
                markersize=5,
                label=f"{words} ({len(pts)})",
            )
        )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1.0 / math.cos(math.radians((y0 + y1) / 2)))
    ax.set_xticks([])
    ax.set_yticks([])
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=6, framealpha=0.85)
    ax.text(
        0.995,
        0.005,
        "Land: Natural Earth, GSHHG 2.3.6",
        transform=ax.transAxes,
        fontsize=5,
        ha="right",
        va="bottom",
        color="#555555",
    )
    return _png(fig, MAP_DPI)


@dataclass(frozen=True, slots=True)
class Pictures:
    """The report's pictures, drawn once for both formats."""

    map: bytes
    trend: bytes


def pictures(report: DayReport) -> Pictures:
    """Return the report's map and trend plots."""
    return Pictures(map_png(report), trend_png(report))


def trend_png(report: DayReport, width_in: float = 7.2, height_in: float = 1.35) -> bytes:
    """Return the day against the 28 days before: one small bar plot per series."""
    fig = Figure(figsize=(width_in, height_in))
    axes = fig.subplots(1, len(SERIES))
    for ax, (key, title) in zip(axes, SERIES, strict=True):
        values = report.trend[key]
        before, today = values[:-1], values[-1]
        xs = list(range(len(values)))
        colours = [COLOURS["bar"]] * len(before) + [COLOURS["today"]]
        ax.bar(xs, values, color=colours, width=0.8)
        last7 = before[-7:]
        mean7 = sum(last7) / len(last7) if last7 else 0.0
        mean28 = sum(before) / len(before) if before else 0.0
        ax.axhline(mean7, color="#333333", linewidth=0.7, linestyle="--")
        ax.axhline(mean28, color="#333333", linewidth=0.7, linestyle=":")
        shown = f"{today:g}"
        ax.set_title(f"{title}: {shown}\n7 d {mean7:.1f} · 28 d {mean28:.1f}", fontsize=6.5)
        ax.set_xticks([])
        ax.set_ylim(0, max(1.0, max(values) * 1.15))  # a quiet month: an axis from 0, not -0.05
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=key != "dark_hours"))
        ax.tick_params(axis="y", labelsize=5.5, length=2)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.subplots_adjust(left=0.04, right=0.995, bottom=0.05, top=0.72, wspace=0.35)
    return _png(fig, PLOT_DPI)
