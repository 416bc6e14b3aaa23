"""The behaviour engine: batches of records in, events out, on event time alone.

Determinism is by construction. Positions are assigned to one-minute *slices* by the running
maximum of their event times in arrival order, which is the same whether a capture arrives whole
or in batches of any size. Within a slice each vessel's fixes are handled in time order, and every
per-record decision depends only on that vessel's earlier records; work that looks across vessels
or at the passing of time (encounters, "went dark" alerts, dwell timers, the position of identity
events) runs when a slice closes, on the state at its end. In live mode `Engine.advance` closes
slices by the clock the caller passes (minus ``live_lateness_s``); in batch mode the next slice's
first record closes them, and `Engine.flush` closes the last one.

Episodes that last (loitering, encounter, AIS gap, dwell) are emitted once as an *open* event when
they pass their threshold and once more, closed, when they end: the second has the same
`Event.key` and supersedes the first. While open they are emitted again in their present state
at the slice ends where ``ongoing_update_s`` of event time passes (`EngineConfig`: every 30 min,
then at each doubling), so a live alert never says "for 20 min" of a meeting hours old;
`Engine.flush` emits them once more at the end of a capture. Consumers that want one line per
episode keep the last version per key (`mare detect` does); a live service publishes each.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from ais_ingest.records import Batch, StaticReport, has_position
from geo.arrays import distinct, member
from geo.clock import ClockGuard
from geo.config import EngineConfig
from geo.contacts import Contact
from geo.coverage import Coverage, CoverageMap
from geo.detectors.base import Describer, Place, PlaceIndex, SliceContext
from geo.detectors.contacts import ContactFusion
from geo.detectors.encounter import EncounterDetector
from geo.detectors.gap import GapDetector
from geo.detectors.identity import IdentityDetector
from geo.detectors.loitering import LoiterDetector
from geo.detectors.mmsi import invalid_mmsi_event, with_problems
from geo.detectors.watchlist import WatchlistDetector
from geo.detectors.zones import ZoneDetector
from geo.errors import GeoError
from geo.events import Event, EventKind, Severity, format_time, parse_time
from geo.membership import Membership, ZoneLookup
from geo.risk import Risk, Where, departure_waters, risk_points, risk_score
from geo.seen_mmsis import SeenMmsis
from geo.tracker import Fleet, Tracker
from geo.watchlist import Watchlist
from geo.zones import Zone

SNAPSHOT_VERSION = 1
_DEFAULT_CONFIG = EngineConfig()

#: Why a position record the engine was given did not reach a vessel's track (besides the
#: clock guard's ``future_time``): ``same_time`` (a second fix of a vessel at the very time of
#: its previous one, as in a capture without time stamps), ``out_of_order`` (older than the
#: vessel's latest fix), ``no_position`` (latitude or longitude unavailable, or 0 N 0 E:
#: `ais_ingest.records.has_position`).
UNUSED_REASONS = ("same_time", "out_of_order", "no_position")


class SnapshotError(GeoError):
    """A snapshot that cannot be restored (wrong format or version)."""


@dataclass(frozen=True, slots=True)
class VesselState:
    """What the engine knows about one vessel now."""

    mmsi: int
    last_time_ms: int | None
    lat: float | None
    lon: float | None
    speed_kn: float | None
    course: float | None
    identity: dict[str, Any]
    zones: list[str]
    dark: bool
    loitering_since_ms: int | None
    risk: Risk


def _opt(v: float) -> float | None:
    return None if v != v else float(v)


def event_to_state(ev: Event) -> dict[str, Any]:
    """Exact (unrounded, millisecond) form of an event for snapshots."""
    return {
        "kind": ev.kind.value,
        "mmsi": ev.mmsi,
        "start_ms": ev.start_ms,
        "end_ms": ev.end_ms,
        "lat": ev.lat,
        "lon": ev.lon,
        "severity": ev.severity.value,
        "other_mmsi": ev.other_mmsi,
        "zone": ev.zone,
        "details": ev.details,
    }


def event_from_state(obj: dict[str, Any]) -> Event:
    """Inverse of `event_to_state`."""
    return Event(
        EventKind(obj["kind"]),
        obj["mmsi"],
        obj["start_ms"],
        obj["end_ms"],
        obj["lat"],
        obj["lon"],
        Severity(obj["severity"]),
        obj["other_mmsi"],
        obj["zone"],
        obj["details"],
    )


def _group_firsts(mm: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Whether each row of a sorted ``mm`` starts its vessel's group (`np.r_` costs ~10x)."""
    first = np.empty(len(mm), dtype=np.bool_)
    first[:1] = True
    np.not_equal(mm[1:], mm[:-1], out=first[1:])
    return first


