"""Contact fusion in the engine: matched, dark, tracked, associated; deterministic."""

from __future__ import annotations

from collections.abc import Sequence

from ais_ingest.records import Record
from geo.contacts import Contact, ContactKind
from geo.detectors.dark_tracks import TARGET_BASE, target_label
from geo.engine import Engine
from geo.events import Event, EventKind
from tests.geo.engine_scenarios import (
    batches,
    canonical,
    final,
    make_engine,
    ms,
    of_kind,
    static,
    track,
)

LAT, LON = 34.0, 12.5
FERRY = 247000001
FISHER = 642000002


def run_with(records: Sequence[Record], contacts: Sequence[Contact],
             sizes: Sequence[int] | None = None, early: bool = True) -> list[Event]:  # fmt: skip
    eng = make_engine()
    out: list[Event] = []
    if early:
        eng.add_contacts(contacts)
    bs = batches(records, sizes)
    for i, b in enumerate(bs):
        out += eng.process(b)
        if not early and i == len(bs) // 2:
            eng.add_contacts(reversed(contacts))
    out += eng.flush()
    return out


def _at(t_s: float, lat: float, lon: float, kind: ContactKind = ContactKind.AIRCRAFT,
        **kw: object) -> Contact:  # fmt: skip
    return Contact(ms(t_s), lat, lon, kind, **kw)  # type: ignore[arg-type]


def ferry() -> list[Record]:
    # 12 kn due east from (34.0, 12.5), a fix every 10 s for 2 h
    return track(FERRY, 0, 7200, 10, LAT, LON, 12.0, 90.0)


def test_contact_on_an_ais_vessel_is_attached_not_dark() -> None:
    # at t=3600 s the ferry has run 12 nm east: 12 * 1852 / (111320 * cos 34) deg of lon
    lon_1h = LON + 12 * 1852 / (111_320 * 0.8290)
    eng = make_engine()
    eng.add_contacts([_at(3600, LAT, lon_1h + 0.003, ContactKind.SAR)])  # ~280 m off
    out: list[Event] = []
    for b in batches(ferry()):
        out += eng.process(b)
    out += eng.flush()
    assert of_kind(out, EventKind.DARK_TARGET) == []
    (o,) = eng.contacts.take_outcomes()
    assert o.mmsi == FERRY and o.target is None and o.distance_m is not None and o.distance_m < 400


def test_contact_with_no_vessel_near_is_a_dark_target_with_words() -> None:
    out = final(
        run_with(ferry(), [_at(3600, 33.5, 12.2, people=60, length_m=10, source="Eagle 1")])
    )
    (ev,) = of_kind(out, EventKind.DARK_TARGET)
    assert ev.mmsi >= TARGET_BASE and ev.end_ms is None  # open: a target stays open
    assert ev.severity.value == "high"  # people on board
    d = ev.details
    assert d["target"] == target_label(ev.mmsi) and d["n_contacts"] == 1 and d["people"] == 60
    assert d["max_speed_kn"] == 10.0 and d["kinds"] == ["aircraft"]
    assert d["nearest_ais"] is None or d["nearest_ais"]["mmsi"] == FERRY
    assert "boat without AIS" in d["summary"] and "60 people" in d["summary"]


def test_later_consistent_contacts_extend_one_track_and_inconsistent_start_another() -> None:
    c1 = _at(1000, 33.5, 12.2, length_m=10)
    c2 = _at(4600, 33.55, 12.2, ContactKind.SAR)  # 3 nm in 1 h: within 10 kn
    c3 = _at(4700, 33.0, 13.5, ContactKind.SAR)  # 70 nm away 1 h later: another boat
    out = final(run_with(ferry(), [c1, c2, c3]))
    targets = of_kind(out, EventKind.DARK_TARGET)
    assert sorted(e.details["n_contacts"] for e in targets) == [1, 2]
    two = next(e for e in targets if e.details["n_contacts"] == 2)
    assert two.start_ms == c1.time_ms and two.lat == c2.lat
    assert two.details["speed_kn"] is not None and 2.5 < two.details["speed_kn"] < 3.5


def test_hotline_contacts_are_never_matched_to_ais() -> None:
    lon_1h = LON + 12 * 1852 / (111_320 * 0.8290)
    out = final(run_with(ferry(), [_at(3600, LAT, lon_1h, ContactKind.HOTLINE)]))
    assert len(of_kind(out, EventKind.DARK_TARGET)) == 1


