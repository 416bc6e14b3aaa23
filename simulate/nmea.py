r"""AIVDM sentences with NMEA 4.10 tag blocks, position reports encoded in bulk.

Position reports (types 1, 18 and 9, all 168 bits, one sentence) are most of a capture, and
pyais' `encode_dict` costs about 130 us each, so they are packed here with numpy, a whole batch
at once, field by field per ITU-R M.1371 (the same layouts as pyais' MessageType1/18/9;
`tests/simulate/test_nmea.py` checks both agree bit for bit). Static reports are rare and
constant per identity, so they are encoded once with `pyais.encode_dict` and cached.

Tag block: ``\s:STATION,c:EPOCH*hh\`` where hh is the XOR of the characters between the
backslashes before ``*`` (NMEA 4.10, the same checksum as a sentence).
"""

from __future__ import annotations

from functools import lru_cache, reduce
from operator import xor

import numpy as np
import numpy.typing as npt
from pyais import encode_dict

from simulate.fleet import Vessel

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]

_ASCII = np.array([v + 48 if v < 40 else v + 56 for v in range(64)], np.uint8)


def xor_checksum(text: str) -> int:
    """NMEA checksum: XOR of the characters (without the delimiters)."""
    return reduce(xor, text.encode("latin-1"), 0)


