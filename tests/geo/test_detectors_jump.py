from ais_ingest.records import PositionReport, Record
from geo.events import EventKind
from geo.zones import ZoneKind
from tests.geo.engine_scenarios import final, ms, of_kind, pos, run, run_raw, track, zone

V = 247000001


def test_single_outlier_is_dropped_and_does_not_corrupt_the_track() -> None:
    far = zone("far", ZoneKind.PATROL_AREA, (14.9, 35.9, 15.1, 36.1))
    recs = track(V, 0, 3600, 10, 34.0, 12.0, 12.0, 90.0)
    recs = [r for r in recs if r.time_ms != recs[100].time_ms]
    recs.append(pos(1000, V, 36.0, 15.0, 12.0))  # 150 nm off, one fix
    events = run(recs, [far])
    assert events == []  # no jump storm, no zone entry, no gap


def test_track_that_really_moved_gives_one_jump() -> None:
    recs = track(V, 0, 1800, 10, 34.0, 12.0, 12.0, 90.0)
    recs += track(V, 1810, 3600, 10, 34.0, 13.5, 12.0, 90.0)  # 75 nm east in 10 s
    events = run(recs)
    (jump,) = of_kind(events, EventKind.POSITION_JUMP)
    assert jump.details["cause"] == "position_jump"
    assert 60 < jump.details["distance_nm"] < 80
    assert jump.details["from"]["lon"] < 12.2 and jump.details["to"]["lon"] > 13.4
    assert of_kind(events, EventKind.AIS_GAP) == []


def test_two_transmitters_sharing_one_mmsi_give_one_shared_mmsi_event_with_both_tracks() -> None:
    a = track(V, 0, 7200, 30, 34.0, 12.0, 10.0, 90.0)
    b = track(V, 15, 7215, 30, 36.5, 14.5, 8.0, 180.0, msg_type=18)  # another boat, same number
    events = run(a + b)
    jumps = of_kind(events, EventKind.POSITION_JUMP)
    assert len(jumps) == 1
    assert jumps[0].open  # the second transmitter was still on the air at the end
    d = jumps[0].details
    assert d["cause"] == "shared_mmsi"
    assert d["track_a"]["lat"] < 34.1 and d["track_b"]["lat"] > 36.0
    assert d["distance_nm"] > 100
    assert len(d["tracks"]) == 2


def test_type_27_coarse_positions_are_never_a_jump_by_themselves() -> None:
    recs = track(V, 0, 3600, 10, 34.0, 12.0, 12.0, 90.0)
    extra: list[Record] = []
    for r in recs[::18]:
        # a long-range report every 3 min, rounded to 1/10 minute
        assert isinstance(r, PositionReport) and r.lat is not None and r.lon is not None
        extra.append(
            pos(
                r.time_ms / 1000 - 1_780_000_000 + 1,
                V,
                round(r.lat * 600) / 600 + 1 / 600,
                round(r.lon * 600) / 600,
                12.0,
                msg_type=27,
            )
        )
    assert of_kind(run(recs + extra), EventKind.POSITION_JUMP) == []


def test_spoofed_interval_and_return_is_one_episode() -> None:
    recs = track(V, 0, 1800, 10, 34.0, 12.0, 12.0, 90.0)
    recs += track(V, 1810, 2400, 10, 35.5, 12.1, 12.0, 90.0)  # spoofed far north for 10 min
    recs += track(V, 2410, 3600, 10, 34.0, 12.14, 12.0, 90.0)  # back on its real track
    jumps = of_kind(run(recs), EventKind.POSITION_JUMP)
    assert len(jumps) == 1
    assert "returned" in jumps[0].details


def test_shared_mmsi_episode_closes_when_the_second_transmitter_is_silent_for_a_day() -> None:
    a = track(V, 0, 26 * 3600, 30, 34.0, 12.0, 1.0, 90.0)
    b = track(V, 15, 1815, 30, 36.5, 14.5, 8.0, 180.0)
    (ev,) = of_kind(run(a + b), EventKind.POSITION_JUMP)
    assert ev.end_ms is not None and ev.end_ms == b[-1].time_ms
    assert ev.start_ms == a[0].time_ms  # the track's last fix before the second one appeared
    assert ev.lat is not None and ev.lat > 36.0  # placed at the intruding transmitter
    assert ev.details["track_b_fixes"] == len(b)


