"""Typed AIS records and the columnar `Batch` that carries them downstream.

Positions are the hot path (types 1-3 and 18 are most of all traffic), so a `Batch` holds them as
numpy columns: the engine tests zone membership for a whole batch in one vectorised call and the
store loads a batch with one COPY. `PositionReport` objects are made only on demand, for output
and for tests. Static reports are rare (one per vessel every six minutes) and travel as objects.

Unavailable values are `None` on the objects and NaN (floats) or -1 (small integer codes) in the
columns. Times are event times in integer milliseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from operator import attrgetter
from typing import Any

import numpy as np
import numpy.typing as npt

#: Message types carried as positions. 9 is a SAR aircraft, kept so the map can show it.
POSITION_TYPES = frozenset({1, 2, 3, 9, 18, 19, 27})
#: Message types carried as static/voyage data.
STATIC_TYPES = frozenset({5, 19, 24})

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
I16 = npt.NDArray[np.int16]
I8 = npt.NDArray[np.int8]
U8 = npt.NDArray[np.uint8]
B = npt.NDArray[np.bool_]


def has_position(lat: npt.NDArray[Any], lon: npt.NDArray[Any]) -> B:
    """Whether each row has a position: finite, in range, and not 0 degrees N 0 degrees E.

    A transponder without a GPS fix may send 0/0 instead of the "not available" codes (91/181),
    and a data pipeline may write 0 for a missing latitude and longitude; no vessel reports
    from that exact point of the Gulf of Guinea. Taken for a fix, it is a jump of thousands of
    miles and back (a position_jump or shared-MMSI alarm on a vessel that did nothing).

    Examples
    --------
    >>> has_position(np.array([35.5, 0.0, 0.0, 91.0]), np.array([12.6, 0.0, 4.2, 12.6])).tolist()
    [True, False, True, False]
    """
    ok: B = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0)
    ok &= (lat != 0.0) | (lon != 0.0)
    return ok


def iso_utc_many(ms: I64) -> list[str]:
    """Return `iso_utc` of every value, formatted by numpy in one call (the same text)."""
    dt = ms.astype("datetime64[ms]")
    out = np.char.add(np.datetime_as_string(dt, unit="s"), "Z").astype(object)
    frac = ms % 1000 != 0
    if frac.any():
        out[frac] = np.char.add(np.datetime_as_string(dt[frac], unit="ms"), "Z")
    return list(out.tolist())


def _lookup(a: npt.NDArray[Any], convert: Callable[[Any], Any]) -> list[Any]:
    """Return ``convert(v)`` for every value of ``a``, calling it once per distinct value.

    A column holds few distinct speeds, courses or codes, so the Python conversion (exactly the
    one `PositionColumns.report` makes) runs on those, not on every row.
    """
    if not a.size:
        return []
    floats = a.dtype.kind == "f"  # by bit pattern: -0.0 and 0.0 print differently
    u, inv = np.unique(a.view(f"u{a.itemsize}") if floats else a, return_inverse=True)
    table = np.empty(u.size, dtype=object)
    table[:] = [convert(v) for v in (u.view(a.dtype) if floats else u).tolist()]
    return list(table[inv.ravel()].tolist())


def _nan_none(a: F64) -> list[float | None]:
    out = a.astype(object)
    out[np.isnan(a)] = None
    return list(out.tolist())


def _tenths_or_none(v: float) -> float | None:
    return None if v != v else round(v, 1)


def _code_or_none(v: int) -> int | None:
    return None if v < 0 else v


def ms_to_datetime(ms: int) -> datetime:
    """Return the aware UTC datetime for epoch milliseconds."""
    return datetime.fromtimestamp(ms / 1000.0, tz=UTC)


def iso_utc(ms: int) -> str:
    """Format epoch milliseconds as ISO 8601 UTC with a ``Z``, millisecond precision if needed."""
    dt = ms_to_datetime(ms)
    if ms % 1000:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class AisClass(StrEnum):
    """Transponder class, which sets reporting rates and plausible speeds."""

    A = "A"
    B = "B"
    AIRCRAFT = "aircraft"
    LONG_RANGE = "long_range"  # type 27, class A over satellite: coarse by design


def ais_class_of(msg_type: int) -> AisClass:
    """Return the transponder class that sends a position message type."""
    if msg_type in (18, 19):
        return AisClass.B
    if msg_type == 9:
        return AisClass.AIRCRAFT
    if msg_type == 27:
        return AisClass.LONG_RANGE
    return AisClass.A


@dataclass(frozen=True, slots=True)
class PositionReport:
    """One position fix (types 1, 2, 3, 9, 18, 19, 27)."""

    time_ms: int
    mmsi: int
    msg_type: int
    lat: float | None
    lon: float | None
    speed: float | None  # speed over ground, knots; None when not available (1023)
    course: float | None  # course over ground, degrees; None when not available (3600)
    heading: int | None  # true heading, degrees; None when not available (511)
    status: int | None  # navigational status (class A, type 27); None for class B
    turn: float | None  # rate of turn, degrees/minute, signed; None when not available (-128)
    accuracy: bool
    second: int | None  # UTC second of the fix; None when not available (60)
    source: str = ""  # receiving station (tag block s:) or source name

    @property
    def time(self) -> datetime:
        return ms_to_datetime(self.time_ms)

    @property
    def ais_class(self) -> AisClass:
        return ais_class_of(self.msg_type)

    @property
    def is_aircraft(self) -> bool:
        return self.msg_type == 9

    def to_dict(self) -> dict[str, Any]:
        """Return the fields by name with ISO 8601 UTC ``time``, as `mare decode` prints them."""
        out: dict[str, Any] = {"time": iso_utc(self.time_ms)}
        for f in fields(self):
            if f.name != "time_ms":
                out[f.name] = getattr(self, f.name)
        out["ais_class"] = self.ais_class.value
        return out


#: An IMO number as providers and lists write it: MarineCadastre ``IMO9739666``, sanctions lists
#: ``IMO 9739666`` or ``IMO: 9739666``; the prefix is dropped before the number is read.
IMO_PREFIX = re.compile(r"^\s*IMO[\s:#.-]*", re.IGNORECASE)


@dataclass(slots=True)
class StaticReport:
    """Static and voyage data (type 5, type 24 A+B merged per MMSI, type 19).

    Not frozen, though nothing changes a report once built (`dataclasses.replace` makes
    another): a frozen dataclass sets each of its 16 fields through ``object.__setattr__``,
    3 µs a report against 0.3 µs, and `mare detect`'s two processes each built the simulated
    capture's 9.4k reports (the decoder; the engine's side from the tuples sent to it) for
    0.03 s. Not hashable either, as no report is a key.
    """

    time_ms: int
    mmsi: int
    msg_type: int
    name: str | None = None
    callsign: str | None = None
    imo: int | None = None
    ship_type: int | None = None  # reserved codes keep their number
    to_bow: int | None = None
    to_stern: int | None = None
    to_port: int | None = None
    to_starboard: int | None = None
    destination: str | None = None
    eta: str | None = None  # "MM-DDTHH:MMZ" as broadcast (no year); None when not available
    draught: float | None = None  # metres
    vendor_id: str | None = None
    source: str = ""

    @property
    def time(self) -> datetime:
        return ms_to_datetime(self.time_ms)

    @property
    def ais_class(self) -> AisClass:
        return AisClass.A if self.msg_type == 5 else AisClass.B

    @property
    def length(self) -> int | None:
        if self.to_bow is None or self.to_stern is None:
            return None
        return self.to_bow + self.to_stern

    @property
    def beam(self) -> int | None:
        if self.to_port is None or self.to_starboard is None:
            return None
        return self.to_port + self.to_starboard

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"time": iso_utc(self.time_ms)}
        for f in fields(self):
            if f.name != "time_ms":
                out[f.name] = getattr(self, f.name)
        return out

    def __reduce__(self) -> tuple[type[StaticReport], tuple[Any, ...]]:
        # Pickled as the constructor's arguments: a frozen dataclass's default state is set
        # back field by field in Python, which made up half the cost of pickling a capture's
        # batch for `mare ingest`'s decoding child (10k static reports: 0.08 s, now 0.04).
        return (StaticReport, _static_values(self))


_static_values = attrgetter(*(f.name for f in fields(StaticReport)))

Record = PositionReport | StaticReport

#: Column name -> (dtype, value meaning "not available"). Order is the column order everywhere.
POSITION_COLUMNS: dict[str, tuple[type[np.generic], float | int]] = {
    "time_ms": (np.int64, 0),
    "mmsi": (np.int64, 0),
    "msg_type": (np.uint8, 0),
    "lat": (np.float64, np.nan),
    "lon": (np.float64, np.nan),
    "speed": (np.float32, np.nan),
    "course": (np.float32, np.nan),
    "heading": (np.int16, -1),
    "status": (np.int8, -1),
    "turn": (np.float32, np.nan),
    "accuracy": (np.bool_, False),
    "second": (np.int8, -1),
}


@dataclass(slots=True)
class PositionColumns:
    """Position reports as equal-length numpy columns (see `POSITION_COLUMNS`)."""

    time_ms: I64
    mmsi: I64
    msg_type: U8
    lat: F64
    lon: F64
    speed: F32
    course: F32
    heading: I16
    status: I8
    turn: F32
    accuracy: B
    second: I8
    #: Receiving station per row; one Python list because it is rarely more than a few values.
    source: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.mmsi.shape[0])

    @classmethod
    def empty(cls, n: int = 0) -> PositionColumns:
        cols = {
            name: np.full(n, missing, dtype=dtype)
            for name, (dtype, missing) in POSITION_COLUMNS.items()
        }
        return cls(**cols, source=[""] * n)

    @classmethod
    def from_reports(cls, reports: Sequence[PositionReport]) -> PositionColumns:
        n = len(reports)
        out = cls.empty(n)
        for name, (_, missing) in POSITION_COLUMNS.items():
            col = getattr(out, name)
            for i, r in enumerate(reports):
                v = getattr(r, name)
                col[i] = missing if v is None else v
        out.source = [r.source for r in reports]
        return out

    @classmethod
    def concat(cls, parts: Iterable[PositionColumns]) -> PositionColumns:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        cols = {
            name: np.concatenate([getattr(p, name) for p in parts]) for name in POSITION_COLUMNS
        }
        return cls(**cols, source=[s for p in parts for s in p.source])

    def take(self, index: npt.NDArray[np.intp] | B) -> PositionColumns:
        """Return the rows selected by an index or boolean mask, as a new `PositionColumns`."""
        cols = {name: getattr(self, name)[index] for name in POSITION_COLUMNS}
        source = self.source
        rows = np.arange(len(self))[index].tolist()
        return PositionColumns(**cols, source=list(map(source.__getitem__, rows)))

    def report(self, i: int) -> PositionReport:
        """Return row ``i`` as a `PositionReport` with None for unavailable values."""
        lat = float(self.lat[i])
        lon = float(self.lon[i])
        speed = float(self.speed[i])
        course = float(self.course[i])
        turn = float(self.turn[i])
        heading = int(self.heading[i])
        status = int(self.status[i])
        second = int(self.second[i])
        return PositionReport(
            time_ms=int(self.time_ms[i]),
            mmsi=int(self.mmsi[i]),
            msg_type=int(self.msg_type[i]),
            lat=None if lat != lat else lat,
            lon=None if lon != lon else lon,
            speed=None if speed != speed else round(speed, 1),
            course=None if course != course else round(course, 1),
            heading=None if heading < 0 else heading,
            status=None if status < 0 else status,
            turn=None if turn != turn else round(turn, 1),
            accuracy=bool(self.accuracy[i]),
            second=None if second < 0 else second,
            source=self.source[i] if self.source else "",
        )

    def __iter__(self) -> Iterator[PositionReport]:
        for i in range(len(self)):
            yield self.report(i)

    def values(self) -> dict[str, list[Any]]:
        """Return each column as the Python values `report` gives, without making the reports.

        For output of many rows (`mare decode`): a report object per row cost more than
        decoding the row did.
        """
        n = len(self)
        return {
            "time": iso_utc_many(self.time_ms),
            "mmsi": self.mmsi.tolist(),
            "msg_type": self.msg_type.tolist(),
            "lat": _nan_none(self.lat),
            "lon": _nan_none(self.lon),
            "speed": _lookup(self.speed, _tenths_or_none),
            "course": _lookup(self.course, _tenths_or_none),
            "heading": _lookup(self.heading, _code_or_none),
            "status": _lookup(self.status, _code_or_none),
            "turn": _lookup(self.turn, _tenths_or_none),
            "accuracy": self.accuracy.tolist(),
            "second": _lookup(self.second, _code_or_none),
            "source": list(self.source) if self.source else [""] * n,
            "ais_class": _lookup(self.msg_type, lambda t: ais_class_of(t).value),
        }


@dataclass(slots=True)
class Batch:
    """A bounded group of decoded records, the unit every later stage consumes.

    Positions and statics are separate lists, each in arrival order; `records()` merges them back
    by event time (stable), which is the order a per-record consumer wants. ``static_at`` says
    where the statics arrived among the positions: static ``i`` came after the first
    ``static_at[i]`` positions (non-decreasing). The engine's clock runs over both in arrival
    order (`geo.engine.assign_slices`), so a static report's slice is the same whatever the
    batches. None: not known, taken as arriving in time order (`arrivals`), as a table sorted
    by time does.
    """

    positions: PositionColumns = field(default_factory=PositionColumns.empty)
    statics: list[StaticReport] = field(default_factory=list)
    static_at: npt.NDArray[np.int64] | None = None

    def __len__(self) -> int:
        return len(self.positions) + len(self.statics)

    def arrivals(self) -> npt.NDArray[np.int64]:
        """Return ``static_at``, or where the statics fall among the positions by time."""
        if self.static_at is not None:
            return self.static_at
        times = np.array([s.time_ms for s in self.statics], dtype=np.int64)
        if not len(self.positions) or not len(times):
            return np.full(len(times), len(self.positions), dtype=np.int64)
        clock = np.maximum.accumulate(self.positions.time_ms)
        at: npt.NDArray[np.int64] = np.searchsorted(clock, times, side="right").astype(np.int64)
        return np.maximum.accumulate(at)

    @classmethod
    def from_records(cls, records: Iterable[Record]) -> Batch:
        pos: list[PositionReport] = []
        sta: list[StaticReport] = []
        at: list[int] = []
        for r in records:
            if isinstance(r, PositionReport):
                pos.append(r)
            else:
                sta.append(r)
                at.append(len(pos))
        return cls(PositionColumns.from_reports(pos), sta, np.array(at, dtype=np.int64))

    @classmethod
    def concat(cls, batches: Iterable[Batch]) -> Batch:
        batches = list(batches)
        offsets = np.cumsum([0] + [len(b.positions) for b in batches])
        return cls(
            PositionColumns.concat(b.positions for b in batches),
            [s for b in batches for s in b.statics],
            np.concatenate(
                [np.zeros(0, np.int64)]
                + [b.arrivals() + k for b, k in zip(batches, offsets[:-1], strict=True)]
            ).astype(np.int64),
        )

    def records(self) -> list[Record]:
        """Return all records ordered by event time (stable: arrival order breaks ties)."""
        out: list[Record] = list(self.positions)
        out.extend(self.statics)
        out.sort(key=lambda r: r.time_ms)
        return out
