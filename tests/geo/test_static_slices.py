"""A static report's slice depends on the records before it, not on where batches are cut.

The engine's clock runs over positions and static reports in arrival order (`Batch.static_at`,
`geo.engine.assign_slices`): live ingest cuts 2,048-line batches, `mare detect` 8,192, the
bus 4,096-record pieces, and a capture must give the same events in all of them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from ais_ingest.decoder import Decoder
from ais_ingest.records import Batch, Record
from geo.engine import Engine, assign_slices, event_to_state
from geo.events import Event, EventKind
from geo.watchlist import parse_watchlist
from tests.geo.engine_scenarios import T0, static, track

DATA = Path(__file__).parents[2] / "tests" / "data"
SHARED = Path("/work/shared/data/ais")
V = 247_320_001


def cut(batch: Batch, size: int) -> list[Batch]:
    """The batch's records in arrival order, ``size`` records a batch."""
    at = batch.arrivals()
    n, k = len(batch.positions), len(at)
    out = []
    p = s = 0
    while p < n or s < k:
        p0, s0 = p, s
        for _ in range(size):
            if s < k and at[s] <= p:
                s += 1
            elif p < n:
                p += 1
            else:
                break
        out.append(
            Batch(batch.positions.take(np.arange(p0, p)), batch.statics[s0:s], at[s0:s] - p0)
        )
    return out


def late_static_feed() -> list[Record]:
    """A vessel on the watchlist by name, heard every 30 s; its type 5, stamped at 70 s,
    arrives after its fix of 200 s (a receiver that relays static reports late)."""
    fixes = track(V, 0, 360, 30, 35.5, 12.5, 10.0)
    late = static(70, V, name="ALPHA STAR", callsign="ABC1", ship_type=30)
    return [*fixes[:7], late, *fixes[7:]]


def events_of(batches: list[Batch]) -> list[dict[str, object]]:
    eng = Engine((), watchlist=parse_watchlist("mmsi,imo,name,callsign,note\n,,Alpha Star,,\n"))
    out = [e for b in batches for e in eng.process(b)] + eng.flush()
    return [event_to_state(e) for e in out]


def test_a_late_static_report_takes_the_slice_it_arrived_in_whatever_the_batches() -> None:
    whole = Batch.from_records(late_static_feed())
    expected = events_of([whole])
    (match,) = [e for e in expected if e["kind"] == EventKind.WATCHLIST_MATCH.value]
    # seen at the end of the minute it arrived in (200 s), not of the minute it was stamped
    assert match["start_ms"] == T0 + 70_000
    assert match["lon"] == pytest.approx(12.5 + 10 * 1852 / 3600 * 239 / 111_320 / 0.8141, 1e-3)
    for size in (1, 2, 3, 7):
        assert events_of(cut(whole, size)) == expected, size


def slices_of_statics(batches: list[Batch]) -> list[int]:
    """Each static report's slice as the engine assigns them, batch after batch."""
    watermark: int | None = None
    current: int | None = None
    out: list[int] = []
    for b in batches:
        clocked = assign_slices(b, watermark, current, 60_000)
        out += clocked.sta_sid
        sids = clocked.pos_sid.tolist() + clocked.sta_sid
        if sids:
            current = max(sids) if current is None else max(current, *sids)
        if clocked.last is not None:
            watermark = clocked.last if watermark is None else max(watermark, clocked.last)
    return out


def tagged(path: Path, every: int) -> list[str]:
    """A capture's lines with tag-block times: one second every ``every`` lines, and each
    multipart message's fragments stamped apart, as a receiver relaying them late does."""
    out = []
    for i, line in enumerate(path.read_text(encoding="ascii", errors="replace").splitlines()):
        t = T0 // 1000 + i // every - (90 if i % 5 == 0 else 0)
        tag = f"c:{t}"
        checksum = 0
        for ch in tag:
            checksum ^= ord(ch)
        out.append(f"\\{tag}*{checksum:02X}\\{line}")
    return out


