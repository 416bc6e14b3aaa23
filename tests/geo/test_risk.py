from typing import Any

from geo.config import EngineConfig
from geo.events import Event, EventKind, Severity
from geo.risk import describe, risk_score
from geo.zones import SHIPPED_ZONE_FILE

H = 3_600_000
NEAR = {"name": "Zuwara", "country": "LY", "distance_nm": 38.2, "direction": "N"}


def enc(start: int, end: int | None) -> Event:
    return Event(
        EventKind.ENCOUNTER,
        642123456,
        start,
        end,
        33.4,
        12.1,
        Severity.HIGH,
        other_mmsi=672654321,
        details={"near": NEAR, "duration": "2 h 40 min"},
    )


def test_every_contribution_is_explained_in_words() -> None:
    r = risk_score(672654321, [enc(0, 9_600_000)], now_ms=9_600_000)
    assert r.score == 50
    assert r.explain() == ["encounter with 642123456 for 2 h 40 min, 38 nm N of Zuwara: +50"]


def test_contributions_decay_with_a_24_hour_half_life_but_open_episodes_do_not() -> None:
    closed = risk_score(642123456, [enc(0, H)], now_ms=H + 24 * H)
    assert closed.score == 25
    still_open = risk_score(642123456, [enc(0, None)], now_ms=H + 24 * H)
    assert still_open.score == 50


def test_later_version_of_an_episode_replaces_the_open_one() -> None:
    r = risk_score(642123456, [enc(0, None), enc(0, 2 * H)], now_ms=2 * H)
    assert len(r.contributions) == 1


def test_score_is_capped_at_100_and_sorted_strongest_first() -> None:
    events = [
        Event(
            EventKind.WATCHLIST_MATCH,
            1,
            0,
            0,
            None,
            None,
            Severity.HIGH,
            details={"summary": "watchlist match on mmsi: MMSI 1"},
        ),
        *[
            Event(EventKind.AIS_GAP, 1, i * H, i * H + H, None, None, Severity.MEDIUM)
            for i in range(5)
        ],
    ]
    r = risk_score(1, events, now_ms=6 * H)
    assert r.score == 100
    assert r.contributions[0].kind == "watchlist_match"


def test_zone_events_weigh_by_zone_severity_and_ports_count_nothing() -> None:
    def entry(sev: Severity) -> Event:
        return Event(
            EventKind.ZONE_ENTRY, 1, 0, 0, None, None, sev, zone="z", details={"zone_name": "Z"}
        )

    assert risk_score(1, [entry(Severity.HIGH)], 0).score == 10
    assert risk_score(1, [entry(Severity.INFO)], 0).score == 0
    assert describe(entry(Severity.HIGH), 1) == "entered Z"


def test_weights_are_configurable() -> None:
    cfg = EngineConfig(risk_weights={"encounter": 35.0})
    assert risk_score(642123456, [enc(0, H)], H, cfg).score == 35


def test_going_dark_in_departure_waters_counts_two_and_a_half_times() -> None:
    from geo.risk import departure_waters
    from geo.zones import load_zone_file

    where = departure_waters(load_zone_file(SHIPPED_ZONE_FILE))
    off_zuwara = Event(EventKind.AIS_GAP, 1, 0, H, 32.95, 12.1, Severity.MEDIUM)
    mid_channel = Event(EventKind.AIS_GAP, 1, 0, H, 36.5, 13.5, Severity.MEDIUM)
    near = risk_score(1, [off_zuwara], H, where=where)
    far = risk_score(1, [mid_channel], H, where=where)
    assert (near.score, far.score) == (50, 20)
    assert "in departure waters (Departure area off Zuwara)" in near.explain()[0]
    assert far.explain() == ["AIS silent for 1 h: +20"]


def test_one_zone_counts_once_however_often_it_is_entered() -> None:
    def entry(start: int) -> Event:
        return Event(
            EventKind.ZONE_ENTRY, 1, start, start, None, None, Severity.HIGH, zone="bank",
            details={"zone_name": "Bank"},
        )  # fmt: skip

    r = risk_score(1, [entry(i * 60_000) for i in range(12)], now_ms=12 * 60_000)
    assert r.score == 10
    assert r.explain() == ["entered Bank: +10"]


