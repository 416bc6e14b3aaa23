"""Radar target sentences (IEC 61162-1 / NMEA 0183 TTM and TLL), as chart radars emit them.

An ARPA radar tracks targets and reports each one every few seconds:

- ``$--TTM,nn,dist,brg,T,spd,crs,T,cpa,tcpa,N,name,status,ref,hhmmss.ss,A*hh``: target number,
  distance and bearing *from the radar*, target speed and course, units (``N`` nautical
  miles and knots, ``K`` kilometres and km/h, ``S`` statute miles and mph), target name, status
  (``T`` tracked, ``Q`` being acquired, ``L`` lost), UTC time, acquisition type.
- ``$--TLL,nn,llll.ll,a,yyyyy.yy,a,name,hhmmss.ss,status,ref*hh``: target number, its latitude
  and longitude, name, UTC time and status.

A TTM gives a position only with the radar's own position (a coastal radar's site, given in
the feed's configuration); bearings relative to the ship's head (``R``) need the heading and
are refused. The sentences carry a time of day only: the date is the receive time's, moved by
a day when that puts the time more than 12 h away (a feed around midnight). A tag block's
``c:`` time, if the line has one, wins. Sentences are parsed by pynmea2 (checksum checked when
present); anything else is a `RadarSentenceError` naming why, for the caller to count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pynmea2

from ais_ingest.errors import IngestError, SourceURLError

_NM_M = 1852.0
#: Distance unit → metres, speed unit (same letter) → knots.
_UNITS = {"N": (_NM_M, 1.0), "K": (1000.0, 1000.0 / _NM_M), "S": (1609.344, 1609.344 / _NM_M)}
_DAY_MS = 86_400_000


class RadarSentenceError(IngestError):
    """A line that is not a usable radar target; ``reason`` is a short counter name."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RadarTarget:
    """One radar report of one target; a position either absolute (TLL) or relative (TTM)."""

    number: int
    time_ms: int
    status: str
    name: str
    lat: float | None = None
    lon: float | None = None
    distance_m: float | None = None
    bearing_deg: float | None = None
    speed_kn: float | None = None
    course: float | None = None

    def position(self, radar_lat: float | None, radar_lon: float | None) -> tuple[float, float]:
        """Return (lat, lon): the TLL's, or the TTM's range and bearing from the radar's site.

        Examples
        --------
        >>> t = RadarTarget(1, 0, "T", "", distance_m=1852.0, bearing_deg=90.0)
        >>> lat, lon = t.position(35.0, 12.0)
        >>> round(lat, 4), round(lon, 4)
        (35.0, 12.0203)
        """
        if self.lat is not None and self.lon is not None:
            return self.lat, self.lon
        if radar_lat is None or radar_lon is None:
            raise RadarSentenceError(
                "no_radar_position", "a TTM target needs the radar's position (lat=, lon=)"
            )
        assert self.distance_m is not None and self.bearing_deg is not None
        r = 6_371_008.8
        d = self.distance_m / r
        b = math.radians(self.bearing_deg)
        p1, l1 = math.radians(radar_lat), math.radians(radar_lon)
        p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
        l2 = l1 + math.atan2(
            math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
        )
        return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


def _split_tag_block(line: str) -> tuple[str, int | None]:
    if not line.startswith("\\"):
        return line, None
    end = line.find("\\", 1)
    if end < 0:
        raise RadarSentenceError("bad_framing", "unterminated tag block")
    block = line[1:end].split("*", 1)[0]
    when: int | None = None
    for part in block.split(","):
        if part.startswith("c:"):
            try:
                value = int(part[2:])
            except ValueError:
                raise RadarSentenceError("bad_framing", f"bad tag block time {part!r}") from None
            when = value if value > 10_000_000_000 else value * 1000
    return line[end + 1 :], when


def _time_of_day(stamp: Any, received_ms: int) -> int:
    if stamp is None:
        return received_ms
    day = datetime.fromtimestamp(received_ms / 1000, tz=UTC).date()
    t = datetime.combine(day, stamp).replace(tzinfo=UTC)
    ms = int(t.timestamp() * 1000)
    if ms - received_ms > _DAY_MS / 2:
        ms -= _DAY_MS
    elif received_ms - ms > _DAY_MS / 2:
        ms += _DAY_MS
    return ms


