"""A vessel's static reports merged onto its stored row, against the merge written plainly."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ais_ingest.records import StaticReport
from app.store.vessels import IDENTITY, STATIC_FIELDS, _merged, merge_statics

#: A few field sets, so that reports repeat one another as a vessel's type 5s do.
_FIELD_SETS: list[dict[str, Any]] = [
    {"name": "ALPHA", "callsign": "IAB1", "imo": 9000001, "ship_type": 70, "draught": 5.5},
    {"name": "ALPHA", "callsign": "IAB1", "imo": 9000001, "ship_type": 70, "draught": 6.0},
    {"name": "BRAVO", "destination": "VALLETTA", "eta": "06-01T12:00Z"},
    {"to_bow": 50, "to_stern": 20, "to_port": 5, "to_starboard": 6},
    {},
]


def _plain(reports: list[StaticReport], cur: Any) -> tuple[dict[str, Any], Any, list[Any]]:
    """Every report applied field by field, in time order: the merge's meaning."""
    state = {f: (getattr(cur, f) if cur else None) for f in STATIC_FIELDS}
    static_time = cur.static_time if cur else None
    history = []
    for r in reports:
        newer = static_time is None or r.time_ms >= static_time
        before = tuple(state[f] for f in IDENTITY)
        for f in STATIC_FIELDS:
            v = getattr(r, f)
            if v is not None and (newer or state[f] is None):
                state[f] = v
        after = tuple(state[f] for f in IDENTITY)
        if newer:
            static_time = r.time_ms
            if after != before and any(v is not None for v in after):
                history.append((r.time_ms, after))
    return state, static_time, history


@settings(max_examples=300, deadline=None)
@given(
    picks=st.lists(
        st.tuples(st.integers(0, len(_FIELD_SETS) - 1), st.integers(0, 40)),
        min_size=1,
        max_size=30,
    ),
    stored=st.one_of(
        st.none(), st.tuples(st.integers(0, len(_FIELD_SETS) - 1), st.integers(0, 40))
    ),
)
def test_repeated_reports_merge_as_every_report_applied(
    picks: list[tuple[int, int]], stored: tuple[int, int] | None
) -> None:
    """Repeats, reports older than the stored row's, equal times: one result either way."""
    mmsi = 247_000_001
    reports = [StaticReport(t * 60_000, mmsi, 5, **_FIELD_SETS[k]) for k, t in picks]
    cur = None
    if stored is not None:
        fields = dict.fromkeys(STATIC_FIELDS) | _FIELD_SETS[stored[0]]
        cur = SimpleNamespace(mmsi=mmsi, static_time=stored[1] * 60_000, **fields)
    by = merge_statics(reports)
    values, history = _merged(by, {} if cur is None else {mmsi: cur})
    state, static_time, changes = _plain(by[mmsi], cur)
    assert {f: values[0][f] for f in STATIC_FIELDS} == state
    assert values[0]["static_time"] == static_time
    assert [(h["time"], tuple(h[f] for f in IDENTITY)) for h in history] == changes
