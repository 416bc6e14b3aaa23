import numpy as np

from simulate.reporting import Network, Outage, Station, draw_outages

WEST, EAST = Station("west", 12.0, 35.0, 40, True), Station("east", 12.8, 35.0, 40, False)


def test_while_a_station_is_down_the_next_one_up_hears_what_it_can() -> None:
    net = Network((WEST, EAST), outages=(Outage(0, 1_000, 2_000),))
    t = np.array([500, 1_500, 1_500, 2_500], np.int64)
    lon = np.array([12.1, 12.1, 11.5, 12.1])  # the third is beyond the east station's range
    lat = np.full(4, 35.0)
    reach = np.ones(4)
    rec = net.receive(t, lon, lat, reach, np.random.default_rng(1), base_loss=0.0, dup_prob=0.0)
    assert rec.primary.tolist()[:2] == [0, 1] and rec.primary[3] == 0
    now = net.probability(t, lon, lat, reach, base_loss=0.05, dup_prob=0.0)
    up = net.probability(t, lon, lat, reach, base_loss=0.05, dup_prob=0.0, outages=False)
    assert now[2] == 0.0 and up[2] > 0.9  # heard by the west station alone: lost with it
    assert now[1] > 0.0 and now[0] == up[0] and now[3] == up[3]


def test_outages_are_drawn_from_the_seed_alone() -> None:
    a = draw_outages(9, 0, 6 * 3_600_000, 2, seed=3)
    assert (
        a == draw_outages(9, 0, 6 * 3_600_000, 2, seed=3) != draw_outages(9, 0, 6 * 3_600_000, 2, 4)
    )
    for o in a:
        assert 3_600_000 <= o.start_ms < o.end_ms < 6 * 3_600_000
        assert 45 * 60_000 <= o.end_ms - o.start_ms <= 120 * 60_000