def fisher_meets_boat() -> list[Record]:
    # a 24 m fishing vessel drifting at 0.5 kn at (33.6, 12.3) for 2 h, the ferry passing far off
    recs = track(FISHER, 0, 7200, 30, 33.6, 12.3, 0.5, 0.0, msg_type=1, status=7)
    recs.append(static(5, FISHER, to_bow=16, to_stern=8, ship_type=30, name="SEA STAR"))
    return recs + ferry()


def test_vessel_alongside_a_small_dark_boat_is_associated_not_matched() -> None:
    boat = _at(3600, 33.6075, 12.3015, length_m=9, people=70, source="Eagle 1")  # ~150 m off
    out = final(run_with(fisher_meets_boat(), [boat]))
    (dark,) = of_kind(out, EventKind.DARK_TARGET)
    (assoc,) = of_kind(out, EventKind.CONTACT_ASSOCIATION)
    assert assoc.mmsi == FISHER and assoc.other_mmsi == dark.mmsi
    assert assoc.details["how"] == "met" and assoc.details["closest_m"] < 400
    assert assoc.details["evidence"][0]["vessel_speed_kn"] <= 1.0
    assert "met boat without AIS" in assoc.details["summary"]
    assert dark.details["associated"] == [FISHER]


def test_association_raises_the_vessels_risk_with_words() -> None:
    eng = make_engine()
    eng.add_contacts([_at(3600, 33.6075, 12.3015, length_m=9, people=70)])
    for b in batches(fisher_meets_boat()):
        eng.process(b)
    eng.flush()
    risk = eng.vessel_risk(FISHER, ms(3600))
    (c,) = [c for c in risk.contributions if c.kind == "contact_association"]
    assert c.points == 60 and c.text.startswith("met boat without AIS DT-")


def test_escort_at_matched_course_and_speed_is_an_association() -> None:
    # both heading 0 deg at 6 kn, 1 nm apart, seen twice 30 min apart
    escort = track(FISHER, 0, 7200, 30, 33.0, 12.3, 6.0, 0.0)
    dlat_30min = 3 * 1852 / 111_320
    c1 = _at(1800, 33.0 + dlat_30min + 0.0, 12.32, speed_kn=6.0, course=0.0, length_m=9)
    c2 = _at(3600, 33.0 + 2 * dlat_30min, 12.32, speed_kn=6.0, course=0.0, length_m=9)
    out = final(run_with(escort, [c1, c2]))
    (assoc,) = of_kind(out, EventKind.CONTACT_ASSOCIATION)
    assert assoc.details["how"] == "escorted" and assoc.mmsi == FISHER
    assert assoc.start_ms == c1.time_ms and assoc.end_ms == c2.time_ms


def test_one_escort_sighting_is_evidence_kept_not_an_association() -> None:
    escort = track(FISHER, 0, 7200, 30, 33.0, 12.3, 6.0, 0.0)
    dlat_30min = 3 * 1852 / 111_320
    c1 = _at(1800, 33.0 + dlat_30min, 12.32, speed_kn=6.0, course=0.0, length_m=9)
    eng = make_engine()
    eng.add_contacts([c1])
    out: list[Event] = []
    for b in batches(escort):
        out += eng.process(b)
    assert not of_kind(out, EventKind.CONTACT_ASSOCIATION)
    (tr,) = eng.contacts.tracks.values()
    assert list(tr.evidence) == [FISHER]  # kept: a second sighting may make it an escort
    assert eng.contacts.associated(tr) == []
    assert all(d.details["associated"] == [] for d in of_kind(out, EventKind.DARK_TARGET))


def test_same_answers_whatever_the_batches_or_the_arrival_of_contacts() -> None:
    contacts = [
        _at(3600, 33.6075, 12.3015, length_m=9, people=70),
        _at(1000, 33.5, 12.2, length_m=10),
        _at(4600, 33.55, 12.2, ContactKind.SAR),
        _at(4000, LAT, LON + 0.1, ContactKind.SAR),
    ]
    whole = canonical(final(run_with(fisher_meets_boat(), contacts)))
    assert any("dark_target" in e for e in whole)
    assert (
        canonical(final(run_with(fisher_meets_boat(), contacts, sizes=[7, 100, 3, 500]))) == whole
    )
    # contacts handed over mid-capture (before their settle time passes), in another order
    recs = [r for r in fisher_meets_boat() if r.time_ms <= ms(1000)]
    later = [r for r in fisher_meets_boat() if r.time_ms > ms(1000)]
    eng = make_engine()
    out: list[Event] = []
    for b in batches(recs, [50, 50]):
        out += eng.process(b)
    eng.add_contacts(list(reversed(contacts)))
    for b in batches(later, [333, 1000]):
        out += eng.process(b)
    out += eng.flush()
    assert canonical(final(out)) == whole