def _group_starts(first: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Where each group starts, and the end: the ``starts`` of a `SliceContext`."""
    return np.append(np.flatnonzero(first), len(first)).astype(np.int64)


def _first_fixes(
    pos: Any, a: int, b: int, mmsis: list[int]
) -> dict[int, tuple[int, float | None, float | None]]:
    """Each of ``mmsis``' earliest time in rows ``a:b`` and its first position in row order.

    One sort for them all: a scan of the rows per vessel was quadratic where thousands of
    vessels are new in one slice part (the first minute of a capture of the world's ports).
    """
    mm = pos.mmsi[a:b]
    rows = np.flatnonzero(member(mm, mmsis))
    if not len(rows):
        return {}
    rows = rows[np.argsort(mm[rows], kind="stable")]  # by MMSI, row order within
    first = _group_firsts(mm[rows])
    starts = np.flatnonzero(first)
    tmin = np.minimum.reduceat(pos.time_ms[a:b][rows], starts)
    lat, lon = pos.lat[a:b][rows], pos.lon[a:b][rows]
    valid = np.flatnonzero(has_position(lat, lon))
    ends = np.append(starts[1:], len(rows))
    k = np.searchsorted(valid, starts)  # each group's first valid row, if before its end
    at = valid[np.minimum(k, max(len(valid) - 1, 0))] if len(valid) else ends
    has = (k < len(valid)) & (at < ends)
    out: dict[int, tuple[int, float | None, float | None]] = {}
    groups = zip(mm[rows][starts].tolist(), tmin.tolist(), has.tolist(), at.tolist(), strict=True)
    for m, t, ok, i in groups:
        out[m] = (t, float(lat[i]), float(lon[i])) if ok else (t, None, None)
    return out


class Clocked(NamedTuple):
    """A batch's records on the engine's clock (`assign_slices`)."""

    clock: npt.NDArray[np.int64]  # each position's clock
    pos_sid: npt.NDArray[np.int64]  # each position's slice
    sta_clock: list[int]  # each static report's clock
    sta_sid: list[int]  # each static report's slice
    last: int | None  # the clock after the batch (None: no record)


def assign_slices(
    batch: Batch, watermark: int | None, current: int | None, slice_ms: int
) -> Clocked:
    """Return each record's clock and slice, positions and static reports alike.

    The clock of a record is the running maximum of event times over positions and static
    reports in arrival order (`Batch.static_at`), from ``watermark`` and the start of the
    ``current`` slice; its slice that clock's minute. So a record's slice depends on the
    records before it alone, not on where the batches were cut: a static report that took its
    own time's slice bounded by the batch's put an identity event in another minute when
    `mare detect` read 32k lines a batch instead of 8k. One rule for the engine and for
    whoever must know its slices without running it (the bus's ingest, `app.bus`).
    """
    pos = batch.positions
    n, k = len(pos), len(batch.statics)
    floor = [
        v for v in (watermark, None if current is None else current * slice_ms) if v is not None
    ]
    if not k:
        if not n:
            return Clocked(pos.time_ms, pos.time_ms, [], [], None)
        t = pos.time_ms if not floor else np.maximum(pos.time_ms, max(floor))
        cm = np.maximum.accumulate(t)
        return Clocked(cm, cm // slice_ms, [], [], int(cm[-1]))
    at = batch.arrivals()
    times = np.array([r.time_ms for r in batch.statics], dtype=np.int64)
    merged = np.insert(pos.time_ms, at, times)
    if floor:
        merged = np.maximum(merged, max(floor))
    clock = np.maximum.accumulate(merged)
    is_static = np.zeros(n + k, dtype=np.bool_)
    is_static[at + np.arange(k)] = True
    cm = clock[~is_static]
    sta_cm = clock[is_static]
    return Clocked(
        cm, cm // slice_ms, sta_cm.tolist(), (sta_cm // slice_ms).tolist(), int(clock[-1])
    )


#: Called with a step's events and the event time the step reached (`Engine.on_step`).
StepListener = Callable[[list[Event], int], None]


class Engine:
    """Tracker, zone index and detectors behind one `process(batch)`; see the module docstring."""

    def __init__(
        self,
        zones: Iterable[Zone],
        *,
        watchlist: Watchlist | None = None,
        config: EngineConfig = _DEFAULT_CONFIG,
        places: Sequence[Place] = (),
    ) -> None:
        self.config = config
        self.places = PlaceIndex(tuple(places))
        self.fleet = Fleet()
        self.tracker = Tracker(config)
        self.coverage = Coverage(config)
        self.gaps = GapDetector(config, self.coverage)
        self.loiter = LoiterDetector(config)
        self.encounters = EncounterDetector(config)
        self.identity = IdentityDetector(config)
        self.watch = WatchlistDetector(watchlist)
        self.contacts = ContactFusion(config)
        self.contacts.in_harbour = self._in_harbour
        self.seen = SeenMmsis()
        self.slice: int | None = None
        self.watermark: int | None = None
        self.had_data = False
        self.deferred: list[Event] = []  # identity-type events waiting for a position
        #: The open slice's MMSIs not seen before it: first time, first fix (`_settle_new`).
        self.slice_new: dict[int, tuple[int, float | None, float | None]] = {}
        self.book: dict[int, dict[tuple[Any, ...], Event]] = {}
        self._step_listeners: list[StepListener] = []
        self.records = 0
        self.clock = ClockGuard(config)  # records stamped too far ahead of event time
        #: Position records not used, by reason (see `record_counts`).
        self.unused: dict[str, int] = dict.fromkeys(UNUSED_REASONS, 0)
        #: Departure waters of the zone set (risk), made on first use after a zone change.
        self._waters: Where | None = None
        self._waters_of: tuple[Zone, ...] | None = None
        zone_list = list(zones)
        self.zone_det = ZoneDetector(config, zone_list)
        self.set_zones(zone_list)
        self.say = Describer(self._near, self._vessel_words, self._zone_names_at_point)

    # -- configuration -------------------------------------------------------------------------

    def set_zones(self, zones: Iterable[Zone]) -> None:
        """Swap the zone set (hot reload): vessels keep state, leave removed zones silently."""
        self.zones: tuple[Zone, ...] = tuple(zones)
        self.lookup = ZoneLookup(self.zones)
        self.index = self.lookup.index
        self.zone_det.set_zones(self.zones)

    def set_coverage_map(self, prior: CoverageMap | None) -> None:
        """Judge receiver coverage with a map learnt from a fuller feed too (`geo.coverage`)."""
        self.coverage.set_prior(prior)

    def set_watchlist(self, watchlist: Watchlist) -> None:
        """Swap the watchlist (hot reload): later records are checked against the new entries."""
        self.watch.watchlist = watchlist

    @property
    def _slice_ms(self) -> int:
        return int(self.config.slice_s * 1000)

    # -- wording helpers -----------------------------------------------------------------------

    def _last_fix(self, mmsi: int) -> tuple[int, float, float, float] | None:
        slot = self.fleet.slot_of.get(mmsi)
        f = self.fleet
        if slot is None or f.t[slot] < 0:
            return None
        return int(f.t[slot]), float(f.lon[slot]), float(f.lat[slot]), float(f.sog[slot])

    def _near(self, lon: float, lat: float) -> dict[str, object] | None:
        return self.places.nearest(lon, lat)

    def _vessel_words(self, mmsi: int) -> dict[str, object]:
        return dict(self.identity.describe(mmsi))

    def _zone_names_at_point(self, lon: float, lat: float) -> list[str]:
        return [z.name for z in self.index.zones_at(lon, lat)]

    def _in_harbour(self, lon: float, lat: float) -> bool:
        return any(z.suppresses_behaviour for z in self.index.zones_at(lon, lat))

    def _zone_of(self, lon: float, lat: float) -> str | None:
        """Return the smallest zone holding a point: the most specific place it is in."""
        zones = self.index.zones_at(lon, lat)
        if not zones:
            return None
        return min(zones, key=lambda z: (z.geometry.area, z.id)).id

    # -- contacts ------------------------------------------------------------------------------

    def add_contacts(self, contacts: Iterable[Contact]) -> None:
        """Queue contacts for fusion: each is fused once event time passes it by the settle time.

        Arrival order does not matter (see `geo.detectors.contacts`); the events come out of
        `process`, `advance` or `flush` like every other.
        """
        self.contacts.add(contacts)

    # -- the pipeline --------------------------------------------------------------------------

    def process(self, batch: Batch, membership: Membership | None = None) -> list[Event]:
        """Consume one batch of records; return the events (new or updated episodes) it caused.

        ``membership``: the batch's zone membership made beforehand by a `ZoneLookup` of the
        same zone set (`geo.membership`); the engine makes it when it is not given, or not for
        this zone set, or when the clock guard held records back (the batch run is then
        another one).
        """
        self.records += len(batch)
        run = self.clock.filter(batch, self.watermark)
        if membership is not None and not (
            run.positions is batch.positions
            and membership.zone_ids == self.lookup.ids
            and len(membership.valid) == len(batch.positions)
        ):
            membership = None
        return self._run(run, membership)

    def _run(self, batch: Batch, membership: Membership | None = None) -> list[Event]:
        pos = batch.positions
        n = len(pos)
        events: list[Event] = []
        clocked = assign_slices(batch, self.watermark, self.slice, self._slice_ms)
        cm, pos_sid, sta_sid = clocked.clock, clocked.pos_sid, clocked.sta_sid
        sids = sorted(set(distinct(pos_sid).tolist()) | set(sta_sid))
        pre = self._prepare(batch, membership) if n else None
        # Each slice's static reports, grouped in one pass: a table's batch spans hundreds of
        # slices, and a scan of all its statics per slice was most of `mare detect` on one.
        by_slice: dict[int, list[StaticReport]] = {}
        reached_by: dict[int, int] = {}
        for rep, c, s in zip(batch.statics, clocked.sta_clock, sta_sid, strict=True):
            by_slice.setdefault(s, []).append(rep)
            reached_by[s] = c
        for sid in sids:
            if self.slice is not None and sid > self.slice:
                events += self._step(self._close(sid), (self.slice + 1) * self._slice_ms)
            if self.slice is None or sid > self.slice:
                self.slice = sid
            a = int(np.searchsorted(pos_sid, sid, "left"))
            b = int(np.searchsorted(pos_sid, sid, "right"))
            statics = sorted(by_slice.get(sid, ()), key=lambda r: r.time_ms)
            part = self._part(batch, pre, a, b, statics)
            reached = [int(cm[b - 1])] if b > a else []
            reached += [reached_by[sid]] if sid in reached_by else []
            events += self._step(part, max([self.watermark or 0, *reached]))
        if clocked.last is not None:
            last = clocked.last
            self.watermark = last if self.watermark is None else max(self.watermark, last)
        return events

    def advance(self, now_ms: int) -> list[Event]:
        """Let event time pass to ``now_ms`` (live mode): close slices, fire timers.

        Only slices that ended ``live_lateness_s`` before ``now_ms`` are closed, so records that
        arrive a little late still land where a replay would put them.
        """
        if self.slice is None:
            return []
        target = int((now_ms - self.config.live_lateness_s * 1000) // self._slice_ms)
        if target <= self.slice:
            return []
        end = (self.slice + 1) * self._slice_ms
        events = self._close(target)
        self.slice = target
        floor = target * self._slice_ms
        self.watermark = floor if self.watermark is None else max(self.watermark, floor)
        return self._step(events, end)

    def flush(self) -> list[Event]:
        """Close the current slice, as live mode would a minute later (end of a capture).

        Records the clock guard still holds are judged first (`ClockGuard.finish`). Then every
        encounter, loitering, "went dark" gap, zone dwell and shared-MMSI episode still open is
        emitted once more in its state at the end (same key, ``end`` null,
        ``details.ongoing_until`` its last observation: for a gap the feed's last time, when
        the vessel was still silent; its duration so far), so the last version of each episode
        is its final one, not the one that first passed the threshold.
        """
        events: list[Event] = []
        tail = self.clock.finish(self.watermark, self._last_fix)
        if len(tail):
            events = self._run(tail)
        if self.slice is None:
            return events + self._step(
                self.contacts.flush(self._near, self._zone_of), self.now_ms()
            )
        until = self.watermark if self.watermark is not None else self.slice * self._slice_ms
        events += self.advance(
            int((self.slice + 1) * self._slice_ms + self.config.live_lateness_s * 1000)
        )
        last = self.contacts.flush(self._near, self._zone_of)
        last += self.encounters.ongoing() + self.loiter.ongoing(self.fleet)
        last += self.gaps.ongoing(self.fleet, until, self._near)
        last += self.zone_det.ongoing(self.fleet) + self._shared_ongoing()
        return events + self._step(last, self.now_ms())

    def _close(self, new_sid: int) -> list[Event]:
        assert self.slice is not None
        s_ms = self._slice_ms
        end = (self.slice + 1) * s_ms
        self.coverage.commit(end)
        self._settle_new()
        events = self._fill_deferred()
        events += self.encounters.tick(end, self.fleet, self.say)
        events += self._timers(end, encounters=False)  # ticked: at ``end`` again, a no-op
        events += self.contacts.tick(end, self.fleet, self._near, self._zone_of)
        if new_sid > self.slice + 1:
            events += self._timers(new_sid * s_ms)
        events += self._updates(self.slice * s_ms, new_sid * s_ms, events)
        self.had_data = False
        return events

    def _updates(self, lo_ms: int, hi_ms: int, fresh: list[Event]) -> list[Event]:
        """Open episodes again in their present state, if an update boundary is in (lo, hi].

        The boundary ``b`` is a multiple of ``ongoing_update_s`` of event time, so live ticks
        and a replay's skipped empty slices publish the same versions (nothing is heard between
        a slice's end and ``hi``). Up to ``ongoing_update_doubling_s`` an episode is due when
        something was seen since the last boundary (a gap: always, its silence grew); after,
        when its duration doubled since then. Episodes emitted in this close are skipped.
        """
        period = int(self.config.ongoing_update_s * 1000)
        if period <= 0:
            return []
        b = hi_ms // period * period
        if b <= lo_ms:
            return []
        dbl = self.config.ongoing_update_doubling_s * 1000.0

        def doubled(start_ms: int) -> bool:
            d = b - start_ms
            return d > dbl and int(math.log2(d / dbl)) > int(math.log2(max(d - period, dbl) / dbl))

        def due(ev: Event) -> bool:
            if b - ev.start_ms > dbl:
                return doubled(ev.start_ms)
            last = ev.details.get("ongoing_until")
            return isinstance(last, str) and parse_time(last) > b - period

        done = {ev.key() for ev in fresh}
        gaps = self.gaps.ongoing(self.fleet, b, self._near, lambda t0: b - t0 <= dbl or doubled(t0))
        others = self.encounters.ongoing() + self.loiter.ongoing(self.fleet)
        others += self._shared_ongoing()
        return [
            ev
            for ev in gaps + [ev for ev in others + self.zone_det.ongoing(self.fleet) if due(ev)]
            if ev.key() not in done
        ]

    def _shared_ongoing(self) -> list[Event]:
        """Open shared-MMSI episodes in their present state, with their names."""
        return [self._with_names(ev) for ev in self.tracker.ongoing(self.fleet.mmsi)]

    def _timers(self, boundary: int, *, encounters: bool = True) -> list[Event]:
        events = self.gaps.tick(boundary, self.fleet, self._near) + self.zone_det.tick(
            boundary, self.fleet, self._near
        )
        if encounters:
            events += self.encounters.tick(boundary, self.fleet, self.say)
        return events

    def _fill_deferred(self) -> list[Event]:
        out: list[Event] = []
        for ev in self.deferred:
            slot = self.fleet.slot_of.get(ev.mmsi)
            if ev.lat is None and slot is not None and self.fleet.t[slot] >= 0:
                ev = replace(ev, lat=float(self.fleet.lat[slot]), lon=float(self.fleet.lon[slot]))
            if ev.lat is not None and ev.lon is not None and "near" not in ev.details:
                details = dict(ev.details)
                details["near"] = self._near(ev.lon, ev.lat)
                ev = replace(ev, details=details)
            out.append(ev)
        self.deferred = []
        return out

    def _prepare(self, batch: Batch, membership: Membership | None) -> dict[str, Any]:
        """Per-batch vectorised work: validity and zone membership (`geo.membership`), stations."""
        pos = batch.positions
        m = membership if membership is not None else self.lookup.of(pos)
        self.unused["no_position"] += m.no_position
        # MMSIs this engine had not seen when the batch came: only their rows can be new in a
        # slice part (`_first_seen`), which then skips the others without sorting them.
        unseen = self.seen.unseen(m.mmsis)
        fresh = member(pos.mmsi, unseen) if len(unseen) else np.zeros(len(pos), dtype=np.bool_)
        return {
            "fresh": fresh,
            # Records at a place their MMSI held within the hour (`geo.recent_places`).
            "repeat": self.tracker.places.repeats(
                pos.mmsi, pos.time_ms, pos.lon, pos.lat, pos.speed, m.valid
            ),
            "station": self.coverage.station_codes(list(m.stations))[m.station_idx],
            "valid": m.valid,
            "offs": m.offs,
            "zidx": m.zidx,
            "zhash": m.zhash,
            "supp": m.supp,
        }

    def _note_new(
        self, batch: Batch, a: int, b: int, statics: list[StaticReport], fresh: Any = None
    ) -> None:
        """Keep, until the slice closes, the first record of each MMSI new in this slice part.

        ``fresh``: which of the batch's rows have an MMSI not seen before the batch (`_prepare`);
        only those can be new. An MMSI met again in a later part of the slice keeps its earliest
        time, and its first fix in arrival order (`_settle_new`).
        """
        pos = batch.positions
        mm = pos.mmsi[a:b]
        cands = {r.mmsi for r in statics}
        if fresh is None or fresh[a:b].any():
            cands |= set(distinct(mm if fresh is None else mm[fresh[a:b]]).tolist())
        new = sorted(m for m in cands if m >= 0 and m not in self.seen)
        if not new:
            return
        found = _first_fixes(pos, a, b, new)
        is_new = set(new)
        for r in statics:
            if r.mmsi in is_new:
                t, lat, lon = found.get(r.mmsi, (r.time_ms, None, None))
                found[r.mmsi] = (min(t, r.time_ms), lat, lon)
        pending = self.slice_new
        for m, (t, lat, lon) in found.items():
            t0, lat0, lon0 = pending.get(m, (t, None, None))
            pending[m] = (min(t0, t), *((lat, lon) if lat0 is None else (lat0, lon0)))

    def _settle_new(self) -> None:
        """Once per MMSI, when the slice it first came in closes: invalid MMSI and watchlist.

        On the whole slice, not part by part: an MMSI whose first static report came in one
        part and its first position in the next (a batch cutting the slice) had its event
        without a fix, and its time hung on the cut too (live ingest cuts 2,048-line batches,
        `mare detect` 8,192). The events wait for the close anyway (``deferred``).

        MMSI 0 is included: it is the commonest placeholder of an unconfigured transponder, so it
        gets its `invalid_mmsi` event like any other impossible number (its positions are still
        kept out of tracking, see `geo.membership.trackable`). The event carries the slice's
        first valid fix of the MMSI, if any.
        """
        pending, self.slice_new = self.slice_new, {}
        new = sorted(pending)
        watching = self.watch.watching
        for m, problem in zip(new, with_problems(new).tolist(), strict=True):
            self.seen.add(m)
            if not (problem or watching):
                continue
            first, lat, lon = pending[m]
            ev = invalid_mmsi_event(m, first, lat, lon) if problem else None
            if ev is not None:
                self.deferred.append(ev)
            self.deferred += self.watch.check(m, first, None, None, check_mmsi=True)

    def _part(
        self, batch: Batch, pre: dict[str, Any] | None, a: int, b: int, statics: list[StaticReport]
    ) -> list[Event]:
        self._note_new(batch, a, b, statics, None if pre is None else pre["fresh"])
        watch = self.watch
        watching = watch.watching
        for rep in statics:
            if rep.mmsi > 0:  # MMSI 0 is shared by unconfigured units: no identity to follow
                self.deferred += self._identity(rep)
                self.contacts.note_static(rep.mmsi, rep.length, rep.ship_type)
            if watching:
                self.deferred += watch.check(
                    rep.mmsi, rep.time_ms, None, None,
                    imo=rep.imo, name=rep.name, callsign=rep.callsign,
                )  # fmt: skip
        if pre is None or a == b:
            return []
        return self._positions(batch, pre, a, b)

    def _identity(self, rep: StaticReport) -> list[Event]:
        """Identity of one static report; a new name on a shared MMSI updates that episode."""
        if self.identity.repeated(rep):  # most reports: no new name, nothing else to ask
            return []
        slot = self.fleet.slot_of.get(rep.mmsi)
        shared = slot is not None and self.tracker.is_shared(slot)
        known = self.identity.names_count(rep.mmsi) if shared else 0
        jumped = self.tracker.last_jump_ms(slot) if slot is not None else None
        events = self.identity.process(rep, None, None, shared=shared, jumped_ms=jumped)
        if shared and slot is not None and self.identity.names_count(rep.mmsi) > known:
            ev = self.tracker.shared_event(slot, rep.mmsi)
            if ev is not None:
                events.append(self._with_names(ev))
        return events

    def _with_names(self, ev: Event) -> Event:
        """Add to a shared-MMSI episode the names the MMSI's static reports carried during it."""
        if ev.details.get("cause") != "shared_mmsi":
            return ev
        details = dict(ev.details)
        details["names"] = self.identity.names_seen(ev.mmsi, ev.start_ms)
        if details["names"]:
            details["summary"] += ": " + ", ".join(n["name"] for n in details["names"])
        return replace(ev, details=details)

    def _positions(self, batch: Batch, pre: dict[str, Any], a: int, b: int) -> list[Event]:
        pos = batch.positions
        fleet = self.fleet
        rows = a + np.flatnonzero(pre["valid"][a:b])
        if not len(rows):
            return []
        rows = rows[np.lexsort((pos.time_ms[rows], pos.mmsi[rows]))]
        mm = pos.mmsi[rows]
        t = pos.time_ms[rows]
        first = _group_firsts(mm)
        # ``mm`` is sorted: its distinct values and each row's index in them, without a sort.
        slot = fleet.slots(mm[first])[np.cumsum(first) - 1]
        # Strictly increasing time per vessel: later duplicates and stragglers are dropped. A
        # row is compared with the vessel's latest time before the part as well as with the
        # row before it: of several stragglers, the second was compared with the first alone.
        t_before = np.empty_like(t)
        t_before[1:] = t[:-1]
        t_before[first] = -1  # (the first row is a group's first)
        before = np.maximum(t_before, fleet.seen_t[slot])
        drop = t <= before
        # Each vessel's latest time is its group's last row (one slot a group, times sorted):
        # the same as `numpy.maximum.at` over every row, at a fraction of its cost.
        ends = np.append(np.flatnonzero(first[1:]), len(t) - 1)
        fleet.seen_t[slot[ends]] = np.maximum(fleet.seen_t[slot[ends]], t[ends])
        if drop.any():
            same = int(np.count_nonzero(t[drop] == before[drop]))
            self.unused["same_time"] += same
            self.unused["out_of_order"] += int(np.count_nonzero(drop)) - same
            keep = ~drop
            rows, mm, t, slot = rows[keep], mm[keep], t[keep], slot[keep]
            if not len(rows):
                return []
            first = _group_firsts(mm)
        starts = _group_starts(first)
        lon, lat, mtype = pos.lon[rows], pos.lat[rows], pos.msg_type[rows]
        sog, cog = pos.speed[rows].astype(np.float64), pos.course[rows].astype(np.float64)
        repeat = pre["repeat"][rows]
        accepted, moved, events, step = self.tracker.filter(
            fleet, slot, t, lon, lat, mtype, starts, sog, cog, repeat if repeat.any() else None
        )
        events = [self._with_names(ev) for ev in events]
        remeasure = None
        if not accepted.all():
            # a fix whose fix before was set aside steps from another one now
            prev_kept = np.empty(len(accepted), dtype=np.bool_)
            prev_kept[:1] = True
            prev_kept[1:] = accepted[:-1]
            remeasure = ~(prev_kept | first)[accepted]
            step = step[accepted]
            off = ~accepted & (moved >= 0)  # a stale repeat is no sign of the vessel
            events += self.gaps.heard_off_track(
                slot[off], mm[off], t[off], lon[off], lat[off], mtype[off], self._near
            )
            rows, mm, t, slot = rows[accepted], mm[accepted], t[accepted], slot[accepted]
            lon, lat, mtype = lon[accepted], lat[accepted], mtype[accepted]
            moved = moved[accepted]
            if not len(rows):
                return events
            first = _group_firsts(mm)
            starts = _group_starts(first)
        ctx = self._context(pos, pre, rows, slot, mm, t, lon, lat, mtype, first, starts)
        ctx.use_steps(step, remeasure)
        ctx.moved = moved
        events += self.gaps.process(ctx, fleet, self._near)
        events += self.zone_det.process(ctx, fleet, self._near)
        events += self.loiter.process(ctx, fleet, self._near)
        self.coverage.observe(
            slot,
            t,
            lon,
            lat,
            ctx.prev_t,
            ctx.prev_lon,
            ctx.prev_lat,
            ctx.prev_nominal_s,
            ctx.prev_supp,
            pre["station"][rows],
            starts,
            mtype,
            ctx.prev_type,
        )
        self.encounters.process(ctx)
        last = starts[1:] - 1
        ls = slot[last]
        fleet.t[ls] = t[last]
        fleet.lon[ls] = lon[last]
        fleet.lat[ls] = lat[last]
        fleet.sog[ls] = ctx.sog[last]
        fleet.cog[ls] = ctx.cog[last]
        fleet.msg_type[ls] = mtype[last]
        fleet.status[ls] = ctx.status[last]
        fleet.supp[ls] = ctx.supp[last]
        fleet.n_fixes[ls] += np.diff(starts)
        self.had_data = True
        return events

    def _context(
        self,
        pos: Any,
        pre: dict[str, Any],
        rows: Any,
        slot: Any,
        mm: Any,
        t: Any,
        lon: Any,
        lat: Any,
        mtype: Any,
        first: Any,
        starts: Any,
    ) -> SliceContext:
        fleet = self.fleet
        sog = pos.speed[rows].astype(np.float64)
        cog = pos.course[rows].astype(np.float64)
        status = pos.status[rows]
        supp = pre["supp"][rows]

        fs = slot[first]

        def prev(col: Any, stored: Any) -> Any:
            out = np.empty_like(col)
            out[1:] = col[:-1]
            out[first] = stored[fs]
            return out

        offs, zidx, zones = pre["offs"], pre["zidx"], self.zones

        def zones_at(i: int) -> tuple[int, ...]:
            r = int(rows[i])
            return tuple(zidx[offs[r] : offs[r + 1]].tolist())

        def zone_names(i: int) -> list[str]:
            return [zones[j].name for j in zones_at(i)]

        return SliceContext(
            slot=slot,
            mmsi=mm,
            t=t,
            lon=lon,
            lat=lat,
            sog=sog,
            cog=cog,
            msg_type=mtype,
            status=status,
            supp=supp,
            zhash=pre["zhash"][rows],
            zones_at=zones_at,
            zone_names=zone_names,
            prev_t=prev(t, fleet.t),
            prev_lon=prev(lon, fleet.lon),
            prev_lat=prev(lat, fleet.lat),
            prev_sog=prev(sog, fleet.sog),
            prev_cog=prev(cog, fleet.cog),
            prev_type=prev(mtype, fleet.msg_type),
            prev_status=prev(status, fleet.status),
            prev_supp=prev(supp, fleet.supp),
            starts=starts,
            gap=np.zeros(len(t), dtype=np.bool_),
        )

    # -- queries -------------------------------------------------------------------------------

    def remember(self, events: Iterable[Event]) -> None:
        """Take events another engine emitted into the book (risk, a vessel's events).

        What an engine that runs no detectors needs to answer for vessels: an API node of the
        bus (`app.bus.api_feed`) keeps its book from the events the engine workers publish.
        """
        self._remember(list(events))

    def on_step(self, listener: StepListener) -> None:
        """Call ``listener(events, now_ms)`` with each step's events as the step ends.

        A step is a slice's records, or the closing of a slice; ``now_ms`` is the event time it
        reached. Why: what is made of an event (the alert rules weigh the vessel's risk) must be
        made on what was known at its step, not at the end of whatever batch held it, or a
        capture read in bigger batches (a file, a table) decides differently from live.
        """
        self._step_listeners.append(listener)

    def _step(self, events: list[Event], now_ms: int) -> list[Event]:
        self._remember(events)
        if events:
            for listener in self._step_listeners:
                listener(events, now_ms)
        return events

    def _remember(self, events: list[Event]) -> None:
        for ev in events:
            for m in (ev.mmsi, ev.other_mmsi):
                if m is not None:
                    self.book.setdefault(m, {})[ev.key()] = ev

    @property
    def future_dropped(self) -> int:
        """Records dropped for a time stamp too far ahead of the clock (see `geo.clock`)."""
        return self.clock.dropped

    @property
    def clock_jumps(self) -> int:
        """Held runs let through: event time moved further than the feed's pace at once."""
        return self.clock.jumps

    def record_counts(self) -> dict[str, Any]:
        """Return what became of the records given to the engine (the account every report uses).

        ``records`` were given; ``unused`` counts position records that reached no track, by
        reason (``future_time`` from the clock guard, then `UNUSED_REASONS`); ``held`` are
        waiting for the clock guard's judgement now; ``clock_jumps`` counts held runs let
        through; ``contacts`` counts contacts fused, waiting, and fused late by kind
        (`ContactFusion.counts`).
        """
        return {
            "records": self.records,
            "unused": {
                "future_time": self.clock.dropped,
                **self.unused,
                "no_position": self.unused["no_position"] + self.clock.no_position,
                "stale_repeat": self.tracker.stale,
            },
            "held": self.clock.holding,
            "clock_jumps": self.clock.jumps,
            "station_outages": self.station_outages(),
            "silences_in_outages": self.coverage.stations.explained,
            "contacts": self.contacts.counts(),
        }

    def station_outages(self) -> list[dict[str, Any]]:
        """Receiving stations that fell silent while the feed went on (`geo.stations`).

        A data-quality condition: the vessels only that station heard are not reported as
        gone dark while it is down. One entry per outage in the last day, oldest first:
        ``station``, ``since`` (its last report), ``until`` (its next, None while down) and
        ``silent_s``.
        """
        now = self.now_ms()
        out = []
        for o in self.coverage.stations.outages(now):
            end = now if o.until_ms is None else o.until_ms
            out.append(
                {
                    "station": self.coverage.station_name(o.station),
                    "since": format_time(o.since_ms),
                    "until": None if o.until_ms is None else format_time(o.until_ms),
                    "silent_s": round((end - o.since_ms) / 1000.0, 1),
                }
            )
        return out

    def now_ms(self) -> int:
        """Event time the engine has reached (the watermark), 0 before any record."""
        return self.watermark or 0

    def vessel_risk(self, mmsi: int, now_ms: int | None = None) -> Risk:
        """Risk score of a vessel at ``now_ms`` (default: the engine's event time)."""
        now = self.now_ms() if now_ms is None else now_ms
        events = self.book.get(mmsi, {}).values()
        return risk_score(mmsi, events, now, self.config, self._departure_waters())

    def vessel_risk_score(self, mmsi: int, now_ms: int | None = None) -> int:
        """`vessel_risk`'s score alone (`geo.risk.risk_points`: no words, the same number)."""
        now = self.now_ms() if now_ms is None else now_ms
        events = self.book.get(mmsi, {}).values()
        return risk_points(mmsi, events, now, self.config, self._departure_waters())

    def _departure_waters(self) -> Where | None:
        if self._waters_of is not self.zones:
            self._waters = departure_waters(self.zones)
            self._waters_of = self.zones
        return self._waters

    def vessel_events(self, mmsi: int) -> list[Event]:
        """Latest version of every episode the vessel took part in, oldest first."""
        return sorted(self.book.get(mmsi, {}).values(), key=lambda e: (e.start_ms, e.kind.value))

    def vessel_state(self, mmsi: int) -> VesselState | None:
        """Latest fix, identity, zones, open episodes and risk of a vessel; None if never seen."""
        if mmsi not in self.seen and mmsi not in self.slice_new:
            return None
        slot = self.fleet.slot_of.get(mmsi)
        f = self.fleet
        has = slot is not None and f.t[slot] >= 0
        return VesselState(
            mmsi=mmsi,
            last_time_ms=int(f.t[slot]) if has and slot is not None else None,
            lat=_opt(f.lat[slot]) if has and slot is not None else None,
            lon=_opt(f.lon[slot]) if has and slot is not None else None,
            speed_kn=_opt(f.sog[slot]) if has and slot is not None else None,
            course=_opt(f.cog[slot]) if has and slot is not None else None,
            identity=self.identity.describe(mmsi),
            zones=self.zone_det.inside(slot) if slot is not None else [],
            dark=slot in self.gaps.dark if slot is not None else False,
            loitering_since_ms=self.loiter.open_since(slot) if slot is not None else None,
            risk=self.vessel_risk(mmsi),
        )

    # -- snapshot ------------------------------------------------------------------------------

    def snapshot(self) -> bytes:
        """Serialise the whole state (versioned JSON); `restore` resumes exactly here."""
        state = {
            "format": "mare-engine",
            "version": SNAPSHOT_VERSION,
            "config": self.config.to_dict(),
            "slice": self.slice,
            "watermark": self.watermark,
            "had_data": self.had_data,
            "records": self.records,
            "clock": self.clock.to_state(),
            "unused": dict(self.unused),
            "seen": sorted(self.seen),
            "deferred": [event_to_state(e) for e in self.deferred],
            "slice_new": [[m, *first] for m, first in self.slice_new.items()],
            "fleet": self.fleet.to_state(),
            "tracker": self.tracker.to_state(),
            "gaps": self.gaps.to_state(),
            "coverage": self.coverage.to_state(),
            "zones": self.zone_det.to_state(),
            "loiter": self.loiter.to_state(),
            "encounters": self.encounters.to_state(),
            "identity": self.identity.to_state(),
            "watch": self.watch.to_state(),
            "contacts": self.contacts.to_state(),
            "book": [event_to_state(e) for evs in self.book.values() for e in evs.values()],
        }
        return json.dumps(state, separators=(",", ":"), allow_nan=False).encode()

    @classmethod
    def restore(
        cls,
        blob: bytes,
        zones: Iterable[Zone],
        *,
        watchlist: Watchlist | None = None,
        config: EngineConfig | None = None,
        places: Sequence[Place] = (),
    ) -> Engine:
        """Rebuild an engine from `snapshot` output (config from the snapshot unless given)."""
        try:
            state = json.loads(blob)
        except ValueError as exc:
            raise SnapshotError(f"engine snapshot is not valid JSON: {exc}") from exc
        if not isinstance(state, dict) or state.get("format") != "mare-engine":
            raise SnapshotError("not a Mare engine snapshot")
        if state.get("version") != SNAPSHOT_VERSION:
            raise SnapshotError(
                f"engine snapshot version {state.get('version')} is not {SNAPSHOT_VERSION}"
            )
        cfg = config or EngineConfig.from_dict(state["config"])
        eng = cls(zones, watchlist=watchlist, config=cfg, places=places)
        eng.slice = state["slice"]
        eng.watermark = state["watermark"]
        eng.had_data = state["had_data"]
        eng.records = state["records"]
        eng.clock.load_state(state.get("clock", {}))
        eng.unused.update(state.get("unused", {}))
        eng.seen = SeenMmsis(state["seen"])
        eng.deferred = [event_from_state(e) for e in state["deferred"]]
        eng.slice_new = {int(m): (t, lat, lon) for m, t, lat, lon in state.get("slice_new", [])}
        eng.fleet = Fleet.from_state(state["fleet"])
        n = len(eng.fleet)
        eng.tracker.load_state(state["tracker"])
        eng.gaps.load_state(state["gaps"])
        eng.coverage.load_state(state.get("coverage", {}))
        eng.zone_det.load_state(state["zones"], n)
        eng.loiter.load_state(state["loiter"], n)
        eng.encounters.load_state(state["encounters"])
        eng.identity.load_state(state["identity"])
        eng.watch.load_state(state["watch"])
        eng.contacts.load_state(state.get("contacts", {}))
        eng._remember([event_from_state(e) for e in state["book"]])
        return eng
