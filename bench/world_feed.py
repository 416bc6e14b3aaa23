"""A world-scale AIS feed for the bus benchmark: 60,000 distinct vessels on the world's seas.

The simulator (`simulate/`) plans a few thousand vessels of one sea in a bounded time; a
world-scale benchmark needs ten times more, spread where ships are. This generator places each
vessel on one of the world's shipping lanes and offshore areas (`LANES`: waypoints at sea, a
width, a weight for its share of the world's traffic), moves it on a straight course along the
lane at its own speed, and has it report at its class's interval, every interval scaled so the
whole feed offers `RATE` messages a second. A few behaviours give the engine something to find:
vessels that fall silent mid-feed, and pairs of slow vessels side by side (encounters).

Decoded records, not NMEA: the benchmark measures the stages after decoding (the same batches
go to one process and to the bus). Waypoints are placed at sea by hand; the repository carries
the central Mediterranean's coastline only, so the lanes' width is not checked against land.
Same seed, same feed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ais_ingest.records import Batch, PositionColumns, StaticReport

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

VESSELS = 60_000
#: Messages a second of the whole feed (positions and statics), the issue's world-scale rate.
RATE = 5000
START_MS = 1_780_272_000_000  # 2026-06-01T00:00:00Z
KM_PER_DEG = 111.2
KN_TO_KM_S = 1.852 / 3600.0
#: Share of vessels that stop reporting at a random time, and of vessels in side-by-side pairs.
SILENT_SHARE = 0.01
PAIR_SHARE = 0.005
#: Flag states (MIDs) the MMSIs are drawn from: the busiest registries and coastal states.
MIDS = (211, 219, 224, 227, 232, 235, 244, 247, 248, 256, 257, 265, 273, 303, 309, 338, 351,
        352, 355, 366, 370, 412, 413, 416, 419, 431, 440, 477, 525, 533, 538, 548, 563, 566,
        574, 636, 710, 725)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Lane:
    """A shipping lane or offshore area: waypoints (lon, lat) at sea, a width, a weight.

    Longitudes run on past 180 where a lane crosses the date line; positions are wrapped.
    """

    name: str
    width_deg: float
    weight: float
    points: tuple[tuple[float, float], ...]


def _lane(name: str, width_deg: float, weight: float, points: str) -> Lane:
    """Return a lane from its waypoints written ``"lon lat, lon lat, ..."``."""
    pts = tuple((float(p.split()[0]), float(p.split()[1])) for p in points.split(","))
    return Lane(name, width_deg, weight, pts)


# fmt: off
LANES = (
    _lane("north-atlantic", 0.6, 3, "-5.5 48.8, -20 48, -50 42, -72 40.2"),
    _lane("channel-north-sea", 0.25, 8,
          "-5.5 48.8, 1.4 50.9, 3 51.7, 4 52.6, 7.5 54, 7.5 57, 10.7 58"),
    _lane("north-sea-fields", 1.5, 3, "1.5 56.5, 3 60"),
    _lane("baltic", 0.2, 5,
          "10.7 58, 11.5 57, 12.7 55.7, 13.5 55, 18 55.7, 20 58, 23 59.6, 27.5 60"),
    _lane("norway", 0.2, 1.5, "5 58.5, 4.8 61, 6 63, 10 65.5"),
    _lane("mediterranean", 0.3, 7,
          "-5.6 35.95, 0 36.8, 9 37.7, 11.5 37.3, 15 36.2, 20 35, 28 33.5, 32.3 31.5"),
    _lane("black-sea", 0.4, 1.5, "29.2 41.3, 31 42.5, 35 43.5, 37.5 44.2"),
    _lane("suez-red-sea", 0.2, 4,
          "32.55 29.9, 33.6 27.5, 35.5 24, 38.3 20, 41.5 15, 43.3 12.6, 45 12, 51.5 12.5, 58 14"),
    _lane("gulf-india", 0.3, 4, "51.5 27, 53 26.5, 56.5 26.5, 58.5 24.5, 65 20, 72.6 18.8"),
    _lane("india-malacca", 0.12, 7,
          "58 14, 76 6.5, 80.6 5.5, 94 6, 97.5 5.5, 99.5 4, 101 2.7, 103.3 1.2, 104.3 1.25"),
    _lane("south-china-sea", 0.4, 9,
          "104.5 1.5, 106.5 5, 110 10, 114.5 21.8, 119.5 24.5, 122 28, 123 31, 124 33.5,"
          "128.9 34.8"),
    _lane("east-china-sea-fishing", 2.0, 4, "123.5 28, 125.5 32"),
    _lane("japan-transpacific", 0.5, 4,
          "129.5 33.5, 135 33, 139.8 34.8, 150 40, 180 47, 210 50, 235 48"),
    _lane("us-west-panama", 0.3, 3,
          "235 48, 235.5 42, 239 34.5, 241.7 33.6, 250 20, 265 14, 280 7.5"),
    _lane("gulf-us-east", 0.3, 4,
          "-94.7 28.8, -88 26, -83 24.3, -80 25, -79.6 28, -75.5 35.3, -73.8 39.5, -71 40.6"),
    _lane("gulf-of-mexico-offshore", 0.8, 2, "-93 27.5, -89 28.3"),
    _lane("caribbean-gibraltar", 0.3, 3,
          "-79.9 9.6, -75 13, -70 17, -68 18.6, -66 20, -60 25, -45 32, -20 36.5, -6.2 36"),
    _lane("brazil", 0.3, 2.5,
          "-34.5 -7, -38.5 -14, -39.5 -21, -43.2 -23.2, -48 -26, -53 -34.5, -56 -35.3"),
    _lane("west-africa-atlantic", 0.4, 2,
          "-34.5 -7, -20 5, -17.7 14.6, -18 22, -13.5 28, -9.8 36.5, -6.2 36"),
    _lane("africa-cape", 0.4, 3,
          "-17.5 14, -15 10, -5 4.5, 3.4 6, 8.5 3.5, 9 -1, 12 -6, 13 -12, 15.5 -25, 18 -34.8,"
          "26 -34.2, 32 -30, 41 -17, 43 -12, 48 3, 52 11.8"),
    _lane("australia", 0.3, 1.5, "115.6 -32.1, 113 -25, 117 -19, 115 -12, 115.8 -8.7"),
    _lane("east-australia", 0.3, 1.5,
          "153.5 -27, 153 -31, 151.6 -34, 150.5 -37.5, 147 -39.5, 144.5 -38.6, 140 -38.6,"
          "136 -36.7"),
)
# fmt: on


def _lane_points(lane: Lane, n: int, rng: np.random.Generator) -> tuple[F64, F64, F64]:
    """Return lon, lat and course (deg) of ``n`` vessels spread along a lane, either way."""
    pts = np.asarray(lane.points, dtype=np.float64)
    seg = np.diff(pts, axis=0)
    mid_lat = np.radians((pts[:-1, 1] + pts[1:, 1]) / 2)
    km = np.hypot(seg[:, 0] * np.cos(mid_lat), seg[:, 1]) * KM_PER_DEG
    k = np.searchsorted(np.cumsum(km), rng.uniform(0, km.sum(), n), side="right")
    k = np.minimum(k, len(km) - 1)
    f = rng.uniform(0, 1, n)
    lon = pts[k, 0] + f * seg[k, 0]
    lat = pts[k, 1] + f * seg[k, 1]
    course = np.degrees(np.arctan2(seg[k, 0] * np.cos(mid_lat[k]), seg[k, 1])) % 360
    across = rng.uniform(-lane.width_deg / 2, lane.width_deg / 2, n)
    lon = lon + across * np.cos(np.radians(course))
    lat = lat - across * np.sin(np.radians(course))
    course = (course + 180 * rng.integers(0, 2, n) + rng.normal(0, 4, n)) % 360
    return lon, lat, course


@dataclass(slots=True)
class Fleet:
    """Every vessel's start, motion and reporting."""

    mmsi: I64
    lon: F64
    lat: F64
    course: F64
    speed: F64  # knots
    class_a: npt.NDArray[np.bool_]
    interval_s: F64
    phase_s: F64
    silent_after_s: F64  # inf: reports to the end
    lane: npt.NDArray[np.int64]