def test_departure_waters_weigh_more_only_where_the_receivers_hear_well() -> None:
    from geo.risk import departure_waters
    from geo.zones import load_zone_file

    where = departure_waters(load_zone_file(SHIPPED_ZONE_FILE))

    def gap(verdict: str, own: float | None = 0.9) -> Event:
        return Event(EventKind.AIS_GAP, 1, 0, H, 32.95, 12.1, Severity.MEDIUM,
                     details={"coverage": {"verdict": verdict, "own_reception": own}})  # fmt: skip

    assert risk_score(1, [gap("good")], H, where=where).score == 50
    assert risk_score(1, [gap("unknown")], H, where=where).score == 20
    assert risk_score(1, [gap("edge")], H, where=where).score == 5  # lost, not switched off


def test_one_gap_of_a_vessel_of_unknown_own_reception_weighs_plain() -> None:
    from geo.risk import departure_waters
    from geo.zones import load_zone_file

    where = departure_waters(load_zone_file(SHIPPED_ZONE_FILE))
    gap = Event(EventKind.AIS_GAP, 1, 0, H, 32.95, 12.1, Severity.MEDIUM,
                details={"coverage": {"verdict": "good", "own_reception": None}})  # fmt: skip
    assert risk_score(1, [gap], H, where=where).score == 20


def test_a_ship_craft_silent_on_board_weighs_as_a_loss_of_contact() -> None:
    """A craft of a parent ship back on board is no switch-off, even where receivers hear well."""
    details = {
        "coverage": {"verdict": "good", "own_reception": 0.9},
        "routine_silence": "a craft of a parent ship (MMSI 98x) is silent while on board",
    }
    craft = Event(EventKind.AIS_GAP, 1, 0, H, 35.0, 12.0, Severity.LOW, details=details)
    assert risk_score(1, [craft], H).score == 5


def _cases() -> list[tuple[int, list[Event], int]]:
    """Vessels' events and times that take every branch of the score (decay, zones, cap)."""
    zone = [
        Event(EventKind.ZONE_ENTRY, 1, t, t, None, None, sev, zone=z, details={"zone_name": z})
        for t, sev, z in [
            (0, Severity.HIGH, "a"),
            (H, Severity.LOW, "b"),
            (2 * H, Severity.HIGH, "a"),
        ]
    ]
    covered: list[tuple[float, float, dict[str, Any]]] = [
        (32.95, 12.1, {}),
        (36.5, 13.5, {}),
        (32.95, 12.1, {"coverage": {"verdict": "edge", "own_reception": 0.9}}),
        (32.95, 12.1, {"coverage": {"verdict": "unknown", "own_reception": None}}),
    ]
    gaps = [
        Event(EventKind.AIS_GAP, 1, i * H, i * H + H, lat, lon, Severity.MEDIUM, details=d)
        for i, (lat, lon, d) in enumerate(covered)
    ]
    many = [
        Event(EventKind.AIS_GAP, 7, i * H, i * H + H, None, None, Severity.MEDIUM) for i in range(9)
    ]
    out = [(642123456, [enc(0, H)], t) for t in (H, H + 24 * H, H + 24 * 40 * H)]
    out += [(672654321, [enc(0, None), enc(0, 2 * H)], 3 * H)]
    out += [(1, zone + gaps, t) for t in (5 * H, 30 * H, 300 * H)] + [(7, many, 10 * H)]
    return out


def test_the_score_alone_is_the_score_of_the_worded_risk() -> None:
    from geo.risk import departure_waters, risk_points
    from geo.zones import load_zone_file

    where = departure_waters(load_zone_file(SHIPPED_ZONE_FILE))
    scores = set()
    for mmsi, events, now in _cases():
        for w in (None, where):
            full = risk_score(mmsi, events, now, where=w)
            assert risk_points(mmsi, events, now, where=w) == full.score
            scores.add(full.score)
    assert len(scores) > 6 and 100 in scores  # cases that score apart, the cap among them
