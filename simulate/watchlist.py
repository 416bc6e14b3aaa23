"""The sample watchlist (``geo/data/watchlist_sample.csv``) and the vessels the simulator sails.

Entries match on one field each, or on two, as real watchlists mix them: by MMSI, by IMO, by
callsign, by name (normalised: the broadcast name carries extra spaces and the list writes it in
mixed case, as DESIGN.md's watchlist contract allows). Two entries never sail, so a detector that
matches them is wrong.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from geo import shipped
from simulate.fleet import Registry

SAMPLE_FILE = shipped.WATCHLIST_SAMPLE
HEADER = ("mmsi", "imo", "name", "callsign", "note")


@dataclass(frozen=True, slots=True)
class WatchEntry:
    """One watchlist row, plus how the simulator sails it (empty role: never present)."""

    mmsi: int
    imo: int
    name: str
    callsign: str
    note: str
    role: str = ""
    flag: str = "PA"
    broadcast_name: str = ""

    @property
    def matched_on(self) -> list[str]:
        """The fields a detector can match this entry on."""
        return [f for f in ("mmsi", "imo", "name", "callsign") if getattr(self, f)]


WATCHLIST: tuple[WatchEntry, ...] = (
    WatchEntry(
        642167321, 0, "", "", "tanker reported in fuel smuggling off Zuwara", "tanker", "LY"
    ),
    WatchEntry(0, 9387425, "", "", "bulk carrier, sanctions listing", "cargo", "PA"),
    WatchEntry(
        0,
        0,
        "Sirte Spirit",
        "",
        "trawler seen with migrant boats in tow",
        "trawler",
        "LY",
        "SIRTE  SPIRIT",
    ),  # fmt: skip
    WatchEntry(0, 0, "", "9HA4521", "reefer, ship-to-ship transfers at night", "cargo", "MT"),
    WatchEntry(
        672884410,
        0,
        "Amira Nour",
        "3VKX7",
        "fishing boat, repeated AIS gaps",
        "fishing_b",
        "TN",
        "AMIRA NOUR",
    ),  # fmt: skip
    WatchEntry(
        0,
        9321770,
        "Pegasus Bay",
        "",
        "tanker, falsified cargo papers",
        "tanker",
        "LR",
        "PEGASUS BAY",
    ),  # fmt: skip
    WatchEntry(
        229881234,
        0,
        "Dark Horse",
        "",
        "general cargo, arms embargo inspection",
        "cargo",
        "MT",
        "DARK HORSE",
    ),  # fmt: skip
    WatchEntry(0, 0, "", "5AZQ9", "fishing boat used as a mothership", "fishing_b", "LY"),
    WatchEntry(538009999, 0, "Ghost Trader", "", "never sails in the simulation"),
    WatchEntry(0, 9174311, "", "V7XX2", "never sails in the simulation"),
)


def reserve_all(registry: Registry) -> None:
    """Keep every watchlist identity out of the random vessels, so matches are only planned."""
    for e in WATCHLIST:
        registry.reserve(mmsi=e.mmsi, name=e.name, callsign=e.callsign, imo=e.imo)
        if e.broadcast_name:
            registry.reserve(name=e.broadcast_name)


def write_watchlist(path: Path) -> None:
    """Write the watchlist in the contract's CSV layout (header ``mmsi,imo,name,callsign,note``)."""
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        for e in WATCHLIST:
            w.writerow([e.mmsi or "", e.imo or "", e.name, e.callsign, e.note])