def test_live_advance_equals_batch() -> None:
    contacts = [_at(3600, 33.6075, 12.3015, length_m=9, people=70), _at(1000, 33.5, 12.2)]
    whole = canonical(final(run_with(fisher_meets_boat(), contacts)))
    eng = make_engine()
    eng.add_contacts(contacts)
    out: list[Event] = []
    for b in batches(fisher_meets_boat(), [200] * 200):
        out += eng.process(b)
        out += eng.advance(int(b.positions.time_ms.max()) if len(b.positions) else 0)
    out += eng.flush()
    assert canonical(final(out)) == whole


def test_snapshot_keeps_pending_contacts_and_targets() -> None:
    contacts = [_at(1000, 33.5, 12.2, length_m=10), _at(4600, 33.55, 12.2, ContactKind.SAR)]
    whole = canonical(final(run_with(fisher_meets_boat(), contacts)))
    recs = sorted(fisher_meets_boat(), key=lambda r: r.time_ms)
    half = len(recs) // 2
    eng = make_engine()
    eng.add_contacts(contacts)
    out: list[Event] = []
    for b in batches(recs[:half]):
        out += eng.process(b)
    eng2 = Engine.restore(eng.snapshot(), [], places=eng.places.places)
    for b in batches(recs[half:]):
        out += eng2.process(b)
    out += eng2.flush()
    assert canonical(final(out)) == whole


def test_dark_target_closes_after_quiet_time() -> None:
    recs = track(FERRY, 0, 14 * 3600, 60, LAT, LON, 0.0, 0.0)
    out = final(run_with(recs, [_at(600, 33.0, 12.0)]))
    (ev,) = of_kind(out, EventKind.DARK_TARGET)
    assert ev.end_ms == ms(600)


def test_a_crowded_boat_is_not_explained_by_a_fishing_vessel_of_its_size() -> None:
    crew = _at(3600, 33.6075, 12.3015, length_m=20)  # a 20 m boat by a 24 m trawler: the trawler
    crowded = _at(3600, 33.6075, 12.3015, length_m=20, people=120)  # 120 aboard: not its crew
    assert of_kind(final(run_with(fisher_meets_boat(), [crew])), EventKind.DARK_TARGET) == []
    out = final(run_with(fisher_meets_boat(), [crowded]))
    assert len(of_kind(out, EventKind.DARK_TARGET)) == 1
    assert len(of_kind(out, EventKind.CONTACT_ASSOCIATION)) == 1


def test_vague_positions_cannot_show_a_meeting() -> None:
    # a hotline call 2.5 km from a drifting vessel: its 2 km radius does not make them "near"
    call = _at(3600, 33.631, 12.3, ContactKind.HOTLINE, people=50)
    out = final(run_with(fisher_meets_boat(), [call]))
    assert len(of_kind(out, EventKind.DARK_TARGET)) == 1
    assert of_kind(out, EventKind.CONTACT_ASSOCIATION) == []


def test_a_contact_hours_behind_the_clock_is_fused_and_counted_late_by_kind() -> None:
    # a 4 h capture; a SAR scene of t=600 s handed over at 3 h, a sighting of 2 h 50 min on time
    recs = track(FERRY, 0, 4 * 3600, 60, LAT, LON, 12.0, 90.0)
    eng = make_engine()
    out: list[Event] = []
    bs = batches(recs, [60] * 4)
    for i, b in enumerate(bs):
        out += eng.process(b)
        if i == 2:  # the clock at 3 h
            eng.add_contacts([_at(600, 33.0, 12.0, ContactKind.SAR),
                              _at(3 * 3600 - 600, 33.2, 14.5)])  # fmt: skip
    out += eng.flush()
    assert eng.record_counts()["contacts"] == {"fused": 2, "pending": 0, "late": {"sar": 1}}
    outcomes = {o.contact.kind: o for o in eng.contacts.take_outcomes()}
    assert outcomes[ContactKind.SAR].late and not outcomes[ContactKind.AIRCRAFT].late
    assert len(of_kind(final(out), EventKind.DARK_TARGET)) == 2  # fused all the same
    state = Engine.restore(eng.snapshot(), []).record_counts()["contacts"]
    assert state["late"] == {"sar": 1}


