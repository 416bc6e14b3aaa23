"""Writing decoded records as JSON lines or CSV (what `mare decode` prints)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import fields
from typing import Any, TextIO

from ais_ingest.records import PositionReport, Record, StaticReport

_POSITION_FIELDS = [f.name for f in fields(PositionReport) if f.name != "time_ms"]
_STATIC_FIELDS = [f.name for f in fields(StaticReport) if f.name != "time_ms"]
#: One header for both record kinds: shared keys first, then each kind's own.
CSV_COLUMNS = ["record", "time", "msg_type", "mmsi"] + [
    name
    for name in dict.fromkeys(_POSITION_FIELDS + _STATIC_FIELDS)
    if name not in ("msg_type", "mmsi")
]


def record_dict(record: Record) -> dict[str, Any]:
    """Return the record's fields by name, ISO 8601 UTC ``time`` and the kind of record."""
    kind = "position" if isinstance(record, PositionReport) else "static"
    return {"record": kind, **record.to_dict()}


class RecordWriter:
    """Writes records to a text stream in one of the formats ``jsonl``, ``csv`` or ``none``."""

    def __init__(self, out: TextIO, fmt: str) -> None:
        if fmt not in ("jsonl", "csv", "none"):
            raise ValueError(f"unknown format {fmt!r}: use jsonl, csv or none")
        self.fmt = fmt
        self.out = out
        self._csv: csv.DictWriter[str] | None = None
        if fmt == "csv":
            self._csv = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore")
            self._csv.writeheader()

    def write(self, records: Iterable[Record]) -> None:
        if self.fmt == "none":
            return
        if self._csv is not None:
            self._csv.writerows(record_dict(r) for r in records)
            return
        write = self.out.write
        for r in records:
            write(json.dumps(record_dict(r), separators=(",", ":")))
            write("\n")
