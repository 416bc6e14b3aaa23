"""``identity_change``: a vessel's name, callsign, IMO number or ship type changes.

The first static report sets the identity without an event. Text is compared after
`normalise_text` (upper case, ``@`` padding and extra spaces removed), IMO 0 and ship type 0 mean
"not available". A new value must arrive in ``identity_confirm`` consecutive static reports
(debounce) before it counts, so a single corrupt report neither raises an event nor flips the
identity back and forth. Fields confirmed by the same report make one event, which starts at the
first report that carried the new value and ends at the confirming one.

A name or callsign typed another way (``MINGYANGZHOU 9`` for ``MING YANG ZHOU 9``, ``F/V SEA STAR
II`` for ``SEA STAR 2``: the same key in `geo.names`) is the same vessel: the identity takes the new
spelling without an event.

A change is a value that *replaces* the old one. Several transmitters on one MMSI make the name
(and callsign, IMO, type) alternate between a few values; each flip is not a change:

- while the MMSI is in a shared-MMSI episode (the tracker saw several tracks), a new value is
  taken silently: the episode, which lists the names seen (`names_seen`), is the one alert;
- a value that the field already had within ``identity_memory_s`` (a flip back) is taken
  silently too: the first flip fired, the alternation after it adds nothing;
- a value confirmed after the MMSI's position jumped to a place its track could not reach,
  the old value last heard before that jump, came with the jump: it is the second
  transmitter's (or the spoof's), which the jump or shared-MMSI episode already reports. GFW's
  segmenter fixture 412588888: a vessel silent in Douala, its MMSI heard off China five hours
  before the Chinese boat's name was confirmed; the episode opened only when Douala was heard
  again, a day on, and the name change had been a second critical alert beside it.

So a real change (a renamed vessel) fires once, and a storm of flips fires at most once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ais_ingest.records import StaticReport
from geo.config import EngineConfig
from geo.events import Event, EventKind, Severity
from geo.names import callsign_key, name_key
from geo.watchlist import normalise_text

FIELDS = ("name", "callsign", "imo", "ship_type")
Value = str | int
_KEYS = {"name": name_key, "callsign": callsign_key}


def respelt(field_name: str, value: Value, old: Value) -> bool:
    """Whether a new text value is the old one typed another way (see the module docstring)."""
    key = _KEYS.get(field_name)
    if key is None or not isinstance(value, str) or not isinstance(old, str):
        return False
    new_key = key(value)
    return new_key is not None and new_key == key(old)


def static_values(rep: StaticReport) -> dict[str, Value]:
    """Return the identity fields a static report carries (unavailable ones left out)."""
    out: dict[str, Value] = {}
    name, callsign = normalise_text(rep.name), normalise_text(rep.callsign)
    if name:
        out["name"] = name
    if callsign:
        out["callsign"] = callsign
    if rep.imo:
        out["imo"] = int(rep.imo)
    if rep.ship_type:
        out["ship_type"] = int(rep.ship_type)
    return out


@dataclass(slots=True)
class Identity:
    """Accepted identity of one vessel and the changes waiting for confirmation."""

    accepted: dict[str, Value] = field(default_factory=dict)
    candidate: dict[str, list[Any]] = field(default_factory=dict)  # field -> [value, n, first ms]
    last_type: int = 0  # message type of the last static report (5 class A, 24/19 class B)
    past: dict[str, dict[str, int]] = field(default_factory=dict)  # field -> value -> last ms
    names: dict[str, list[int]] = field(default_factory=dict)  # name -> [first, last, reports]
    #: The last report's raw fields, ``past`` keys and name, when another report with the
    #: same raw fields needs only stamping (`IdentityDetector._settle`); not in snapshots.
    same: tuple[Any, ...] | None = None


class IdentityDetector:
    """Identity per MMSI; see the module docstring."""

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self.vessels: dict[int, Identity] = {}

    def process(
        self,
        rep: StaticReport,
        lat: float | None,
        lon: float | None,
        *,
        shared: bool = False,
        jumped_ms: int | None = None,
    ) -> list[Event]:
        """Update the vessel's identity with one static report; return a change event if any.

        ``shared``: the MMSI is in an open shared-MMSI episode; ``jumped_ms``: when its position
        last jumped to a place its track could not reach, if it did (see the module docstring).
        """
        if self.repeated(rep):
            return []
        ident = self.vessels.get(rep.mmsi)
        raw = (rep.name, rep.callsign, rep.imo, rep.ship_type)
        values = static_values(rep)
        if ident is None:
            self.vessels[rep.mmsi] = ident = Identity(dict(values), {}, rep.msg_type)
            self._remember(ident, values, rep.time_ms)
            return []
        ident.same = None
        self._remember(ident, values, rep.time_ms)
        ident.last_type = rep.msg_type
        memory_ms = self.cfg.identity_memory_s * 1000
        changes: dict[str, dict[str, Value | None]] = {}
        first_seen = rep.time_ms
        for name, value in values.items():
            old = ident.accepted.get(name)
            if old is None:
                ident.accepted[name] = value  # first time this field is known: not a change
                continue
            if value == old or respelt(name, value, old):
                ident.accepted[name] = value  # the spelling on the air now
                ident.candidate.pop(name, None)
                continue
            cand = ident.candidate.get(name)
            if cand is None or cand[0] != value:
                ident.candidate[name] = cand = [value, 0, rep.time_ms]
            cand[1] += 1
            if cand[1] >= self.cfg.identity_confirm:
                # A flip back to a value the field had within the memory (as remembered before
                # this report's confirmation): asked only of a confirmed change, the rare case.
                flip = rep.time_ms - ident.past.get(name, {}).get(str(value), -(2**62)) <= memory_ms
                old_heard = ident.past.get(name, {}).get(str(old))
                came_with_jump = (
                    jumped_ms is not None
                    and old_heard is not None
                    and old_heard < jumped_ms <= rep.time_ms
                    and rep.time_ms - jumped_ms <= memory_ms
                )
                del ident.candidate[name]
                ident.accepted[name] = value
                ident.past.setdefault(name, {})[str(old)] = rep.time_ms
                ident.past[name][str(value)] = rep.time_ms
                if shared or flip or came_with_jump:
                    continue  # another transmitter's, or a flip back: not a change
                changes[name] = {"from": old, "to": value}
                first_seen = min(first_seen, int(cand[2]))
        if not changes:
            self._settle(ident, raw, values)
            return []
        words = "; ".join(f"{k} {v['from']} -> {v['to']}" for k, v in changes.items())
        details: dict[str, Any] = {
            "changes": changes,
            "identity": dict(ident.accepted),
            "confirmed_ms": rep.time_ms,
            "summary": f"identity changed: {words}",
        }
        sev = Severity.HIGH if ("imo" in changes or len(changes) > 1) else Severity.MEDIUM
        return [
            Event(
                EventKind.IDENTITY_CHANGE,
                rep.mmsi,
                first_seen,
                rep.time_ms,
                lat,
                lon,
                sev,
                details=details,
            )
        ]

    def repeated(self, rep: StaticReport) -> bool:
        """Take a report that says the vessel's identity again, word for word; False if not one.

        Most reports are (a vessel sends its static data every six minutes): they change no
        value, only stamp when each was last heard, whether or not the MMSI is shared, so the
        engine asks this first and leaves `process`'s other arguments unread.
        """
        ident = self.vessels.get(rep.mmsi)
        if ident is None or ident.same is None:
            return False
        if (rep.name, rep.callsign, rep.imo, rep.ship_type) != ident.same[0]:
            return False
        for k, v in ident.same[1]:
            ident.past[k][v] = rep.time_ms
        name = ident.same[2]
        if name is not None:
            seen = ident.names[name]
            seen[1] = max(seen[1], rep.time_ms)
            seen[2] += 1
        ident.last_type = rep.msg_type
        return True

    @staticmethod
    def _settle(ident: Identity, raw: tuple[Any, ...], values: dict[str, Value]) -> None:
        """Let a report that says ``raw`` again skip the work, if this one left nothing pending.

        Such a report would find every value accepted, each already in ``past`` (within its
        bound) and its name in ``names``: `_remember`'s work is then to stamp those entries.
        """
        if ident.candidate or any(ident.accepted.get(k) != v for k, v in values.items()):
            return
        past = ident.past
        for k, v in values.items():
            if str(v) not in past.get(k, ()) or len(past[k]) > 16:
                return
        name = values.get("name")
        if isinstance(name, str) and name not in ident.names:
            return
        stamps = tuple((k, str(v)) for k, v in values.items())
        ident.same = (raw, stamps, name if isinstance(name, str) else None)

    @staticmethod
    def _remember(ident: Identity, values: dict[str, Value], t: int) -> None:
        """Keep when each field last had its accepted value, and every name seen."""
        for k, v in values.items():
            if ident.accepted.get(k) != v:
                continue
            past = ident.past.setdefault(k, {})
            past[str(v)] = t
            if len(past) > 16:  # a bounded memory: the oldest value goes
                del past[min(past, key=lambda x: past[x])]
        name = values.get("name")
        if isinstance(name, str):
            seen = ident.names.get(name)
            if seen is None:
                if len(ident.names) >= 16:
                    del ident.names[min(ident.names, key=lambda x: ident.names[x][1])]
                ident.names[name] = [t, t, 1]
            else:
                seen[1] = max(seen[1], t)
                seen[2] += 1

    def describe_names(self, mmsi: int) -> list[str]:
        """Every name the vessel's static reports carried (bounded to the last 16)."""
        ident = self.vessels.get(mmsi)
        return [] if ident is None else list(ident.names)

    def names_count(self, mmsi: int) -> int:
        """How many names the vessel's static reports carried (bounded to the last 16)."""
        ident = self.vessels.get(mmsi)
        return 0 if ident is None else len(ident.names)

    def names_seen(self, mmsi: int, since_ms: int) -> list[dict[str, Any]]:
        """Names a vessel's static reports carried since a time, oldest first, with counts."""
        ident = self.vessels.get(mmsi)
        if ident is None:
            return []
        rows = sorted(
            (first, name, last, n) for name, (first, last, n) in ident.names.items()
            if last >= since_ms
        )  # fmt: skip
        return [
            {"name": name, "first_ms": first, "last_ms": last, "reports": n}
            for first, name, last, n in rows
        ]

    def describe(self, mmsi: int) -> dict[str, Any]:
        """Known identity of a vessel (empty fields left out), with its MMSI."""
        ident = self.vessels.get(mmsi)
        out: dict[str, Any] = {"mmsi": mmsi}
        if ident is not None:
            out.update(ident.accepted)
        return out

    def to_state(self) -> dict[str, Any]:
        return {
            str(m): {
                "accepted": i.accepted,
                "candidate": i.candidate,
                "last_type": i.last_type,
                "past": i.past,
                "names": i.names,
            }
            for m, i in self.vessels.items()
        }

    def load_state(self, obj: dict[str, Any]) -> None:
        self.vessels = {
            int(m): Identity(
                dict(v["accepted"]),
                {k: list(c) for k, c in v["candidate"].items()},
                int(v["last_type"]),
                {k: dict(p) for k, p in v.get("past", {}).items()},
                {k: list(n) for k, n in v.get("names", {}).items()},
            )
            for m, v in obj.items()
        }
