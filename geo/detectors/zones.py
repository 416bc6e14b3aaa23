"""``zone_entry``, ``zone_exit`` and ``zone_dwell``, with hysteresis on boundaries.

A transition is committed only after ``zone_confirm_fixes`` consecutive fixes on the new side
spanning ``zone_confirm_s``; it is dated at the first of them. A vessel jittering across a
boundary therefore gives one entry (and no exit until it is really out). A vessel first seen
inside a zone is not an entry (its transponder came on there): its membership is taken as is,
and leaving is reported. Likewise a fix where the vessel's position jumped (`geo.tracker`) takes
its zones silently: no boundary was crossed (see `ZoneDetector._rebase` for the jump back).
Dwell is timed from the entry and reported once per visit, as an open event that the exit closes,
by the first fix inside at or after the deadline (a vessel silent in the zone has not shown that it
stayed); a per-slot deadline array lets numpy skip every other fix.

Membership per fix comes from one vectorised `ZoneIndex.query` per batch; a per-point hash of
the zones containing it lets a slice skip, in numpy, every vessel whose zones did not change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from geo.config import EngineConfig
from geo.detectors.base import U64, SliceContext, format_duration
from geo.events import Event, EventKind, format_time
from geo.zones import Zone, ZoneAlert

if TYPE_CHECKING:  # the decoding child of `mare detect` imports this module, not the tracker
    from geo.tracker import Fleet


def zone_key(zone_id: str) -> int:
    """Stable 64-bit key of a zone id; a vessel's zone set hashes to the sum of its keys."""
    return int.from_bytes(hashlib.blake2b(zone_id.encode(), digest_size=8).digest(), "little")


def zone_keys(zones: Sequence[Zone]) -> U64:
    """Keys of the zones, in index order."""
    return np.array([zone_key(z.id) for z in zones], dtype=np.uint64)


_NEVER = np.iinfo(np.int64).max


def _dwell(
    mmsi: int, entered: int, end: int | None, opened: dict[str, Any], zone: Zone, d: dict[str, Any]
) -> Event:
    """Return a version of a dwell episode, placed where its alert was raised."""
    return Event(
        EventKind.ZONE_DWELL,
        mmsi,
        entered,
        end,
        opened["lat"],
        opened["lon"],
        zone.severity,
        zone=zone.id,
        details=d,
    )


@dataclass(slots=True)
class Pending:
    """A transition seen but not yet confirmed."""

    since: int
    lon: float
    lat: float
    count: int = 1


@dataclass(slots=True)
class Membership:
    """Committed zones of one vessel (zone id -> entry time) and pending transitions."""

    inside: dict[str, int] = field(default_factory=dict)
    pending: dict[str, Pending] = field(default_factory=dict)


def _from_first(groups: list[tuple[int, int]], need: Any) -> list[tuple[int, int]]:
    """Each group's rows from its first that needs stepping.

    The rows before it are in the zones the vessel is committed to (the hash says so) with
    nothing pending and no dwell due: stepping them changes nothing. On `mare detect`'s
    captures two thirds of the rows stepped were such, each a Python call.
    """
    if not groups:
        return groups
    rows = np.flatnonzero(need)
    starts = np.array([a for a, _ in groups], dtype=np.int64)
    first = rows[np.searchsorted(rows, starts)].tolist()
    return [(f, b) for f, (_, b) in zip(first, groups, strict=True)]


