"""Contact fusion: which AIS vessel explains a contact, which boats have none, who met them.

Contacts wait until event time is ``contact_settle_s`` past them (and, on a sparse feed, until
each vessel that may have been at one is heard after it: `ContactFusion.awaiting`), then are
fused in a total order (time, position, kind, source), never in arrival order, so a capture
with its contacts gives the same answers however it is cut into batches, and live equals
``mare detect`` for contacts that arrive within the settle time. For each contact:

1. Every AIS vessel heard near it is placed at the contact's time (`AisHistory.positions_at`).
   The nearest whose distance is within the contact's radius plus ``contact_match_margin_m``
   (plus a dead-reckoning allowance), and whose length does not contradict the contact's,
   explains it: the contact is attached to that vessel, and that is all. The contacts of one
   look by one source (`same_look`: a SAR scene) are matched together, one to one.
2. Otherwise the contact is dark. It joins the dark target it fits best (seen within
   ``dark_track_gap_s``, reachable at the boat's speed bound, on its predicted course or where
   it stopped: `track_score`; people counts and lengths agreeing; never two contacts of one
   look), else starts one. Each target is
   one ``dark_target`` event, updated with each contact and closed when unseen for
   ``dark_track_close_s``. A target's number (its event's ``mmsi``) is derived from its first
   contact: ten digits from 1,000,000,000 up, never a real MMSI (nine digits), and the same in
   every run that sees the same first contact.
3. AIS vessels placed near a dark contact are its mothership candidates: near (within
   ``association_near_m`` plus the contact's radius) and both slow, or escorting (within
   ``association_escort_m`` at matched course and speed at two contacts). That is a
   ``contact_association`` event naming the vessel (``mmsi``) and the target (``other_mmsi``),
   with the evidence in ``details``; for a target seen only by one satellite detection (which
   may be clutter) once a second contact confirms it.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from geo.ais_history import AisHistory, Placed
from geo.config import KNOT_MS, EngineConfig
from geo.contacts import Contact, boat_class, speed_bound_kn
from geo.detectors.base import describe_place, distance_m, haversine_m, nm
from geo.detectors.dark_tracks import (
    RECENT_S,
    SAME_LOOK_S,
    SAME_LOOK_SCAN,
    TARGET_BASE,
    TARGET_SPAN,
    DarkTrack,
    angle_diff,
    lengths_agree,
    people_agree,
    same_look,
    target_label,
    target_number,
    track_score,
)
from geo.events import Event, EventKind, Severity, format_time

_KEEP_CONTACTS = 20  # contacts listed in a dark_target's details (the latest)

Near = Callable[[float, float], dict[str, object] | None]
ZoneOf = Callable[[float, float], str | None]
#: People on board beyond which a contact is a migrant boat or a passenger vessel, not a crew.
CROWDED = 20
#: The part of a contact's radius that counts towards "near": a vague position cannot show it.
NEAR_RADIUS_CAP_M = 500.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What fusion made of one contact: attached to ``mmsi``, or part of dark ``target``.

    ``late``: fused more than ``contact_history_s`` behind the engine clock (`is_late`).
    """

    contact: Contact
    mmsi: int | None
    target: int | None
    distance_m: float | None
    late: bool = False