def test_two_consistent_far_fixes_then_the_track_again_is_one_excursion_event() -> None:
    recs = track(V, 0, 1800, 10, 34.0, 12.0, 12.0, 90.0)
    recs = [r for r in recs if r.time_ms not in (recs[90].time_ms, recs[91].time_ms)]
    recs += [pos(900, V, 35.5, 13.0, 12.0), pos(910, V, 35.5, 13.0, 12.0)]  # 95 nm off, twice
    (jump,) = of_kind(run(recs), EventKind.POSITION_JUMP)
    assert jump.details["cause"] == "excursion" and jump.details["far_fixes"] == 2
    assert jump.start_ms == ms(890) and jump.end_ms == ms(920)
    assert jump.lat == 35.5 and jump.details["distance_nm"] > 90


def test_an_excursion_that_goes_on_interleaving_becomes_one_two_transmitter_event() -> None:
    a = track(V, 0, 3600, 30, 34.0, 12.0, 10.0, 90.0)
    b = track(V, 905, 3605, 30, 36.5, 14.5, 8.0, 180.0)
    b = [pos(915, V, 36.5, 14.5, 8.0), *b]  # two far fixes back to back, then interleaving
    raw = of_kind(run_raw(a + b), EventKind.POSITION_JUMP)
    assert raw[0].details["cause"] == "excursion"  # reported when the track came back
    (ev,) = of_kind(final(raw), EventKind.POSITION_JUMP)
    assert ev.details["cause"] == "shared_mmsi" and ev.key() == raw[0].key()


def test_a_spoofed_interval_raises_no_zone_entry_or_exit_at_the_false_place() -> None:
    far = zone("far", ZoneKind.PATROL_AREA, (12.0, 35.4, 12.3, 35.6))
    home = zone("home", ZoneKind.TERRITORIAL_SEA, (11.9, 33.9, 12.5, 34.1))
    recs = track(V, 0, 1800, 10, 34.0, 12.0, 12.0, 90.0)
    recs += track(V, 1810, 2400, 10, 35.5, 12.1, 12.0, 90.0)  # spoofed far north for 10 min
    recs += track(V, 2410, 3600, 10, 34.0, 12.14, 12.0, 90.0)  # back on its real track
    events = run(recs, [far, home])
    assert [e.kind for e in events] == [EventKind.POSITION_JUMP]


def test_a_boundary_crossed_while_the_position_was_spoofed_is_reported_at_the_return() -> None:
    far = zone("far", ZoneKind.PATROL_AREA, (12.0, 35.4, 12.3, 35.6))
    ahead = zone("ahead", ZoneKind.TERRITORIAL_SEA, (12.05, 33.9, 12.5, 34.1))
    recs = track(V, 0, 1800, 10, 34.0, 11.9, 12.0, 90.0)  # outside, sailing east
    recs += track(V, 1810, 2400, 10, 35.5, 12.1, 12.0, 90.0)  # spoofed far north for 10 min
    recs += track(V, 2410, 3600, 10, 34.0, 12.14, 12.0, 90.0)  # back, now inside "ahead"
    events = run(recs, [far, ahead])
    (entry,) = of_kind(events, EventKind.ZONE_ENTRY)
    assert entry.zone == "ahead" and ms(2410) <= entry.start_ms <= ms(2440)
    assert {e.kind for e in events} == {EventKind.POSITION_JUMP, EventKind.ZONE_ENTRY}


def test_a_move_and_an_excursion_ten_hours_later_are_two_episodes() -> None:
    """A jump takes an earlier one's start only as a sign of the same conflict, minutes apart
    (a clone heard in bursts); a move, then a spoofed excursion ten hours later, are two."""
    recs = track(V, 0, 1800, 10, 34.0, 12.0, 12.0, 90.0)
    recs += track(V, 1810, 36_000, 10, 34.0, 13.5, 12.0, 90.0)  # 75 nm east in 10 s, for good
    recs = [r for r in recs if r.time_ms not in (ms(30_000), ms(30_010))]
    recs += [pos(30_000, V, 36.0, 14.0, 12.0), pos(30_010, V, 36.0, 14.0, 12.0)]  # two far fixes
    jumps = of_kind(run(recs), EventKind.POSITION_JUMP)
    assert [j.details["cause"] for j in jumps] == ["position_jump", "excursion"]


