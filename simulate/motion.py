"""Kinematics: a track is a polyline of timed knots; every report samples it vectorised.

A vessel sails straight legs at constant speed between knots (linear in lon/lat, the plane in
which `World.leg_at_sea` checks legs, so a leg at sea keeps every sample at sea). Speed and course
over ground are the leg's; a knot where the course changes by more than `TURN_MIN_DEG` at speed is
a turn, during which class A transponders report faster (ITU-R M.1371-5, Annex 1, Table 1).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from simulate.world import NM, Point, World, bearing_deg, haversine_m, offset

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
B = npt.NDArray[np.bool_]

#: A course change above this at a knot, at more than `TURN_MIN_SPEED` kn, is a manoeuvre.
TURN_MIN_DEG = 20.0
TURN_MIN_SPEED = 3.0
#: Half-length of the manoeuvre window around a turning knot, ms.
TURN_HALF_MS = 30_000

# Navigational status codes (ITU-R M.1371 Table 45).
UNDERWAY = 0
AT_ANCHOR = 1
MOORED = 5
FISHING = 7


@dataclass(slots=True)
class Sample:
    """Track samples at report times: the simulator's truth for each report."""

    lon: F64
    lat: F64
    sog: F64  # knots
    cog: F64  # degrees
    status: I8
    turning: B
    rot: F64  # degrees per minute, signed (starboard positive)


@dataclass(slots=True)
class Track:
    """Timed knots (ms, lon, lat) and a navigational status per leg."""

    t: I64
    lon: F64
    lat: F64
    status: I8  # one per leg (len(t) - 1)
    speed: F64 = field(init=False)  # knots per leg
    course: F64 = field(init=False)  # degrees per leg; a stop keeps the course before it
    turn_at: I64 = field(init=False)  # knot times that are manoeuvres
    turn_rot: F64 = field(init=False)  # their rate of turn, deg/min

    def __post_init__(self) -> None:
        dist = haversine_m(self.lon[:-1], self.lat[:-1], self.lon[1:], self.lat[1:])
        dt = np.diff(self.t).astype(np.float64) / 1000.0
        self.speed = np.where(dt > 0, dist / np.maximum(dt, 1e-9) * 3600.0 / NM, 0.0)
        course = bearing_deg(self.lon[:-1], self.lat[:-1], self.lon[1:], self.lat[1:])
        moving = dist > 1.0
        last = 0.0
        for i in range(len(course)):  # a stop keeps the heading it had
            if moving[i]:
                last = float(course[i])
            else:
                course[i] = last
        self.course = course
        if len(course) > 1:
            dc = (np.diff(course) + 180.0) % 360.0 - 180.0
            fast = np.minimum(self.speed[:-1], self.speed[1:]) > TURN_MIN_SPEED
            sel = (np.abs(dc) > TURN_MIN_DEG) & fast
            self.turn_at = self.t[1:-1][sel]
            self.turn_rot = dc[sel] / (2 * TURN_HALF_MS / 60_000)
        else:
            self.turn_at = np.zeros(0, np.int64)
            self.turn_rot = np.zeros(0)

    @property
    def start(self) -> int:
        return int(self.t[0])

    @property
    def end(self) -> int:
        return int(self.t[-1])

    def points(self) -> list[Point]:
        """Return the knots as (lon, lat) tuples."""
        return list(zip(self.lon.tolist(), self.lat.tolist(), strict=True))

    def sample(self, times: I64) -> Sample:
        """Positions, speed, course, status and manoeuvre flags at sorted times (ms)."""
        n = len(self.t)
        idx = np.minimum(np.maximum(np.searchsorted(self.t, times, side="right") - 1, 0), n - 2)
        dt = (self.t[idx + 1] - self.t[idx]).astype(np.float64)
        frac = np.minimum(np.maximum((times - self.t[idx]) / np.maximum(dt, 1.0), 0.0), 1.0)
        lon = self.lon[idx] + frac * (self.lon[idx + 1] - self.lon[idx])
        lat = self.lat[idx] + frac * (self.lat[idx + 1] - self.lat[idx])
        turning = np.zeros(len(times), bool)
        rot = np.zeros(len(times))
        if len(self.turn_at):
            k = np.minimum(np.searchsorted(self.turn_at, times), len(self.turn_at) - 1)
            for kk in (k, np.maximum(k - 1, 0)):
                near = np.abs(times - self.turn_at[kk]) <= TURN_HALF_MS
                turning |= near
                rot = np.where(near, self.turn_rot[kk], rot)
        return Sample(lon, lat, self.speed[idx], self.course[idx], self.status[idx], turning, rot)

    def position_at(self, t_ms: int) -> Point:
        """Return the (lon, lat) at one time."""
        s = self.sample(np.array([t_ms], np.int64))
        return float(s.lon[0]), float(s.lat[0])


