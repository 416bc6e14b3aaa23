"""Decoded AIS tables (CSV, JSON lines, GIS point layers) as time-ordered record batches.

An analyst's extract is more often a table than NMEA (`ais_ingest.table_columns` names the
providers; `ais_ingest.table_layers` reads GIS layers). A table is read whole, with pandas' C
parser, because extracts are ordered by vessel as often as by time and the engine runs on event
time: rows are sorted by time across every table of the run (stable, so file order breaks
ties) before the first batch is given out.

Every row is accounted for (`TableStats`): it became a position, a static record only (a row of
static data without a position, e.g. ``mare decode``'s ``record=static`` rows), or it was skipped
for one named reason, the first example of each kept for the warning. A table whose header lacks
one of MMSI, time, latitude and longitude is refused, naming what is missing and what it has.

Values as tables write them: not-available codes (latitude 91, longitude 181, speed 102.3,
course 360, heading 511) become Mare's missing values; the transponder class comes from a message
type column (``1``, ``AIS.18``) or a class column (``A``, ``Class B``, ``SAR Airborne``); a table
with neither is class A. Static fields repeated on every row become a static record only when
they change for the vessel. Only a length and a width (no antenna offsets) are kept as
``to_bow`` = length and ``to_port`` = width, so a vessel's length and beam are right.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from ais_ingest.errors import TableError
from ais_ingest.mmsi import MmsiKind, classify_mmsi_array, kind_code
from ais_ingest.packed import open_packed, zipped_layer
from ais_ingest.records import POSITION_TYPES, STATIC_TYPES, Batch, PositionColumns
from ais_ingest.table_columns import (
    NAV_STATUS_WORDS,
    coded,
    match_columns,
    message_types,
    missing_required,
    numeric,
)
from ais_ingest.table_layers import read_layer
from ais_ingest.table_sniff import delimiter, first_line, is_layer, read_head
from ais_ingest.table_statics import static_reports
from ais_ingest.table_stats import TableStats
from ais_ingest.table_times import NO_TIME, parse_times

#: Message types of stations that are not vessels (base station, aid to navigation, ...).
NOT_VESSEL_TYPES = frozenset({4, 11, 16, 17, 20, 21, 22, 23})


def _columns(frame: pd.DataFrame) -> dict[str, str]:
    """Mare's field -> the frame's column, a message-type column only if its values are some."""

    def fits(field: str, header: str) -> bool:
        return field != "msg_type" or message_types(frame[header]) is not None

    return match_columns(frame.columns.astype(str), fits)


#: Fields that are numbers in every provider's tables: the C parser reads them (a string
#: column converted later cost a second and a half per million values and column). A column
#: of them with text in it (a decimal comma, "N/A") is read as text and converted as before.
NUMBER_FIELDS = frozenset({
    "mmsi", "lat", "lon", "speed", "course", "heading", "turn", "to_bow", "to_stern",
    "to_port", "to_starboard", "length", "width", "draught",
})  # fmt: skip


def _csv_dtypes(head: str, sep: str) -> type[str] | dict[str, type[str]]:
    """Text for every column but those of `NUMBER_FIELDS`, whose type the parser infers.

    Names, call signs, times and IMO numbers stay text whatever they look like (a call sign
    of digits keeps its leading zero). A header that repeats a name is read all as text.
    """
    header = next(csv.reader([head], delimiter=sep))
    if len(set(header)) != len(header):
        return str
    numbers = {h for f, h in match_columns(header).items() if f in NUMBER_FIELDS}
    return {h: str for h in header if h not in numbers}


def _frame_csv(path: Path, stats: TableStats) -> pd.DataFrame:
    head = first_line(read_head(path))
    sep = delimiter(head)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(
                packed := open_packed(path),
                sep=sep,
                dtype=_csv_dtypes(head, sep),
                keep_default_na=False,
                na_values=[""],
                encoding="utf-8-sig",
                encoding_errors="replace",
                on_bad_lines="warn",
            )
        except (pd.errors.ParserError, UnicodeError) as exc:
            raise TableError(f"{path}: not a readable table: {exc}") from None
        finally:
            packed.close()
    # The C parser says each row of the wrong field count in one warning: "Skipping line N: ..."
    bad = [m for w in caught for m in re.findall(r"Skipping line (\d+): ([^\n]*)", str(w.message))]
    if bad:
        stats.rows += len(bad)
        stats.skip("bad_row", len(bad), f"{path.name} line {bad[0][0]}: {bad[0][1]}")
    # All columns are read (``usecols`` would let rows of the wrong field count through).
    columns = _columns(frame)
    frame = frame[list(columns.values())]
    return frame.rename(columns={v: k for k, v in columns.items()})


def _frame_layer(path: Path, stats: TableStats) -> pd.DataFrame:
    frame, pointless = read_layer(path)
    stats.rows += pointless
    stats.skip("bad_row", pointless, f"{path.name}: {pointless} features without a point")
    columns = _columns(frame)
    columns.pop("lat", None)  # the geometry is the position
    columns.pop("lon", None)
    missing = [f for f in missing_required(columns) if f not in ("lat", "lon")]
    if missing:
        raise TableError(f"{path}: a layer needs attributes for {', '.join(missing)}; it has: "
                         + ", ".join(map(str, frame.columns[:-2])))  # fmt: skip
    out = frame[list(columns.values())].rename(columns={v: k for k, v in columns.items()})
    return out.assign(lat=frame["_lat"].to_numpy(), lon=frame["_lon"].to_numpy())


def _json_objects(path: Path, stats: TableStats) -> list[dict[str, Any]]:
    """Return the objects of JSON lines, or of one JSON array (GFW's, web APIs' exports).

    Anything else in either is a bad row, counted.
    """
    rows: list[dict[str, Any]] = []
    packed = cast("IO[bytes]", open_packed(path))
    with io.TextIOWrapper(packed, encoding="utf-8-sig", errors="replace") as f:
        if first_line(read_head(path)).startswith("["):
            try:
                items = json.load(f)
            except ValueError as exc:
                raise TableError(f"{path}: not a readable JSON array: {exc}") from None
            if not isinstance(items, list):
                raise TableError(f"{path}: a JSON document must be an array of objects")
            lines: Iterator[tuple[int, Any, str]] = (
                (n, item, "item") for n, item in enumerate(items, start=1)
            )
        else:
            lines = ((n, _json_or_none(text), "line") for n, text in enumerate(f, start=1)
                     if text.strip())  # fmt: skip
        for number, obj, where in lines:
            if not isinstance(obj, dict):
                stats.rows += 1
                stats.skip("bad_row", 1, f"{path.name} {where} {number}: not a JSON object")
                continue
            rows.append(obj)
    return rows


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _frame_json(path: Path, stats: TableStats) -> pd.DataFrame:
    rows = _json_objects(path, stats)
    keys = list(dict.fromkeys(k for r in rows[:1000] for k in r))
    columns = _columns(pd.DataFrame.from_records(rows[:1000], columns=keys))
    missing = missing_required(columns)
    if missing:
        raise TableError(f"{path}: JSON objects need fields for {', '.join(missing)}")
    frame = pd.DataFrame.from_records(rows, columns=list(columns.values()))
    return frame.rename(columns={v: k for k, v in columns.items()})


def _numbers(frame: pd.DataFrame, name: str) -> npt.NDArray[np.float64]:
    if name not in frame:
        return np.full(len(frame), np.nan)
    return np.array(numeric(frame[name]), dtype=np.float64)


def _message_types(frame: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Each row's AIS message type: a type column, else the class column, else the MMSI.

    Without either column an MMSI of the SAR aircraft layout (111MIDXXX) is an aircraft (type
    9) and an AtoN's or a coast station's is no vessel; the rest are class A (type 1).
    """
    mmsi = _numbers(frame, "mmsi")
    kinds = classify_mmsi_array(np.where(np.isfinite(mmsi), mmsi, 0).astype(np.int64))
    out = np.ones(len(frame), dtype=np.int64)
    out[kinds == kind_code(MmsiKind.SAR_AIRCRAFT)] = 9
    out[(kinds == kind_code(MmsiKind.ATON)) | (kinds == kind_code(MmsiKind.COAST_STATION))] = 4
    if "ais_class" in frame:
        cls = frame["ais_class"].astype("string").str.lower().str.replace("class", "").str.strip()
        out[(cls == "b").fillna(False).to_numpy()] = 18
        air = cls.str.contains("sar|air", regex=True).fillna(False).to_numpy()
        out[air] = 9
        station = cls.str.contains("base|aton|aid", regex=True).fillna(False).to_numpy()
        out[station] = 4
    types = message_types(frame["msg_type"]) if "msg_type" in frame else None
    if types is not None:  # `_columns` chose it for its values; a row without one keeps its guess
        given = types.to_numpy(dtype=np.float64, na_value=np.nan)
        ok = np.isfinite(given)
        out[ok] = given[ok].astype(np.int64)
    return out


