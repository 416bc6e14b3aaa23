"""Dark targets: the boats without AIS that contacts show, and which contacts are one boat.

A dark target is numbered from its first contact (`target_number`), never a real MMSI. A new
contact joins the target it fits best (`track_score`): within reach at the boat's speed bound,
on its predicted course or where it stopped, lengths and people counts agreeing, and never two
contacts of one look (`same_look`). Fusion itself (`geo.detectors.contacts`) decides which
contacts are dark.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

from geo.config import KNOT_MS
from geo.contacts import Contact, speed_bound_kn
from geo.detectors.base import bearing_deg, distance_m, nm
from geo.geodesy import destination_point

TARGET_BASE = 1_000_000_000
TARGET_SPAN = 2**31 - 1 - TARGET_BASE

#: How far back contacts tell what a dark target does now (`DarkTrack.velocity`), seconds.
RECENT_S = 3600.0
#: Two contacts by one source this close in time are one look at two boats (`same_look`), s.
SAME_LOOK_S = 60.0
SAME_LOOK_SCAN = 5  # a track's latest contacts checked for one look
#: Speed error of a dark target's dead reckoning between contacts (`track_score`), knots.
PREDICT_KN = 2.0


def target_number(first: Contact) -> int:
    """Return the number of a dark target started by ``first`` (deterministic, not an MMSI).

    Examples
    --------
    >>> from geo.contacts import ContactKind
    >>> n = target_number(Contact(1_780_000_000_000, 33.9, 12.1, ContactKind.SAR))
    >>> TARGET_BASE <= n < 2**31, n == target_number(Contact(1_780_000_000_000, 33.9, 12.1,
    ...                                                       ContactKind.SAR))
    (True, True)
    """
    key = f"{first.time_ms}|{first.lat:.6f}|{first.lon:.6f}|{first.kind.value}|{first.source}"
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return TARGET_BASE + int.from_bytes(digest, "big") % TARGET_SPAN


def target_label(number: int) -> str:
    """Return how a dark target is named to people: ``DT-`` and its last six digits."""
    return f"DT-{number % 1_000_000:06d}"


def lengths_agree(seen: float | None, known: float | None) -> bool:
    """Return whether a seen length may be a boat of the known length (unknown: it may).

    Half to twice the known length, plus 10 m for a sighting's estimate.

    Examples
    --------
    >>> lengths_agree(9, 24), lengths_agree(20, 24), lengths_agree(None, 24)
    (False, True, True)
    """
    if seen is None or known is None:
        return True
    return 0.5 * known <= seen <= 2.0 * known + 10.0


def people_agree(seen: int | None, known: int | None) -> bool:
    """Return whether a people count may be of the boat counted ``known`` (unknown: it may).

    Counts from the air are estimates (a packed inflatable is "about 60"), a hotline's from
    the people on board; within a factor of two they may be one boat, beyond it they are not.

    Examples
    --------
    >>> people_agree(60, 75), people_agree(70, 240), people_agree(None, 240)
    (True, False, True)
    """
    if seen is None or known is None or seen <= 0 or known <= 0:
        return True
    return max(seen, known) <= 2 * min(seen, known)


def same_look(a: Contact, b: Contact) -> bool:
    """Return whether two contacts are one look by one source (so of two different boats).

    One satellite scene or one observer's report at one moment sees each boat once: two
    contacts from the same source within `SAME_LOOK_S` are two boats, unless the source's
    own track number (``ref``) says they are one.
    """
    return (
        a.kind is b.kind
        and a.source == b.source
        and abs(a.time_ms - b.time_ms) <= SAME_LOOK_S * 1000
        and (a.ref is None or a.ref != b.ref)
    )


def track_score(tr: DarkTrack, c: Contact, d_last: float, dt: float, radii: float,
                 v_max: float) -> float:  # fmt: skip
    """Return how well a contact fits a track: 0 on its predicted position, over 1 outside.

    With a course and speed from its recent contacts the boat is dead-reckoned to the
    contact's time, give or take `PREDICT_KN` (boats on this route hold their course for
    hours), or it stopped (drifting at up to `PREDICT_KN`: engine trouble, a meeting) where
    it was last seen; without, anywhere within reach at its speed bound is as likely. Boats
    leave the same beaches on the same courses: "within reach at 10 kn" over hours takes in
    most of them, where "on its course or stopped" takes in its own.
    """
    speed, course = tr.velocity(RECENT_S * 3)
    if speed is None or course is None or not dt:
        return d_last / (v_max * dt + radii)
    run_nm = nm(speed * KNOT_MS * dt) * (1 if c.time_ms >= tr.last.time_ms else -1)
    lat, lon = destination_point(tr.last.lat, tr.last.lon, course, run_nm)
    d_pred = distance_m(lon, lat, c.lon, c.lat)
    spread = PREDICT_KN * KNOT_MS * dt + radii
    return min(d_pred, d_last) / spread


def angle_diff(a: float, b: float) -> float:
    """Return the difference of two bearings, degrees (0 to 180)."""
    d = abs(a - b) % 360.0
    return min(d, 360.0 - d)


@dataclass(slots=True)
class DarkTrack:
    """A boat without AIS: its contacts in time order and what they say about it."""

    number: int
    zone: str | None
    contacts: list[Contact]
    closed: bool = False
    nearest_ais: dict[str, Any] | None = None
    #: mmsi -> evidence items (dicts) of meeting or escorting this target
    evidence: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def first(self) -> Contact:
        return self.contacts[0]

    @property
    def last(self) -> Contact:
        return self.contacts[-1]

    @property
    def length_m(self) -> float | None:
        known = [c.length_m for c in self.contacts if c.length_m is not None]
        return max(known) if known else None

    @property
    def people(self) -> int | None:
        known = [c.people for c in self.contacts if c.people is not None]
        return max(known) if known else None

    @property
    def confirmed(self) -> bool:
        """Whether more than one lone satellite detection shows the boat (that may be clutter)."""
        return len(self.contacts) > 1 or self.first.kind.value not in ("sar", "optical")

    def velocity(self, within_s: float | None = None) -> tuple[float | None, float | None]:
        """Return (speed kn, course) now: reported by the last contact, else from two contacts.

        The last contact's own speed and course when it gave them, else from the last two
        contacts 5+ min apart (and at most ``within_s`` apart, when given). A boat's average
        over hours says where it is heading, not what it does now: one that sailed out for two
        hours and lies stopped beside a vessel has "5 kn" from its contacts.
        """
        last = self.last
        if last.speed_kn is not None and math.isfinite(last.speed_kn):
            course = last.course if last.course is not None and last.speed_kn > 0.5 else None
            return last.speed_kn, course
        for prev in reversed(self.contacts[:-1]):
            dt = (last.time_ms - prev.time_ms) / 1000.0
            if within_s is not None and dt > within_s:
                break
            if dt >= 300.0:
                d = distance_m(prev.lon, prev.lat, last.lon, last.lat)
                if d <= prev.radius + last.radius:
                    return 0.0, None
                return d / dt / KNOT_MS, bearing_deg(prev.lon, prev.lat, last.lon, last.lat)
        return last.speed_kn, last.course

    def max_speed_kn(self) -> float:
        observed = [c.speed_kn for c in self.contacts if c.speed_kn is not None]
        return speed_bound_kn(self.length_m, max(observed) if observed else None)

    def to_state(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "zone": self.zone,
            "contacts": [c.to_state() for c in self.contacts],
            "closed": self.closed,
            "nearest_ais": self.nearest_ais,
            "evidence": {str(k): v for k, v in self.evidence.items()},
        }

    @classmethod
    def from_state(cls, obj: dict[str, Any]) -> DarkTrack:
        return cls(
            number=int(obj["number"]),
            zone=obj.get("zone"),
            contacts=[Contact.from_state(c) for c in obj["contacts"]],
            closed=bool(obj.get("closed")),
            nearest_ais=obj.get("nearest_ais"),
            evidence={int(k): list(v) for k, v in obj.get("evidence", {}).items()},
        )
