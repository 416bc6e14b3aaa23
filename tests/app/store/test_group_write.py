"""`GroupWrite`: a capture's batches in one transaction store what they store one by one."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from ais_ingest.decoder import Decoder, chunked, read_lines
from ais_ingest.records import PositionColumns, StaticReport
from app.store import Staged, Store, open_store
from app.store.group_write import GroupWrite, merge_group
from app.store.vessels import (
    STATIC_FIELDS,
    _merged,
    merge_statics,
    merge_unstored,
    merge_vessel_stages,
    stage_positions_pg,
)
from tests.app.store.test_vessels_bulk import AISHUB, T0, _vessels

from .test_positions import count


@pytest.mark.parametrize("ahead", [False, True], ids=["merged-at-commit", "merged-ahead"])
def test_a_capture_in_groups_stores_what_its_batches_store_one_by_one(
    store: Store, tmp_path: Path, ahead: bool
) -> None:
    """Two passes 10 minutes apart, a group each: the second merges into what the first stored.

    ``ahead``: the writer merges the group's vessels itself (`merge_group`), as `mare ingest`
    does while the last batch is in the database; the second pass's vessels are then stored
    with static data, merged again at the commit.
    """
    lines = list(read_lines(AISHUB))
    one_by_one = open_store(f"sqlite:///{tmp_path}/reference.db")
    try:
        decoders = {"group": Decoder(), "one": Decoder()}
        for rnd in range(2):
            group = GroupWrite(store)
            first = 0
            staged: list[Staged] = []
            for chunk in chunked(lines, 7000):
                times = [T0 + rnd * 600_000 + (first + i) * 2 for i in range(len(chunk))]
                staged.append(store.stage(decoders["group"].decode(chunk, times, "aishub")))
                group.add(staged[-1])
                one_by_one.write_batch(decoders["one"].decode(chunk, times, "aishub"))
                first += len(chunk)
            vessels = [s.vessels for s in staged]
            group.commit(
                merge_group(vessels, [r for s in staged for r in s.batch.statics])
                if ahead
                else None
            )
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


def test_statics_merged_ahead_are_merged_again_only_onto_stored_static_data() -> None:
    """`merge_unstored` is the merge onto no stored statics: a row without any, or no row."""
    blank = dict.fromkeys(STATIC_FIELDS)
    old = {"name": "OLD", "callsign": "OLDC", "draught": 4.5}
    current = {  # stored rows as the upsert reads them
        1: SimpleNamespace(mmsi=1, static_time=500, **blank | old),
        2: SimpleNamespace(mmsi=2, static_time=None, **blank),  # positions only
    }
    reports = [StaticReport(1000, mmsi, 5, name=f"NEW{mmsi}", imo=mmsi) for mmsi in (1, 2, 3)] + [
        StaticReport(100, 1, 5, callsign="STALE"),
        StaticReport(900, 3, 5, draught=2.0),
    ]
    by = merge_statics(reports)
    ahead = merge_unstored(by)
    assert _merged(by, current, ahead) == _merged(by, current)
    values = {v["mmsi"]: v for v in _merged(by, current, ahead)[0]}
    assert (values[1]["callsign"], values[1]["draught"]) == ("OLDC", 4.5)  # the stored kept
    assert values[1] != ahead[1][0]
    assert values[3]["draught"] == 2.0 and values[2]["static_time"] == 1000
