"""The event contract of DESIGN.md: what the engine emits, `mare detect` writes and alerts carry.

The kind names are fixed by the contract: tools and tests depend on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    """Kinds of event; more may be added, these names never change."""

    ZONE_ENTRY = "zone_entry"
    ZONE_EXIT = "zone_exit"
    ZONE_DWELL = "zone_dwell"
    LOITERING = "loitering"
    ENCOUNTER = "encounter"
    AIS_GAP = "ais_gap"
    POSITION_JUMP = "position_jump"
    IDENTITY_CHANGE = "identity_change"
    INVALID_MMSI = "invalid_mmsi"
    WATCHLIST_MATCH = "watchlist_match"
    DARK_TARGET = "dark_target"
    CONTACT_ASSOCIATION = "contact_association"
    #: Reported by a partner agency (over CISE) and of no kind Mare detects itself.
    PARTNER_REPORT = "partner_report"


class Severity(StrEnum):
    """How urgently a watch officer should look."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


def format_time(ms: int) -> str:
    """Format epoch milliseconds as the contract's ISO 8601 UTC with ``Z`` (whole seconds)."""
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> int:
    """Parse an ISO 8601 time (``Z`` or offset) into epoch milliseconds."""
    dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(round(dt.timestamp() * 1000))


@dataclass(frozen=True, slots=True)
class Event:
    """One episode worth a look: one event per episode, never one per message.

    ``end_ms`` is None while an episode is still open (a vessel that has gone dark and not yet
    reappeared, say); ``open`` says so explicitly for consumers that show live alerts.
    """

    kind: EventKind
    mmsi: int
    start_ms: int
    end_ms: int | None
    lat: float | None
    lon: float | None
    severity: Severity
    other_mmsi: int | None = None
    zone: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return self.end_ms is None

    def key(self) -> tuple[str, int, int | None, str | None, int]:
        """Identity of the episode: the same key means the same event (an update, not a new one)."""
        return (self.kind.value, self.mmsi, self.other_mmsi, self.zone, self.start_ms)

    def to_dict(self) -> dict[str, Any]:
        """Return the contract's JSON object (DESIGN.md, Event)."""
        return {
            "kind": self.kind.value,
            "mmsi": self.mmsi,
            "other_mmsi": self.other_mmsi,
            "zone": self.zone,
            "start": format_time(self.start_ms),
            "end": None if self.end_ms is None else format_time(self.end_ms),
            "lat": None if self.lat is None else round(self.lat, 5),
            "lon": None if self.lon is None else round(self.lon, 5),
            "severity": self.severity.value,
            "details": self.details,
        }

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> Event:
        """Parse the contract's JSON object back into an `Event`."""
        return cls(
            kind=EventKind(obj["kind"]),
            mmsi=int(obj["mmsi"]),
            other_mmsi=None if obj.get("other_mmsi") is None else int(obj["other_mmsi"]),
            zone=obj.get("zone"),
            start_ms=parse_time(obj["start"]),
            end_ms=None if obj.get("end") is None else parse_time(obj["end"]),
            lat=obj.get("lat"),
            lon=obj.get("lon"),
            severity=Severity(obj["severity"]),
            details=dict(obj.get("details") or {}),
        )
