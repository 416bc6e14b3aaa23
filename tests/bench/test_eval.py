from typing import Any

from bench.eval import (
    RunSpec,
    below_target,
    mark_undecidable,
    match,
    merge_scores,
    outage_report,
    worst_of,
)
from geo.config import EngineConfig
from geo.events import parse_time
from simulate.sampling import FeedSampling


def _obj(kind: str, mmsi: int, start: str, end: str | None, **kw: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "mmsi": mmsi,
        "other_mmsi": kw.get("other"),
        "zone": kw.get("zone"),
        "start": f"2026-06-01T{start}Z",
        "end": None if end is None else f"2026-06-01T{end}Z",
    }


def test_event_overlapping_its_label_counts_for_recall_and_precision() -> None:
    labels = [_obj("ais_gap", 1, "01:00:00", "03:00:00")]
    events = [_obj("ais_gap", 1, "01:00:10", "03:00:05")]
    s = match(events, labels)["ais_gap"]
    assert (s.recall, s.precision) == (1.0, 1.0)


def test_wrong_mmsi_or_far_away_time_does_not_match() -> None:
    labels = [_obj("ais_gap", 1, "01:00:00", "03:00:00")]
    events = [
        _obj("ais_gap", 2, "01:00:00", "03:00:00"),
        _obj("ais_gap", 1, "05:00:00", "06:00:00"),
    ]
    s = match(events, labels)["ais_gap"]
    assert (s.recall, s.precision) == (0.0, 0.0)
    assert len(s.missed) == 1 and len(s.false) == 2


def test_tolerance_widens_the_window_per_kind() -> None:
    labels = [_obj("position_jump", 7, "01:00:00", "01:00:30")]
    near = [_obj("position_jump", 7, "01:09:00", "01:09:00")]
    far = [_obj("position_jump", 7, "01:11:00", "01:11:00")]
    assert match(near, labels)["position_jump"].recall == 1.0
    assert match(far, labels)["position_jump"].recall == 0.0
    assert match(far, labels, {"position_jump": 15 * 60_000})["position_jump"].recall == 1.0


def test_encounter_pairs_match_in_either_order() -> None:
    labels = [_obj("encounter", 1, "01:00:00", "01:40:00", other=2)]
    events = [_obj("encounter", 2, "01:05:00", "01:35:00", other=1)]
    assert match(events, labels)["encounter"].recall == 1.0


def test_zone_events_must_name_the_same_zone() -> None:
    labels = [_obj("zone_exit", 1, "01:00:00", "01:00:00", zone="dep-zuwara")]
    right = [_obj("zone_exit", 1, "01:01:00", "01:01:00", zone="dep-zuwara")]
    wrong = [_obj("zone_exit", 1, "01:01:00", "01:01:00", zone="ts-libya")]
    assert match(right, labels)["zone_exit"].precision == 1.0
    assert match(wrong, labels)["zone_exit"].precision == 0.0


def test_matching_is_one_to_one_so_a_storm_of_events_costs_precision() -> None:
    labels = [_obj("position_jump", 1, "01:00:00", "01:30:00")]
    events = [_obj("position_jump", 1, f"01:{m:02d}:00", f"01:{m:02d}:00") for m in (0, 10, 20)]
    s = match(events, labels)["position_jump"]
    assert s.recall == 1.0 and abs((s.precision or 0) - 1 / 3) < 1e-9


def test_open_events_are_reported_but_not_counted_against_precision() -> None:
    labels: list[dict[str, Any]] = []
    events = [_obj("ais_gap", 1, "01:00:00", None)]
    s = match(events, labels)["ais_gap"]
    assert s.open_events == 1 and s.events == 0 and s.precision is None


def test_scores_add_up_over_runs_and_holdout_runs_are_flagged() -> None:
    a = match(
        [_obj("loitering", 1, "01:00:00", "03:00:00")],
        [_obj("loitering", 1, "01:00:00", "03:00:00")],
    )
    b = match([], [_obj("loitering", 2, "01:00:00", "03:00:00")])
    total = merge_scores([a, b])["loitering"]
    assert (total.labels, total.labels_found, total.recall) == (2, 1, 0.5)
    assert RunSpec("degraded", 1, 6).holdout and RunSpec("default", 1001, 6).holdout
    assert not RunSpec("default", 1, 6).holdout


