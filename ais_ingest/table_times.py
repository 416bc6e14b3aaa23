"""Time stamps of decoded AIS tables, in whatever form the provider wrote them, as epoch ms.

Seen in real extracts: ISO 8601 with or without ``T``, a zone or fractions (MarineCadastre,
Mare's own output, most APIs); BigQuery's ``2019-01-01 00:00:00 UTC`` (Global Fishing Watch);
``01/03/2024 00:00:00`` (the Danish Maritime Authority writes day first; US tools month first);
``20210701_144207`` (exactEarth's satellite CSV, as AISdb's test data keeps it, its milliseconds
in a column of their own); epoch seconds or milliseconds. A time without a zone is UTC, as AIS
times are by convention. Slashed dates are read both ways and the reading that parses more rows
wins; when both parse every row (no day above 12), the one whose times span less wins, since an
extract read the wrong way round jumps between months; a tie is read day first, the AIS
providers' (European) habit.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

#: Epoch values above this are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973).
EPOCH_MS_ABOVE = 1e11
SLASHED = ("%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M")
#: exactEarth's ``YYYYMMDD_HHMMSS`` (no separators but the underscore between date and time).
COMPACT = r"^\d{8}_\d{6}$"
#: The marker of "no time" in the returned array.
NO_TIME = np.iinfo(np.int64).min


def _to_ms(parsed: pd.Series) -> npt.NDArray[np.int64]:
    """Return epoch milliseconds of parsed UTC times, `NO_TIME` where none."""
    out = np.full(len(parsed), NO_TIME, dtype=np.int64)
    ok = parsed.notna().to_numpy()
    if ok.any():
        values = parsed[ok].dt.tz_convert("UTC").dt.tz_localize(None)
        out[ok] = values.to_numpy(dtype="datetime64[ms]").astype(np.int64)
    return out


def _epoch(numbers: pd.Series) -> npt.NDArray[np.int64]:
    values = numbers.to_numpy(dtype=np.float64)
    finite = values[np.isfinite(values)]
    scale = 1.0 if finite.size and np.median(np.abs(finite)) > EPOCH_MS_ABOVE else 1000.0
    out = np.full(values.shape, NO_TIME, dtype=np.int64)
    ok = np.isfinite(values)
    out[ok] = np.round(values[ok] * scale).astype(np.int64)
    return out


def _slashed(text: pd.Series) -> npt.NDArray[np.int64]:
    best: tuple[int, float, npt.NDArray[np.int64]] | None = None
    for fmt in SLASHED:
        ms = _to_ms(pd.to_datetime(text, format=fmt, errors="coerce", utc=True))
        good = ms[ms != NO_TIME]
        if not good.size:
            continue
        # More rows parsed first; then the smaller span; SLASHED's order (day first) breaks ties.
        score = (int(good.size), -float(good.max() - good.min()))
        if best is None or score > best[:2]:
            best = (*score, ms)
    if best is None:
        return np.full(len(text), NO_TIME, dtype=np.int64)
    return best[2]


def parse_times(column: pd.Series) -> npt.NDArray[np.int64]:
    """Return each row's time in epoch milliseconds UTC, `NO_TIME` where it is not a time."""
    if column.dtype.kind in "if":
        return _epoch(column.astype(np.float64))
    text = column.astype("string").str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().sum() * 2 > text.notna().sum():
        return _epoch(numbers)
    if text.str.contains("/", regex=False).fillna(False).any():
        return _slashed(text)
    compact = text.str.match(COMPACT).fillna(False)
    if compact.sum() * 2 > text.notna().sum():
        return _to_ms(pd.to_datetime(text, format="%Y%m%d_%H%M%S", errors="coerce", utc=True))
    text = text.str.replace(r"\s*UTC$", "Z", regex=True)
    return _to_ms(pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True))
