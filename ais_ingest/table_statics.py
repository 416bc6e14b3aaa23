"""Static records of a decoded table: one when a vessel's static data changes, not one per row.

Extracts repeat a vessel's name, call sign, type and size on every position row; the engine
wants static records as the air gives them: when the data is first heard or changes, and then
every six minutes while it stands, not one per position row (thousands of the same record). A
row whose static fields are all empty says nothing and breaks no run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ais_ingest.records import IMO_PREFIX, StaticReport
from ais_ingest.table_columns import SHIP_TYPE_WORDS, STATIC_FIELDS, coded, numeric

#: Class A's static report interval (ITU-R M.1371: every 6 minutes).
REPEAT_MS = 360_000
_TEXT = ("name", "callsign", "destination")
_INTS = ("imo", "to_bow", "to_stern", "to_port", "to_starboard")


def _ship_types(column: pd.Series) -> pd.Series:
    out = coded(column, SHIP_TYPE_WORDS)
    return out.where((out >= 0) & (out <= 255))


def _static_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Each row's static fields in Mare's units, NaN/None where the table has nothing."""
    out = pd.DataFrame(index=rows.index)
    for name in _TEXT:
        col = rows[name].astype("string").str.strip() if name in rows else None
        out[name] = col.where(col != "") if col is not None else pd.NA
    for name in _INTS:
        column = rows[name] if name in rows else None
        if column is not None and name == "imo" and column.dtype.kind not in "biuf":
            column = column.astype("string").str.replace(IMO_PREFIX, "", regex=True)
        num = numeric(column) if column is not None else None
        out[name] = num.where(num > 0) if num is not None else np.nan
    if "length" in rows and "to_bow" not in rows:
        out["to_bow"] = numeric(rows["length"]).where(lambda v: v > 0)
        out["to_stern"] = out["to_bow"].where(out["to_bow"].isna(), 0)
    if "width" in rows and "to_port" not in rows:
        out["to_port"] = numeric(rows["width"]).where(lambda v: v > 0)
        out["to_starboard"] = out["to_port"].where(out["to_port"].isna(), 0)
    out["ship_type"] = _ship_types(rows["ship_type"]) if "ship_type" in rows else np.nan
    out["draught"] = (
        numeric(rows["draught"]).where(lambda v: v > 0) if "draught" in rows else np.nan
    )
    return out[list(STATIC_FIELDS)]


def _values(column: pd.Series, integer: bool) -> list[Any]:
    """Return a column as Python ints, floats or strings, None where the table has nothing."""
    present = column.notna().to_numpy()
    raw = column.astype(object).tolist()
    if integer:
        return [int(v) if ok else None for v, ok in zip(raw, present, strict=True)]
    return [(float(v) if isinstance(v, float) else str(v)) if ok else None
            for v, ok in zip(raw, present, strict=True)]  # fmt: skip


def static_reports(rows: pd.DataFrame) -> list[StaticReport]:
    """Return a static record per vessel and change of its static data, ordered by time.

    ``rows`` are time-ordered with Mare's column names plus ``_time`` (epoch ms) and ``_type``
    (message type: class B vessels' records are type 24, class A's type 5).
    """
    if not any(f in rows for f in (*STATIC_FIELDS, "length", "width", "ship_type")):
        return []
    data = _static_frame(rows)
    said = data.notna().any(axis=1).to_numpy()
    if not said.any():
        return []
    data = data.loc[said]
    meta = rows.loc[said, ["mmsi", "_time", "_type"]].assign(
        mmsi=lambda f: pd.to_numeric(f["mmsi"], errors="coerce").astype("int64"),
        source=rows.loc[said, "source"].fillna("").astype(str) if "source" in rows else "",
    )
    order = np.lexsort((meta["_time"].to_numpy(), meta["mmsi"].to_numpy()))
    data, meta = data.iloc[order], meta.iloc[order]
    key = data.astype("string").fillna("\x00")
    same_vessel = meta["mmsi"].to_numpy()[1:] == meta["mmsi"].to_numpy()[:-1]
    same_data = (key.to_numpy()[1:] == key.to_numpy()[:-1]).all(axis=1)
    changed = np.concatenate(([True], ~(same_vessel & same_data)))
    # While the data stands, one record per vessel and `REPEAT_MS`, as a transponder repeats it
    # (the identity detector confirms a new name by the reports that repeat it).
    times = meta["_time"].to_numpy(dtype=np.int64)
    run_start = np.maximum.accumulate(np.where(changed, times, np.iinfo(np.int64).min))
    bucket = (times - run_start) // REPEAT_MS
    new = changed | np.concatenate(([True], bucket[1:] != bucket[:-1]))
    # Column by column into Python values: a row at a time through pandas cost 25 us a record.
    chosen = data.loc[new]
    columns = [_values(chosen[f], f in _INTS or f == "ship_type") for f in STATIC_FIELDS]
    kept = meta.loc[new]
    out = [
        StaticReport(
            time_ms=time_ms,
            mmsi=mmsi,
            msg_type=24 if msg_type in (18, 19, 24) else 5,
            source=source,
            **dict(zip(STATIC_FIELDS, values, strict=True)),
        )
        for mmsi, time_ms, msg_type, source, *values in zip(
            kept["mmsi"].astype("int64").tolist(),
            kept["_time"].astype("int64").tolist(),
            kept["_type"].astype("int64").tolist(),
            kept["source"].tolist(),
            *columns,
            strict=True,
        )
    ]
    out.sort(key=lambda s: s.time_ms)
    return out
