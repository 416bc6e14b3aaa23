import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from pyais import decode as _pyais_decode

from geo.events import parse_time
from simulate import nmea
from simulate.reporting import position_times
from simulate.scenario import Simulation, iter_simulation
from simulate.world import distance_m, world

Decoded = dict[int, list[tuple[int, Any]]]
START = parse_time("2026-06-01T00:00:00Z")


def _dec(*sentences: str, **kw: Any) -> Any:
    return _pyais_decode(*sentences, **kw)


@dataclass
class Run:
    sim: Simulation
    lines: list[tuple[int, str]]


@pytest.fixture(scope="module")
def run() -> Run:
    sim = Simulation(
        hours=3.5, seed=4, start_ms=START, vessels=80, scenario="smuggling", zones=None
    )
    return Run(sim, list(sim))


def _valid(line: str) -> bool:
    if not line.startswith("\\") or line.count("\\") != 2:
        return False
    tag, sentence = line[1:].split("\\", 1)
    if "*" not in tag or "*" not in sentence:
        return False
    body, ck = tag.rsplit("*", 1)
    s, ck2 = sentence[1:].rsplit("*", 1)
    try:
        return nmea.xor_checksum(body) == int(ck, 16) and nmea.xor_checksum(s) == int(ck2, 16)
    except ValueError:
        return False


def _c(line: str) -> int:
    return int(line.split("c:")[1].split("*")[0]) * 1000


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not() -> None:
    def digest(seed: int) -> str:
        h = hashlib.sha256()
        for _, line in iter_simulation(0.5, seed, START, vessels=25):
            h.update(line.encode() + b"\n")
        return h.hexdigest()

    assert digest(9) == digest(9)
    assert digest(9) != digest(10)


def test_lines_come_in_time_order_matching_their_tag_block_time(run: Run) -> None:
    times = [t for t, _ in run.lines]
    assert times == sorted(times)
    assert times[0] >= START and times[-1] < START + 4 * 3_600_000 + 5000
    for t, line in run.lines[::97]:
        if _valid(line) and "c:" in line:
            assert _c(line) == t


def test_every_line_is_valid_except_the_deliberately_corrupt_ones(run: Run) -> None:
    bad = sum(not _valid(line) for _, line in run.lines)
    assert bad == run.sim.summary["corrupt_lines"]
    assert 0 < bad < len(run.lines) * 0.002
    assert run.sim.summary["lines"] == len(run.lines)


def test_no_simulated_position_is_on_land(run: Run) -> None:
    w = world()
    for ag in run.sim.plan.agents:
        ts = position_times(ag, START, run.sim.end, np.random.default_rng(0))
        if len(ts):
            s = ag.track.sample(ts)
            assert not w.on_land(s.lon, s.lat).any(), ag.vessel
        assert w.path_at_sea(ag.track.points()), ag.vessel
        for sp in ag.spoofs:
            assert not w.on_land(np.array([sp.point[0]]), np.array([sp.point[1]])).any()


def _prefixes(run: Run) -> set[str]:
    """Payload prefixes (type and MMSI bits) of every third agent: decode only those lines."""
    out = set()
    agents = run.sim.plan.agents
    for ag in agents[::3] + [a for a in agents if a.vessel.ais_class == "aircraft"]:
        one = np.array([ag.mmsi])
        z = np.zeros(1, np.int64)
        f = np.zeros(1)
        for p in (
            nmea.encode_type1(one, z, z, z, f, f, z, z, z, z),
            nmea.encode_type18(one, z, f, f, z, z, z),
            nmea.encode_type9(one, z, z, f, f, z, z),
        ):
            out.add(p[0].tobytes().decode()[:6])
    return out


def _decoded(run: Run) -> Decoded:
    by_mmsi: Decoded = defaultdict(list)
    seen: set[str] = set()
    wanted = _prefixes(run)
    for t, line in run.lines:
        sentence = line.split("\\")[-1]
        if not sentence.startswith("!AIVDM,1,1,"):
            continue
        payload = sentence.split(",")[5]
        if payload[:6] not in wanted or payload in seen or not _valid(line):
            continue
        seen.add(payload)  # a duplicate from a second station is the same payload
        msg = _dec(sentence)
        if msg.msg_type in (1, 18, 9):
            by_mmsi[msg.mmsi].append((t, msg))
    return by_mmsi


@pytest.fixture(scope="module")
def decoded(run: Run) -> Decoded:
    return _decoded(run)


