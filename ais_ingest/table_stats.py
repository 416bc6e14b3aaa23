"""The account of a run's table rows: what became of each (`ais_ingest.tables`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: Why a table row did not become a record. Names are part of the ``--stats`` JSON.
SKIP_REASONS = ("bad_row", "bad_time", "bad_mmsi", "not_a_vessel", "other_message")
#: Bytes read to tell a table from an NMEA capture.
SNIFF_BYTES = 16384


@dataclass
class TableStats:
    """Rows read and what became of them.

    ``rows == positions + statics_only + duplicates + skipped``. A duplicate is a position row
    the table repeats exactly (GFW's tables carry a message heard by two receivers twice): it
    is the same fix, not lost data, so it is counted but not warned of.
    """

    rows: int = 0
    positions: int = 0
    statics_only: int = 0
    duplicates: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    #: reason -> "file row N: text" of its first skipped row
    first: dict[str, str] = field(default_factory=dict)

    def skip(self, reason: str, n: int, example: str) -> None:
        if n:
            self.skipped[reason] += n
            self.first.setdefault(reason, example)

    def report(self) -> dict[str, Any]:
        """Return what ``--stats FILE`` writes for the tables of a run."""
        return {
            "rows": self.rows,
            "positions": self.positions,
            "statics_only": self.statics_only,
            "duplicates": self.duplicates,
            "skipped": {r: self.skipped.get(r, 0) for r in SKIP_REASONS},
            "first_skipped": dict(self.first),
        }

    def warning(self) -> str | None:
        """One line naming what was skipped and the first example of each reason, if any."""
        total = sum(self.skipped.values())
        if not total:
            return None
        parts = "; ".join(f"{n:,} {r} (first: {self.first[r]})" for r, n in self.skipped.items())
        return f"{total:,} of {self.rows:,} table rows skipped: {parts}"