def _example(path: Path, frame: pd.DataFrame, mask: npt.NDArray[np.bool_], col: str) -> str:
    i = int(np.flatnonzero(mask)[0])
    value = frame[col].iloc[i] if col in frame else None
    return f"{path.name} row {i + 1}: {col} {value!r}"


def _positions(frame: pd.DataFrame, times: npt.NDArray[np.int64]) -> PositionColumns:
    n = len(frame)
    cols = PositionColumns.empty(n)
    cols.time_ms = times
    cols.mmsi = _numbers(frame, "mmsi").astype(np.int64)
    cols.msg_type = frame["_type"].to_numpy(dtype=np.uint8)
    lat, lon = _numbers(frame, "lat"), _numbers(frame, "lon")
    bad = ~((np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    lat[bad] = np.nan
    lon[bad] = np.nan
    cols.lat, cols.lon = lat, lon
    speed, course = _numbers(frame, "speed"), _numbers(frame, "course")
    speed[(speed < 0) | (speed >= 102.3)] = np.nan
    course[(course < 0) | (course >= 360)] = np.nan
    cols.speed, cols.course = speed.astype(np.float32), course.astype(np.float32)
    heading = _numbers(frame, "heading")
    status = (
        np.array(coded(frame["status"], NAV_STATUS_WORDS), dtype=np.float64)
        if "status" in frame
        else np.full(n, np.nan)
    )
    cols.heading = np.where((heading >= 0) & (heading < 360), heading, -1).astype(np.int16)
    cols.status = np.where((status >= 0) & (status <= 15), status, -1).astype(np.int8)
    turn = _numbers(frame, "turn")
    turn[np.abs(turn) > 720] = np.nan
    cols.turn = turn.astype(np.float32)
    if "source" in frame:
        cols.source = frame["source"].fillna("").astype(str).tolist()
    return cols


@dataclass
class Tables:
    """The rows of a run's tables as records, ordered by event time."""

    positions: PositionColumns
    batch_statics: list[Any]
    stats: TableStats

    def times(self) -> npt.NDArray[np.int64]:
        """Every record's event time (positions, then static reports)."""
        statics = np.array([s.time_ms for s in self.batch_statics], dtype=np.int64)
        return np.concatenate([self.positions.time_ms.astype(np.int64), statics])

    def batches(self, size: int = 50_000) -> Iterator[Batch]:
        """Yield batches of ``size`` positions with the static records of their time range."""
        pos, statics = self.positions, self.batch_statics
        s_times = np.array([s.time_ms for s in statics], dtype=np.int64)
        n = len(pos)
        start = 0
        s_at = 0
        while start < n or s_at < len(statics):
            stop = min(start + size, n)
            last = int(pos.time_ms[stop - 1]) if stop > start else np.iinfo(np.int64).max
            s_stop = len(statics) if stop >= n else int(np.searchsorted(s_times, last, "right"))
            yield Batch(pos.take(np.arange(start, stop)), statics[s_at:s_stop])
            start, s_at = stop, s_stop


def read_tables(paths: Sequence[Path]) -> Tables:
    """Read every table, account for each row, and return the records ordered by time."""
    stats = TableStats()
    frames: list[pd.DataFrame] = []
    for path in paths:
        head = "" if (zipped := zipped_layer(path) is not None) else read_head(path)
        if zipped or is_layer(path, head):
            frame = _frame_layer(path, stats)
        elif first_line(head).startswith(("{", "[")):
            frame = _frame_json(path, stats)
        else:
            frame = _frame_csv(path, stats)
        stats.rows += len(frame)
        times = parse_times(frame["time"])
        mmsi = _numbers(frame, "mmsi")
        types = _message_types(frame)
        checks = (
            ("bad_time", times == NO_TIME, "time"),
            ("bad_mmsi", ~((mmsi >= 1) & (mmsi <= 999_999_999) & (mmsi % 1 == 0)), "mmsi"),
            ("not_a_vessel", np.isin(types, list(NOT_VESSEL_TYPES)), "msg_type"),
            ("other_message", ~np.isin(types, list(POSITION_TYPES | STATIC_TYPES)), "msg_type"),
        )
        keep = np.ones(len(frame), dtype=bool)
        for reason, mask, col in checks:
            mask = mask & keep
            stats.skip(
                reason, int(mask.sum()), _example(path, frame, mask, col) if mask.any() else ""
            )
            keep &= ~mask
        frame = frame.loc[keep].assign(_time=times[keep], _type=types[keep])
        frames.append(frame)
    if not frames:
        return Tables(PositionColumns.empty(), [], stats)
    rows = pd.concat(frames, ignore_index=True).sort_values("_time", kind="stable")
    rows = rows.reset_index(drop=True)
    static_only = rows["_type"].isin(list(STATIC_TYPES - POSITION_TYPES)).to_numpy().copy()
    if "record" in rows:
        static_only |= (rows["record"].astype("string") == "static").fillna(False).to_numpy()
    stats.statics_only = int(static_only.sum())
    statics = static_reports(rows)
    fixes = rows.loc[~static_only]
    same = [c for c in ("mmsi", "_time", "lat", "lon", "speed", "course", "heading") if c in fixes]
    repeated = fixes.duplicated(subset=same).to_numpy()
    stats.duplicates = int(repeated.sum())
    fixes = fixes.loc[~repeated]
    stats.positions = len(fixes)
    positions = _positions(fixes, fixes["_time"].to_numpy(dtype=np.int64))
    return Tables(positions, statics, stats)
