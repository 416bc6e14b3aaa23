"""The watchlist contract of DESIGN.md: CSV ``mmsi,imo,name,callsign,note``.

Any of the first four may be empty, but not all of them. Names and callsigns match on the keys of
`geo.names` (case, spacing, punctuation, the ``@`` padding of AIS six-bit text, vessel-type
prefixes and Roman numerals aside), so ``"F/V SEA  STAR II@@"`` on the air matches ``"sea star 2"``
on the list.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ais_ingest.records import IMO_PREFIX
from geo.errors import GeoError
from geo.names import callsign_key, name_key

HEADER = ("mmsi", "imo", "name", "callsign", "note")
_SPACES = re.compile(r"\s+")


class WatchlistError(GeoError):
    """A watchlist file that breaks the contract; the message names the line and why."""


def normalise_text(value: str | None) -> str | None:
    """Upper-case, ``@`` padding removed, runs of whitespace collapsed; None when empty.

    Cached: the engine normalises every static report's name and callsign, and a vessel
    repeats its own (3.6 µs a call, 0.07 s of `mare detect`'s engine process on bench.cli's
    simulated capture; a fleet's names fit the cache).

    Examples
    --------
    >>> normalise_text("  sea   Star@@@ ")
    'SEA STAR'
    >>> normalise_text("@@@") is None
    True
    """
    return None if value is None else _normalised(value)


@functools.lru_cache(maxsize=1 << 14)
def _normalised(value: str) -> str | None:
    text = _SPACES.sub(" ", value.replace("@", " ")).strip().upper()
    return text or None


@dataclass(frozen=True, slots=True)
class WatchEntry:
    """One line of the watchlist (``line`` is its number in the file, header = 1)."""

    line: int
    mmsi: int | None = None
    imo: int | None = None
    name: str | None = None
    callsign: str | None = None
    note: str = ""

    def label(self) -> str:
        """How the entry reads in an alert."""
        parts = [p for p in (self.name, self.callsign) if p]
        if self.mmsi:
            parts.append(f"MMSI {self.mmsi}")
        if self.imo:
            parts.append(f"IMO {self.imo}")
        return " / ".join(parts) or f"line {self.line}"


@dataclass(frozen=True, slots=True)
class Watchlist:
    """Entries with lookups by every identifier."""

    entries: Sequence[WatchEntry] = ()
    by_mmsi: dict[int, list[WatchEntry]] = field(default_factory=dict, init=False, repr=False)
    by_imo: dict[int, list[WatchEntry]] = field(default_factory=dict, init=False, repr=False)
    by_name: dict[str, list[WatchEntry]] = field(default_factory=dict, init=False, repr=False)
    by_callsign: dict[str, list[WatchEntry]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for e in self.entries:
            if e.mmsi is not None:
                self.by_mmsi.setdefault(e.mmsi, []).append(e)
            if e.imo is not None:
                self.by_imo.setdefault(e.imo, []).append(e)
            if (key := name_key(e.name)) is not None:
                self.by_name.setdefault(key, []).append(e)
            if (key := callsign_key(e.callsign)) is not None:
                self.by_callsign.setdefault(key, []).append(e)

    def __len__(self) -> int:
        return len(self.entries)

    def match(
        self,
        *,
        mmsi: int | None = None,
        imo: int | None = None,
        name: str | None = None,
        callsign: str | None = None,
    ) -> list[tuple[WatchEntry, str]]:
        """Return ``(entry, matched_on)`` for every entry the identifiers hit, once per entry."""
        out: dict[int, tuple[WatchEntry, str]] = {}
        probes: Iterable[tuple[str, list[WatchEntry]]] = (
            ("mmsi", self.by_mmsi.get(mmsi, []) if mmsi is not None else []),
            ("imo", self.by_imo.get(imo, []) if imo else []),
            ("callsign", self.by_callsign.get(callsign_key(callsign) or "", [])),
            ("name", self.by_name.get(name_key(name) or "", [])),
        )
        for how, hits in probes:
            for e in hits:
                out.setdefault(e.line, (e, how))
        return [out[k] for k in sorted(out)]


def _int_field(raw: str, what: str, line: int, prefix: re.Pattern[str] | None = None) -> int | None:
    raw = raw.strip()
    digits = prefix.sub("", raw) if prefix is not None else raw
    if not digits:
        return None
    if not digits.isdigit():
        raise WatchlistError(f"watchlist line {line}: {what} {raw!r} is not a number")
    return int(digits)


def parse_watchlist(text: str) -> Watchlist:
    """Parse watchlist CSV text; raises `WatchlistError` naming the line at fault."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:  # a stray carriage return, a NUL: refused, never a crash
        raise WatchlistError(f"watchlist line {reader.line_num}: {exc}") from None
    if not rows:
        raise WatchlistError("watchlist is empty: expected the header mmsi,imo,name,callsign,note")
    header = tuple(h.strip().lower() for h in rows[0])
    if header[: len(HEADER)] != HEADER:
        raise WatchlistError(
            f"watchlist header is {','.join(header)!r}, expected {','.join(HEADER)}"
        )
    entries: list[WatchEntry] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        row = (row + [""] * len(HEADER))[: len(HEADER)]
        mmsi = _int_field(row[0], "mmsi", n)
        if mmsi is not None and not 0 < mmsi <= 999_999_999:
            raise WatchlistError(f"watchlist line {n}: mmsi {mmsi} is not nine digits")
        imo = _int_field(row[1], "imo", n, IMO_PREFIX)
        name, callsign = normalise_text(row[2]), normalise_text(row[3])
        if mmsi is None and imo is None and name is None and callsign is None:
            raise WatchlistError(f"watchlist line {n}: no mmsi, imo, name or callsign")
        entries.append(WatchEntry(n, mmsi, imo, name, callsign, row[4].strip()))
    return Watchlist(entries)


def load_watchlist(path: str | Path) -> Watchlist:
    """Read a watchlist file (the one place geo reads a file, as `load_zone_file` does)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WatchlistError(f"cannot read watchlist {path}: {exc}") from exc
    return parse_watchlist(text)


def stored_watchlist(rows: Iterable[dict[str, object]]) -> Watchlist:
    """Return the engine's `Watchlist` of stored entries (their id as line number)."""
    return Watchlist(
        [
            WatchEntry(
                int(str(r["id"])),
                r["mmsi"],  # type: ignore[arg-type]
                r["imo"],  # type: ignore[arg-type]
                normalise_text(r["name"]),  # type: ignore[arg-type]
                normalise_text(r["callsign"]),  # type: ignore[arg-type]
                str(r["note"] or ""),
            )
            for r in rows
        ]
    )
