"""Writing decoded records as JSON lines or CSV (what `mare decode` prints)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import fields
from typing import Any, TextIO

import numpy as np

from ais_ingest.records import Batch, PositionColumns, PositionReport, Record, StaticReport

_POSITION_FIELDS = [f.name for f in fields(PositionReport) if f.name != "time_ms"]
_STATIC_FIELDS = [f.name for f in fields(StaticReport) if f.name != "time_ms"]
#: One header for both record kinds: shared keys first, then each kind's own.
CSV_COLUMNS = ["record", "time", "msg_type", "mmsi"] + [
    name
    for name in dict.fromkeys(_POSITION_FIELDS + _STATIC_FIELDS)
    if name not in ("msg_type", "mmsi")
]


#: `json.dumps` with these arguments builds an encoder per call; this one is built once.
_encode = json.JSONEncoder(separators=(",", ":")).encode


def record_dict(record: Record) -> dict[str, Any]:
    """Return the record's fields by name, ISO 8601 UTC ``time`` and the kind of record."""
    kind = "position" if isinstance(record, PositionReport) else "static"
    return {"record": kind, **record.to_dict()}


#: The keys of `PositionColumns.values`, in the order `position_dicts` reads them by index.
_VALUE_NAMES = [
    "time", "mmsi", "msg_type", "lat", "lon", "speed", "course", "heading", "status", "turn",
    "accuracy", "second", "source", "ais_class",
]  # fmt: skip


def position_dicts(cols: PositionColumns) -> list[dict[str, Any]]:
    """Return `record_dict` of every row of ``cols``, built from the columns (no report objects)."""
    v = cols.values()
    assert list(v) == _VALUE_NAMES
    return [
        {
            "record": "position",
            "time": r[0],
            "mmsi": r[1],
            "msg_type": r[2],
            "lat": r[3],
            "lon": r[4],
            "speed": r[5],
            "course": r[6],
            "heading": r[7],
            "status": r[8],
            "turn": r[9],
            "accuracy": r[10],
            "second": r[11],
            "source": r[12],
            "ais_class": r[13],
        }
        for r in zip(*v.values(), strict=True)
    ]


def batch_dicts(batch: Batch) -> list[dict[str, Any]]:
    """Return `record_dict` of every record of ``batch`` in the order of `Batch.records`."""
    rows = position_dicts(batch.positions)
    if not batch.statics:
        order = np.argsort(batch.positions.time_ms, kind="stable")
    else:
        rows += [record_dict(s) for s in batch.statics]
        times = np.concatenate(
            (batch.positions.time_ms, np.array([s.time_ms for s in batch.statics], np.int64))
        )
        order = np.argsort(times, kind="stable")
    return [rows[i] for i in order.tolist()]


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

    def write_batch(self, batch: Batch) -> None:
        """Write a batch's records in event-time order (`Batch.records`), from its columns."""
        if self.fmt == "none":
            return
        rows = batch_dicts(batch)
        if self._csv is not None:
            self._csv.writerows(rows)
        elif rows:
            self.out.write("\n".join(map(_encode, rows)) + "\n")

    def write(self, records: Iterable[Record]) -> None:
        if self.fmt == "none":
            return
        if self._csv is not None:
            self._csv.writerows(record_dict(r) for r in records)
            return
        write = self.out.write
        for r in records:
            write(_encode(record_dict(r)))
            write("\n")