def test_an_event_still_open_at_the_end_matches_a_label_that_runs_to_the_end() -> None:
    labels = [_obj("loitering", 1, "04:00:00", "05:59:50")]
    events = [_obj("loitering", 1, "04:01:00", None)]
    end = parse_time("2026-06-01T06:00:00Z")
    s = match(events, labels, end_ms=end)["loitering"]
    assert (s.recall, s.precision, s.open_events) == (1.0, 1.0, 0)


def test_an_open_loiter_matching_no_label_is_a_false_positive() -> None:
    events = [_obj("loitering", 1, "04:01:00", None)]
    s = match(events, [], end_ms=parse_time("2026-06-01T06:00:00Z"))["loitering"]
    assert (s.events, s.precision) == (1, 0.0)


def test_kinds_under_the_target_are_listed_and_kinds_without_labels_are_not() -> None:
    labels = [_obj("ais_gap", 1, "01:00:00", "03:00:00"), _obj("ais_gap", 2, "01:00:00", "02:00")]
    events = [_obj("ais_gap", 1, "01:00:10", "03:00:05"), _obj("zone_dwell", 3, "01:00:00", None)]
    low = below_target(match(events, labels, end_ms=parse_time("2026-06-01T06:00:00Z")))
    assert low == ["ais_gap recall 0.500", "zone_dwell precision 0.000"]


def _gap(start: str, end: str | None, details: dict[str, Any]) -> dict[str, Any]:
    return {**_obj("ais_gap", 5, start, end), "details": details}


def test_silences_are_scored_by_cause_and_coverage_verdict() -> None:
    dark = _gap("01:00:00", "03:00:00", {"cause": "dark"})
    away = _gap("04:00:00", "05:00:00", {"cause": "out_of_range"})
    called_dark = _gap("01:00:05", "03:00:00", {"coverage": {"verdict": "good"}})
    called_edge = _gap("04:00:05", "05:00:00", {"coverage": {"verdict": "edge"}})
    s = match([called_dark, called_edge], [dark, away])
    assert (s["ais_gap"].recall, s["ais_gap"].precision) == (1.0, 1.0)
    assert (s["ais_gap_out_of_range"].recall, s["ais_gap_out_of_range"].precision) == (1.0, 1.0)
    # the wrong cause named is a miss of one kind and a false event of the other
    wrong = _gap("04:00:05", "05:00:00", {"coverage": {"verdict": "good"}})
    s = match([wrong], [away])
    assert s["ais_gap_out_of_range"].recall == 0.0 and s["ais_gap"].precision == 0.0


def test_optional_silences_count_neither_way() -> None:
    lab = _gap("01:00:00", "01:40:00", {"cause": "dark", "optional": True})
    edge = _gap("01:00:05", "01:40:00", {"coverage": {"verdict": "edge"}})
    s = match([edge], [lab])
    assert s["ais_gap_out_of_range"].precision == 1.0
    assert "ais_gap" not in s and match([], [lab]) == {}


def test_an_open_gap_naming_the_wrong_cause_is_scored() -> None:
    away = _gap("04:00:00", "06:00:00", {"cause": "out_of_range", "open": True})
    open_dark = _gap("04:00:05", None, {"coverage": {"verdict": "good"}})
    s = match([open_dark], [away], end_ms=parse_time("2026-06-01T06:00:00Z"))
    assert s["ais_gap"].precision == 0.0 and s["ais_gap"].open_events == 0
    stray = _gap("04:00:05", None, {"coverage": {"verdict": "good"}})
    s = match([stray], [], end_ms=parse_time("2026-06-01T06:00:00Z"))
    assert s["ais_gap"].open_events == 1 and s["ais_gap"].events == 0


