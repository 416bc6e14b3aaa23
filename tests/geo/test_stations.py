"""A receiving station that falls silent is a data-quality condition, not a storm of gaps."""

import json
from dataclasses import replace

from ais_ingest.records import Record
from geo.engine import Engine
from geo.events import EventKind, parse_time
from tests.geo.engine_scenarios import PLACES, batches, final, make_engine, ms, of_kind, track

WEST = [247_300_000 + k for k in range(12)]
EAST = [247_400_000 + k for k in range(12)]
HOUR = 3600


def heard(recs: list[Record], station: str, down: tuple[float, float] | None) -> list[Record]:
    """The reports a station passes on: none while it is down."""
    out = []
    for r in recs:
        if down is not None and ms(down[0]) <= r.time_ms < ms(down[1]):
            continue
        out.append(replace(r, source=station))
    return out


def traffic(down: tuple[float, float] | None, dark_after: float | None = None) -> list[Record]:
    """Twelve ships under the west station, twelve under the east one, for 6 h.

    With ``dark_after``, the first western ship switches off for good then.
    """
    recs: list[Record] = []
    for k, m in enumerate(WEST):
        end = 6 * HOUR if dark_after is None or k else dark_after
        recs += heard(track(m, 0, end, 10, 35.0 + 0.02 * k, 11.5, 8.0), "west", down)
    for k, m in enumerate(EAST):
        recs += heard(track(m, 0, 6 * HOUR, 10, 35.0 + 0.02 * k, 14.5, 8.0), "east", None)
    return recs


def run(recs: list[Record]) -> tuple[Engine, list]:  # type: ignore[type-arg]
    eng = make_engine()
    out = []
    for b in batches(recs, [20_000] * 200):
        out += eng.process(b)
    out += eng.flush()
    return eng, final(out)


def test_a_station_down_for_an_hour_raises_no_gap_and_is_reported() -> None:
    eng, events = run(traffic(down=(2 * HOUR, 3 * HOUR)))
    assert of_kind(events, EventKind.AIS_GAP) == []
    counts = eng.record_counts()
    (outage,) = counts["station_outages"]
    assert outage["station"] == "west"
    assert abs(parse_time(outage["since"]) - ms(2 * HOUR)) <= 60_000
    assert outage["until"] is not None
    assert abs(parse_time(outage["until"]) - ms(3 * HOUR)) <= 60_000
    assert counts["silences_in_outages"] == len(WEST)


def test_without_the_outage_the_same_silences_are_gaps() -> None:
    """The control: the same hour of silence of the same ships, their station still talking."""
    recs = [r for r in traffic(None) if not (r.mmsi in WEST and ms(2 * HOUR) <= r.time_ms
                                             < ms(3 * HOUR))]  # fmt: skip
    recs += track(247_399_999, 0, 6 * HOUR, 10, 35.5, 11.5, 8.0)  # keeps the station talking
    recs = [replace(r, source="west") if r.mmsi in WEST or r.mmsi == 247_399_999 else r
            for r in recs]  # fmt: skip
    eng, events = run(recs)
    assert len(of_kind(events, EventKind.AIS_GAP)) == len(WEST)
    assert eng.record_counts()["station_outages"] == []


def test_a_ship_that_stays_dark_after_its_station_is_back_is_a_gap() -> None:
    eng, events = run(traffic(down=(2 * HOUR, 3 * HOUR), dark_after=2 * HOUR + 60))
    (gap,) = of_kind(events, EventKind.AIS_GAP)
    assert gap.mmsi == WEST[0] and gap.end_ms is None
    assert eng.record_counts()["silences_in_outages"] == len(WEST)


def test_a_loiter_goes_on_over_its_stations_outage() -> None:
    """The vessel was there unheard: one loitering episode, not two either side of the hole."""
    drifter = 247_300_099
    recs = traffic(down=None)
    recs += heard(track(drifter, 0, 6 * HOUR, 10, 35.1, 11.6, 0.4), "west", (2 * HOUR, 3 * HOUR))
    recs = [r for r in recs if not (r.mmsi in WEST and ms(2 * HOUR) <= r.time_ms < ms(3 * HOUR))]
    _, events = run(recs)
    assert of_kind(events, EventKind.AIS_GAP) == []
    (loiter,) = [e for e in of_kind(events, EventKind.LOITERING) if e.mmsi == drifter]
    assert loiter.start_ms < ms(HOUR) and (loiter.end_ms is None or loiter.end_ms > ms(5 * HOUR))


def test_outages_survive_a_snapshot() -> None:
    recs = sorted(traffic(down=(2 * HOUR, 3 * HOUR)), key=lambda r: r.time_ms)
    cut = next(i for i, r in enumerate(recs) if r.time_ms >= ms(2.5 * HOUR))
    eng = make_engine()
    out = eng.process(batches(recs[:cut])[0])
    blob = eng.snapshot()
    assert json.loads(blob)["coverage"]["station_watch"]["rate"]
    eng2 = Engine.restore(blob, [], places=PLACES)
    out += eng2.process(batches(recs[cut:])[0]) + eng2.flush()
    assert of_kind(final(out), EventKind.AIS_GAP) == []
    assert len(eng2.record_counts()["station_outages"]) == 1
