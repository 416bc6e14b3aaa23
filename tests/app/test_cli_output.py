"""`mare decode`'s writer: records from the columns are the records of the report objects."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from ais_ingest.decoder import Decoder, chunked, read_lines
from ais_ingest.records import Batch, PositionColumns, iso_utc, iso_utc_many
from app.cli.output import RecordWriter, batch_dicts, position_dicts, record_dict
from bench.ingest import build_capture

DATA = Path(__file__).parents[1] / "data" / "ais"


def _batches(lines: list[str]) -> list[Batch]:
    dec = Decoder()
    out = [dec.decode(chunk, 1_700_000_000_000, "cap") for chunk in chunked(lines, 8192)]
    return [*out, dec.flush()]


def _captures() -> dict[str, list[str]]:
    tagged = build_capture(copies=1).decode("ascii").splitlines()
    return {
        "aishub": list(read_lines(DATA / "aishub" / "aishub_2015_3min.nmea")),
        "aishub_tagged_corrupt": tagged,
        "pyais_sample": list(read_lines(DATA / "pyais" / "nmea_data_sample.txt")),
    }


@pytest.mark.parametrize("name", ["aishub", "aishub_tagged_corrupt", "pyais_sample"])
def test_rows_from_columns_equal_the_reports_on_real_captures(name: str) -> None:
    for batch in _batches(_captures()[name]):
        assert position_dicts(batch.positions) == [record_dict(r) for r in batch.positions]
        assert batch_dicts(batch) == [record_dict(r) for r in batch.records()]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_batch_writer_writes_what_the_record_writer_writes(fmt: str) -> None:
    batches = _batches(_captures()["aishub_tagged_corrupt"])
    slow, fast = io.StringIO(), io.StringIO()
    by_record, by_batch = RecordWriter(slow, fmt), RecordWriter(fast, fmt)
    for batch in batches:
        by_record.write(batch.records())
        by_batch.write_batch(batch)
    assert fast.getvalue() == slow.getvalue() and len(slow.getvalue()) > 1_000_000


def test_unavailable_values_and_signed_zero_come_out_as_the_reports_say() -> None:
    cols = PositionColumns.empty(4)
    cols.time_ms[:] = [0, 1_418_169_601_250, 1_418_169_601_000, -1]
    cols.mmsi[:] = [1, 2, 3, 4]
    cols.lat[:] = [np.nan, 35.5, -0.0, 0.0]
    cols.turn[:] = [np.nan, -0.04, 0.04, -0.0]
    cols.speed[:] = [102.3, 0.05, 0.15, np.nan]
    cols.heading[:] = [-1, 0, 511, 359]
    cols.msg_type[:] = [1, 18, 9, 27]
    got = position_dicts(cols)
    assert got == [record_dict(r) for r in cols]
    assert [repr(d["turn"]) for d in got] == [repr(record_dict(r)["turn"]) for r in cols]
    assert [repr(d["lat"]) for d in got] == ["None", "35.5", "-0.0", "0.0"]


def test_iso_utc_many_is_iso_utc() -> None:
    rng = np.random.default_rng(0)
    ms = np.concatenate(
        (
            rng.integers(0, 4_102_444_800_000, 2000),
            rng.integers(0, 4_102_444_800, 2000) * 1000,
            np.array([0, 999, 1000, -1, 1_700_000_000_001]),
        )
    ).astype(np.int64)
    assert iso_utc_many(ms) == [iso_utc(m) for m in ms.tolist()]
