"""``identity_change``: a vessel's name, callsign, IMO number or ship type changes.

The first static report sets the identity without an event. Text is compared after
`normalise_text` (upper case, ``@`` padding and extra spaces removed), IMO 0 and ship type 0 mean
"not available". A new value must arrive in ``identity_confirm`` consecutive static reports
(debounce) before it counts, so a single corrupt report neither raises an event nor flips the
identity back and forth. Fields confirmed by the same report make one event, which starts at the
first report that carried the new value and ends at the confirming one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ais_ingest.records import StaticReport
from geo.config import EngineConfig
from geo.events import Event, EventKind, Severity
from geo.watchlist import normalise_text

FIELDS = ("name", "callsign", "imo", "ship_type")
Value = str | int


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


class IdentityDetector:
    """Identity per MMSI; see the module docstring."""

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self.vessels: dict[int, Identity] = {}

    def process(self, rep: StaticReport, lat: float | None, lon: float | None) -> list[Event]:
        """Update the vessel's identity with one static report; return a change event if any."""
        ident = self.vessels.get(rep.mmsi)
        values = static_values(rep)
        if ident is None:
            self.vessels[rep.mmsi] = Identity(dict(values), {}, rep.msg_type)
            return []
        ident.last_type = rep.msg_type
        changes: dict[str, dict[str, Value | None]] = {}
        first_seen = rep.time_ms
        for name, value in values.items():
            old = ident.accepted.get(name)
            if old is None:
                ident.accepted[name] = value  # first time this field is known: not a change
                continue
            if value == old:
                ident.candidate.pop(name, None)
                continue
            cand = ident.candidate.get(name)
            if cand is None or cand[0] != value:
                ident.candidate[name] = cand = [value, 0, rep.time_ms]
            cand[1] += 1
            if cand[1] >= self.cfg.identity_confirm:
                del ident.candidate[name]
                ident.accepted[name] = value
                changes[name] = {"from": old, "to": value}
                first_seen = min(first_seen, int(cand[2]))
        if not changes:
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

    def describe(self, mmsi: int) -> dict[str, Any]:
        """Known identity of a vessel (empty fields left out), with its MMSI."""
        ident = self.vessels.get(mmsi)
        out: dict[str, Any] = {"mmsi": mmsi}
        if ident is not None:
            out.update(ident.accepted)
        return out

    def to_state(self) -> dict[str, Any]:
        return {
            str(m): {"accepted": i.accepted, "candidate": i.candidate, "last_type": i.last_type}
            for m, i in self.vessels.items()
        }

    def load_state(self, obj: dict[str, Any]) -> None:
        self.vessels = {
            int(m): Identity(
                dict(v["accepted"]),
                {k: list(c) for k, c in v["candidate"].items()},
                int(v["last_type"]),
            )
            for m, v in obj.items()
        }
