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


def test_adopted_entries_add_vessels_and_later_fixes_but_keep_this_engines_flags() -> None:
    from app.live.picture import new_vessel

    live = LivePicture()
    live.apply_batch(batch([247000001], [12.0], [T0 + 2000]))
    live.set_risk({247000001: 60})

    def stored(mmsi: int, lon: float, t: int) -> dict[str, object]:
        return {**new_vessel(mmsi), "lon": lon, "lat": 34.0, "last_seen_ms": t, "name": "ELSEWHERE"}

    # an older fix from another writer changes nothing; a new vessel is taken whole
    assert live.adopt([stored(247000001, 11.0, T0 + 1000), stored(247000003, 13.0, T0)]) == {
        247000003
    }
    assert live.get(247000001)["lon"] == 12.0  # type: ignore[index]
    assert live.get(247000003)["name"] == "ELSEWHERE"  # type: ignore[index]
    assert live.fix_times() == {247000001: T0 + 2000, 247000003: T0}
    # a later one moves it, its risk stays the one this engine gave
    assert live.adopt([stored(247000001, 12.5, T0 + 3000)]) == {247000001}
    v = live.get(247000001)
    assert v is not None and (v["lon"], v["risk"], v["name"]) == (12.5, 60, "ELSEWHERE")