def fleet(vessels: int = VESSELS, rate: float = RATE, seed: int = 18) -> Fleet:
    """Draw the world's vessels, their intervals scaled so the feed offers ``rate`` msg/s."""
    rng = np.random.default_rng(seed)
    w = np.array([ln.weight for ln in LANES])
    lane = rng.choice(len(LANES), vessels, p=w / w.sum())
    lon = np.empty(vessels)
    lat = np.empty(vessels)
    course = np.empty(vessels)
    for i, ln in enumerate(LANES):
        at = np.flatnonzero(lane == i)
        lon[at], lat[at], course[at] = _lane_points(ln, at.size, rng)
    still = rng.uniform(0, 1, vessels) < 0.25  # at anchor or moored
    speed = np.where(still, rng.uniform(0, 0.3, vessels), rng.uniform(6, 22, vessels))
    class_a = rng.uniform(0, 1, vessels) < 0.8
    # Intervals (s) after ITU-R M.1371: class A underway 10 (6 above 14 kn), at anchor 180;
    # class B 30 (180 when still).
    interval = np.where(class_a, np.where(still, 180.0, np.where(speed > 14, 6.0, 10.0)), 30.0)
    interval = np.where(~class_a & still, 180.0, interval)
    n_pairs = int(vessels * PAIR_SHARE)
    a = np.arange(0, 2 * n_pairs, 2)
    b = a + 1  # b keeps station 300 m abeam of a, both slow: an encounter
    speed[a] = speed[b] = rng.uniform(0.5, 2.0, n_pairs)
    course[b] = course[a]
    lane[b] = lane[a]
    class_a[a] = class_a[b] = True
    interval[a] = interval[b] = 10.0
    lat[b] = lat[a] + 0.3 / KM_PER_DEG * np.sin(np.radians(course[a]))
    lon[b] = lon[a] - 0.3 / KM_PER_DEG * np.cos(np.radians(course[a])) / np.cos(np.radians(lat[a]))
    statics_rate = vessels / 360.0  # one static message per vessel every 6 minutes
    interval = interval * float(np.sum(1.0 / interval)) / max(rate - statics_rate, 1.0)
    silent = np.full(vessels, np.inf)
    quiet = rng.choice(np.arange(2 * n_pairs, vessels), int(vessels * SILENT_SHARE), False)
    silent[quiet] = rng.uniform(60, 540, quiet.size)
    serial = rng.permutation(vessels)  # distinct MMSIs, low digits uniform over partitions
    mmsi = np.asarray(MIDS, dtype=np.int64)[rng.integers(0, len(MIDS), vessels)] * 1_000_000
    return Fleet(
        mmsi=mmsi + 100_000 + serial, lon=lon, lat=lat, course=course, speed=speed,
        class_a=class_a, interval_s=interval, phase_s=rng.uniform(0, interval),
        silent_after_s=silent, lane=lane,
    )  # fmt: skip