class ContactFusion:
    """Pending contacts, AIS history, dark targets and their associations; see module doc."""

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        # a contact up to contact_history_s behind the clock has every fix it may use
        self.history = AisHistory(cfg.contact_history_s + cfg.contact_interp_max_s)
        self.pending: list[tuple[tuple[Any, ...], Contact]] = []
        self.tracks: dict[int, DarkTrack] = {}
        self.lengths: dict[int, float] = {}
        self.types: dict[int, int] = {}
        self.outcomes: list[Outcome] = []
        #: Contacts fused more than ``contact_history_s`` behind the engine clock, by kind.
        self.late: dict[str, int] = {}
        self.fused = 0
        #: The clock of the tick fusing now (None: the end of a capture, `fuse_until`).
        self._now_ms: int | None = None
        #: Whether a point lies in a port or anchorage zone (set by the engine; none by default).
        self.in_harbour: Callable[[float, float], bool] = lambda lon, lat: False

    # -- input ---------------------------------------------------------------------------------

    def add(self, contacts: Iterable[Contact]) -> None:
        """Queue contacts for fusion (in their total order, whatever the arrival order)."""
        known = {c.id for _, c in self.pending if c.id is not None}
        for c in contacts:
            if c.id is not None and c.id in known:
                continue  # the same stored contact again (a restart refilling the queue)
            key = (*c.order_key(), c.id if c.id is not None else -1)
            bisect.insort(self.pending, (key, c), key=lambda kc: kc[0])

    def note_static(self, mmsi: int, length_m: int | None, ship_type: int | None) -> None:
        """Remember a vessel's reported length and type (from its static reports)."""
        if length_m is not None and length_m > 0:
            self.lengths[mmsi] = float(length_m)
        if ship_type is not None and ship_type > 0:
            self.types[mmsi] = int(ship_type)

    def length_of(self, mmsi: int) -> float | None:
        """Return a vessel's reported length (None when it reported none)."""
        return self.lengths.get(mmsi)

    def type_of(self, mmsi: int) -> int | None:
        """Return a vessel's reported ship type (None when it reported none)."""
        return self.types.get(mmsi)

    def take_outcomes(self) -> list[Outcome]:
        """Return and forget the outcomes since the last call (for the store)."""
        out, self.outcomes = self.outcomes, []
        return out

    # -- the slice clock -----------------------------------------------------------------------

    def tick(self, end_ms: int, fleet: Any, near: Near, zone_of: ZoneOf) -> list[Event]:
        """At a slice end: record AIS history, fuse settled contacts, close quiet targets."""
        self.history.record(end_ms, fleet)
        return self.fuse_until(
            end_ms - int(self.cfg.contact_settle_s * 1000), near, zone_of, now_ms=end_ms
        )

    def fuse_until(
        self, until_ms: int, near: Near, zone_of: ZoneOf, *, now_ms: int, wait: bool = True
    ) -> list[Event]:
        """Fuse every pending contact at or before ``until_ms``; close targets quiet since.

        ``now_ms`` is the clock (the fixes in by then place vessels). With ``wait`` a contact
        also waits for the next fix of each vessel that may have been at it (`awaiting`), up
        to ``contact_interp_max_s``; at the end of a capture every fix there will be is in.
        """
        events: list[Event] = []
        self._now_ms = now_ms
        while self.pending and self.pending[0][1].time_ms <= until_ms:
            first = self.pending[0][1]
            rows = [0]  # the rest of its look that has settled too (pending is in time order)
            for n in range(1, len(self.pending)):
                c = self.pending[n][1]
                if c.time_ms > min(until_ms, first.time_ms + int(SAME_LOOK_S * 1000)):
                    break
                if same_look(first, c):
                    rows.append(n)
            if wait and any(self.awaiting(self.pending[n][1], now_ms) for n in rows):
                break  # a vessel near it is still to be heard after it: in time order, wait
            look = [self.pending[n][1] for n in rows]
            for n in reversed(rows):
                del self.pending[n]
            events += self._fuse_look(look, near, zone_of)
        close_ms = int(self.cfg.dark_track_close_s * 1000)
        for tr in sorted(self.tracks.values(), key=lambda t: t.number):
            if not tr.closed and tr.last.time_ms + close_ms <= until_ms:
                tr.closed = True
                events.append(self._dark_event(tr, near))
            elif tr.closed and tr.last.time_ms + 2 * close_ms <= until_ms:
                del self.tracks[tr.number]  # long over: no contact can join it any more
        return events

    def flush(self, near: Near, zone_of: ZoneOf) -> list[Event]:
        """Fuse every contact still pending (the end of a capture: nothing more will come)."""
        if not self.pending:
            return []
        last = self.pending[-1][1].time_ms
        now = last if self.history.last_ms is None else max(last, self.history.last_ms)
        return self.fuse_until(last, near, zone_of, now_ms=now, wait=False)

    # -- fusion of one contact -----------------------------------------------------------------

    def _fuse_look(self, look: list[Contact], near: Near, zone_of: ZoneOf) -> list[Event]:
        """Fuse the contacts of one look by one source (a SAR scene: `same_look`) together.

        In one look each vessel is seen once, so it explains one contact at most: the closest
        pairs (by distance over the gate) are taken first, as Skylight and Global Fishing Watch
        match a scene's detections to AIS one to one. The same holds for the dark targets its
        other contacts join (`_assign`).
        """
        placed = [self._place(c) for c in look]
        pairs = sorted(
            (ratio, mmsi, k, i)
            for k, (c, (p, d)) in enumerate(zip(look, placed, strict=True))
            for ratio, mmsi, i in self._candidates(c, p, d)
        )
        match: dict[int, int] = {}
        taken: set[int] = set()
        for _, mmsi, k, i in pairs:
            if k not in match and mmsi not in taken:
                match[k] = i
                taken.add(mmsi)
        dark = [k for k in range(len(look)) if k not in match]
        joins = dict(zip(dark, self._assign([look[k] for k in dark]), strict=True))
        events: list[Event] = []
        for k, c in enumerate(look):
            events += self._fuse(c, *placed[k], match.get(k), joins.get(k), near, zone_of)
        return events

    def _place(self, c: Contact) -> tuple[Placed, Any]:
        """Return the AIS vessels placed at a contact's time near it, and their distances."""
        placed = self.placed_at(c)
        d = (
            haversine_m(placed.lon, placed.lat, np.full(len(placed.lon), c.lon),
                        np.full(len(placed.lat), c.lat))
            if len(placed.mmsi) else np.zeros(0)
        )  # fmt: skip
        return placed, d

    def placed_at(self, c: Contact) -> Placed:
        """Return the AIS vessels heard near a contact, placed at its time (MMSI order).

        A vessel's placement reads its own fixes only, so the placements of vessels held by
        several engines (the partitions of the bus) are the union of each engine's.
        """
        cfg = self.cfg
        return self.history.positions_at(
            c.time_ms,
            c.lon,
            c.lat,
            self._reach_m(c),
            cfg.contact_interp_max_s,
            cfg.contact_drift_ms,
            self._fixes_until(c),
        )

    def _reach_m(self, c: Contact) -> float:
        """Return how far from a contact a vessel may explain it or keep it company, metres."""
        return max(self.cfg.association_escort_m, self.cfg.contact_match_margin_m) + c.radius

    def _fixes_until(self, c: Contact) -> int:
        """Return the time up to which fixes place vessels at a contact (its fusion's clock).

        A contact is fused once every vessel that may have been at it has its fix after it
        (or ``contact_interp_max_s`` has passed: `awaiting`), so the fixes in by then place
        those vessels the same whenever it is fused; at the end of a capture, every fix.
        """
        return max(self._now_ms or 0, c.time_ms + int(self.cfg.contact_settle_s * 1000))

    def awaiting(self, c: Contact, now_ms: int) -> bool:
        """Return whether a vessel that may have been at a contact is still to be heard after it.

        A sparse feed (an extract of one report an hour, satellite passes) hears a vessel
        beside a detection tens of minutes before and after it: placed from one side only it
        is reckoned over a run too long to place it (`geo.ais_history.RECKON_RUN_M`), and its
        own detection becomes a boat without AIS. So a contact waits for that vessel's next
        fix, at most ``contact_interp_max_s`` after it (an hour: two fixes up to two hours
        apart are interpolated, with the prism of `geo.ais_history.prism_allowance_m`).
        """
        return self.history.awaiting(
            c.time_ms, c.lon, c.lat, self._reach_m(c), self.cfg.contact_interp_max_s, now_ms
        )

    def _fuse(
        self,
        c: Contact,
        placed: Placed,
        d: Any,
        match: int | None,
        join: int | None,
        near: Near,
        zone_of: ZoneOf,
    ) -> list[Event]:
        self.fused += 1
        late = self.is_late(c)
        if late:
            self.late[c.kind.value] = self.late.get(c.kind.value, 0) + 1
        if match is not None:
            self.outcomes.append(Outcome(c, int(placed.mmsi[match]), None, float(d[match]), late))
            return []
        track, is_new = self._track_for(c, zone_of, join)
        if is_new and len(d):
            j = int(np.argmin(d))
            track.nearest_ais = {"mmsi": int(placed.mmsi[j]), "distance_nm": nm(float(d[j]))}
        self.outcomes.append(Outcome(c, None, track.number, None, late))
        held = [] if is_new else self._confirmed_now(track, c, near)
        assoc = self._associate(track, c, placed, d, near)
        return [self._dark_event(track, near), *held, *assoc]

    def is_late(self, c: Contact) -> bool:
        """Return whether a contact is more than ``contact_history_s`` behind the engine clock.

        The AIS history before it is then partly gone: it is fused against what is left (a
        hotline call or a SAR scene delivered hours late still shows its boat) and counted.
        """
        now = self.history.last_ms
        return now is not None and c.time_ms < now - int(self.cfg.contact_history_s * 1000)

    def counts(self) -> dict[str, Any]:
        """Return the contacts fused, waiting, and fused late (by kind) since the start."""
        return {
            "fused": self.fused,
            "pending": len(self.pending),
            "late": dict(sorted(self.late.items())),
        }

    def _could_be(self, c: Contact, mmsi: int) -> bool:
        """Return whether the AIS vessel may be what the contact saw (length, people on board).

        A boat seen with more than `CROWDED` people on board is not a fishing vessel or a
        cargo ship: only a vessel known to be a passenger vessel (types 60-69) may explain it.
        One of unknown type does not (sparse and satellite feeds carry few static reports): a
        crowded boat attached to it would hide the very boat the room looks for, where a
        passenger vessel taken for a dark target costs a look.
        """
        if not lengths_agree(c.length_m, self.length_of(mmsi)):
            return False
        if c.people is not None and c.people > CROWDED:
            kind = self.type_of(mmsi)
            return kind is not None and 60 <= kind <= 69
        return True

    def _candidates(self, c: Contact, placed: Placed, d: Any) -> list[tuple[float, int, int]]:
        """Return the vessels that may explain a contact: (distance over gate, mmsi, row)."""
        from geo.contacts import ContactKind

        if c.kind is ContactKind.HOTLINE or not len(d):
            return []
        gate = c.radius + self.cfg.contact_match_margin_m + placed.allowance_m
        ratio = d / gate
        out = []
        for i in np.flatnonzero(ratio <= 1.0).tolist():
            mmsi = int(placed.mmsi[i])
            if self._could_be(c, mmsi):
                out.append((float(ratio[i]), mmsi, i))
        return out

    def _by_ref(self, c: Contact) -> DarkTrack | None:
        """Return the open target a radar's own track number ties a contact to (if any)."""
        if c.ref is None:
            return None
        gap_ms = self.cfg.dark_track_gap_s * 1000
        for tr in self.tracks.values():
            if (
                not tr.closed
                and tr.last.ref == c.ref
                and abs(c.time_ms - tr.last.time_ms) <= gap_ms
            ):
                return tr
        return None

    def _fit(self, c: Contact, tr: DarkTrack) -> float | None:
        """Return how well a contact fits an open target (`track_score`), None if it cannot."""
        if tr.closed:
            return None
        dt = abs(c.time_ms - tr.last.time_ms) / 1000.0
        if dt > self.cfg.dark_track_gap_s:
            return None
        if not lengths_agree(c.length_m, tr.length_m) or not people_agree(c.people, tr.people):
            return None
        if any(same_look(c, x) for x in tr.contacts[-SAME_LOOK_SCAN:]):
            return None
        v = max(tr.max_speed_kn(), speed_bound_kn(c.length_m, c.speed_kn)) * KNOT_MS
        radii = tr.last.radius + c.radius
        d_last = distance_m(tr.last.lon, tr.last.lat, c.lon, c.lat)
        if d_last > v * dt + radii:
            return None  # out of reach at the boat's speed bound
        score = track_score(tr, c, d_last, dt, radii, v)
        return None if score > 1.0 else score

    def _assign(self, dark: list[Contact]) -> list[int | None]:
        """Return the target each dark contact of one look joins (None: it starts one).

        One look sees each boat once, so each target takes one of its contacts at most: the
        best fits are taken first over the whole look (global nearest neighbour, as
        multi-target trackers assign a scan's detections), not contact by contact in the
        order of their positions, where a detection that fits a target less well could take
        it from the one that fits it best. A radar's own track number decides first.
        """
        out: list[int | None] = [None] * len(dark)
        taken: set[int] = set()
        free: list[int] = []
        for k, c in enumerate(dark):
            tr = self._by_ref(c)
            if tr is not None and tr.number not in taken:
                out[k] = tr.number
                taken.add(tr.number)
            else:
                free.append(k)
        pairs = sorted(
            (score, tr.number, k)
            for k in free
            for tr in self.tracks.values()
            if tr.number not in taken and (score := self._fit(dark[k], tr)) is not None
        )
        done: set[int] = set()
        for _, number, k in pairs:
            if k not in done and number not in taken:
                out[k] = number
                done.add(k)
                taken.add(number)
        return out

    def _track_for(self, c: Contact, zone_of: ZoneOf, join: int | None) -> tuple[DarkTrack, bool]:
        """Return the target a dark contact joins (``join``: `_assign`), or start one."""
        if join is not None:
            tr = self.tracks[join]
            by_ref = c.ref is not None and tr.last.ref == c.ref  # a radar's updates, as they come
            tr.contacts.append(c)
            if not by_ref:
                tr.contacts.sort(key=lambda x: x.order_key())
            return tr, False
        number = target_number(c)
        while number in self.tracks:  # the same first contact twice: a duplicate report
            number = TARGET_BASE + (number - TARGET_BASE + 1) % TARGET_SPAN
        tr = DarkTrack(number, zone_of(c.lon, c.lat), [c])
        self.tracks[number] = tr
        return tr, True

    # -- associations --------------------------------------------------------------------------

    def _associate(
        self, tr: DarkTrack, c: Contact, placed: Placed, d: Any, near: Near
    ) -> list[Event]:
        cfg = self.cfg
        if not len(d):
            return []
        t_speed, t_course = tr.velocity(RECENT_S)
        events: list[Event] = []
        near_gate = cfg.association_near_m + min(c.radius, NEAR_RADIUS_CAP_M)
        escort_gate = cfg.association_escort_m + min(c.radius, NEAR_RADIUS_CAP_M)
        for i in np.argsort(d, kind="stable").tolist():
            mmsi = int(placed.mmsi[i])
            dist = float(d[i])
            if dist > escort_gate or self.in_harbour(float(placed.lon[i]), float(placed.lat[i])):
                continue
            sog = float(placed.sog[i])
            cog = float(placed.cog[i])
            sog_ok = math.isfinite(sog)
            base = {"contact": c.id, "time": format_time(c.time_ms), "time_ms": c.time_ms,
                    "distance_m": round(dist), "vessel_speed_kn": round(sog, 1) if sog_ok else None,
                    "target_speed_kn": None if t_speed is None else round(t_speed, 1)}  # fmt: skip
            item: dict[str, Any] | None = None
            slow_target = t_speed is None or t_speed <= cfg.association_slow_kn
            if (dist <= near_gate and sog_ok
                    and sog <= cfg.association_slow_kn and slow_target):  # fmt: skip
                item = {"how": "met", **base}
            elif (sog_ok
                  and sog > cfg.association_slow_kn and t_speed is not None
                  and t_course is not None and math.isfinite(cog)
                  and abs(sog - t_speed) <= cfg.association_escort_speed_kn
                  and angle_diff(cog, t_course) <= cfg.association_escort_course_deg):  # fmt: skip
                item = {"how": "escorted", **base, "vessel_course": round(cog),
                        "target_course": round(t_course)}  # fmt: skip
            if item is None:
                continue
            ev_list = tr.evidence.setdefault(mmsi, [])
            if any(e["time_ms"] == c.time_ms and e["contact"] == c.id for e in ev_list):
                continue
            item["_at"] = (round(float(placed.lat[i]), 5), round(float(placed.lon[i]), 5))
            ev_list.append(item)
            ev_list.sort(key=lambda e: (e["time_ms"], e["how"]))
            ev = self._association_event(tr, mmsi, ev_list, near)
            if ev is not None:
                events.append(ev)
        return events

    def _confirmed_now(self, tr: DarkTrack, c: Contact, near: Near) -> list[Event]:
        """Return the associations a lone satellite detection held back, now that ``c`` joined.

        A second contact confirms its boat (`DarkTrack.confirmed`): until then, clutter or an
        unheard ship beside a stopped vessel is not a meeting.
        """
        if len(tr.contacts) != 2:
            return []
        other = tr.contacts[0] if tr.contacts[1] is c else tr.contacts[1]
        if other.kind.value not in ("sar", "optical"):
            return []
        events = []
        for mmsi in sorted(tr.evidence):
            ev = self._association_event(tr, mmsi, tr.evidence[mmsi], near)
            if ev is not None:
                events.append(ev)
        return events

    def associated(self, tr: DarkTrack) -> list[int]:
        """Return the AIS vessels associated with a target, as their `contact_association` says.

        A single escort sighting is evidence kept for later, not yet an association: the
        target's details and the dashboard name only the vessels that pass the rule.
        """
        return [m for m in sorted(tr.evidence) if self._association_basis(tr, tr.evidence[m])]

    def _association_basis(
        self, tr: DarkTrack, evidence: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Return the evidence items an association rests on (none: no association yet).

        A meeting counts at once; escorting counts from two sightings at least
        ``association_escort_min_s`` apart. Only a confirmed boat is associated (a lone
        satellite detection beside a stopped ship may be clutter).
        """
        if not tr.confirmed:
            return []  # kept: `_confirmed_now` says it when another contact confirms the boat
        met = [e for e in evidence if e["how"] == "met"]
        escorts = [e for e in evidence if e["how"] == "escorted"]
        span_s = (escorts[-1]["time_ms"] - escorts[0]["time_ms"]) / 1000.0 if escorts else 0.0
        escorted = len(escorts) >= 2 and span_s >= self.cfg.association_escort_min_s
        return met + (escorts if escorted else [])

    def _association_event(
        self, tr: DarkTrack, mmsi: int, evidence: list[dict[str, Any]], near: Near
    ) -> Event | None:
        basis = self._association_basis(tr, evidence)
        if not basis:
            return None
        met = [e for e in basis if e["how"] == "met"]
        first = met[0] if met else basis[0]
        start = min(e["time_ms"] for e in basis)
        end = max(e["time_ms"] for e in basis)
        lat, lon = evidence[-1]["_at"]
        place = near(tr.first.lon, tr.first.lat)
        label = target_label(tr.number)
        how = "met" if met else "escorted"
        closest = min(e["distance_m"] for e in evidence)
        seen = f"{tr.first.kind.value} {tr.first.source}".strip()
        people = f", {tr.people} people" if tr.people else ""
        where = describe_place(place)
        summary = (
            f"{how} boat without AIS {label} ({seen}{people}): "
            f"{closest} m apart"
            + (", both slow" if met else ", same course and speed")
            + (f", {where}" if where else "")
        )
        details: dict[str, Any] = {
            "target": label,
            "target_number": tr.number,
            "how": how,
            "evidence": [
                {k: v for k, v in e.items() if k not in ("time_ms", "_at")} for e in evidence
            ],  # fmt: skip
            "contacts": sorted({e["contact"] for e in evidence if e["contact"] is not None}),
            "first_evidence": first["time"],
            "closest_m": closest,
            "target_people": tr.people,
            "target_length_m": tr.length_m,
            "near": place,
            "summary": summary,
            "why": (
                "an AIS vessel near and slow beside a boat no AIS explains"
                if met
                else "an AIS vessel keeping course and speed with a boat no AIS explains"
            ),
        }
        return Event(
            EventKind.CONTACT_ASSOCIATION, mmsi, start, end, lat, lon, Severity.HIGH,
            other_mmsi=tr.number, zone=tr.zone, details=details,
        )  # fmt: skip

    # -- the dark_target event -----------------------------------------------------------------

    def _dark_event(self, tr: DarkTrack, near: Near) -> Event:
        last = tr.last
        speed, course = tr.velocity()
        kinds = sorted({c.kind.value for c in tr.contacts})
        sources = sorted({c.source for c in tr.contacts if c.source})
        place = near(last.lon, last.lat)
        label = target_label(tr.number)
        people = tr.people
        by = ", ".join(f"{c.kind.value} {c.source}".strip() for c in tr.contacts[-3:])
        where = describe_place(place)
        summary = (
            f"boat without AIS {label}"
            + (f", {people} people" if people else "")
            + f", seen by {by}"
            + (f", {where}" if where else "")
        )
        details: dict[str, Any] = {
            "target": label,
            "target_number": tr.number,
            "contacts": [c.to_dict() for c in tr.contacts[-_KEEP_CONTACTS:]],
            "n_contacts": len(tr.contacts),
            "kinds": kinds,
            "sources": sources,
            "people": people,
            "length_m": tr.length_m,
            "boat_class": boat_class(tr.length_m).name,
            "max_speed_kn": tr.max_speed_kn(),
            "speed_kn": None if speed is None else round(speed, 1),
            "course": None if course is None else round(course),
            "last_seen": format_time(last.time_ms),
            "radius_m": last.radius,
            "nearest_ais": tr.nearest_ais,
            "associated": self.associated(tr),
            "near": place,
            "summary": summary,
            "why": "no AIS vessel within the contact's uncertainty and margin at its time",
        }
        # One satellite detection alone may be a false one (sea clutter, a rig): unconfirmed.
        severity = Severity.HIGH if people else Severity.MEDIUM if tr.confirmed else Severity.LOW
        details["confirmed"] = tr.confirmed
        return Event(
            EventKind.DARK_TARGET, tr.number, tr.first.time_ms,
            last.time_ms if tr.closed else None, last.lat, last.lon, severity,
            zone=tr.zone, details=details,
        )  # fmt: skip

    # -- queries and snapshot ------------------------------------------------------------------

    def open_tracks(self) -> list[DarkTrack]:
        """Return the dark targets not closed, by number."""
        return [self.tracks[n] for n in sorted(self.tracks) if not self.tracks[n].closed]

    def to_state(self) -> dict[str, Any]:
        # what the pending contacts and those still on time (within the settle time) may use
        last = self.history.last_ms or 0
        oldest = min([last - int(self.cfg.contact_settle_s * 1000)]
                     + [c.time_ms for _, c in self.pending[:1]])  # fmt: skip
        keep = (last - oldest) / 1000.0 + self.cfg.contact_interp_max_s
        return {
            "history": self.history.to_state(keep),
            "pending": [c.to_state() for _, c in self.pending],
            "tracks": [self.tracks[n].to_state() for n in sorted(self.tracks)],
            "lengths": {str(k): v for k, v in self.lengths.items()},
            "types": {str(k): v for k, v in self.types.items()},
            "late": dict(sorted(self.late.items())),
            "fused": self.fused,
        }

    def load_state(self, obj: dict[str, Any]) -> None:
        self.history.load_state(obj.get("history", {}))
        self.pending = []
        self.add(Contact.from_state(c) for c in obj.get("pending", []))
        self.tracks = {}
        for t in obj.get("tracks", []):
            tr = DarkTrack.from_state(t)
            self.tracks[tr.number] = tr
        self.lengths = {int(k): float(v) for k, v in obj.get("lengths", {}).items()}
        self.types = {int(k): int(v) for k, v in obj.get("types", {}).items()}
        late = obj.get("late", {})  # an int in older snapshots, which counted it wrongly
        self.late = {str(k): int(v) for k, v in late.items()} if isinstance(late, dict) else {}
        self.fused = int(obj.get("fused", 0))
