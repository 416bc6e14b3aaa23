"""``watchlist_match``: a vessel matching a watchlist entry, once per vessel and entry.

A vessel is checked by MMSI when first seen and by IMO, callsign and normalised name on every
static report (cheap: dictionary lookups), so a vessel that changes its name to a listed one is
caught the moment it does.
"""

from __future__ import annotations

from typing import Any

from geo.events import Event, EventKind, Severity
from geo.watchlist import Watchlist


class WatchlistDetector:
    """Remembers which (MMSI, entry line) pairs have been reported."""

    def __init__(self, watchlist: Watchlist | None) -> None:
        self.watchlist = watchlist or Watchlist()
        self.reported: set[tuple[int, int]] = set()

    @property
    def watching(self) -> bool:
        """Whether any entry can match: without one, callers skip asking vessel by vessel."""
        return bool(len(self.watchlist))

    def check(
        self,
        mmsi: int,
        time_ms: int,
        lat: float | None,
        lon: float | None,
        *,
        imo: int | None = None,
        name: str | None = None,
        callsign: str | None = None,
        check_mmsi: bool = False,
    ) -> list[Event]:
        """Return new matches of one vessel's identifiers."""
        if not self.watching:
            return []
        hits = self.watchlist.match(
            mmsi=mmsi if check_mmsi else None, imo=imo, name=name, callsign=callsign
        )
        events: list[Event] = []
        for entry, how in hits:
            if (mmsi, entry.line) in self.reported:
                continue
            self.reported.add((mmsi, entry.line))
            details: dict[str, Any] = {
                "matched_on": how,
                "entry": {
                    "line": entry.line,
                    "mmsi": entry.mmsi,
                    "imo": entry.imo,
                    "name": entry.name,
                    "callsign": entry.callsign,
                },
                "note": entry.note,
                "summary": f"watchlist match on {how}: {entry.label()}"
                + (f" ({entry.note})" if entry.note else ""),
            }
            events.append(
                Event(
                    EventKind.WATCHLIST_MATCH,
                    mmsi,
                    time_ms,
                    time_ms,
                    lat,
                    lon,
                    Severity.HIGH,
                    details=details,
                )
            )
        return events

    def to_state(self) -> dict[str, Any]:
        return {"reported": sorted([m, line] for m, line in self.reported)}

    def load_state(self, obj: dict[str, Any]) -> None:
        self.reported = {(int(m), int(line)) for m, line in obj["reported"]}
