"""Zone membership made apart from the engine (`geo.membership`) gives the engine's events."""

from __future__ import annotations

import numpy as np

from geo.membership import ZoneLookup
from geo.zones import ZoneKind
from tests.geo.engine_scenarios import batches, canonical, make_engine, zone
from tests.geo.test_engine import SCENARIO, WATCH, WHOLE_RAW, ZONES


def test_membership_made_beforehand_gives_the_same_events() -> None:
    """As `mare detect`'s decoding process makes it: another lookup of the same zones."""
    lookup = ZoneLookup(ZONES)
    eng = make_engine(ZONES, WATCH)
    out = []
    for b in batches(SCENARIO, [700] * (len(SCENARIO) // 700 + 1)):
        out += eng.process(b, lookup.of(b.positions))
    out += eng.flush()
    assert canonical(out) == canonical(WHOLE_RAW)


def test_membership_of_another_zone_set_is_not_used() -> None:
    other = ZoneLookup([zone("elsewhere", ZoneKind.CUSTOM, (12.0, 33.0, 12.4, 33.3))])
    eng = make_engine(ZONES, WATCH)
    (b,) = batches(SCENARIO)
    out = eng.process(b, other.of(b.positions)) + eng.flush()
    assert canonical(out) == canonical(WHOLE_RAW)


def test_membership_lists_each_trackable_position_s_zones_in_index_order() -> None:
    lookup = ZoneLookup(ZONES)
    (b,) = batches(SCENARIO)
    m = lookup.of(b.positions)
    pos = b.positions
    p, z = lookup.index.query(pos.lon[m.valid], pos.lat[m.valid])
    rows = np.flatnonzero(m.valid)[p]
    got = [(r, int(j)) for r in range(len(pos)) for j in m.zidx[m.offs[r] : m.offs[r + 1]]]
    assert got == list(zip(rows.tolist(), z.tolist(), strict=True))
    assert got and not m.supp[~m.valid].any() and not m.zhash[~m.valid].any()


def test_membership_carries_the_batch_s_mmsis_stations_and_missing_fixes() -> None:
    """What the engine's per batch work reads of the batch alone comes made with the zones."""
    (b,) = batches(SCENARIO)
    pos = b.positions
    pos.source = [("sat", "east", "sat", "west")[i % 4] for i in range(len(pos))]
    pos.lat[3] = np.nan
    m = ZoneLookup(ZONES).of(pos)
    assert m.mmsis.tolist() == np.unique(pos.mmsi).tolist()
    assert m.stations == ("sat", "east", "west")  # in order of first appearance
    assert [m.stations[i] for i in m.station_idx.tolist()] == pos.source
    assert m.no_position == 1


def test_membership_indexes_are_32_bit_for_the_decoding_process_to_send_less() -> None:
    (b,) = batches(SCENARIO)
    m = ZoneLookup(ZONES).of(b.positions)
    assert m.offs.dtype == m.zidx.dtype == m.station_idx.dtype == np.int32
    assert len(m.zidx) and m.offs[-1] == len(m.zidx)