def test_a_silence_an_outage_made_is_no_label_and_a_gap_over_it_is_false() -> None:
    hole = _gap("02:00:00", "03:00:00", {"cause": "outage", "outage_minutes": 55})
    assert match([], [hole]) == {}  # nothing to find: no label, no miss
    closed = _gap("02:00:05", "03:00:00", {"coverage": {"verdict": "good"}})
    s = match([closed], [hole])
    assert (s["ais_gap"].events, s["ais_gap"].precision, s["ais_gap"].recall) == (1, 0.0, None)
    # open over it: not "a voyage the simulator ended", a false event too
    still = _gap("02:00:05", None, {"coverage": {"verdict": "edge"}})
    s = match([still], [hole], end_ms=parse_time("2026-06-01T06:00:00Z"))
    assert s["ais_gap_out_of_range"].precision == 0.0 and s["ais_gap_out_of_range"].open_events == 0
    assert outage_report([closed], [hole]) == {"silences": 1, "alerted": 1}
    assert outage_report([], [hole]) == {"silences": 1, "alerted": 0}


def test_an_optional_label_is_neither_found_nor_missed_and_an_event_on_it_is_right() -> None:
    lab = _obj("encounter", 1, "01:00:00", "01:15:00", other=2)
    lab["details"] = {"optional": True}
    seen = match([_obj("encounter", 1, "01:00:00", "01:30:00", other=2)], [lab])["encounter"]
    assert (seen.labels, seen.recall, seen.events, seen.precision) == (0, None, 1, 1.0)
    assert "encounter" not in match([], [lab])  # nothing to score: no label counted, no miss


def test_silences_within_six_of_a_sparse_feeds_intervals_are_undecidable() -> None:
    labels = [
        _obj("ais_gap", 1, "01:00:00", "02:30:00"),
        _obj("ais_gap", 2, "01:00:00", "04:00:00"),
    ]
    mark_undecidable(labels, FeedSampling.parse("every:10", 1), EngineConfig())
    assert [bool(lab.get("details", {}).get("optional")) for lab in labels] == [True, False]


def test_on_an_hourly_or_satellite_feed_silences_under_twelve_hours_are_undecidable() -> None:
    for sampling in ("every:30", "every:60", "satellite"):
        labels = [
            _obj("ais_gap", 1, "01:00:00", "12:00:00"),
            _obj("ais_gap", 2, "01:00:00", "14:00:00"),
        ]
        mark_undecidable(labels, FeedSampling.parse(sampling, 1), EngineConfig())
        assert [bool(lab.get("details", {}).get("optional")) for lab in labels] == [True, False]
    dense = [_obj("ais_gap", 1, "01:00:00", "03:00:00")]
    mark_undecidable(dense, FeedSampling.parse("all", 1), EngineConfig())
    assert "details" not in dense[0]


def test_the_quoted_figure_is_the_worst_shape_per_kind() -> None:
    good = match(
        [_obj("loitering", 1, "01:00:00", "03:00:00")],
        [_obj("loitering", 1, "01:00:00", "03:00:00")],
    )
    bad = match([], [_obj("loitering", 1, "01:00:00", "03:00:00")])
    worst = worst_of({"terrestrial": good, "sparse60": bad})
    assert worst["loitering"]["recall"] == 0.0 and worst["loitering"]["recall_shape"] == "sparse60"
    assert worst["loitering"]["precision"] == 1.0
    assert RunSpec("default", 61, 6, shift_deg=167.5).shape == "antimeridian"
    assert RunSpec("sparse30", 63, 6).shape == "sparse30"


def test_dark_target_matches_the_boat_that_made_one_of_its_contacts() -> None:
    t = parse_time("2026-06-01T01:00:00Z")
    label = _obj("dark_target", 0, "01:00:00", "02:00:00")
    label["details"] = {"contacts": [[t, 33.5, 12.2], [t + 3_600_000, 33.6, 12.2]]}
    right = _obj("dark_target", 1_000_000_001, "02:00:00", None)
    right["details"] = {"contacts": [{"time": "2026-06-01T02:00:00Z", "lat": 33.6, "lon": 12.2}]}
    wrong = _obj("dark_target", 1_000_000_002, "01:00:00", None)
    wrong["details"] = {"contacts": [{"time": "2026-06-01T01:00:00Z", "lat": 34.0, "lon": 12.2}]}
    s = match([right, wrong], [label])["dark_target"]
    assert (s.recall, s.precision) == (1.0, 0.5)
    assert s.false == [wrong]
