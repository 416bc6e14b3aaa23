from __future__ import annotations

import numpy as np

from ais_ingest.decoder import Decoder
from ais_ingest.records import Batch
from app.live.picture import LivePicture
from bench.service import lines

T0 = 1_790_000_000_000  # 2026-09-21T14:13:20Z


def batch(mmsi: list[int], lon: list[float], times: list[int]) -> Batch:
    text = lines(np.array(mmsi), np.array(lon), np.full(len(mmsi), 35.0))
    return Decoder(dedupe_seconds=0).decode(text, times, ["test"] * len(text))


def test_each_vessel_takes_its_newest_fix_and_an_older_one_changes_nothing() -> None:
    live = LivePicture()
    changed = live.apply_batch(
        batch([247000001, 247000002, 247000001], [12.0, 13.0, 12.5], [T0 + 2500, T0, T0 + 1000])
    )
    assert changed == {247000001, 247000002}
    v = live.get(247000001)
    assert v is not None
    assert (v["lon"], v["lat"], v["last_seen"], v["last_seen_ms"]) == (
        12.0,
        35.0,
        "2026-09-21T14:13:22Z",
        T0 + 2500,
    )
    assert (v["speed"], v["course"], v["heading"], v["ais_class"]) == (10.0, 90.0, 90, "A")
    assert live.apply_batch(batch([247000001], [14.0], [T0 + 2000])) == set()
    assert live.get(247000001)["lon"] == 12.0  # type: ignore[index]