class ZoneDetector:
    """Per-vessel zone membership with hysteresis and dwell timers."""

    def __init__(self, cfg: EngineConfig, zones: Sequence[Zone]) -> None:
        self.cfg = cfg
        self.members: dict[int, Membership] = {}  # by slot
        self.hash = np.zeros(256, dtype=np.uint64)  # committed-set hash by slot
        self.flag = np.zeros(256, dtype=np.bool_)  # slot has pending transitions or no state yet
        self.flag[:] = True
        self.timers: dict[int, list[tuple[int, str, int]]] = {}  # slot -> (deadline, zone, entry)
        self.due = np.full(256, _NEVER, dtype=np.int64)  # earliest dwell deadline by slot
        self.parked: dict[int, dict[str, int]] = {}  # slot -> zones before its position jumped
        self.dwell_open: dict[tuple[int, str], dict[str, Any]] = {}
        self.set_zones(zones)

    def set_zones(self, zones: Sequence[Zone]) -> None:
        """Adopt a new zone set: vessels leave removed zones silently, hashes are recomputed."""
        self.zones = list(zones)
        self.by_id = {z.id: z for z in self.zones}
        for slot, m in self.members.items():
            for zid in [z for z in m.inside if z not in self.by_id]:
                del m.inside[zid]
                self.dwell_open.pop((slot, zid), None)
            for zid in [z for z in m.pending if z not in self.by_id]:
                del m.pending[zid]
            self._rehash(slot, m)

    def _ensure(self, n: int) -> None:
        if n > len(self.hash):
            cap = max(n, 2 * len(self.hash))
            self.hash = np.concatenate([self.hash, np.zeros(cap - len(self.hash), dtype=np.uint64)])
            self.flag = np.concatenate([self.flag, np.ones(cap - len(self.flag), dtype=np.bool_)])
            self.due = np.concatenate([self.due, np.full(cap - len(self.due), _NEVER, np.int64)])

    def _rehash(self, slot: int, m: Membership) -> None:
        h = sum(zone_key(z) for z in m.inside) % (1 << 64)
        self.hash[slot] = np.uint64(h)
        self.flag[slot] = bool(m.pending)

    def process(
        self, ctx: SliceContext, fleet: Fleet, describe: Callable[[float, float], Any]
    ) -> list[Event]:
        """Return the transitions of a slice part."""
        self._ensure(len(fleet))
        need = (ctx.zhash != self.hash[ctx.slot]) | self.flag[ctx.slot]
        moved = ctx.moved if len(ctx.moved) == len(ctx) else np.zeros(len(ctx), dtype=np.int8)
        need |= (moved > 0) | (ctx.t >= self.due[ctx.slot])
        events: list[Event] = []
        for a, b in _from_first(ctx.groups_with(need), need):
            slot = int(ctx.slot[a])
            m = self.members.get(slot)
            for i in range(a, b):
                here = {self.zones[j].id for j in ctx.zones_at(i)}
                if m is None:
                    m = Membership({zid: int(ctx.t[i]) for zid in sorted(here)})
                    self.members[slot] = m
                    for zid in sorted(here):
                        self._arm_dwell(slot, zid, int(ctx.t[i]))
                elif moved[i]:
                    self._rebase(slot, m, here, ctx, i, describe, events)
                elif m.pending or here != m.inside.keys():  # else nothing to step
                    self._step(slot, m, here, ctx, i, describe, events)
                if ctx.t[i] >= self.due[slot]:
                    self._prove(slot, m, here, ctx, i, describe, events)
            assert m is not None
            self._rehash(slot, m)
        return events

    def _rebase(
        self,
        slot: int,
        m: Membership,
        here: set[str],
        ctx: SliceContext,
        i: int,
        describe: Callable[[float, float], Any],
        events: list[Event],
    ) -> None:
        """Take the zones of a fix the vessel's position jumped to without sailing there.

        No boundary was crossed on the way (the `position_jump` event says what happened), so
        the zones are taken silently, and those of the track it left are kept aside. When the
        position jumps back (``moved == 2``: the tracker found it plausible from the fix before
        the jump), the zones are compared with those kept aside instead: a boundary the vessel
        really crossed while its position was spoofed is an entry or exit, dated at the return.
        Open dwell alerts are closed at a jump; a zone still inside after the return resumes its
        visit from the original entry (the same dwell episode).
        """
        t = int(ctx.t[i])
        m.pending.clear()
        before = self.parked.pop(slot, None) if ctx.moved[i] == 2 else None
        if before is None and ctx.moved[i] == 1:
            self.parked[slot] = dict(m.inside)
        for zid in sorted(m.inside):
            entered = m.inside.pop(zid)
            self._close_dwell(slot, zid, entered, t, int(ctx.mmsi[i]), events, " (position jump)")
        if before is None:
            for zid in sorted(here):
                m.inside[zid] = t
                self._arm_dwell(slot, zid, t)
            return
        lon, lat = float(ctx.lon[i]), float(ctx.lat[i])
        for zid in sorted(here | (before.keys() & self.by_id.keys())):
            if zid in here and zid in before:
                m.inside[zid] = before[zid]
                self._arm_dwell(slot, zid, before[zid])
            elif zid in here:
                self._commit(slot, m, zid, True, t, lon, lat, ctx, i, describe, events)
            else:
                m.inside[zid] = before[zid]
                self._commit(slot, m, zid, False, t, lon, lat, ctx, i, describe, events)

    def _close_dwell(
        self, slot: int, zid: str, entered: int, t: int, mmsi: int, events: list[Event], why: str
    ) -> None:
        opened = self.dwell_open.pop((slot, zid), None)
        if opened is None:
            return
        zone = self.by_id[zid]
        inside_s = (t - entered) / 1000.0
        d = dict(opened["details"])
        d["duration_s"] = round(inside_s, 1)
        d["summary"] = f"stayed {format_duration(inside_s)} in {zone.name}{why}"
        events.append(_dwell(mmsi, entered, t, opened, zone, d))

    def _step(
        self,
        slot: int,
        m: Membership,
        here: set[str],
        ctx: SliceContext,
        i: int,
        describe: Callable[[float, float], Any],
        events: list[Event],
    ) -> None:
        cfg = self.cfg
        t = int(ctx.t[i])
        for zid in sorted(here | m.inside.keys() | m.pending.keys()):
            now_in = zid in here
            if now_in == (zid in m.inside):
                m.pending.pop(zid, None)
                continue
            p = m.pending.get(zid)
            if p is None:
                m.pending[zid] = p = Pending(t, float(ctx.lon[i]), float(ctx.lat[i]), 0)
            p.count += 1
            if p.count < cfg.zone_confirm_fixes or t - p.since < cfg.zone_confirm_s * 1000:
                continue
            del m.pending[zid]
            self._commit(slot, m, zid, now_in, p.since, p.lon, p.lat, ctx, i, describe, events)

    def _commit(
        self,
        slot: int,
        m: Membership,
        zid: str,
        now_in: bool,
        since: int,
        lon: float,
        lat: float,
        ctx: SliceContext,
        i: int,
        describe: Callable[[float, float], Any],
        events: list[Event],
    ) -> None:
        """Record a confirmed entry or exit dated ``since`` at (lon, lat), with its events."""
        zone = self.by_id[zid]
        mmsi = int(ctx.mmsi[i])
        base = {
            "zone_name": zone.name,
            "zone_kind": str(zone.kind),
            "country": zone.country,
            "speed_kn": None if ctx.sog[i] != ctx.sog[i] else round(float(ctx.sog[i]), 1),
            "course": None if ctx.cog[i] != ctx.cog[i] else round(float(ctx.cog[i]), 1),
            "near": describe(lon, lat),
        }
        if now_in:
            m.inside[zid] = since
            self._arm_dwell(slot, zid, since)
            if ZoneAlert.ENTRY in zone.alerts:
                base["summary"] = f"entered {zone.name}"
                events.append(
                    Event(
                        EventKind.ZONE_ENTRY,
                        mmsi,
                        since,
                        since,
                        lat,
                        lon,
                        zone.severity,
                        zone=zid,
                        details=base,
                    )
                )
            return
        entered = m.inside.pop(zid)
        inside_s = (since - entered) / 1000.0
        self._close_dwell(slot, zid, entered, since, mmsi, events, "")
        if ZoneAlert.EXIT in zone.alerts:
            base["inside_s"] = round(inside_s, 1)
            base["summary"] = f"left {zone.name} after {format_duration(inside_s)}"
            events.append(
                Event(
                    EventKind.ZONE_EXIT,
                    mmsi,
                    since,
                    since,
                    lat,
                    lon,
                    zone.severity,
                    zone=zid,
                    details=base,
                )
            )

    def _arm_dwell(self, slot: int, zid: str, entered: int) -> None:
        zone = self.by_id[zid]
        if ZoneAlert.DWELL in zone.alerts and zone.dwell_minutes:
            deadline = entered + int(zone.dwell_minutes * 60_000)
            timers = self.timers.setdefault(slot, [])
            if (deadline, zid, entered) not in timers:
                timers.append((deadline, zid, entered))
            self.due[slot] = min(int(self.due[slot]), deadline)

    def _prove(
        self,
        slot: int,
        m: Membership,
        here: set[str],
        ctx: SliceContext,
        i: int,
        describe: Callable[[float, float], Any],
        events: list[Event],
    ) -> None:
        """Raise the dwell alerts that fix ``i`` proves: inside, at or after the deadline.

        Only a fix shows that a vessel stayed: one that fell silent in the zone (moored in a
        harbour with its transponder off, or gone dark) and was next seen outside has not, so
        a timer waits for a fix inside rather than firing on the clock alone.
        """
        t = int(ctx.t[i])
        keep: list[tuple[int, str, int]] = []
        for deadline, zid, entered in self.timers.get(slot, []):
            zone = self.by_id.get(zid)
            if zone is None or m.inside.get(zid) != entered:
                continue  # left (or the zone was removed): this visit is over
            if deadline > t or zid not in here:
                keep.append((deadline, zid, entered))
                continue
            lon, lat = float(ctx.lon[i]), float(ctx.lat[i])
            details = {
                "zone_name": zone.name,
                "zone_kind": str(zone.kind),
                "country": zone.country,
                "dwell_minutes": zone.dwell_minutes,
                "near": describe(lon, lat),
                "summary": (
                    f"in {zone.name} for more than {format_duration((deadline - entered) / 1000)}"
                ),
            }
            self.dwell_open[(slot, zid)] = {"details": details, "lat": lat, "lon": lon}
            events.append(
                Event(
                    EventKind.ZONE_DWELL,
                    int(ctx.mmsi[i]),
                    entered,
                    None,
                    lat,
                    lon,
                    zone.severity,
                    zone=zid,
                    details=details,
                )
            )
        self._set_timers(slot, keep)

    def _set_timers(self, slot: int, timers: list[tuple[int, str, int]]) -> None:
        if timers:
            self.timers[slot] = timers
            self.due[slot] = min(d for d, _, _ in timers)
        else:
            self.timers.pop(slot, None)
            self.due[slot] = _NEVER

    def tick(
        self, boundary_ms: int, fleet: Fleet, describe: Callable[[float, float], Any]
    ) -> list[Event]:
        """Fire nothing: a dwell is proven by a fix (see `_prove`), not by the clock alone."""
        return []

    def ongoing(self, fleet: Fleet) -> list[Event]:
        """Return the final version of every dwell still open (end of a capture).

        Same key as the open alert (``end`` null); ``details.ongoing_until`` is the vessel's
        last fix inside the zone (the first fix outside, if an exit is pending, dates the exit
        and is not inside) and ``duration_s`` the stay from the entry up to it.
        """
        events: list[Event] = []
        for slot, zid in sorted(self.dwell_open):
            zone = self.by_id.get(zid)
            m = self.members.get(slot)
            if zone is None or m is None or zid not in m.inside or slot >= len(fleet):
                continue
            entered = m.inside[zid]
            pending = m.pending.get(zid)
            last = int(fleet.t[slot]) if pending is None else pending.since
            opened = self.dwell_open[(slot, zid)]
            inside_s = max(0.0, (last - entered) / 1000.0)
            d = dict(opened["details"])
            d.update(
                {
                    "duration_s": round(inside_s, 1),
                    "duration": format_duration(inside_s),
                    "ongoing_until": format_time(max(last, entered)),
                    "summary": f"in {zone.name} for {format_duration(inside_s)} (ongoing)",
                }
            )
            events.append(_dwell(int(fleet.mmsi[slot]), entered, None, opened, zone, d))
        return events

    def inside(self, slot: int) -> list[str]:
        """Zone ids a vessel is committed inside."""
        m = self.members.get(slot)
        return sorted(m.inside) if m else []

    def to_state(self) -> dict[str, Any]:
        return {
            "members": {
                str(s): {
                    "inside": m.inside,
                    "pending": {k: asdict(p) for k, p in m.pending.items()},
                }
                for s, m in self.members.items()
            },
            "timers": [[s, *x] for s, xs in self.timers.items() for x in xs],
            "parked": {str(k): v for k, v in self.parked.items()},
            "dwell_open": [[s, z, v] for (s, z), v in self.dwell_open.items()],
        }

    def load_state(self, obj: dict[str, Any], n_slots: int) -> None:
        self._ensure(n_slots)
        self.members = {
            int(s): Membership(
                {k: int(v) for k, v in m["inside"].items()},
                {k: Pending(**p) for k, p in m["pending"].items()},
            )
            for s, m in obj["members"].items()
        }
        self.timers = {}
        self.due[:] = _NEVER
        for slot, deadline, zid, entered in obj["timers"]:
            self.timers.setdefault(int(slot), []).append((int(deadline), str(zid), int(entered)))
        for slot, timers in self.timers.items():
            self.due[slot] = min(d for d, _, _ in timers)
        self.parked = {
            int(k): {str(z): int(t) for z, t in v.items()} for k, v in obj.get("parked", {}).items()
        }
        self.dwell_open = {(int(s), str(z)): v for s, z, v in obj["dwell_open"]}
        self.set_zones(self.zones)
        for s in range(n_slots):
            if s not in self.members:
                self.flag[s] = True
