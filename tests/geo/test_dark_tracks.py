"""Dark targets: which contacts are one boat, over one look as a whole."""

from __future__ import annotations

from geo.contacts import Contact, ContactKind
from geo.detectors.base import distance_m
from geo.events import Event, EventKind
from tests.geo.engine_scenarios import batches, final, make_engine, ms, of_kind, track

FAR = 247000009


def run_with(contacts: list[Contact]) -> list[Event]:
    eng = make_engine()
    eng.add_contacts(contacts)
    out: list[Event] = []
    for b in batches(track(FAR, 0, 4 * 3600, 60, 35.5, 15.0, 12.0)):  # a clock, far off
        out += eng.process(b)
    return final(out + eng.flush())


def test_one_scene_gives_each_target_its_best_detection_not_the_first_in_order() -> None:
    # two boats seen once (course unknown), a SAR scene 3 h later sees both: the first of its
    # detections in order (the southern one) fits boat 1 a little better than boat 2, but the
    # northern one is boat 1 itself, 5.6 km on, and out of boat 2's reach
    boat1 = Contact(ms(0), 33.50, 12.00, ContactKind.AIRCRAFT, source="Eagle 1", length_m=9,
                    people=60)  # fmt: skip
    boat2 = Contact(ms(600), 33.20, 12.55, ContactKind.AIRCRAFT, source="Seabird", length_m=9,
                    people=200)  # fmt: skip
    south = Contact(ms(10800), 33.35, 12.25, ContactKind.SAR, source="S1", length_m=9)
    north = Contact(ms(10800), 33.55, 12.00, ContactKind.SAR, source="S1", length_m=9)
    assert distance_m(boat1.lon, boat1.lat, south.lon, south.lat) < distance_m(
        boat2.lon, boat2.lat, south.lon, south.lat
    )
    out = run_with([boat1, boat2, south, north])
    targets = of_kind(out, EventKind.DARK_TARGET)
    seen = sorted(sorted((c["lat"], c["lon"]) for c in t.details["contacts"]) for t in targets)
    assert seen == [[(33.2, 12.55), (33.35, 12.25)], [(33.5, 12.0), (33.55, 12.0)]]