class TrackBuilder:
    """Builds a `Track` leg by leg; every leg it invents itself is checked at sea."""

    def __init__(self, world: World, t0: int, start: Point, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.t: list[int] = [t0]
        self.pts: list[Point] = [start]
        self.status: list[int] = []
        self.heading: float | None = None  # where the last zig-zag leg pointed

    @property
    def now(self) -> int:
        return self.t[-1]

    @property
    def here(self) -> Point:
        return self.pts[-1]

    def _leg(self, p: Point, duration_ms: int, status: int) -> None:
        self.t.append(self.now + max(1000, int(duration_ms)))
        self.pts.append(p)
        self.status.append(status)

    def goto(self, p: Point, at_ms: int, status: int = UNDERWAY) -> TrackBuilder:
        """Be at ``p`` at time ``at_ms`` (a leg whose speed follows from the two)."""
        self._leg(p, at_ms - self.now, status)
        return self

    def sail(self, points: list[Point], speed_kn: float, status: int = UNDERWAY) -> TrackBuilder:
        """Sail through planned waypoints (the first may be the current position)."""
        for p in points:
            if p == self.here:
                continue
            d = float(
                haversine_m(
                    np.array([self.here[0]]),
                    np.array([self.here[1]]),
                    np.array([p[0]]),
                    np.array([p[1]]),
                )[0]
            )
            self._leg(p, int(d / (speed_kn * NM / 3600.0) * 1000.0), status)
        return self

    def sail_to(self, dest: Point, speed_kn: float, status: int = UNDERWAY) -> TrackBuilder:
        """Plan a sea route to ``dest`` and sail it."""
        return self.sail(self.world.route(self.here, dest)[1:], speed_kn, status)

    def stay(self, duration_ms: int, status: int) -> TrackBuilder:
        """Stay still (moored, or stopped), speed zero."""
        self._leg(self.here, duration_ms, status)
        return self

    def swing(
        self, duration_ms: int, status: int = AT_ANCHOR, *, anchor: Point | None = None
    ) -> TrackBuilder:
        """Swing at anchor: slow moves of tens of metres around the anchor (SOG 0-0.3 kn).

        The anchor is where the ship is, unless given: a swing continued slice after slice keeps
        its anchor and lets its last move run past ``duration_ms`` (cut short, a move of tens of
        metres in a second would be a dash at tens of knots).
        """
        resume = anchor is not None
        anchor = self.here if anchor is None else anchor
        end = self.now + duration_ms
        while self.now < end:
            step = self.rng.randint(8, 20) * 60_000
            if not resume:
                step = min(end - self.now, step)
            p = offset(anchor, self.rng.uniform(0, 360), self.rng.uniform(5, 60))
            if not self.world.leg_at_sea(self.here, p):
                p = anchor
            self._leg(p, step, status)
        return self

    def drift(
        self, duration_ms: int, speed: tuple[float, float] = (0.3, 1.5), status: int = UNDERWAY
    ) -> TrackBuilder:
        """Drift or creep slowly in random directions (loitering), every leg at sea."""
        end = self.now + duration_ms
        heading = self.rng.uniform(0, 360)
        while self.now < end:
            step = min(end - self.now, self.rng.randint(6, 15) * 60_000)
            kn = self.rng.uniform(*speed)
            for _ in range(12):
                p = offset(self.here, heading, kn * NM * step / 3_600_000)
                if self.world.leg_at_sea(self.here, p):
                    break
                heading = self.rng.uniform(0, 360)
            else:
                p = self.here
            self._leg(p, step, status)
            heading = (heading + self.rng.uniform(-70, 70)) % 360
        return self

    def zigzag(
        self,
        centre: Point,
        radius_m: float,
        duration_ms: int,
        speed: tuple[float, float] = (2.6, 4.5),
        leg_min: tuple[int, int] = (15, 50),
        status: int = FISHING,
        *,
        resume: bool = False,
    ) -> TrackBuilder:
        """Trawl back and forth around a fishing ground: long legs, sharp turns, slow speed.

        ``resume`` continues in the heading the previous zig-zag ended with, when there was one,
        and lets the last leg run past ``duration_ms`` (a trawl grown slice after slice).
        """
        end = self.now + duration_ms
        heading = self.rng.uniform(0, 360) if not resume or self.heading is None else self.heading
        while self.now < end:
            step = self.rng.randint(*leg_min) * 60_000
            if not resume:  # a resumed trawl runs its last leg out rather than cut it short
                step = min(end - self.now, step)
            kn = self.rng.uniform(*speed)
            dist = kn * NM * step / 3_600_000
            for attempt in range(16):
                p = offset(self.here, heading, dist)
                back = _distance(p, centre) > radius_m and attempt < 8
                if not back and self.world.leg_at_sea(self.here, p):
                    break
                heading = (bearing_to(self.here, centre) + self.rng.uniform(-60, 60)) % 360
            else:
                p = self.here
            self._leg(p, step, status)
            heading = (heading + 180 + self.rng.uniform(-35, 35)) % 360
        self.heading = heading
        return self

    def build(self) -> Track:
        """Return the finished track (at least one leg)."""
        if len(self.t) == 1:
            self.stay(1000, UNDERWAY)
        return Track(
            t=np.array(self.t, np.int64),
            lon=np.array([p[0] for p in self.pts]),
            lat=np.array([p[1] for p in self.pts]),
            status=np.array(self.status, np.int8),
        )


def _distance(a: Point, b: Point) -> float:
    return float(
        haversine_m(np.array([a[0]]), np.array([a[1]]), np.array([b[0]]), np.array([b[1]]))[0]
    )


def bearing_to(a: Point, b: Point) -> float:
    """Return True bearing from a to b, degrees."""
    return float(
        bearing_deg(np.array([a[0]]), np.array([a[1]]), np.array([b[0]]), np.array([b[1]]))[0]
    )
