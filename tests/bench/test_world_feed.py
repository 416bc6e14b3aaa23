"""The bus benchmark's world feed: 60,000 distinct vessels on the world's seas at 5,000 msg/s."""

from __future__ import annotations

import numpy as np
import pytest

from bench import world_feed


@pytest.mark.timeout(120)
def test_the_world_feed_is_distinct_vessels_over_the_worlds_seas_at_its_rate() -> None:
    batches = world_feed.batches(240, 2048)
    mmsi = np.concatenate([b.positions.mmsi for b in batches])
    lon = np.concatenate([b.positions.lon for b in batches])
    lat = np.concatenate([b.positions.lat for b in batches])
    records = sum(len(b) for b in batches)
    assert len(np.unique(mmsi)) > 0.95 * world_feed.VESSELS  # not copies of a few
    assert 0.95 * world_feed.RATE * 240 < records < 1.05 * world_feed.RATE * 240
    # every ocean: both hemispheres, both sides of the date line, each lane
    assert lat.min() < -30 and lat.max() > 55 and lon.min() < -150 and lon.max() > 150
    sources = {s for b in batches for s in b.positions.source}
    assert sources == {lane.name for lane in world_feed.LANES}
    # in time order, the decoded batches as ingest makes them
    times = np.concatenate([b.positions.time_ms for b in batches])
    assert np.all(np.diff(times) >= 0)
    assert np.bincount(mmsi % 4).min() > 0.2 * len(mmsi)  # spread over partitions
