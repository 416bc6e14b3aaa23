from ais_ingest.records import Record
from geo.events import EventKind
from geo.zones import ZoneKind
from tests.geo.engine_scenarios import ms, of_kind, pos, run, static, track, zone

MOTHER, BOAT = 642100001, 642100002


def test_two_slow_vessels_alongside_for_half_an_hour_are_one_encounter() -> None:
    recs = track(MOTHER, 0, 3600, 10, 33.40, 12.30, 0.5, 90.0)
    recs += track(BOAT, 600, 2400, 30, 33.401, 12.30, 1.0, 90.0, msg_type=18)
    recs += track(BOAT, 2400, 5000, 30, 33.5, 12.5, 15.0, 0.0, msg_type=18)[1:]
    recs.append(static(5, BOAT, name="DAWN@@", callsign="5AB12", msg_type=24))
    events = run(recs)
    (enc,) = of_kind(events, EventKind.ENCOUNTER)
    assert (enc.mmsi, enc.other_mmsi) == (MOTHER, BOAT)
    assert enc.end_ms is not None and 25 * 60_000 <= enc.end_ms - enc.start_ms <= 31 * 60_000
    assert enc.details["other"]["name"] == "DAWN"
    assert enc.details["min_distance_m"] < 200
    assert "Zuwara" in enc.details["summary"]


def test_ferry_passing_close_at_15_knots_is_not_an_encounter() -> None:
    recs = track(MOTHER, 0, 3600, 10, 33.40, 12.30, 0.5, 90.0)
    recs += track(247000009, 0, 3600, 10, 33.40, 12.25, 15.0, 90.0)  # passes right over it
    assert of_kind(run(recs), EventKind.ENCOUNTER) == []


def test_slow_vessels_a_kilometre_apart_are_not_an_encounter() -> None:
    recs = track(MOTHER, 0, 3600, 10, 33.40, 12.30, 0.5, 90.0)
    recs += track(BOAT, 0, 3600, 10, 33.409, 12.30, 0.5, 90.0)
    assert of_kind(run(recs), EventKind.ENCOUNTER) == []


def test_meeting_shorter_than_twenty_minutes_is_not_an_encounter() -> None:
    recs = track(MOTHER, 0, 3600, 10, 33.40, 12.30, 0.5, 90.0)
    recs += track(BOAT, 600, 1500, 30, 33.401, 12.30, 1.0, 90.0, msg_type=18)
    assert of_kind(run(recs), EventKind.ENCOUNTER) == []


def test_vessels_moored_together_in_port_are_not_an_encounter() -> None:
    port = zone("port", ZoneKind.PORT, (12.2, 33.3, 12.4, 33.5))
    recs = track(MOTHER, 0, 7200, 60, 33.40, 12.30, 0.0, 90.0, status=5)
    recs += track(BOAT, 0, 7200, 60, 33.4005, 12.30, 0.0, 90.0, status=5)
    assert of_kind(run(recs, [port]), EventKind.ENCOUNTER) == []


def test_three_lost_reports_in_a_row_do_not_split_or_lose_an_encounter() -> None:
    recs = track(MOTHER, 0, 4200, 10, 33.40, 12.30, 0.5, 90.0)
    boat = track(BOAT, 600, 3000, 180, 33.401, 12.30, 0.5, 90.0, msg_type=18)
    boat = [r for k, r in enumerate(boat) if k not in (5, 6, 7)]  # a 12-minute silence
    recs += boat + track(BOAT, 3180, 4200, 30, 33.41, 12.31, 15.0, 0.0, msg_type=18)
    (enc,) = of_kind(run(recs), EventKind.ENCOUNTER)
    assert enc.end_ms is not None and enc.end_ms - enc.start_ms >= 38 * 60_000


def test_a_pair_seen_apart_ends_the_episode_even_if_it_meets_again_later() -> None:
    recs = track(MOTHER, 0, 7200, 10, 33.40, 12.30, 0.0, 90.0)  # stopped
    recs += track(BOAT, 0, 1800, 30, 33.401, 12.30, 0.0, 90.0, msg_type=18)
    recs += track(BOAT, 1830, 2700, 30, 33.401, 12.30, 15.0, 0.0, msg_type=18)  # off north
    recs += track(BOAT, 2730, 3600, 30, 33.462, 12.30, 15.0, 180.0, msg_type=18)  # and back
    recs += track(BOAT, 3630, 5400, 30, 33.401, 12.30, 0.0, 90.0, msg_type=18)
    assert len(of_kind(run(recs), EventKind.ENCOUNTER)) == 2


def _alongside_by_passes(hours: float, *missed: tuple[float, float]) -> list[Record]:
    """A mothership and a boat drifting together, heard twice an hour as satellite passes are,
    not at all in the ``missed`` hours."""
    out: list[Record] = []
    for t in range(0, int(hours * 3600) + 1, 1800):
        if any(a * 3600 <= t < b * 3600 for a, b in missed):
            continue
        lon = 12.30 + t * 0.3 * 1852 / 3600 / 111_320 / 0.83  # 0.3 kn east
        out.append(pos(t, MOTHER, 33.40, lon, 0.3, 90.0))
        out.append(pos(t + 40, BOAT, 33.401, lon, 0.3, 90.0))
    return out


def test_a_pair_together_either_side_of_eight_hours_unheard_is_one_encounter() -> None:
    (enc,) = of_kind(run(_alongside_by_passes(16, (4, 12))), EventKind.ENCOUNTER)
    assert enc.details["unheard_s"] >= 7.5 * 3600
    assert enc.start_ms <= ms(600) and enc.details["duration_s"] >= 15.5 * 3600


def test_a_pair_heard_apart_after_its_silence_is_a_new_encounter() -> None:
    recs = _alongside_by_passes(4)
    # both unheard from 4 h to 10 h; the boat then far off for 4 h, then back alongside
    for t in range(10 * 3600, 18 * 3600 + 1, 1800):
        lon = 12.30 + 0.02
        recs.append(pos(t, MOTHER, 33.40, lon, 0.3, 90.0))
        far = 10 * 3600 <= t < 14 * 3600
        recs.append(pos(t + 40, BOAT, 33.50 if far else 33.401, lon, 0.3, 90.0))
    encs = of_kind(run(recs), EventKind.ENCOUNTER)
    assert len(encs) == 2 and all("unheard_s" not in e.details for e in encs)