def _num(value: Any, what: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise RadarSentenceError("decode_error", f"{what} is not a number: {value!r}") from None
    if not math.isfinite(x):
        raise RadarSentenceError("decode_error", f"{what} is not finite")
    return x


def parse_radar_line(line: str, received_ms: int) -> RadarTarget:
    """Parse one TTM or TLL line; raise `RadarSentenceError` for anything else.

    Examples
    --------
    >>> t = parse_radar_line("$RATLL,07,3345.120,N,01210.500,E,TGT07,123456.00,T,", 0)
    >>> t.number, round(t.lat, 3), round(t.lon, 3), t.status, t.time_ms
    (7, 33.752, 12.175, 'T', 45296000)
    """
    text, tag_ms = _split_tag_block(line.strip())
    if not text.startswith("$"):
        raise RadarSentenceError("unsupported_type", "not an NMEA sentence")
    try:
        msg = pynmea2.parse(text)
    except pynmea2.ChecksumError:
        raise RadarSentenceError("bad_checksum", "checksum does not match") from None
    except (pynmea2.ParseError, ValueError) as exc:
        raise RadarSentenceError("decode_error", f"cannot parse: {exc}") from None
    kind = type(msg).__name__
    if kind not in ("TTM", "TLL"):
        raise RadarSentenceError("unsupported_type", f"{kind} is not a radar target sentence")
    try:
        stamp = msg.timestamp
        number = int(msg.target_number)
    except (TypeError, ValueError, AttributeError):
        raise RadarSentenceError("decode_error", "bad target number or time") from None
    time_ms = tag_ms if tag_ms is not None else _time_of_day(stamp, received_ms)
    if kind == "TLL":
        try:
            lat, lon = float(msg.latitude), float(msg.longitude)
        except (TypeError, ValueError):
            raise RadarSentenceError("decode_error", "bad latitude or longitude") from None
        if not (abs(lat) <= 90.0 and abs(lon) <= 180.0) or (lat == 0.0 and lon == 0.0):
            raise RadarSentenceError("decode_error", "position out of range")
        return RadarTarget(
            number, time_ms, (msg.target_status or "T").upper(), msg.target_name or "", lat, lon
        )
    unit = (msg.dist_unit or "N").upper()
    if unit not in _UNITS:
        raise RadarSentenceError("decode_error", f"unknown distance unit {unit!r}")
    to_m, to_kn = _UNITS[unit]
    if (msg.brg_ref or "T").upper() != "T":
        raise RadarSentenceError("relative_bearing", "bearing relative to the ship's head")
    dist = _num(msg.distance, "distance")
    brg = _num(msg.bearing, "bearing")
    if dist is None or brg is None or dist < 0 or not 0 <= brg <= 360:
        raise RadarSentenceError("decode_error", "no usable distance and bearing")
    speed = _num(msg.speed, "speed")
    course = _num(msg.cog, "course") if (msg.cog_unit or "T").upper() == "T" else None
    return RadarTarget(
        number,
        time_ms,
        (msg.status or "T").upper(),
        msg.name or "",
        distance_m=dist * to_m,
        bearing_deg=brg % 360.0,
        speed_kn=None if speed is None else speed * to_kn,
        course=None if course is None else course % 360.0,
    )


def radar_received_ms(received_at: float) -> int:
    """Return a source's receive time (epoch seconds) as milliseconds."""
    return int(received_at * 1000)


def midnight_ms(ms: int) -> int:
    """Return the UTC midnight before ``ms`` (for tests and tools)."""
    d = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return int((d - timedelta(hours=d.hour, minutes=d.minute, seconds=d.second,
                              microseconds=d.microsecond)).timestamp() * 1000)  # fmt: skip


# -- feed URLs ---------------------------------------------------------------------------

_OWN_OPTIONS = ("lat", "lon", "every", "radius")


@dataclass(frozen=True, slots=True)
class RadarFeedSpec:
    """A radar feed: the line source's URL and the radar's own options."""

    url: str
    name: str
    lat: float | None = None
    lon: float | None = None
    every_s: float = 60.0
    radius_m: float | None = None


def _float(url: str, key: str, text: str, lo: float, hi: float) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and lo <= value <= hi):
        raise SourceURLError(
            f"bad radar source {url!r}: {key} must be {lo:g}..{hi:g}, not {text!r}"
        )
    return value


def parse_radar_source(url: str) -> RadarFeedSpec:
    """Split a radar feed URL into the line source's URL and the radar's options.

    Examples
    --------
    >>> s = parse_radar_source("udp://0.0.0.0:10120?name=lampedusa&lat=35.5&lon=12.6&every=30")
    >>> s.url, s.name, s.lat, s.lon, s.every_s
    ('udp://0.0.0.0:10120?name=lampedusa', 'lampedusa', 35.5, 12.6, 30.0)
    """
    parts = urlsplit(url)
    own: dict[str, str] = {}
    rest: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in _OWN_OPTIONS:
            own[key] = value
        else:
            rest.append((key, value))
    base = urlunsplit(parts._replace(query=urlencode(rest)))
    if ("lat" in own) != ("lon" in own):
        raise SourceURLError(f"bad radar source {url!r}: give both lat and lon, or neither")
    lat = _float(url, "lat", own["lat"], -90, 90) if "lat" in own else None
    lon = _float(url, "lon", own["lon"], -180, 180) if "lon" in own else None
    every = _float(url, "every", own["every"], 1, 3600) if "every" in own else 60.0
    radius = _float(url, "radius", own["radius"], 1, 100_000) if "radius" in own else None
    name = dict(rest).get("name") or f"{parts.scheme}:{parts.port or ''}"
    return RadarFeedSpec(base, name, lat, lon, every, radius)
