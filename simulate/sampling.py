"""How a feed samples each vessel: every report heard, a decimated extract, or satellite passes.

Terrestrial reception hears a vessel every few seconds. Much of what analysts run `mare detect`
on is not that:

- *decimated extracts* (``every:N``): aggregators and archives keep one report per vessel per N
  minutes (the first heard in each N-minute bin, bins at a random phase per vessel), so the
  intervals run from seconds to 2N minutes, N on average;
- *satellite passes* (``satellite``): a low-orbit receiver sees a vessel for about
  `PASS_MS` (10 min) every 90 to 100 minutes (the orbit, drifting with the vessel's longitude:
  a phase per vessel), misses a whole pass one time in five (collisions over busy seas, the
  vessel's antenna), and of the transmissions during a pass keeps only a few (`PASS_KEEP`,
  about one in forty: a class A under way is heard one to three times a pass). The orbits
  overfly a place at about the same times twice a day, so a vessel is in view for
  `VISIBLE_MS` (5 h: three or four passes) of every `CYCLE_MS` (12 h), at a phase of its own,
  and unheard for seven hours and more in between: the holes of a real satellite feed (GFW's
  encounter test data, `tests/data/peers/`: two vessels heard every hour or so, then neither
  for 8 h; Welch et al. 2022 measured the twice-daily cycle). The receiver's footprint covers
  the whole region (the scenario's ``range_scale``): the passes, not distance, decide what is
  heard.

`FeedSampling.thin` applies one of these on top of the shore stations' reception, to the
static messages as well as the positions, before the truth logs what was received: the labels
are refined against exactly what the capture carries, so a behaviour the sampling hides gets no
label (a spoof seen by one fix, a loiter shorter than its hour between its first and last fix).
Deterministic: every draw is a hash of (seed, agent, bin or pass), never a shared generator, so
the same seed gives the same capture whatever the window cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import shapely
import shapely.affinity
from shapely.geometry import MultiPolygon

from ais_ingest.records import Batch
from geo.zones import Zone

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

MIN_MS = 60_000
PASS_MS = 10 * MIN_MS
PERIOD_MS = (90 * MIN_MS, 100 * MIN_MS)
PASS_MISSED = 0.2
PASS_KEEP = 0.025
CYCLE_MS = 12 * 60 * MIN_MS
VISIBLE_MS = 5 * 60 * MIN_MS


def _unit(seed: int, purpose: int, a: I64, b: I64) -> npt.NDArray[np.float64]:
    """Uniform [0, 1) per (seed, purpose, a, b), vectorised (SplitMix64 finaliser)."""
    with np.errstate(over="ignore"):
        x = (
            np.uint64(seed & 0xFFFFFFFF) * np.uint64(0x9E3779B97F4A7C15)
            + np.uint64(purpose) * np.uint64(0xBF58476D1CE4E5B9)
            + a.astype(np.uint64) * np.uint64(0x94D049BB133111EB)
            + b.astype(np.uint64) * np.uint64(0xD6E8FEB86659FD93)
        )
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@dataclass(slots=True)
class FeedSampling:
    """A feed's sampling of every vessel; see the module docstring.

    Parameters
    ----------
    kind
        ``all`` (every report heard), ``every`` (one per ``every_ms`` per vessel) or
        ``satellite``.
    every_ms
        Bin of a decimated extract.
    seed
        Seed of the run (phases and passes are drawn from it).
    """

    kind: str = "all"
    every_ms: int = 0
    seed: int = 0
    _kept_bin: dict[int, int] | None = None

    @classmethod
    def parse(cls, spec: str, seed: int) -> FeedSampling:
        """Build from ``all``, ``satellite`` or ``every:MINUTES``."""
        if spec == "all":
            return cls("all", 0, seed)
        if spec == "satellite":
            return cls("satellite", 0, seed)
        if spec.startswith("every:"):
            minutes = float(spec.split(":", 1)[1])
            if minutes <= 0:
                raise ValueError(f"sampling {spec!r}: minutes must be positive")
            return cls("every", int(minutes * MIN_MS), seed, {})
        raise ValueError(f"unknown sampling {spec!r}: all, satellite or every:MINUTES")

    def keep(self, agent: I64, t: I64) -> B:
        """Which transmissions (agent index, time ms, in time order) the feed carries."""
        n = len(t)
        if self.kind == "all" or n == 0:
            return np.ones(n, dtype=np.bool_)
        if self.kind == "satellite":
            return self._passes(agent, t)
        return self._decimate(agent, t)

    def _decimate(self, agent: I64, t: I64) -> B:
        assert self._kept_bin is not None
        every = self.every_ms
        phase = (_unit(self.seed, 1, agent, np.zeros_like(agent)) * every).astype(np.int64)
        bins = (t - phase) // every
        order = np.lexsort((t, bins, agent))
        a_s, b_s = agent[order], bins[order]
        first = np.r_[True, (a_s[1:] != a_s[:-1]) | (b_s[1:] != b_s[:-1])]
        keep = np.zeros(len(t), dtype=np.bool_)
        cand = order[first]
        for i in cand.tolist():  # one per (vessel, bin): a bin already kept earlier is full
            a, b = int(agent[i]), int(bins[i])
            if self._kept_bin.get(a, -(2**62)) < b:
                self._kept_bin[a] = b
                keep[i] = True
        return keep

    def _passes(self, agent: I64, t: I64) -> B:
        zero = np.zeros_like(agent)
        period = PERIOD_MS[0] + (_unit(self.seed, 2, agent, zero) * (PERIOD_MS[1] - PERIOD_MS[0]))
        period = period.astype(np.int64)
        phase = (_unit(self.seed, 3, agent, zero) * period).astype(np.int64)
        k: I64 = ((t - phase) // period).astype(np.int64)
        inside = (t - phase) - k * period < PASS_MS
        seen = _unit(self.seed, 4, agent, k) >= PASS_MISSED
        heard = _unit(self.seed, 5, agent, t) < PASS_KEEP
        view = (_unit(self.seed, 6, agent, zero) * CYCLE_MS).astype(np.int64)
        in_view = (t - view) % CYCLE_MS < VISIBLE_MS
        out: B = inside & seen & heard & in_view
        return out


def shift_longitude(batch: Batch, degrees: float) -> Batch:
    """Move the records east by ``degrees`` (wrapped to [-180, 180)): the world elsewhere.

    Moving the central Mediterranean's traffic by 167.5° puts the Sicily channel astride the
    antimeridian, with every distance, course and time unchanged: the engine must then find
    exactly what it finds at home.
    """
    pos = batch.positions
    if not len(pos):
        return batch
    lon = (pos.lon + degrees + 180.0) % 360.0 - 180.0
    return Batch(replace(pos, lon=lon), batch.statics, batch.static_at)


def shift_zones(zones: Sequence[Zone], degrees: float) -> list[Zone]:
    """Move zones east by ``degrees`` like `shift_longitude`, split where they cross ±180°.

    A zone that straddles the antimeridian after the move becomes a MultiPolygon of its parts
    either side (the GeoJSON convention, RFC 7946 section 3.1.9), which is how zone files for
    the Pacific or the Bering Sea come.
    """
    out = []
    for z in zones:
        g = shapely.affinity.translate(z.geometry, xoff=degrees)
        parts = []
        for lo, hi, back in ((-540.0, -180.0, 360.0), (-180.0, 180.0, 0.0), (180.0, 540.0, -360.0)):
            piece = g.intersection(shapely.box(lo, -90.0, hi, 90.0))
            if not piece.is_empty:
                parts.append(shapely.affinity.translate(piece, xoff=back))
        polys = [
            p
            for part in parts
            for p in (part.geoms if hasattr(part, "geoms") else [part])
            if p.geom_type == "Polygon" and not p.is_empty
        ]
        out.append(replace(z, geometry=MultiPolygon(polys)))
    return out