def positions(f: Fleet, seconds: float, seed: int = 18) -> PositionColumns:
    """Every position report of ``seconds`` of feed, in time order."""
    rng = np.random.default_rng(seed + 1)
    end = np.minimum(seconds, f.silent_after_s)
    count = np.maximum(np.ceil((end - f.phase_s) / f.interval_s), 0).astype(np.int64)
    v = np.repeat(np.arange(f.mmsi.size), count)
    k = np.arange(v.size) - np.repeat(np.cumsum(count) - count, count)
    t_s = f.phase_s[v] + k * f.interval_s[v]
    t_ms = START_MS + np.round(t_s).astype(np.int64) * 1000
    order = np.argsort(t_ms, kind="stable")
    v, t_s, t_ms = v[order], t_s[order], t_ms[order]
    km = f.speed[v] * KN_TO_KM_S * t_s
    c = np.radians(f.course[v])
    lat = f.lat[v] + km * np.cos(c) / KM_PER_DEG
    lon = f.lon[v] + km * np.sin(c) / (KM_PER_DEG * np.cos(np.radians(f.lat[v])))
    n = v.size
    out = PositionColumns.empty(n)
    out.time_ms = t_ms
    out.mmsi = f.mmsi[v]
    out.msg_type = np.where(f.class_a[v], 1, 18).astype(np.uint8)
    out.lat = np.round(lat, 5)
    out.lon = np.round((lon + 180.0) % 360.0 - 180.0, 5)
    out.speed = (
        np.round(f.speed[v] + rng.normal(0, 0.1, n).clip(-0.2, 0.2), 1).clip(0).astype(np.float32)
    )
    out.course = np.round((f.course[v] + rng.normal(0, 1, n)) % 360, 1).astype(np.float32)
    out.heading = np.round(f.course[v]).astype(np.int16) % 360
    moving = f.speed[v] > 0.5
    out.status = np.where(f.class_a[v], np.where(moving, 0, 1), -1).astype(np.int8)
    out.turn = np.where(f.class_a[v], 0.0, np.nan).astype(np.float32)
    out.accuracy = rng.uniform(0, 1, n) < 0.5
    out.second = ((t_ms // 1000) % 60).astype(np.int8)
    out.source = [LANES[i].name for i in f.lane[v].tolist()]
    return out


SHIP_TYPES = np.array([70, 70, 70, 71, 79, 80, 80, 84, 30, 30, 60, 52, 37, 36, 90])


def statics(f: Fleet, seconds: float, seed: int = 18) -> list[StaticReport]:
    """One static message per vessel every six minutes (type 5 for class A, 24 for B)."""
    rng = np.random.default_rng(seed + 2)
    first = rng.uniform(0, 360, f.mmsi.size)
    kinds = SHIP_TYPES[rng.integers(0, SHIP_TYPES.size, f.mmsi.size)]
    length = rng.integers(12, 300, f.mmsi.size)
    out = []
    for i in range(f.mmsi.size):
        t = first[i]
        while t < min(seconds, f.silent_after_s[i]):
            out.append(
                StaticReport(
                    time_ms=START_MS + round(t) * 1000,
                    mmsi=int(f.mmsi[i]),
                    msg_type=5 if f.class_a[i] else 24,
                    name=f"WORLD {i:05d}",
                    callsign=f"W{i:05d}",
                    ship_type=int(kinds[i]),
                    to_bow=int(length[i] * 0.6),
                    to_stern=int(length[i] * 0.4),
                    to_port=int(length[i] * 0.08),
                    to_starboard=int(length[i] * 0.08),
                    destination=LANES[int(f.lane[i])].name.upper()[:20],
                    source=LANES[int(f.lane[i])].name,
                )  # fmt: skip
            )
            t += 360.0
    out.sort(key=lambda s: s.time_ms)
    return out


def batches(seconds: float, lines: int, vessels: int = VESSELS, rate: float = RATE) -> list[Batch]:
    """The feed in time order as decoded batches of ``lines`` records (statics in time)."""
    f = fleet(vessels, rate)
    pos = positions(f, seconds)
    stat = statics(f, seconds)
    out = []
    st = 0
    for i in range(0, len(pos), lines):
        part = pos.take(np.arange(i, min(i + lines, len(pos))))
        last = int(part.time_ms[-1])
        j = st
        while j < len(stat) and stat[j].time_ms <= last:
            j += 1
        out.append(Batch(part, stat[st:j]))
        st = j
    if st < len(stat):
        out.append(Batch(PositionColumns.empty(), stat[st:]))
    return out
