"""Vectorised decoding of the frequent message types a whole batch at a time.

Position reports (types 1, 2, 3 and 18) are most of all AIS traffic and type 5 most of the rest;
class B static reports (type 24) and SAR aircraft (type 9) are decoded here too, into objects.
Each has a fixed layout, so a batch of payloads is a character matrix (padded with zero bits to
the standard length): numpy packs its six-bit values into 64-bit words and reads every field
with a shift and a mask over all rows, instead of Python work per message. Values are the same
as pyais gives (the tests check message by message on every capture and on Hypothesis cases);
unavailable values become NaN / -1 (columns) or None (objects) as `ais_ingest.records` defines.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ais_ingest.records import PositionColumns, PositionReport, StaticReport

PAYLOAD_CHARS = 28
FAST_TYPE_CHARS = frozenset("123B")  # first payload character of types 1, 2, 3 and 18
#: Shortest position payload decoded: 25 characters hold every field up to RAIM (bit 148).
MIN_POSITION_CHARS = 25
TYPE5_CHARS = 71  # 424 bits + 2 fill
#: Shortest type 5 decoded: 70 characters hold every field up to the destination (bit 421).
MIN_TYPE5_CHARS = 70

# ASCII -> six-bit value; 255 marks characters outside the AIS armouring alphabet.
_SIXBIT = np.full(256, 255, dtype=np.uint8)
for _c in range(48, 88):
    _SIXBIT[_c] = _c - 48
for _c in range(96, 120):
    _SIXBIT[_c] = _c - 56


def _chars(payloads: list[str], nchars: int) -> npt.NDArray[np.uint8]:
    """Payloads as an (n, nchars) byte matrix, cut or padded with ``0`` (zero bits)."""
    if any(len(p) != nchars for p in payloads):
        payloads = [p[:nchars].ljust(nchars, "0") for p in payloads]
    raw = np.frombuffer("".join(payloads).encode("ascii", "replace"), dtype=np.uint8)
    return raw.reshape(-1, nchars)


_WEIGHTS = {n: (1 << np.arange(n - 1, -1, -1, dtype=np.int64)) for n in range(1, 58)}
_BIT_MATRIX_BELOW = 64


class _Bits:
    """The payload bits of every row, packed into 64-bit words (four characters to 3 bytes).

    A field is then a shift and a mask of one word, or of two when it straddles a boundary:
    a few vector operations per field, whatever its width. Payloads are cut or padded with
    ``0`` (zero bits) to the standard length: trailing bits past the last field Mare reads
    (radio state, spare) may be missing without changing any value.

    ``checked`` rows are known to hold only six-bit characters (the whole-chunk framer checks
    them): their values are computed arithmetically instead of by table lookup.
    """

    __slots__ = ("packed", "words", "ok", "bits")

    def __init__(self, chars: npt.NDArray[np.uint8], checked: bool = False) -> None:
        n, nchars = chars.shape
        if checked:
            six = chars - np.uint8(48)
            six -= (six > 40).view(np.uint8) * np.uint8(8)
            self.ok: npt.NDArray[np.bool_] = np.ones(n, dtype=np.bool_)
        else:
            six = _SIXBIT[chars]
            self.ok = (six != 255).all(axis=1)
            six &= 63
        quads = -(-nchars // 4)
        nbytes = -(-(quads * 3) // 8) * 8
        if nchars != quads * 4:
            six = np.concatenate([six, np.zeros((n, quads * 4 - nchars), dtype=np.uint8)], axis=1)
        q = six.reshape(n, quads, 4)
        packed = np.zeros((n, nbytes), dtype=np.uint8)
        out = packed[:, : quads * 3].reshape(n, quads, 3)
        out[:, :, 0] = (q[:, :, 0] << 2) | (q[:, :, 1] >> 4)
        out[:, :, 1] = (q[:, :, 1] << 4) | (q[:, :, 2] >> 2)
        out[:, :, 2] = (q[:, :, 2] << 6) | q[:, :, 3]
        self.packed = packed
        # Few rows: one bit-matrix product per field costs fewer numpy calls than shifts.
        self.bits = np.unpackbits(packed, axis=1) if n < _BIT_MATRIX_BELOW else None
        # one contiguous row per 64-bit word, most significant bit first
        self.words = np.ascontiguousarray(packed.view(">u8").T).astype(np.uint64)

    def field(self, start: int, width: int) -> npt.NDArray[np.int64]:
        """Unsigned field of ``width`` (<= 57) bits at bit ``start``, MSB first."""
        if self.bits is not None:
            product: npt.NDArray[np.int64] = self.bits[:, start : start + width] @ _WEIGHTS[width]
            return product
        k, offset = divmod(start, 64)
        end = offset + width
        mask = np.uint64((1 << width) - 1)
        words: npt.NDArray[np.uint64] = self.words
        if end <= 64:
            value = (words[k] >> np.uint64(64 - end)) & mask
        else:
            low = end - 64
            value = ((words[k] << np.uint64(low)) | (words[k + 1] >> np.uint64(64 - low))) & mask
        out: npt.NDArray[np.int64] = value.astype(np.int64)
        return out

    def signed(self, start: int, width: int) -> npt.NDArray[np.int64]:
        """Two's complement field."""
        u = self.field(start, width)
        negative: npt.NDArray[np.int64] = (u >> (width - 1)) << width
        return u - negative

    def text(self, start: int, nchars: int) -> list[str | None]:
        """Six-bit text of every row, cut at the first '@' (ITU-R M.1371), blanks trimmed."""
        n = self.packed.shape[0]
        bits = np.unpackbits(self.packed, axis=1)[:, start : start + 6 * nchars]
        six = np.packbits(bits.reshape(n, nchars, 6), axis=2, bitorder="big")[:, :, 0] >> 2
        chars = _ASCII[six]
        chars[np.cumsum(six == 0, axis=1) > 0] = 0  # '@' and all after it: NUL, dropped below
        text = np.strings.strip(np.ascontiguousarray(chars).view(f"S{nchars}").ravel().astype(str))
        return [t or None for t in text.tolist()]