@pytest.mark.parametrize(
    ("path", "every"),
    [(SHARED / "aishub" / "aishub_2015_3min.nmea", 400), (SHARED / "gpsd" / "sample.aivdm", 2)],
    ids=["aishub", "gpsd"],
)
def test_static_reports_of_real_captures_keep_their_slices_in_any_batches(
    path: Path, every: int
) -> None:
    if not path.is_file():
        pytest.skip(f"{path} not on this machine")
    lines = tagged(path, every)
    whole = Decoder().decode(lines, 0)
    assert len(whole.statics) >= 10, "a capture with static reports"
    expected = slices_of_statics([whole])
    assert len(set(expected)) > 1
    for size in (1, 7, 2048, 8192):
        assert slices_of_statics(cut(whole, size)) == expected, size
    # and as the decoder cuts them: 2,048 lines a batch live, 8,192 in `mare detect`
    for step in (2048, 8192):
        dec = Decoder()
        parts = [dec.decode(lines[i : i + step], 0) for i in range(0, len(lines), step)]
        assert slices_of_statics(parts) == expected, step


def test_an_engine_on_real_traffic_snapshots_and_resumes_where_it_was() -> None:
    """Fixes of unknown speed (102.3 kn: NaN) kept on alternative tracks: still strict JSON.

    The snapshot failed once the AISHub feed came round again (`bench.cli`'s capture: `mare
    serve` logged "engine snapshot failed" at every period, a bus worker could not save its
    partition). Snapshotted there and resumed, the engine gives what it gives straight on.
    """
    from bench.ingest import build_capture  # the AISHub feed twice, as `bench.cli` tags it

    whole = Decoder().decode(build_capture(copies=2).decode("ascii").splitlines(), 0)
    parts = cut(whole, 8192)
    straight, resumed = Engine(()), Engine(())
    out = [straight.process(b) for b in parts] + [straight.flush()]
    got: list[list[Event]] = []
    for b in parts:
        got.append(resumed.process(b))
        alt = [f for v in resumed.tracker.alt.values() for a in v for f in (a.first, a.last)]
        if any(math.isnan(f.sog) for f in alt):
            break
    else:
        raise AssertionError("no fix of unknown speed on an alternative track")
    blob = resumed.snapshot()
    resumed = Engine.restore(blob, ())
    assert resumed.snapshot() == blob  # byte for byte: a resumed engine writes what it read
    got += [resumed.process(b) for b in parts[len(got) :]] + [resumed.flush()]
    assert [[event_to_state(e) for e in evs] for evs in got] == [
        [event_to_state(e) for e in evs] for evs in out
    ]


def invalid_mmsis(batches: list[Batch]) -> list[dict[str, object]]:
    """The `invalid_mmsi` events of an engine over the batches, by MMSI."""
    eng = Engine(())
    out = [e for b in batches for e in eng.process(b)] + eng.flush()
    kind = EventKind.INVALID_MMSI
    return sorted((event_to_state(e) for e in out if e.kind is kind), key=lambda e: str(e["mmsi"]))


def test_a_new_mmsi_is_judged_on_its_whole_first_slice_whatever_the_batches() -> None:
    """MMSI 0's first static report and its first position in one slice, a batch cut between.

    Judged part by part, its `invalid_mmsi` event had no fix when the cut fell between them
    (2,048-line batches, as live ingest cuts them), and one when it did not (8,192, as `mare
    detect` reads): the event now carries the slice's first fix either way.
    """
    from bench.ingest import build_capture  # the AISHub feed four times, as `bench.cli` tags it

    lines = build_capture(copies=4).decode("ascii").splitlines()
    expected = invalid_mmsis([Decoder().decode(lines, 0)])
    (zero,) = [e for e in expected if e["mmsi"] == 0]
    assert zero["lat"] is not None
    for step in (2048, 8192, 32768):
        dec = Decoder()
        parts = [dec.decode(lines[i : i + step], 0) for i in range(0, len(lines), step)]
        assert invalid_mmsis([*parts, dec.flush()]) == expected, step
