import random
from typing import Any

import numpy as np
import pytest
from pyais import decode as _pyais_decode
from pyais import encode_dict

from simulate import nmea
from simulate.fleet import Role, Vessel


def _t1(*values: Any) -> Any:
    """encode_type1 of one message: mmsi, status, turn, speed10, lon, lat, course10, heading,
    second, accuracy; each value may also be a list for several messages."""
    cols = [np.atleast_1d(np.array(v)) for v in values]
    return nmea.encode_type1(
        cols[0],
        cols[1],
        cols[2],
        cols[3],
        cols[4].astype(float),
        cols[5].astype(float),
        cols[6],
        cols[7],
        cols[8],
        cols[9],
    )


def _dec(*sentences: str, **kw: Any) -> Any:
    return _pyais_decode(*sentences, **kw)


def _payload(line: str) -> str:
    return line.split(",")[5]


def test_type1_packing_equals_pyais_bit_for_bit() -> None:
    rng = random.Random(5)
    compared = 0
    for _ in range(300):
        mmsi = rng.randint(200_000_000, 775_999_999)
        lon, lat = round(rng.uniform(9, 18), 6), round(rng.uniform(31, 39), 6)
        speed10, course10 = rng.randint(0, 1022), rng.randint(0, 3599)
        heading, second = rng.choice([rng.randint(0, 359), 511]), rng.randint(0, 59)
        status, turn = rng.choice([0, 1, 5, 7]), rng.choice([0, rng.randint(-126, 126)])
        ours = (
            _t1(mmsi, status, turn, speed10, lon, lat, course10, heading, second, 1)[0]
            .tobytes()
            .decode()
        )
        msg = _dec(f"!AIVDM,1,1,,A,{ours},0*00", error_if_checksum_invalid=False)
        assert (msg.mmsi, msg.status, msg.heading, msg.second) == (mmsi, status, heading, second)
        assert abs(msg.lon - lon) < 2e-6 and abs(msg.lat - lat) < 2e-6
        assert (round(msg.speed * 10), round(msg.course * 10)) == (speed10, course10)
        # pyais truncates speed*10 and course*10 to int: compare bytes where that is exact
        if turn or int(speed10 / 10 * 10.0) != speed10 or int(course10 / 10 * 10.0) != course10:
            continue
        theirs = encode_dict(
            {
                "type": 1,
                "mmsi": mmsi,
                "status": status,
                "turn": 0,
                "speed": speed10 / 10,
                "accuracy": 1,
                "lon": lon,
                "lat": lat,
                "course": course10 / 10,
                "heading": heading,
                "second": second,
                "maneuver": 0,
                "radio": (mmsi * 7 + second) % 0x7FFFF,
            }
        )[0]
        assert ours == _payload(theirs)
        compared += 1
    assert compared > 50


def test_type18_and_type9_equal_pyais() -> None:
    a = nmea.encode_type18(
        np.array([247123456]),
        np.array([50]),
        np.array([12.6]),
        np.array([35.5]),
        np.array([100]),
        np.array([511]),
        np.array([3]),
    )
    ref = encode_dict(
        {
            "type": 18,
            "mmsi": 247123456,
            "lat": 35.5,
            "lon": 12.6,
            "speed": 5.0,
            "course": 10,
            "heading": 511,
            "second": 3,
            "cs": 1,
            "dsc": 1,
            "band": 1,
            "msg22": 1,
            "radio": 0b1100000000000000110,
        }
    )[0]
    assert a[0].tobytes().decode() == _payload(ref)
    b = nmea.encode_type9(
        np.array([111247123]),
        np.array([300]),
        np.array([120]),
        np.array([12.6]),
        np.array([35.5]),
        np.array([900]),
        np.array([5]),
    )
    ref9 = encode_dict(
        {
            "type": 9,
            "mmsi": 111247123,
            "alt": 300,
            "speed": 120,
            "lat": 35.5,
            "lon": 12.6,
            "course": 90,
            "second": 5,
            "accuracy": 1,
        }
    )[0]
    assert b[0].tobytes().decode() == _payload(ref9)


def _valid(line: str) -> bool:
    tag, sentence = line[1:].split("\\", 1)
    body, ck = tag.rsplit("*", 1)
    if nmea.xor_checksum(body) != int(ck, 16):
        return False
    if "*" not in sentence:
        return False
    s, ck2 = sentence[1:].rsplit("*", 1)
    return len(ck2) == 2 and nmea.xor_checksum(s) == int(ck2, 16)


def test_lines_carry_valid_tag_block_and_sentence_checksums() -> None:
    p = _t1([247000001] * 2, [0, 0], [0, 0], [100, 100], [12.5, 12.6], [35.0, 35.1],
            [900, 900], [90, 90], [12, 12], [1, 1])  # fmt: skip
    lines = nmea.single_lines(
        p, np.array(["A", "B"]), ["malta", "lampedusa"], np.array([1780272000, 1780272001])
    )
    assert lines[0].startswith("\\s:malta,c:1780272000*")
    assert all(_valid(x) for x in lines)
    assert _dec(lines[1].split("\\")[2]).mmsi == 247000001


@pytest.mark.parametrize("how", [0, 1])
def test_corrupt_lines_fail_the_checksum(how: int) -> None:
    p = _t1(247000001, 0, 0, 100, 12.5, 35.0, 900, 90, 12, 1)
    line = nmea.single_lines(p, np.array(["A"]), ["malta"], np.array([1780272000]))[0]
    assert _valid(line)
    assert not _valid(nmea.corrupt(line, how))


def _vessel(cls: str) -> Vessel:
    return Vessel(
        mmsi=247000002,
        name="SAN PIO",
        callsign="IABC",
        imo=9387425 if cls == "A" else 0,
        ship_type=30,
        length=30,
        beam=6,
        ais_class=cls,
        role=Role.TRAWLER,
        flag="IT",
        destination="MAZARA",
        draught=3.2,
    )


def test_type5_framed_with_groups_and_sequence_ids_reassembles() -> None:
    framer = nmea.Framer()
    (parts,) = nmea.static_payloads(_vessel("A"))
    grouped = framer.frame(parts, "lampedusa", 1780272000, "A", groups=True)
    assert grouped[0].startswith("\\g:1-2-0001,s:lampedusa,c:1780272000*")
    assert grouped[1].startswith("\\g:2-2-0001*")
    seqd = framer.frame(parts, "malta", 1780272000, "B", groups=False)
    assert seqd[0].split("!")[1].split(",")[3] == "0"
    for lines in (grouped, seqd):
        assert all(_valid(x) for x in lines)
        msg = _dec(*[x.split("\\")[2] for x in lines])
        assert msg.shipname == "SAN PIO" and msg.imo == 9387425 and msg.callsign == "IABC"


def test_class_b_statics_are_type24_parts_a_and_b() -> None:
    a, b = nmea.static_payloads(_vessel("B"))
    framer = nmea.Framer()
    la = framer.frame(a, "sfax", 1, "A", groups=False)
    lb = framer.frame(b, "sfax", 1, "A", groups=False)
    ma, mb = _dec(la[0].split("\\")[2]), _dec(lb[0].split("\\")[2])
    assert ma.msg_type == 24 and ma.partno == 0 and ma.shipname == "SAN PIO"
    assert mb.partno == 1 and mb.callsign == "IABC" and mb.ship_type == 30