def _lat_lon(raw: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    # pyais's exact rounding of raw/600000 to 6 decimals: round(5*raw/3)/1e6 in integers.
    return ((10 * raw + 3) // 6) / 1e6


# Six-bit value -> ASCII (ITU-R M.1371 table 47): 0-31 are '@A-Z[\\]^_', 32-63 are ' !"#...?'.
_ASCII = np.array([v + 64 if v < 32 else v for v in range(64)], dtype=np.uint8)


def _or_none(values: npt.NDArray[np.int64]) -> list[int | None]:
    """Values as a list, 0 ("not available" in ITU-R M.1371 for these fields) as None."""
    out = values.astype(object)
    out[values == 0] = None
    listed: list[int | None] = out.tolist()
    return listed


def decode_type5(
    payloads: list[str], time_ms: list[int], sources: list[str]
) -> tuple[list[StaticReport], npt.NDArray[np.bool_]]:
    """Decode type 5 (static and voyage data) payloads; return reports and a row-valid mask.

    Rows with characters outside the six-bit alphabet are left out of the reports.
    """
    n = len(payloads)
    if n == 0:
        return [], np.zeros(0, dtype=np.bool_)
    bits = _Bits(_chars(payloads, TYPE5_CHARS))
    ok = bits.ok
    month, day = bits.field(274, 4), bits.field(278, 5)
    hour, minute = bits.field(283, 5).tolist(), bits.field(288, 6).tolist()
    has_eta = ((month != 0) & (day != 0)).tolist()
    eta = [
        f"{mo:02d}-{d:02d}T{h:02d}:{mi:02d}Z" if e else None
        for e, mo, d, h, mi in zip(has_eta, month.tolist(), day.tolist(), hour, minute, strict=True)
    ]
    draught_raw = bits.field(294, 8)
    draught_obj = (draught_raw / 10.0).astype(object)
    draught_obj[draught_raw == 0] = None
    draught = draught_obj.tolist()
    columns = zip(
        time_ms,
        bits.field(8, 30).tolist(),
        [5] * n,
        bits.text(112, 20),
        bits.text(70, 7),
        _or_none(bits.field(40, 30)),
        _or_none(bits.field(232, 8)),
        _or_none(bits.field(240, 9)),
        _or_none(bits.field(249, 9)),
        _or_none(bits.field(258, 6)),
        _or_none(bits.field(264, 6)),
        bits.text(302, 20),
        eta,
        draught,
        [None] * n,
        sources,
        strict=True,
    )
    if ok.all():
        return [StaticReport(*row) for row in columns], ok
    return [StaticReport(*row) for row, good in zip(columns, ok.tolist(), strict=True) if good], ok


def decode_positions(
    payloads: list[str], time_ms: npt.NDArray[np.int64], sources: list[str]
) -> tuple[PositionColumns, npt.NDArray[np.bool_]]:
    """Decode type 1/2/3/18 payloads; return the columns and a row-valid mask.

    Rows whose payload holds characters outside the six-bit alphabet are invalid: the caller
    counts them as decode errors and drops them with ``columns.take(ok)``.
    """
    if not payloads:
        return PositionColumns.empty(), np.zeros(0, dtype=np.bool_)
    return decode_position_chars(_chars(payloads, PAYLOAD_CHARS), time_ms, sources)


def decode_position_chars(
    chars: npt.NDArray[np.uint8],
    time_ms: npt.NDArray[np.int64],
    sources: list[str],
    *,
    checked: bool = False,
) -> tuple[PositionColumns, npt.NDArray[np.bool_]]:
    """`decode_positions` from an (n, 28) matrix of payload bytes, padded with ``0``.

    The whole-chunk framer cuts payloads out of the joined lines straight into this matrix,
    so the hot path never makes a Python string per message. ``checked``: every byte is
    known to be a six-bit character (the framer checked), so no row is invalid.
    """
    if chars.shape[0] == 0:
        return PositionColumns.empty(), np.zeros(0, dtype=np.bool_)
    bits = _Bits(chars, checked)
    ok = bits.ok
    msg_type = bits.field(0, 6)
    is_b = msg_type == 18
    any_b = bool(is_b.any())
    all_b = bool(is_b.all())

    def pick(start_a: int, start_b: int, width: int, signed: bool = False) -> npt.NDArray[np.int64]:
        get = bits.signed if signed else bits.field
        if not any_b:
            return get(start_a, width)
        if all_b:
            return get(start_b, width)
        return np.where(is_b, get(start_b, width), get(start_a, width))

    speed_raw = pick(50, 46, 10)
    acc = pick(60, 56, 1)
    lon_raw = pick(61, 57, 28, signed=True)
    lat_raw = pick(89, 85, 27, signed=True)
    course_raw = pick(116, 112, 12)
    heading_raw = pick(128, 124, 9)
    second_raw = pick(137, 133, 6)
    status_raw = bits.field(38, 4)
    turn_raw = bits.signed(42, 8)

    lon = _lat_lon(lon_raw)
    lat = _lat_lon(lat_raw)
    lon[(lon_raw > 108_000_000) | (lon_raw < -108_000_000)] = np.nan  # 181 = not available
    lat[(lat_raw > 54_000_000) | (lat_raw < -54_000_000)] = np.nan  # 91 = not available
    speed = (speed_raw / 10.0).astype(np.float32)
    speed[speed_raw == 1023] = np.nan
    course = (course_raw / 10.0).astype(np.float32)
    course[course_raw >= 3600] = np.nan
    heading = heading_raw.astype(np.int16)
    heading[heading_raw > 359] = -1  # 511 = not available; 360-510 are not headings
    second = second_raw.astype(np.int8)
    second[second_raw >= 60] = -1  # 60 = not available, 61-63 are positioning-system states
    status = np.where(is_b, -1, status_raw).astype(np.int8)
    # ROT: sign * round((raw/4.733)^2) deg/min as ITU-R M.1371 and pyais; -128 = not available
    # and +-127 = turning faster than 10 deg/min with no turn indicator (magnitude unknown).
    turn = (np.sign(turn_raw) * np.round((turn_raw / 4.733) ** 2)).astype(np.float32)
    turn[(np.abs(turn_raw) >= 127) | is_b] = np.nan

    cols = PositionColumns(
        time_ms=np.asarray(time_ms, dtype=np.int64),
        mmsi=bits.field(8, 30),
        msg_type=msg_type.astype(np.uint8),
        lat=lat,
        lon=lon,
        speed=speed,
        course=course,
        heading=heading,
        status=status,
        turn=turn,
        accuracy=acc.astype(np.bool_),
        second=second,
        source=sources,
    )
    return cols, ok


#: Least bits of a type 9 (its fields up to the UTC second end at bit 134, `decode._MIN_BITS`),
#: of a type 24 part A (the name ends at bit 160) and of a part B (to starboard ends at 162).
TYPE9_BITS, TYPE24A_BITS, TYPE24B_BITS = 147, 160, 162
#: MMSIs of auxiliary craft (98MIDXXXX): a type 24 part B carries a mother ship's MMSI where
#: others carry the hull dimensions.
_AUXILIARY = (980_000_000, 989_999_999)


def _report(
    t: int,
    mmsi: int,
    msg_type: int,
    lat: float,
    lon: float,
    accuracy: int,
    source: str,
    *,
    speed: float | None,
    course: float | None,
    heading: int | None = None,
    status: int | None = None,
    second: int | None = None,
) -> PositionReport:
    """Return the position report of a type decoded into objects (out of range: unavailable)."""
    return PositionReport(
        time_ms=t,
        mmsi=mmsi,
        msg_type=msg_type,
        lat=None if abs(lat) > 90 else lat,
        lon=None if abs(lon) > 180 else lon,
        speed=speed,
        course=course,
        heading=heading,
        status=status,
        turn=None,
        accuracy=bool(accuracy),
        second=second,
        source=source,
    )


def decode_type9(
    payloads: list[str], time_ms: list[int], sources: list[str]
) -> list[PositionReport | None]:
    """Decode type 9 (SAR aircraft) payloads of at least `TYPE9_BITS` bits.

    The reports `ais_ingest.decode.decode_message` makes with pyais; None for a payload with
    characters outside the six-bit alphabet (pyais says what is wrong with it).
    """
    if not payloads:
        return []
    bits = _Bits(_chars(payloads, PAYLOAD_CHARS))
    out: list[PositionReport | None] = []
    for ok, t, mmsi, speed, acc, lon, lat, course, second, source in zip(
        bits.ok.tolist(),
        time_ms,
        bits.field(8, 30).tolist(),
        bits.field(50, 10).tolist(),
        bits.field(60, 1).tolist(),
        _lat_lon(bits.signed(61, 28)).tolist(),
        _lat_lon(bits.signed(89, 27)).tolist(),
        bits.field(116, 12).tolist(),
        bits.field(128, 6).tolist(),
        sources,
        strict=True,
    ):
        if not ok:
            out.append(None)
            continue
        out.append(
            _report(
                t, mmsi, 9, lat, lon, acc, source,
                speed=None if speed == 1023 else float(speed),  # whole knots
                course=None if course >= 3600 else course / 10.0,
                second=None if second >= 60 else second,
            )
        )  # fmt: skip
    return out


def decode_type24(
    payloads: list[str], nbits: list[int], time_ms: list[int], sources: list[str]
) -> list[StaticReport | None]:
    """Decode type 24 halves (part A: the name; part B: type, vendor, callsign, dimensions).

    The halves `ais_ingest.decode.decode_message` makes with pyais before merging them; None
    where pyais must say what is wrong: characters outside the alphabet, a part number other
    than 0 or 1, fewer bits than the part's fields (``nbits``: payload bits less fill bits).
    """
    if not payloads:
        return []
    bits = _Bits(_chars(payloads, PAYLOAD_CHARS))
    mmsi = bits.field(8, 30)
    part = bits.field(38, 2)
    need = np.where(part == 0, TYPE24A_BITS, TYPE24B_BITS)
    ok = (bits.ok & (part <= 1) & (np.asarray(nbits) >= need)).tolist()
    dims = [bits.field(132, 9), bits.field(141, 9), bits.field(150, 6), bits.field(156, 6)]
    auxiliary = (mmsi >= _AUXILIARY[0]) & (mmsi <= _AUXILIARY[1])
    bow, stern, port, starboard = (_or_none(np.where(auxiliary, 0, d)) for d in dims)
    out: list[StaticReport | None] = []
    for i, (good, a_part, t, m, name, ship_type, vendor, callsign, source) in enumerate(
        zip(
            ok,
            (part == 0).tolist(),
            time_ms,
            mmsi.tolist(),
            bits.text(40, 20),
            _or_none(bits.field(40, 8)),
            bits.text(48, 3),
            bits.text(90, 7),
            sources,
            strict=True,
        )
    ):
        if not good:
            out.append(None)
        elif a_part:
            out.append(StaticReport(time_ms=t, mmsi=m, msg_type=24, name=name, source=source))
        else:
            half = StaticReport(
                time_ms=t,
                mmsi=m,
                msg_type=24,
                callsign=callsign,
                ship_type=ship_type,
                to_bow=bow[i],
                to_stern=stern[i],
                to_port=port[i],
                to_starboard=starboard[i],
                vendor_id=vendor,
                source=source,
            )
            out.append(half)
    return out


#: Least bits of a type 19 (to starboard ends at bit 300, `decode._MIN_BITS`) and of a type 27
#: (the course ends at bit 93); their standard lengths in payload characters.
TYPE19_BITS, TYPE27_BITS = 301, 94
TYPE19_CHARS, TYPE27_CHARS = 52, 16


def decode_type19(
    payloads: list[str], time_ms: list[int], sources: list[str]
) -> list[tuple[PositionReport, StaticReport] | None]:
    """Decode type 19 (extended class B position) payloads of at least `TYPE19_BITS` bits.

    The position and the static report (name, type, dimensions) that
    `ais_ingest.decode.decode_message` makes with pyais; None for a payload with characters
    outside the six-bit alphabet (pyais says what is wrong with it). The position fields lie
    where type 18 has them.
    """
    if not payloads:
        return []
    bits = _Bits(_chars(payloads, TYPE19_CHARS))
    dims = [_or_none(bits.field(a, w)) for a, w in ((271, 9), (280, 9), (289, 6), (295, 6))]
    out: list[tuple[PositionReport, StaticReport] | None] = []
    for i, (
        ok,
        t,
        mmsi,
        speed,
        acc,
        lon,
        lat,
        course,
        heading,
        second,
        name,
        kind,
        src,
    ) in enumerate(
        zip(
            bits.ok.tolist(),
            time_ms,
            bits.field(8, 30).tolist(),
            bits.field(46, 10).tolist(),
            bits.field(56, 1).tolist(),
            _lat_lon(bits.signed(57, 28)).tolist(),
            _lat_lon(bits.signed(85, 27)).tolist(),
            bits.field(112, 12).tolist(),
            bits.field(124, 9).tolist(),
            bits.field(133, 6).tolist(),
            bits.text(143, 20),
            _or_none(bits.field(263, 8)),
            sources,
            strict=True,
        )
    ):
        if not ok:
            out.append(None)
            continue
        position = _report(
            t, mmsi, 19, lat, lon, acc, src,
            speed=None if speed == 1023 else speed / 10.0,
            course=None if course >= 3600 else course / 10.0,
            heading=heading if heading < 360 else None,
            second=None if second >= 60 else second,
        )  # fmt: skip
        static = StaticReport(
            time_ms=t,
            mmsi=mmsi,
            msg_type=19,
            name=name,
            ship_type=kind,
            to_bow=dims[0][i],
            to_stern=dims[1][i],
            to_port=dims[2][i],
            to_starboard=dims[3][i],
            source=src,
        )
        out.append((position, static))
    return out


def decode_type27(
    payloads: list[str], time_ms: list[int], sources: list[str]
) -> list[PositionReport | None]:
    """Decode type 27 (long-range broadcast) payloads of at least `TYPE27_BITS` bits.

    The reports `ais_ingest.decode.decode_message` makes with pyais: positions in tenths of a
    minute, whole knots (63 not available) and whole degrees (over 360 not available); None for
    a payload with characters outside the six-bit alphabet.
    """
    if not payloads:
        return []
    bits = _Bits(_chars(payloads, TYPE27_CHARS))
    # pyais's rounding of raw/600 to 6 decimals, in integers (as `_lat_lon` for raw/600000)
    lon_all = (10000 * bits.signed(44, 18) + 3) // 6 / 1e6
    lat_all = (10000 * bits.signed(62, 17) + 3) // 6 / 1e6
    out: list[PositionReport | None] = []
    for ok, t, mmsi, acc, status, lon, lat, speed, course, src in zip(
        bits.ok.tolist(),
        time_ms,
        bits.field(8, 30).tolist(),
        bits.field(38, 1).tolist(),
        bits.field(40, 4).tolist(),
        lon_all.tolist(),
        lat_all.tolist(),
        bits.field(79, 6).tolist(),
        bits.field(85, 9).tolist(),
        sources,
        strict=True,
    ):
        if not ok:
            out.append(None)
            continue
        out.append(
            _report(
                t, mmsi, 27, lat, lon, acc, src,
                speed=None if speed == 63 else float(speed),
                course=None if course > 360 else float(course),
                status=status,
            )
        )  # fmt: skip
    return out
