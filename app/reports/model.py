"""The daily report's value types and definitions: the day, its figures, what page 1 shows.

`app.reports.content.build_report` fills a `DayReport`; the renderers only lay it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
#: Days of history the day is set against (the two comparisons: 7 and 28 days).
TREND_DAYS = 28
#: Episodes before the day end that count in a vessel's risk (the score halves every 24 h).
RISK_LOOKBACK_MS = 7 * DAY_MS
TOP_VESSELS = 20
#: Series of the trend plots, in order: key, title.
SERIES = (
    ("departures", "Departures"),
    ("encounters", "Encounters"),
    ("dark_hours", "Dark hours"),
    ("alerts", "Alerts"),
)


class ReportError(ValueError):
    """A report that cannot be made as asked (a bad day, an unknown zone)."""


def parse_day(text: str) -> date:
    """Return the UTC day of ``YYYY-MM-DD``; `ReportError` for anything else."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ReportError(f"day {text!r} is not a date (YYYY-MM-DD)") from None
    if len(text.strip()) != 10:
        raise ReportError(f"day {text!r} is not a date (YYYY-MM-DD)")
    return day


def day_start_ms(day: date) -> int:
    """Return 00:00 UTC of ``day`` in epoch milliseconds."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class VesselRisk:
    """A vessel's risk at the end of the day and why, in words."""

    mmsi: int
    name: str
    flag: str
    score: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Handling:
    """What the desk did with a set of alerts: counts, who, and how fast (minutes, median)."""

    alerts: int
    acknowledged: int
    assigned: int
    resolved: int
    open: int
    ack_minutes: float | None
    resolve_minutes: float | None
    by: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class MapPoint:
    """Something to draw on the day's map."""

    layer: str
    lon: float
    lat: float
    label: str = ""


@dataclass(frozen=True, slots=True)
class DayReport:
    """Everything one report shows; rendering adds nothing but layout."""

    day: date
    #: Zone ids the report is scoped to (None: the whole area) and their names.
    zones: tuple[str, ...] | None
    zone_names: dict[str, str]
    narrow: tuple[str, ...]
    figures: dict[str, int | float]
    trend: dict[str, list[float]]
    alerts: list[dict[str, Any]]
    carried_over: int
    by_kind: list[tuple[str, Handling]]
    by_zone: list[tuple[str, Handling]]
    all_alerts: Handling
    top: list[VesselRisk]
    watchlist: list[dict[str, Any]]
    departures: list[dict[str, Any]]
    arrivals: list[dict[str, Any]]
    encounters: list[dict[str, Any]]
    dark: list[dict[str, Any]]
    dark_targets: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    assets: list[dict[str, Any]]
    stations: list[dict[str, Any]]
    gaps: list[tuple[int, int]]
    messages: int
    points: list[MapPoint]
    extent: tuple[float, float, float, float]
    zone_shapes: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def scope_text(self) -> str:
        if self.zones is None:
            return "whole area"
        return "zones " + ", ".join(self.zone_names.get(z, z) for z in self.zones)


def hhmm(ms: int) -> str:
    """Return a time as HH:MM UTC."""
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%H:%M")