def test_a_craft_flying_as_fast_as_it_reports_is_not_a_jump() -> None:
    """A tuna seiner's helicopter (MMSI 98x, GFW's segmenter fixture 987357559) reports 75 kn
    and moves at 75 kn: above class A's 50, yet one craft. Fixes a minute apart, and after
    a 20-minute gap on deck its next flight starts where it landed."""
    heli = 987357559
    recs = track(heli, 0, 1200, 60, -2.9, -81.2, 75.0, 80.0)
    recs += track(heli, 2400, 3600, 60, -2.87, -80.78, 75.0, 80.0)
    events = run(recs)
    assert of_kind(events, EventKind.POSITION_JUMP) == []


def test_a_clone_reporting_a_ship_s_speed_far_away_is_still_a_jump() -> None:
    """The same 75-kn-apart fixes reporting 10 kn each: no craft moves faster than it says."""
    recs = track(V, 0, 1800, 10, 34.0, 12.0, 10.0, 90.0)
    recs += track(V, 1810, 3600, 10, 34.0, 12.5, 10.0, 90.0)  # 25 nm on in 10 s, at 10 kn
    assert len(of_kind(run(recs), EventKind.POSITION_JUMP)) == 1


def test_a_fix_a_day_s_sailing_at_class_b_top_speed_away_is_not_followed() -> None:
    """Top speeds are dashes (`EngineConfig.dash_s`): a class B boat heard by satellite every
    8 h, then a fix 780 nm off 14 h 40 min after the last pass (53 kn, inside class B's 60 kn),
    then the boat on its track again (GFW's regr_417000694). The far fix is not the boat: the
    track is not moved there (no silence "reappeared 784 nm away", no jump back)."""
    recs: list[Record] = []
    for h in (0, 8, 16, 24, 40, 48):  # two reports a pass, 4 kn north
        recs += track(V, h * 3600, h * 3600 + 120, 120, -2.7 + h * 4 / 60, 78.7, 4.0, 0.0,
                      msg_type=18)  # fmt: skip
    recs.append(pos(24 * 3600 + 120 + 52_800, V, 2.73, 66.2, 3.6, 333.0, msg_type=18))
    events = run(recs)
    assert of_kind(events, EventKind.POSITION_JUMP) == []
    assert all(g.details["reappeared"]["lon"] > 78 for g in of_kind(events, EventKind.AIS_GAP))


def test_a_speedboat_s_four_hour_dash_at_45_kn_is_a_move_not_a_jump() -> None:
    """Silent from Zuwara to off Lampedusa at 45 kn for 4 h: within the dash and sustained
    speeds, so the vessel is followed there (the silence is a gap, not a position jump)."""
    recs = track(V, 0, 1800, 60, 32.95, 12.08, 6.0, 0.0, msg_type=18)
    recs += track(V, 1800 + 4 * 3600, 1800 + 5 * 3600, 60, 35.95, 12.2, 6.0, 0.0, msg_type=18)
    events = run(recs)
    assert of_kind(events, EventKind.POSITION_JUMP) == []


def test_a_far_fix_heard_twice_by_two_stations_is_one_bad_fix() -> None:
    """Two stations stamp one message a second or two apart: one report heard twice, not two
    fixes that agree. A corrupt position so heard was an excursion (a position_jump)."""
    recs = track(V, 0, 3600, 10, 34.0, 12.0, 12.0, 90.0)
    recs += [pos(1001, V, 36.0, 15.0, 12.0), pos(1002, V, 36.0, 15.0, 12.0)]
    assert run(recs) == []


def test_a_far_transmitter_heard_twice_then_again_is_still_a_second_transmitter() -> None:
    """The repeat is no confirmation; the transmitter's next report, 30 s on, is."""
    recs = track(V, 0, 3600, 10, 34.0, 12.0, 12.0, 90.0)
    recs += [pos(t, V, 36.0, 15.0, 0.0) for t in (1001, 1002, 1031, 1061)]
    (ev,) = of_kind(run(recs), EventKind.POSITION_JUMP)
    assert ev.details["cause"] == "shared_mmsi"
