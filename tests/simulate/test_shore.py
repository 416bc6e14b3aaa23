"""Shore transmitters and the class A message types: what a raw feed carries beside vessels."""

import random
from collections import Counter
from typing import Any

import numpy as np
import pytest
from pyais import decode as _pyais_decode
from pyais import encode_dict

from ais_ingest.decoder import Decoder
from geo.events import parse_time
from simulate import nmea, shore
from simulate.reporting import TYPE2_SHARE, TYPE3_SHARE, TYPE3_UNITS
from simulate.scenario import Simulation

START = parse_time("2026-06-01T00:00:00Z")


def _dec(sentence: str) -> Any:
    return _pyais_decode(sentence, error_if_checksum_invalid=False)


@pytest.fixture(scope="module")
def lines() -> list[str]:
    sim = Simulation(hours=1.0, seed=3, start_ms=START, vessels=120, zones=None)
    return [line for _, line in sim]


def _first_char_shares(lines: list[str]) -> dict[str, float]:
    c: Counter[str] = Counter()
    for line in lines:
        f = line.rsplit("!", 1)[-1].split(",")
        if len(f) > 5 and f[1] == "1" and f[5]:
            c[f[5][0]] += 1
    n = sum(c.values())
    return {k: v / n for k, v in c.items()}


def test_type4_packing_equals_pyais_bit_for_bit() -> None:
    rng = random.Random(8)
    for _ in range(200):
        mmsi = rng.choice([2470101, 2150101, 6420101, 6720102])
        t_ms = rng.randint(parse_time("2020-01-01T00:00:00Z"), parse_time("2030-12-31T23:59:59Z"))
        lon, lat = round(rng.uniform(9, 18), 4), round(rng.uniform(31, 39), 4)
        ours = shore.encode_type4(
            np.array([mmsi]), np.array([t_ms]), np.array([lon]), np.array([lat])
        )[0]
        ours_text = ours.tobytes().decode()
        sec = t_ms // 1000
        utc = np.datetime64(sec, "s").astype(object)
        theirs = encode_dict(
            {
                "type": 4,
                "mmsi": mmsi,
                "year": utc.year,
                "month": utc.month,
                "day": utc.day,
                "hour": utc.hour,
                "minute": utc.minute,
                "second": utc.second,
                "accuracy": 1,
                "lon": lon,
                "lat": lat,
                "epfd": 7,
                "raim": 0,
                "radio": (mmsi * 11 + sec) % 0x7FFFF,
            }
        )[0]
        assert ours_text == theirs.split(",")[5]


def test_class_a_types_2_and_3_keep_the_type_1_layout() -> None:
    one = [np.array([v]) for v in (247123456, 0, 0, 123, 12.5, 35.5, 900, 90, 30, 1)]
    for t in (1, 2, 3):
        payload = (
            nmea.encode_type1(
                one[0],
                one[1],
                one[2],
                one[3],
                one[4],
                one[5],
                one[6],
                one[7],
                one[8],
                one[9],
                msg_type=np.array([t]),
            )[0]
            .tobytes()
            .decode()
        )
        msg = _dec(f"!AIVDM,1,1,,A,{payload},0*00")
        assert (msg.msg_type, msg.mmsi, msg.speed, msg.course) == (t, 247123456, 12.3, 90.0)
        assert (round(msg.lon, 4), round(msg.lat, 4)) == (12.5, 35.5)


def test_aid_reports_decode_to_the_aid() -> None:
    for aid in shore.AIDS:
        payload, fill = shore.aid_payload(aid, 42)
        msg = _dec(f"!AIVDM,1,1,,A,{payload},{fill}*00")
        assert (msg.msg_type, msg.mmsi, msg.full_name) == (21, aid.mmsi, aid.name)
        assert (round(msg.lon, 4), round(msg.lat, 4), msg.second) == (aid.lon, aid.lat, 42)


def test_a_raw_feed_has_the_real_feeds_mix_of_types(lines: list[str]) -> None:
    shares = _first_char_shares(lines)
    class_a = shares.get("1", 0) + shares.get("2", 0) + shares.get("3", 0)
    assert shares.get("3", 0) / class_a == pytest.approx(TYPE3_UNITS * TYPE3_SHARE, abs=0.04)
    assert shares.get("2", 0) / class_a == pytest.approx(TYPE2_SHARE, abs=0.015)
    assert 0.02 < shares.get("4", 0) < 0.08  # base stations: 5.0 % of the AISHub capture
    assert 0.001 < shares.get("E", 0) < 0.01  # aids to navigation: 0.5 %


def test_each_base_station_reports_every_ten_seconds_with_its_time() -> None:
    sim = Simulation(hours=0.5, seed=5, start_ms=START, vessels=10, zones=None)
    times: dict[int, set[int]] = {}
    for _, line in sim:
        body = line[line.index("!") :]
        f = body.split(",")
        if f[1] != "1" or not f[5].startswith("4"):
            continue
        try:
            msg = _dec(body)
        except Exception:  # a deliberately corrupt line
            continue
        t = int(
            np.datetime64(
                f"{msg.year:04d}-{msg.month:02d}-{msg.day:02d}T"
                f"{msg.hour:02d}:{msg.minute:02d}:{msg.second:02d}"
            )
            .astype("datetime64[ms]")
            .astype(np.int64)
        )
        times.setdefault(msg.mmsi, set()).add(t)
        assert 0 <= _c(line) * 1000 - t < 3000  # received within the tag's second
    assert set(times) == {b.mmsi for b in shore.BASE_STATIONS}
    for heard in times.values():
        steps = np.diff(sorted(heard))
        assert len(heard) > 100 and set(steps.tolist()) <= {10_000 * k for k in range(1, 6)}


def _c(line: str) -> int:
    return int(line.split("c:")[1].split("*")[0])


def test_archive_like_extracts_keep_vessels_only() -> None:
    sim = Simulation(hours=1.0, seed=3, start_ms=START, vessels=30, scenario="sparse10")
    shares = _first_char_shares([line for _, line in sim])
    assert not {"4", "E"} & set(shares)
    assert sim.summary["shore_lines"] == 0


def test_mare_counts_shore_messages_as_unsupported_and_takes_every_vessel_report(
    lines: list[str],
) -> None:
    is_shore = [ln.rsplit("!", 1)[-1].split(",")[5][:1] in ("4", "E") for ln in lines]
    shore_lines = [ln for ln, shore_line in zip(lines, is_shore, strict=True) if shore_line]
    with_shore, without = Decoder(), Decoder()
    a = with_shore.decode(lines, START, "sim")
    vessels_only = [ln for ln, shore_line in zip(lines, is_shore, strict=True) if not shore_line]
    b = without.decode(vessels_only, START, "sim")
    a_rest, b_rest = with_shore.flush(), without.flush()
    assert len(a) + len(a_rest) == len(b) + len(b_rest)
    assert np.array_equal(a.positions.mmsi, b.positions.mmsi)
    assert np.array_equal(a.positions.time_ms, b.positions.time_ms)
    # every shore line is accounted for: unsupported, or set aside before its type was read
    diff = Counter(with_shore.stats.counts)
    diff.subtract(without.stats.counts)
    assert diff["unsupported_type"] > 0.75 * len(shore_lines)
    assert sum(diff.values()) == len(shore_lines)
    assert without.stats.counts["unsupported_type"] == 0
