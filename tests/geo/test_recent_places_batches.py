"""The memory of recent places marks the same repeats whatever the batches (`geo.recent_places`).

Live ingest hands the engine 2,048 lines a batch and `mare detect` 8,192: a record's being a
repeat must not depend on where they were cut. The reference is the rule applied one record
after another; a small table makes places that hash alike common.
"""

from __future__ import annotations

import numpy as np
import pytest

from geo.recent_places import MIN_AGE_S, RecentPlaces

MASK64 = (1 << 64) - 1


def one_record_at_a_time(mem: RecentPlaces, mmsi, t_ms, lon, lat, sog):  # type: ignore[no-untyped-def]
    """The rule record by record, in plain Python, on a copy of ``mem``'s table."""
    table = [int(v) for v in mem.table]
    out = []
    for m, t, x, y, v in zip(mmsi, t_ms, lon, lat, sog, strict=True):
        if not v >= mem.min_sog_kn:
            out.append(False)
            continue
        cell = int(np.int64(y * 1e4)) * 3_600_007 + int(np.int64(x * 1e4))
        h = ((int(m) * 0x5BD1E995 + cell) & MASK64) * 0x9E3779B97F4A7C15 & MASK64
        i = h >> (64 - mem.bits)
        e = ((h << mem.bits) & 0xFFFFFFFF00000000) | (int(t) // 1000)
        age = (e - table[i]) & MASK64
        if age <= mem.window_s:
            out.append(age >= MIN_AGE_S)
        else:
            table[i] = e
            out.append(False)
    return out, table


def feed(seed: int, step_s: int, late_s: int, n: int = 3000):  # type: ignore[no-untyped-def]
    """Records of a few vessels at a few places, times mostly rising, some out of order."""
    rng = np.random.default_rng(seed)
    mmsi = rng.choice(np.array([244_000_001, 244_000_002, 255_000_003, 636_000_004]), n)
    place = rng.integers(0, 12, n)
    lon = 12.0 + place * 0.001
    lat = 35.0 + place * 0.0007
    t = np.cumsum(rng.integers(0, step_s, n)) * 1000 + 1_700_000_000_000
    late = rng.random(n) < 0.1  # a relay's late copies: minutes behind the feed
    t = np.where(late, t - rng.integers(0, late_s, n) * 1000, t)
    sog = np.where(rng.random(n) < 0.9, 5.0, 0.2)
    return mmsi.astype(np.int64), t.astype(np.int64), lon, lat, sog


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("size", [1, 7, 64, 500, 3000])
@pytest.mark.parametrize("bits", [4, 18])
@pytest.mark.parametrize(("step_s", "late_s"), [(90, 7200), (5, 600)])
def test_repeats_are_those_of_one_record_at_a_time(
    seed: int, size: int, bits: int, step_s: int, late_s: int
) -> None:
    """16 slots: places that hash alike in every batch; 2**18: a slot is one vessel's cell.

    Records seconds apart with copies minutes late are a batch's records of one cell out of
    order within the hour (the running minimum); a minute apart with copies hours late, more.
    """
    mmsi, t, lon, lat, sog = feed(seed, step_s, late_s)
    want, table = one_record_at_a_time(RecentPlaces(bits=bits), mmsi, t, lon, lat, sog)
    mem = RecentPlaces(bits=bits)
    got: list[bool] = []
    for a in range(0, len(t), size):
        b = slice(a, a + size)
        valid = np.ones(len(t[b]), dtype=np.bool_)
        got += mem.repeats(mmsi[b], t[b], lon[b], lat[b], sog[b], valid).tolist()
    assert got == want
    assert [int(v) for v in mem.table] == table
    assert any(want)