def pack(fields: list[tuple[I64, int]]) -> U8:
    """Pack integer columns of given bit widths (two's complement) into 6-bit ASCII payloads.

    The widths must add up to a multiple of 6; returns an (n, width/6) array of ASCII codes.
    Bits go into 60-bit words (ten sextets each) with shifts on whole columns, so the work is a
    few vector operations per field and per sextet, whatever the batch size.
    """
    n = len(fields[0][0])
    total = sum(w for _, w in fields)
    words = [np.zeros(n, np.int64) for _ in range(-(-total // 60))]
    off = 0
    for values, width in fields:
        v = np.asarray(values, np.int64) & ((1 << width) - 1)
        left = width
        while left:
            wi, pos = divmod(off, 60)
            take = min(left, 60 - pos)
            part = (v >> (left - take)) & ((1 << take) - 1)
            words[wi] |= part << (60 - pos - take)
            off += take
            left -= take
    sextets = np.empty((n, total // 6), np.int64)
    for k in range(total // 6):
        wi, pos = divmod(6 * k, 60)
        sextets[:, k] = (words[wi] >> (54 - pos)) & 63
    return np.asarray(_ASCII[sextets], np.uint8)


def latlon_raw(v: F64) -> I64:
    """Degrees to 1/10000 minute, rounded like pyais' ``from_lat_lon``."""
    return np.asarray(np.rint(v * 600000.0), np.int64)


def rot_raw(rot_deg_min: F64) -> I64:
    """Rate of turn (deg/min) to the ROT_AIS indicator, 4.733 * sqrt(|ROT|), signed."""
    r = np.rint(4.733 * np.sqrt(np.abs(rot_deg_min))) * np.sign(rot_deg_min)
    return np.asarray(np.clip(r, -126, 126), np.int64)


def encode_type1(
    mmsi: I64,
    status: I64,
    turn: I64,
    speed10: I64,
    lon: F64,
    lat: F64,
    course10: I64,
    heading: I64,
    second: I64,
    accuracy: I64,
    msg_type: I64 | None = None,
) -> U8:
    """Class A position reports, 168 bits each; raw units (0.1 kn, 0.1 deg).

    ``msg_type``: 1, 2 or 3 per row (the same layout); all type 1 when None.
    """
    n = len(mmsi)
    z = np.zeros(n, np.int64)
    return pack(
        [
            (z + 1 if msg_type is None else msg_type, 6),
            (z, 2),
            (mmsi, 30),
            (status, 4),
            (turn, 8),
            (speed10, 10),
            (accuracy, 1),
            (latlon_raw(lon), 28),
            (latlon_raw(lat), 27),
            (course10, 12),
            (heading, 9),
            (second, 6),
            (z, 2),  # manoeuvre indicator: not available
            (z, 3),  # spare
            (z, 1),  # RAIM
            ((mmsi * 7 + second) % 0x7FFFF, 19),  # SOTDMA communication state stand-in
        ]
    )


def encode_type18(
    mmsi: I64, speed10: I64, lon: F64, lat: F64, course10: I64, heading: I64, second: I64
) -> U8:
    """Class B CS position reports (type 18, CS unit flag set), 168 bits each."""
    n = len(mmsi)
    z = np.zeros(n, np.int64)
    return pack(
        [
            (z + 18, 6),
            (z, 2),
            (mmsi, 30),
            (z, 8),
            (speed10, 10),
            (z, 1),
            (latlon_raw(lon), 28),
            (latlon_raw(lat), 27),
            (course10, 12),
            (heading, 9),
            (second, 6),
            (z, 2),
            (z + 1, 1),  # CS unit
            (z, 1),
            (z + 1, 1),  # DSC
            (z + 1, 1),  # whole band
            (z + 1, 1),  # accepts message 22
            (z, 1),
            (z, 1),
            ((z + 0b1100000000000000110), 20),
        ]
    )


def encode_type9(
    mmsi: I64, alt: I64, speed: I64, lon: F64, lat: F64, course10: I64, second: I64
) -> U8:
    """SAR aircraft position reports (type 9; speed in whole knots), 168 bits each."""
    n = len(mmsi)
    z = np.zeros(n, np.int64)
    return pack(
        [
            (z + 9, 6),
            (z, 2),
            (mmsi, 30),
            (alt, 12),
            (speed, 10),
            (z + 1, 1),
            (latlon_raw(lon), 28),
            (latlon_raw(lat), 27),
            (course10, 12),
            (second, 6),
            (z, 8),
            (z, 1),
            (z, 3),
            (z, 1),
            (z, 1),
            (z, 20),
        ]
    )


def payload_checksums(payloads: U8, channel: npt.NDArray[np.str_]) -> I64:
    """Checksum of ``AIVDM,1,1,,C,<payload>,0`` for each row, vectorised."""
    body = np.bitwise_xor.reduce(payloads.astype(np.int64), axis=1) if len(payloads) else None
    if body is None:
        return np.zeros(0, np.int64)
    const_a = xor_checksum("AIVDM,1,1,,A,,0")
    const_b = xor_checksum("AIVDM,1,1,,B,,0")
    return np.asarray(body ^ np.where(channel == "A", const_a, const_b), np.int64)


@lru_cache(maxsize=4096)
def _tag_sc(station: str, c_sec: int) -> str:
    body = f"s:{station},c:{c_sec}"
    return f"\\{body}*{xor_checksum(body):02X}\\"


def tag_block(station: str, c_sec: int, group: str | None = None) -> str:
    r"""Return the NMEA 4.10 tag block ``\g:..,s:..,c:..*hh\`` (group first when given)."""
    if group is None:
        return _tag_sc(station, c_sec)
    parts = []
    if group is not None:
        parts.append(f"g:{group}")
    parts.append(f"s:{station}")
    parts.append(f"c:{c_sec}")
    body = ",".join(parts)
    return f"\\{body}*{xor_checksum(body):02X}\\"


def single_lines(
    payloads: U8, channels: npt.NDArray[np.str_], stations: list[str], c_sec: I64
) -> list[str]:
    """Whole lines (tag block + one-sentence AIVDM) for packed 168-bit payloads."""
    cks = payload_checksums(payloads, channels)
    texts = payloads.tobytes().decode("ascii")
    w = payloads.shape[1] if len(payloads) else 0
    return [
        f"{_tag_sc(st, c)}!AIVDM,1,1,,{ch},{texts[i * w : (i + 1) * w]},0*{ck:02X}"
        for i, (st, c, ch, ck) in enumerate(
            zip(stations, c_sec.tolist(), channels.tolist(), cks.tolist(), strict=True)
        )
    ]


# -- static reports (pyais, cached per identity) ------------------------------------------------


def sentence_parts(line: str) -> tuple[str, str]:
    """Split a pyais ``!AIVDO,...`` sentence into (payload, fill bits) for re-framing."""
    fields = line.split("*")[0].split(",")
    return fields[5], fields[6]


_STATIC_CACHE: dict[tuple[object, ...], list[tuple[str, str]]] = {}


def static_payloads(v: Vessel) -> list[list[tuple[str, str]]]:
    """Payload/fill-bit pairs of an identity's static messages, each a list of sentence parts.

    Class A: one type 5 (two sentences). Class B: type 24 part A and part B (one sentence each).
    """
    key = (v.mmsi, v.name, v.callsign, v.imo, v.ship_type, v.length, v.beam, v.ais_class,
           v.destination, v.draught)  # fmt: skip
    if key not in _STATIC_CACHE:
        bow, stern, port, stbd = v.dims
        if v.ais_class == "A":
            msg: dict[str, str | int | float | bool | bytes] = {
                "type": 5,
                "mmsi": v.mmsi,
                "ais_version": 2,
                "imo": v.imo,
                "callsign": v.callsign,
                "shipname": v.name,
                "ship_type": v.ship_type,
                "to_bow": bow,
                "to_stern": stern,
                "to_port": port,
                "to_starboard": stbd,
                "epfd": 1,
                "month": 0,
                "day": 0,
                "hour": 24,
                "minute": 60,
                "draught": v.draught,
                "destination": v.destination,
                "dte": 0,
            }
            _STATIC_CACHE[key] = [sentence_parts(s) for s in encode_dict(msg)]
        else:
            a = encode_dict({"type": 24, "mmsi": v.mmsi, "partno": 0, "shipname": v.name})
            b = encode_dict(
                {
                    "type": 24,
                    "mmsi": v.mmsi,
                    "partno": 1,
                    "ship_type": v.ship_type,
                    "vendorid": "MAR",
                    "callsign": v.callsign,
                    "to_bow": bow,
                    "to_stern": stern,
                    "to_port": port,
                    "to_starboard": stbd,
                }
            )
            _STATIC_CACHE[key] = [sentence_parts(a[0]), sentence_parts(b[0])]
    parts = _STATIC_CACHE[key]
    if v.ais_class == "A":
        return [parts]
    return [[parts[0]], [parts[1]]]


class Framer:
    """Frames multi-sentence messages per station: sequence ids 0-9 or NMEA 4.10 groups."""

    def __init__(self) -> None:
        self._seq: dict[str, int] = {}
        self._group: dict[str, int] = {}

    def frame(
        self, parts: list[tuple[str, str]], station: str, c_sec: int, channel: str, groups: bool
    ) -> list[str]:
        """Lines for one message as one station received it."""
        n = len(parts)
        if n == 1:
            p, f = parts[0]
            body = f"AIVDM,1,1,,{channel},{p},{f}"
            return [f"{tag_block(station, c_sec)}!{body}*{xor_checksum(body):02X}"]
        out = []
        if groups:
            gid = self._group.get(station, 0) % 10000 + 1
            self._group[station] = gid
            for k, (p, f) in enumerate(parts, 1):
                body = f"AIVDM,{n},{k},,{channel},{p},{f}"
                g = f"{k}-{n}-{gid:04d}"
                if k == 1:
                    tb = tag_block(station, c_sec, g)
                else:
                    tb = f"\\g:{g}*{xor_checksum('g:' + g):02X}\\"
                out.append(f"{tb}!{body}*{xor_checksum(body):02X}")
            return out
        seq = self._seq.get(station, -1) + 1
        seq %= 10
        self._seq[station] = seq
        tb = tag_block(station, c_sec)
        for k, (p, f) in enumerate(parts, 1):
            body = f"AIVDM,{n},{k},{seq},{channel},{p},{f}"
            out.append(f"{tb}!{body}*{xor_checksum(body):02X}")
        return out


def corrupt(line: str, how: int) -> str:
    """Damage a line the ways radio and serial links do: a flipped character or a cut tail."""
    if how % 2 == 0:
        i = line.index("!AIVDM") + 20
        c = line[i]
        return line[:i] + ("0" if c != "0" else "1") + line[i + 1 :]
    return line[: line.rindex("*") - 3]