def test_decoded_positions_match_the_simulated_tracks(run: Run, decoded: Decoded) -> None:
    agents = {ag.mmsi: ag for ag in run.sim.plan.agents if ag.log_as is None}
    spoofed = {ag.mmsi for ag in run.sim.plan.agents if ag.spoofs or ag.log_as is not None}
    checked = 0
    for mmsi, msgs in decoded.items():
        if mmsi in spoofed or mmsi not in agents:
            continue
        ag = agents[mmsi]
        for t, msg in msgs[:: max(1, len(msgs) // 5)]:
            # the fix was sent up to 2 s before its tag block second
            p = ag.track.position_at(t)
            assert distance_m(p, (msg.lon, msg.lat)) < 30 + ag.vessel.max_speed * 0.5144 * 3.0
            checked += 1
    assert checked > 100


def test_decoded_statics_match_the_simulated_identities(run: Run) -> None:
    agents = {ag.mmsi: ag for ag in run.sim.plan.agents if ag.log_as is None}
    checked = 0
    first: str | None = None
    for t, line in run.lines:
        if not _valid(line) or "!AIVDM,2," not in line:
            first = None
            continue
        sentence = line.split("\\")[2]
        if sentence.split(",")[2] == "1":
            first = sentence
            continue
        assert first is not None  # both parts of a type 5 are adjacent
        msg = _dec(first, sentence)
        v = agents[msg.mmsi].identity_at(t)
        assert (msg.shipname, msg.callsign, msg.imo, msg.ship_type) == (
            v.name,
            v.callsign,
            v.imo,
            v.ship_type,
        )
        checked += 1
        if checked == 150:
            break
    assert checked > 50


def test_reporting_intervals_follow_the_class_and_speed(run: Run, decoded: Decoded) -> None:
    medians: dict[str, list[float]] = defaultdict(list)
    for msgs in decoded.values():
        if len(msgs) < 6:
            continue
        t = np.array([x[0] for x in msgs])
        dt = np.diff(t) / 1000
        m0 = msgs[len(msgs) // 2][1]
        if m0.msg_type == 18:
            medians["B_fast" if m0.speed > 2.5 else "B_slow"].append(float(np.median(dt)))
        elif m0.msg_type == 9:
            medians["aircraft"].append(float(np.median(dt)))
        elif m0.status in (1, 5) and m0.speed < 1:
            medians["A_parked"].append(float(np.median(dt)))
        elif m0.speed > 23:
            medians["A_fast"].append(float(np.median(dt)))
        elif 3 < m0.speed < 14:
            medians["A_underway"].append(float(np.median(dt)))
    expect = {
        "A_underway": (9, 12),
        "A_parked": (175, 190),
        "A_fast": (1.5, 4),
        "B_fast": (28, 34),
        "aircraft": (9, 12),
    }
    for k, (lo, hi) in expect.items():
        assert medians[k], k
        assert lo <= float(np.median(medians[k])) <= hi, (k, medians[k])


def test_truth_labels_are_consistent(run: Run) -> None:
    labels = run.sim.labels
    kinds = {lab.kind for lab in labels}
    for kind in (
        "loitering",
        "encounter",
        "ais_gap",
        "position_jump",
        "identity_change",
        "invalid_mmsi",
        "watchlist_match",
    ):
        assert kind in kinds, kind
    by_mmsi = {ag.mmsi: ag for ag in run.sim.plan.agents if ag.log_as is None}
    for lab in labels:
        assert lab.start_ms <= lab.end_ms
        assert START <= lab.start_ms <= run.sim.end + 5000
        if lab.kind == "ais_gap" and lab.details["cause"] == "dark":
            assert 55 * 60_000 <= lab.end_ms - lab.start_ms <= 6 * 3_600_000 + 120_000
            v = by_mmsi[lab.mmsi].vessel
            assert lab.details["implied_speed_kn"] <= v.max_speed + 1
            assert 0.0 <= lab.details["reception"] <= 1.0
        elif lab.kind == "ais_gap":
            assert lab.details["cause"] == "out_of_range"
            assert lab.end_ms - lab.start_ms > lab.details["threshold_minutes"] * 60_000
        if lab.kind == "position_jump" and "jump_km" in lab.details:
            assert lab.details["jump_km"] >= 100
        if lab.kind == "encounter":
            assert lab.other_mmsi is not None
            a, b = by_mmsi[lab.mmsi], by_mmsi[lab.other_mmsi]
            ts = np.arange(lab.start_ms, lab.end_ms, 60_000)
            sa, sb = a.track.sample(ts), b.track.sample(ts)
            d = [
                distance_m((x1, y1), (x2, y2))
                for x1, y1, x2, y2 in zip(sa.lon, sa.lat, sb.lon, sb.lat, strict=True)
            ]
            assert max(d) <= 300 and (sa.sog < 2).all() and (sb.sog < 2).all()
            assert 25 * 60_000 <= lab.end_ms - lab.start_ms <= 95 * 60_000
        if lab.kind == "loitering":
            ag = by_mmsi[lab.mmsi]
            ts = np.arange(lab.start_ms, lab.end_ms, 60_000)
            assert (ag.track.sample(ts).sog < 2).all()
            assert lab.end_ms - lab.start_ms >= 3_600_000
        if lab.kind == "identity_change":
            assert lab.details["old"] != lab.details["new"]
            assert lab.end_ms - lab.start_ms <= 30 * 60_000


def test_summary_counts_vessels_and_labels(run: Run) -> None:
    s = run.sim.summary
    assert s["vessels"] >= 80
    assert sum(s["labels"].values()) == len(run.sim.labels)
    assert s["duplicate_lines"] > 0


@pytest.fixture(scope="module")
def edge_run() -> Run:
    sim = Simulation(hours=3, seed=11, start_ms=START, vessels=90, scenario="coverage")
    return Run(sim, list(sim))


def test_coverage_scenario_labels_silences_out_of_range_that_no_fix_breaks(edge_run: Run) -> None:
    sim = edge_run.sim
    gaps = [lab for lab in sim.labels if lab.kind == "ais_gap"]
    out = [lab for lab in gaps if lab.details["cause"] == "out_of_range"]
    assert len(out) >= 5
    heard: dict[int, list[int]] = defaultdict(list)
    for t, line in edge_run.lines:
        if _valid(line):
            body = line.split("\\")[2]
            try:
                msg = _dec(body).asdict()
            except Exception:  # noqa: BLE001 - fragments of multipart statics
                continue
            if msg.get("msg_type") in (1, 2, 3, 18):
                heard[int(msg["mmsi"])].append(t)
    # a spoofed position or a second transmitter on the MMSI is heard, not the vessel itself
    faked = {ag.mmsi for ag in sim.plan.agents if ag.spoofs or ag.log_as is not None}
    for lab in out:
        if lab.mmsi in faked:
            continue
        inside = [t for t in heard[lab.mmsi] if lab.start_ms < t < lab.end_ms]
        assert not inside, (lab, inside[:3])
        assert lab.end_ms - lab.start_ms > lab.details["threshold_minutes"] * 60_000
    # the receivers of this scenario leave the Libyan coast unheard
    assert not any(s in sim.net.names for s in ("tripoli", "misrata", "zarzis"))


def test_lines_are_tagged_with_the_scenarios_stations_only(edge_run: Run) -> None:
    names = set(edge_run.sim.net.names)
    for _, line in edge_run.lines[::53]:
        if _valid(line) and "s:" in line:  # (later fragments of a g: group carry no s:)
            assert line.split("s:")[1].split(",")[0].split("*")[0] in names


@pytest.fixture(scope="module")
def outage_run() -> Run:
    sim = Simulation(hours=4, seed=10, start_ms=START, vessels=120, scenario="outage")
    return Run(sim, list(sim))


def test_a_station_that_is_down_hears_nothing_and_its_silences_are_labelled_so(
    outage_run: Run,
) -> None:
    sim = outage_run.sim
    (down,) = sim.net.outages  # one per 6 h of two, rounded, in 4 h
    name = sim.net.names[down.station]
    tagged = [t for t, line in outage_run.lines if f"s:{name}," in line]
    assert tagged and not [t for t in tagged if down.start_ms + 2000 < t < down.end_ms - 1000]
    assert any(t < down.start_ms for t in tagged) and any(t > down.end_ms for t in tagged)
    holes = [lab for lab in sim.labels if lab.details.get("cause") == "outage"]
    assert len(holes) >= 2  # every vessel only Malta heard, at once
    for lab in holes:
        assert lab.kind == "ais_gap" and not lab.details.get("optional")
        assert lab.start_ms < down.end_ms and down.start_ms < lab.end_ms
        assert abs(lab.start_ms - down.start_ms) < 15 * 60_000
    # what is left of such a silence, the outage taken out, is within the threshold
    for lab in holes:
        rest = lab.end_ms - lab.start_ms - lab.details["outage_minutes"] * 60_000
        assert rest <= lab.details["threshold_minutes"] * 60_000
