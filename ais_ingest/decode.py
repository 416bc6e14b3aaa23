"""Decoding of the less frequent message types with pyais, into Mare's records.

The fast path (`ais_ingest.fastpath`) takes standard-length types 1-3 and 18; everything else
that becomes a record comes here: type 5 and 24 static data, 19 (class B extended), 9 (SAR
aircraft), 27 (long range) and odd-length position reports. pyais decodes the bits; this module
normalises: unavailable values to None, reserved ship-type codes kept as broadcast (pyais maps
them to 0, so they are read from the bits), six-bit text cut at the first ``@``.

`predecode` takes the types 9 and 24 of a batch through the fast path first (the same records),
and pyais is imported only when a message needs it: importing it costs 0.07-0.08 s of CPU, a
tenth of decoding a 300k-line capture whose rare messages are all of those two types.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ais_ingest.fastpath import (
    TYPE9_BITS,
    TYPE19_BITS,
    TYPE27_BITS,
    decode_type9,
    decode_type19,
    decode_type24,
    decode_type27,
)
from ais_ingest.records import PositionReport, StaticReport

#: Message types this module turns into records.
RECORD_TYPES = frozenset({1, 2, 3, 5, 9, 18, 19, 24, 27})
#: Minimum payload bits per type for a decode to be meaningful (ITU-R M.1371-5 table lengths,
#: less the trailing radio/spare bits that some transmitters cut).
_MIN_BITS = {1: 149, 2: 149, 3: 149, 5: 420, 9: 147, 18: 147, 19: 301, 24: 160, 27: 94}

_SIXBIT_BITS = 6


class UnsupportedType(Exception):
    """A valid message of a type Mare does not turn into records."""


class DecodeFailure(Exception):
    """A payload that cannot be decoded into its type (bad characters, too short)."""


def payload_type(payload: str) -> int:
    """Return the message type from the first payload character (no full decode needed)."""
    v = ord(payload[0]) - 48
    if v > 40:
        v -= 8
    if not 0 <= v < 64:
        raise DecodeFailure(f"bad payload character {payload[0]!r}")
    return v


def _text(value: Any) -> str | None:
    """Six-bit text ends at the first '@' (ITU-R M.1371); surrounding blanks are padding."""
    if not value:
        return None
    text = str(value).split("@", 1)[0].strip()
    return text or None


def _opt(value: Any, unavailable: Any) -> Any:
    return None if value is None or value == unavailable else value


def _latlon(lat: float, lon: float) -> tuple[float | None, float | None]:
    la = None if lat is None or abs(lat) > 90 else float(lat)
    lo = None if lon is None or abs(lon) > 180 else float(lon)
    return la, lo


def _eta(month: int, day: int, hour: int, minute: int) -> str | None:
    if not month or not day:  # 0 = not available (ITU-R M.1371 type 5)
        return None
    return f"{month:02d}-{day:02d}T{hour:02d}:{minute:02d}Z"


def _dims(msg: Any) -> dict[str, Any]:
    """Hull dimensions from the reference point; 0 means not available (ITU-R M.1371)."""
    return {k: (getattr(msg, k) or None) for k in ("to_bow", "to_stern", "to_port", "to_starboard")}


class StaticMerger:
    """Merges type 24 part A (name) and part B (type, callsign, dimensions) per MMSI.

    Class B units send the halves separately, often minutes apart; every half yields a
    `StaticReport` with the latest known other half folded in. Bounded to ``max_vessels``
    (least recently updated vessels forgotten first).
    """

    __slots__ = ("_parts", "max_vessels")

    def __init__(self, max_vessels: int = 200_000) -> None:
        self._parts: OrderedDict[int, StaticReport] = OrderedDict()
        self.max_vessels = max_vessels

    def merge(self, report: StaticReport) -> StaticReport:
        prev = self._parts.pop(report.mmsi, None)
        if prev is not None:
            updates = {
                name: getattr(prev, name)
                for name in ("name", "callsign", "ship_type", "to_bow", "to_stern", "to_port")
                + ("to_starboard", "vendor_id")
                if getattr(report, name) is None and getattr(prev, name) is not None
            }
            if updates:
                report = replace(report, **updates)
        self._parts[report.mmsi] = report
        if len(self._parts) > self.max_vessels:
            self._parts.popitem(last=False)
        return report


def decode_message(
    payload: str, fill: int, time_ms: int, source: str, merger: StaticMerger
) -> tuple[list[PositionReport], list[StaticReport]]:
    """Decode one complete payload into position and static records.

    Raises `UnsupportedType` for types Mare does not use and `DecodeFailure` for bad payloads.
    """
    msg_type = payload_type(payload)
    if msg_type not in RECORD_TYPES:
        raise UnsupportedType(str(msg_type))
    nbits = len(payload) * _SIXBIT_BITS - fill
    if nbits < _MIN_BITS[msg_type]:
        raise DecodeFailure(f"type {msg_type} payload of {nbits} bits is too short")
    from pyais.bit_vector import bit_vector
    from pyais.messages import MSG_CLASS

    try:
        bv = bit_vector(payload.encode("ascii"), fill)
        msg: Any = MSG_CLASS[msg_type].from_vector(bv)
    except Exception as exc:  # pyais raises several types on corrupt payloads
        raise DecodeFailure(f"type {msg_type}: {exc}") from exc
    mmsi = int(msg.mmsi)
    if msg_type in (1, 2, 3, 18, 19, 9, 27):
        pos = _position(msg_type, msg, bv, mmsi, time_ms, source)
        statics: list[StaticReport] = []
        if msg_type == 19:
            statics.append(
                StaticReport(
                    time_ms=time_ms,
                    mmsi=mmsi,
                    msg_type=19,
                    name=_text(msg.shipname),
                    ship_type=bv.get(263, 8) or None,
                    **_dims(msg),
                    source=source,
                )
            )
        return [pos], statics
    if msg_type == 5:
        report = StaticReport(
            time_ms=time_ms,
            mmsi=mmsi,
            msg_type=5,
            name=_text(msg.shipname),
            callsign=_text(msg.callsign),
            imo=msg.imo or None,
            ship_type=bv.get(232, 8) or None,
            **_dims(msg),
            destination=_text(msg.destination),
            eta=_eta(msg.month, msg.day, msg.hour, msg.minute),
            draught=float(msg.draught) if msg.draught else None,
            source=source,
        )
        return [], [report]
    # type 24: part A carries the name, part B the type, vendor, callsign and dimensions.
    if int(msg.partno) == 0:
        half = StaticReport(
            time_ms=time_ms, mmsi=mmsi, msg_type=24, name=_text(msg.shipname), source=source
        )
    else:
        dims = _dims(msg) if hasattr(msg, "to_bow") else {}
        half = StaticReport(
            time_ms=time_ms,
            mmsi=mmsi,
            msg_type=24,
            callsign=_text(msg.callsign),
            ship_type=bv.get(40, 8) or None,
            vendor_id=_text(msg.vendorid),
            source=source,
            **dims,
        )
    return [], [merger.merge(half)]


#: A message as `predecode` takes it: (line number, payload, fill bits, time_ms, source, lines).
Message = tuple[int, str, int, int, str, int]


def predecode(
    messages: list[Message],
) -> list[tuple[list[PositionReport], list[StaticReport]] | None]:
    """Decode the types 9, 19, 24 and 27 among ``messages`` a batch at a time; None for others.

    What `decode_message` returns for each, except that a type 24 half is not yet merged with
    the vessel's other half: the caller merges the halves in arrival order, with those that
    pyais decodes. A message the fast path leaves (bad characters, too few bits, an unknown
    part number) is None too, for `decode_message` to decode or refuse. So pyais is imported
    (0.2-0.25 s, its message classes built with attrs) only for such a message: `mare
    detect`'s decoding process imported it before its first batch for any capture with a type
    19 in it, and the engine waited.
    """
    out: list[tuple[list[PositionReport], list[StaticReport]] | None] = [None] * len(messages)
    by_type: dict[str, list[int]] = {"9": [], "C": [], "H": [], "K": []}
    least = {"9": TYPE9_BITS, "C": TYPE19_BITS, "H": 0, "K": TYPE27_BITS}
    for i, (_, payload, fill, _, _, _) in enumerate(messages):
        head = payload[0]
        if head in least and len(payload) * _SIXBIT_BITS - fill >= least[head]:
            by_type[head].append(i)

    def picked(head: str) -> list[Message]:
        return [messages[i] for i in by_type[head]]

    for i, pos in zip(by_type["9"], _positions(picked("9"), decode_type9), strict=True):
        if pos is not None:
            out[i] = ([pos], [])
    for i, pos in zip(by_type["K"], _positions(picked("K"), decode_type27), strict=True):
        if pos is not None:
            out[i] = ([pos], [])
    if by_type["C"]:
        nineteen = picked("C")
        both = decode_type19([m[1] for m in nineteen], [m[3] for m in nineteen],
                             [m[4] for m in nineteen])  # fmt: skip
        for i, pair in zip(by_type["C"], both, strict=True):
            if pair is not None:
                out[i] = ([pair[0]], [pair[1]])
    if by_type["H"]:
        halves = picked("H")
        statics = decode_type24(
            [m[1] for m in halves],
            [len(m[1]) * _SIXBIT_BITS - m[2] for m in halves],
            [m[3] for m in halves],
            [m[4] for m in halves],
        )
        for i, half in zip(by_type["H"], statics, strict=True):
            if half is not None:
                out[i] = ([], [half])
    return out


def _positions(
    messages: list[Message],
    decode: Callable[[list[str], list[int], list[str]], list[PositionReport | None]],
) -> list[PositionReport | None]:
    return decode([m[1] for m in messages], [m[3] for m in messages], [m[4] for m in messages])


def _position(
    msg_type: int, msg: Any, bv: Any, mmsi: int, time_ms: int, source: str
) -> PositionReport:
    lat, lon = _latlon(msg.lat, msg.lon)
    status: int | None = None
    turn: float | None = None
    heading: int | None = None
    if msg_type in (1, 2, 3):
        status = int(msg.status)
        # -128 = not available, +-127 = turning fast without a turn indicator: judged on the
        # raw ROT, since the scaled rate (deg/min) legitimately exceeds 127.
        raw_turn = bv.get_num(42, 8, signed=True)
        turn = None if abs(raw_turn) >= 127 else float(msg.turn)
    if msg_type in (1, 2, 3, 18, 19):
        speed = _opt(msg.speed, 102.3)
        course = _opt(msg.course, 360.0)
        hd = int(msg.heading)
        heading = hd if hd < 360 else None
    elif msg_type == 9:  # SAR aircraft: whole knots, 1023 not available
        speed = _opt(msg.speed, 1023)
        course = _opt(msg.course, 360.0)
    else:  # 27: whole knots (63 not available) and whole degrees (511 not available)
        status = int(msg.status)
        speed = _opt(msg.speed, 63)
        course = _opt(msg.course, 511)
    if course is not None and course > 360:
        course = None
    second = getattr(msg, "second", None)
    return PositionReport(
        time_ms=time_ms,
        mmsi=mmsi,
        msg_type=msg_type,
        lat=lat,
        lon=lon,
        speed=None if speed is None else float(speed),
        course=None if course is None else float(course),
        heading=heading,
        status=status,
        turn=turn,
        accuracy=bool(msg.accuracy),
        second=None if second is None or second >= 60 else int(second),
        source=source,
    )
