"""`GroupWrite`: a capture's batches in one transaction store what they store one by one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ais_ingest.decoder import Decoder, chunked, read_lines
from ais_ingest.records import PositionColumns
from app.store import Store, open_store
from app.store.group_write import GroupWrite
from app.store.vessels import merge_vessel_stages, stage_positions_pg
from tests.app.store.test_vessels_bulk import AISHUB, T0, _vessels

from .test_positions import count


def test_a_capture_in_groups_stores_what_its_batches_store_one_by_one(
    store: Store, tmp_path: Path
) -> None:
    """Two passes 10 minutes apart, a group each: the second merges into what the first stored."""
    lines = list(read_lines(AISHUB))
    one_by_one = open_store(f"sqlite:///{tmp_path}/reference.db")
    try:
        decoders = {"group": Decoder(), "one": Decoder()}
        for rnd in range(2):
            group = GroupWrite(store)
            first = 0
            for chunk in chunked(lines, 7000):
                times = [T0 + rnd * 600_000 + (first + i) * 2 for i in range(len(chunk))]
                group.add(store.stage(decoders["group"].decode(chunk, times, "aishub")))
                one_by_one.write_batch(decoders["one"].decode(chunk, times, "aishub"))
                first += len(chunk)
            group.commit()
        assert count(store, "positions") == count(one_by_one, "positions") > 50_000
        assert _vessels(store) == _vessels(one_by_one)
    finally:
        one_by_one.close()


@pytest.mark.parametrize("store", ["postgis"], indirect=True)  # SQLite commits each batch
def test_a_group_not_committed_stores_nothing(store: Store) -> None:
    lines = list(read_lines(AISHUB))[:5000]
    group = GroupWrite(store)
    group.add(store.stage(Decoder().decode(lines, [T0] * len(lines), "aishub")))
    group.close()
    assert count(store, "positions") == 0


def _cols(mmsi: list[int], t: list[int], lat: list[float]) -> PositionColumns:
    cols = PositionColumns.empty(len(mmsi))
    cols.mmsi = np.array(mmsi, dtype=np.int64)
    cols.time_ms = np.array(t, dtype=np.int64)
    cols.lat = np.array(lat, dtype=np.float64)
    cols.lon = np.where(np.isnan(cols.lat), np.nan, 12.0)
    cols.msg_type[:] = 1
    return cols


def test_merged_stages_keep_the_span_and_the_latest_fix_the_later_batch_on_a_tie() -> None:
    nan = float("nan")
    stages = [
        stage_positions_pg(_cols([1, 1, 2], [10, 30, 20], [35.0, 35.1, 36.0])),
        stage_positions_pg(_cols([1, 3], [5, 40], [nan, nan])),  # no fix: the span only
        stage_positions_pg(_cols([1, 2], [30, 15], [35.2, 36.5])),  # a tie, and an older fix
    ]
    merged = merge_vessel_stages(stages)
    assert merged is not None
    rows = {int(r["mmsi"]): r for r in merged.rows}
    assert sorted(rows) == [1, 2, 3]
    assert (rows[1]["f"], rows[1]["l"], rows[1]["t"], rows[1]["lat"]) == (5, 30, 30, 35.2)
    assert (rows[2]["f"], rows[2]["l"], rows[2]["t"], rows[2]["lat"]) == (15, 20, 20, 36.0)
    assert (rows[3]["f"], rows[3]["l"], rows[3]["t"]) == (40, 40, -1)
    assert merged.rows.dtype == stages[0].rows.dtype  # type: ignore[union-attr]  # COPY layout