def test_in_one_scene_a_vessel_explains_one_detection_the_nearest() -> None:
    # two detections of one SAR scene 100 m and 1,100 m from the drifting trawler (at 33.6083
    # after an hour at 0.5 kn): one is it
    near = _at(3600, 33.6092, 12.3, ContactKind.SAR, source="S1")
    far = _at(3600, 33.6182, 12.3, ContactKind.SAR, source="S1")
    eng = make_engine()
    eng.add_contacts([far, near])
    out: list[Event] = []
    for b in batches(fisher_meets_boat()):
        out += eng.process(b)
    out += eng.flush()
    got = {o.contact.lat: o for o in eng.contacts.take_outcomes()}
    assert got[near.lat].mmsi == FISHER and got[far.lat].mmsi is None
    assert got[far.lat].target is not None
    # the same two from two sources at two times are both the trawler
    apart = [near, _at(3660, 33.6182, 12.3, ContactKind.SAR, source="S2")]
    assert of_kind(final(run_with(fisher_meets_boat(), apart)), EventKind.DARK_TARGET) == []


def test_two_boats_in_one_look_or_of_other_crowds_are_two_targets() -> None:
    one_look = [_at(3600, 33.0, 12.0, people=70, source="Eagle 1"),
                _at(3603, 33.003, 12.0, people=60, source="Eagle 1")]  # fmt: skip
    assert len(of_kind(final(run_with(ferry(), one_look)), EventKind.DARK_TARGET)) == 2
    crowds = [_at(3600, 33.0, 12.0, people=60), _at(5400, 33.02, 12.0, people=250)]
    assert len(of_kind(final(run_with(ferry(), crowds)), EventKind.DARK_TARGET)) == 2
    same = [_at(3600, 33.0, 12.0, people=60), _at(5400, 33.02, 12.0, people=75)]
    assert len(of_kind(final(run_with(ferry(), same)), EventKind.DARK_TARGET)) == 1


def test_a_boat_stopped_beside_a_vessel_met_it_whatever_its_speed_before() -> None:
    # seen under way 2 h before (8 nm off), then reported stopped 150 m from the trawler
    before = _at(0, 33.47, 12.3, people=70, length_m=9, speed_kn=5.0, course=0.0)
    alongside = _at(7200, 33.6075, 12.3015, people=70, length_m=9, speed_kn=0.0)
    out = final(run_with(fisher_meets_boat(), [before, alongside]))
    (assoc,) = of_kind(out, EventKind.CONTACT_ASSOCIATION)
    assert assoc.mmsi == FISHER and assoc.details["how"] == "met"


def test_a_lone_satellite_detection_beside_a_stopped_vessel_waits_for_a_second_contact() -> None:
    lone = _at(3600, 33.6075, 12.3015, ContactKind.SAR, length_m=9)
    assert (
        of_kind(final(run_with(fisher_meets_boat(), [lone])), EventKind.CONTACT_ASSOCIATION) == []
    )
    seen_again = _at(5400, 33.62, 12.31, people=60, length_m=9)
    out = final(run_with(fisher_meets_boat(), [lone, seen_again]))
    (assoc,) = of_kind(out, EventKind.CONTACT_ASSOCIATION)
    assert assoc.mmsi == FISHER and assoc.start_ms == lone.time_ms


def test_a_vessel_heard_every_40_minutes_is_placed_at_a_detection_between() -> None:
    # a trawler at 3 kn heard at 0, 40 and 80 min; a SAR detection of it at 65 min
    sparse = track(FISHER, 0, 4800, 2400, 33.6, 12.3, 3.0, 0.0)
    sparse.append(static(5, FISHER, to_bow=16, to_stern=8, ship_type=30))
    moved = 3 * 1852 / 111_320 * 65 / 60
    sar = _at(3900, 33.6 + moved, 12.3, ContactKind.SAR, length_m=22)
    assert of_kind(final(run_with(sparse + ferry(), [sar])), EventKind.DARK_TARGET) == []


def test_a_crowded_boat_is_not_explained_by_a_vessel_of_unknown_type() -> None:
    drifter = track(FISHER, 0, 7200, 30, 33.6, 12.3, 0.5, 0.0)  # no static report: type unknown
    crowded = _at(3600, 33.6045, 12.3, people=50)
    out = final(run_with(drifter, [crowded]))
    assert len(of_kind(out, EventKind.DARK_TARGET)) == 1
