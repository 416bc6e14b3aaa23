"""Alert rules: which events become alerts a person must handle, and which stay events.

Every event the engine emits is recorded on its vessel (it feeds the risk score and the
vessel's history); an *alert* is an event somebody on watch has to look at. A rules file says
which is which. It is JSON::

    {"rules": [
       {"id": "departures", "description": "...",
        "when": {"kinds": ["zone_exit"], "zone_kinds": ["departure_hotspot"]},
        "then": "alert", "severity": "high"},
       ...
       {"id": "everything-else", "when": {}, "then": "event"}],
     "narrow": [
       {"id": "liaisons-medium-up", "applies_to": {"roles": ["liaison"]},
        "keep": {"min_severity": "medium"}}]}

``rules`` are tried in order and the first whose ``when`` holds decides (``then``: ``alert`` or
``event``); an event no rule matches is an event. Conditions in one ``when`` must all hold; a
list holds when any of its items does. ``severity`` sets the alert's severity (default: the
event's own); the vessel's risk then raises it (`risk_severity`), never lowers it.

``narrow`` entries apply to the people they name (``users``) or to roles (``roles``); each keeps
only the alerts its ``keep`` matches, so they can take alerts away from someone and never add
one: a liaison still gets only its zones' alerts, of those only what every narrowing that applies
to it keeps.

A file that breaks these rules is refused with an `AlertRulesError` naming the rule (its id, or
its position when it has none) and the reason, as the zone file is: a rule that silently does
something other than what its author wrote hides alerts, which is worse than no rule.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from geo import shipped
from geo.errors import AlertRulesError
from geo.events import Event, EventKind, Severity
from geo.shiptypes import FAMILIES
from geo.zones import ZoneKind

__all__ = [
    "SHIPPED_RULES_FILE",
    "AlertRules",
    "Decision",
    "Narrowing",
    "Rule",
    "VesselFacts",
    "is_night",
    "load_rules_file",
    "parse_rules",
    "risk_severity",
]

#: The rules Mare ships for the central-Mediterranean zone set (``geo/data/alert_rules.json``).
SHIPPED_RULES_FILE = shipped.ALERT_RULES_FILE

#: A vessel at or above this risk is a suspect: its alerts are at least ``high`` and the map
#: rings it. 75 and above (several strong indicators at once) makes them ``critical``.
SUSPECT_RISK = 50
CRITICAL_RISK = 75

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")
_RANK = {s: i for i, s in enumerate(Severity)}
_FLAG = re.compile(r"^[A-Z]{2}$")
_USER = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
ROLES = ("admin", "officer", "analyst", "liaison")

_WHEN_KEYS = {
    "kinds": "event kinds",
    "zones": "zone ids (the event's zone, else the zones at its position)",
    "zone_kinds": "zone kinds (as zones)",
    "ship_types": f"ship type families ({', '.join(FAMILIES)}, unknown)",
    "ais_class": "AIS classes (A, B)",
    "flags": "flag states, ISO 3166 alpha-2",
    "min_risk": "lowest vessel risk, 0-100",
    "max_risk": "highest vessel risk, 0-100",
    "min_severity": "lowest severity of the event itself",
    "watchlisted": "true: on the watchlist; false: not",
    "no_imo": "true: no IMO number heard; false: one heard",
    "unidentified": "true: neither name nor ship type heard",
    "night": "true: the sun more than 6 degrees below the horizon at the event",
}
_KEEP_KEYS = ("kinds", "zones", "zone_kinds", "min_severity")


@dataclass(frozen=True, slots=True)
class VesselFacts:
    """What rules may ask about a vessel when one of its events is decided."""

    mmsi: int
    risk: int = 0
    ship_type: int | None = None
    ais_class: str | None = None
    flag: str | None = None
    imo: int | None = None
    name: str | None = None
    watchlisted: bool = False

    @property
    def family(self) -> str:
        """Ship type family, ``unknown`` when no ship type was heard."""
        from geo.shiptypes import ship_family

        return "unknown" if not self.ship_type else ship_family(self.ship_type)


@dataclass(frozen=True, slots=True)
class When:
    """Conditions of a rule; None (or empty) is "any"."""

    kinds: frozenset[str] = frozenset()
    zones: frozenset[str] = frozenset()
    zone_kinds: frozenset[str] = frozenset()
    ship_types: frozenset[str] = frozenset()
    ais_class: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    min_risk: int | None = None
    max_risk: int | None = None
    min_severity: Severity | None = None
    watchlisted: bool | None = None
    no_imo: bool | None = None
    unidentified: bool | None = None
    night: bool | None = None

    def holds(self, ev: Event, v: VesselFacts, zones: Sequence[tuple[str, str]]) -> bool:
        """Whether every condition holds for event ``ev`` of vessel ``v`` in ``zones``."""
        if self.kinds and ev.kind.value not in self.kinds:
            return False
        if self.zones and not any(z in self.zones for z, _ in zones):
            return False
        if self.zone_kinds and not any(k in self.zone_kinds for _, k in zones):
            return False
        if self.min_severity is not None and _RANK[ev.severity] < _RANK[self.min_severity]:
            return False
        if self.ship_types and v.family not in self.ship_types:
            return False
        if self.ais_class and v.ais_class not in self.ais_class:
            return False
        if self.flags and v.flag not in self.flags:
            return False
        if self.min_risk is not None and v.risk < self.min_risk:
            return False
        if self.max_risk is not None and v.risk > self.max_risk:
            return False
        if self.watchlisted is not None and v.watchlisted != self.watchlisted:
            return False
        if self.no_imo is not None and (not v.imo) != self.no_imo:
            return False
        if self.unidentified is not None:
            unknown = not v.name and not v.ship_type
            if unknown != self.unidentified:
                return False
        if self.night is not None:
            dark = ev.lat is not None and ev.lon is not None
            dark = dark and is_night(float(ev.lat or 0), float(ev.lon or 0), ev.start_ms)
            if dark != self.night:
                return False
        return True


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: when its conditions hold, the event is an alert (or only an event)."""

    id: str
    when: When
    alert: bool
    severity: Severity | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Narrowing:
    """What some people keep of the alerts they may see (never more than they may see)."""

    id: str
    users: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    zones: frozenset[str] = frozenset()
    zone_kinds: frozenset[str] = frozenset()
    min_severity: Severity | None = None
    description: str = ""

    def applies_to(self, username: str, role: str) -> bool:
        return username in self.users or role in self.roles


@dataclass(frozen=True, slots=True)
class Decision:
    """What the rules made of one event."""

    alert: bool
    rule: str | None
    severity: Severity


@dataclass(frozen=True, slots=True)
class AlertRules:
    """A validated rules file (`parse_rules`); `decide` applies it to one event."""

    rules: tuple[Rule, ...] = ()
    narrow: tuple[Narrowing, ...] = ()
    source: dict[str, Any] = field(default_factory=dict, compare=False)
    #: The rules that may hold for an event kind, in file order (made on first use): most
    #: rules name their kinds, and an event otherwise tried each of them (`decide`).
    _by_kind: dict[str, tuple[Rule, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def _for_kind(self, kind: str) -> tuple[Rule, ...]:
        rules = self._by_kind.get(kind)
        if rules is None:
            rules = tuple(r for r in self.rules if not r.when.kinds or kind in r.when.kinds)
            self._by_kind[kind] = rules
        return rules

    def decide(
        self, ev: Event, vessel: VesselFacts, zones: Sequence[tuple[str, str]] = ()
    ) -> Decision:
        """Decide event ``ev`` of ``vessel``; ``zones`` are (id, kind) where it happened.

        A zone event is about its own zone; ``zones`` matter for the others.

        Examples
        --------
        >>> rules = parse_rules({"rules": [
        ...     {"id": "gaps", "when": {"kinds": ["ais_gap"]}, "then": "alert"},
        ...     {"id": "rest", "when": {}, "then": "event"}]})
        >>> gap = Event(EventKind.AIS_GAP, 1, 0, None, 33.0, 12.0, Severity.MEDIUM)
        >>> rules.decide(gap, VesselFacts(1, risk=20))
        Decision(alert=True, rule='gaps', severity=<Severity.MEDIUM: 'medium'>)
        >>> rules.decide(gap, VesselFacts(1, risk=60)).severity
        <Severity.HIGH: 'high'>
        """
        zones = zones_of(ev, zones)
        for rule in self._for_kind(ev.kind.value):
            if rule.when.holds(ev, vessel, zones):
                base = rule.severity or ev.severity
                return Decision(rule.alert, rule.id, max_severity(base, risk_severity(vessel.risk)))
        return Decision(False, None, ev.severity)

    def narrowings_for(self, username: str, role: str) -> tuple[Narrowing, ...]:
        """Return the narrowings that apply to a person (all of them hold at once)."""
        return tuple(n for n in self.narrow if n.applies_to(username, role))

    def to_dict(self) -> dict[str, Any]:
        """Return the file as it was given (what the API shows and an admin edits)."""
        return dict(self.source)


def max_severity(a: Severity, b: Severity | None) -> Severity:
    """Return the more urgent of two severities."""
    return a if b is None or _RANK[a] >= _RANK[b] else b


def risk_severity(risk: int) -> Severity | None:
    """Return the least severity a vessel's risk gives its alerts (None below the suspect level).

    Examples
    --------
    >>> risk_severity(30), risk_severity(50), risk_severity(80)
    (None, <Severity.HIGH: 'high'>, <Severity.CRITICAL: 'critical'>)
    """
    if risk >= CRITICAL_RISK:
        return Severity.CRITICAL
    if risk >= SUSPECT_RISK:
        return Severity.HIGH
    return None


def is_night(lat: float, lon: float, t_ms: int) -> bool:
    """Whether the sun is more than 6 degrees below the horizon (civil twilight is over).

    Solar position from the NOAA approximation (declination and equation of time from the day
    of the year), good to a fraction of a degree, far better than a night rule needs.

    Examples
    --------
    >>> noon = 1780315200000  # 2026-06-01 12:00Z
    >>> is_night(35.5, 12.6, noon), is_night(35.5, 12.6, noon - 12 * 3_600_000)
    (False, True)
    """
    t = datetime.fromtimestamp(t_ms / 1000.0, tz=UTC)
    doy = t.timetuple().tm_yday
    hours = t.hour + t.minute / 60.0 + t.second / 3600.0
    g = 2.0 * math.pi / 365.0 * (doy - 1 + (hours - 12.0) / 24.0)
    eqtime = 229.18 * (
        0.000075 + 0.001868 * math.cos(g) - 0.032077 * math.sin(g)
        - 0.014615 * math.cos(2 * g) - 0.040849 * math.sin(2 * g)
    )  # fmt: skip
    decl = (
        0.006918 - 0.399912 * math.cos(g) + 0.070257 * math.sin(g)
        - 0.006758 * math.cos(2 * g) + 0.000907 * math.sin(2 * g)
        - 0.002697 * math.cos(3 * g) + 0.00148 * math.sin(3 * g)
    )  # fmt: skip
    solar_min = hours * 60.0 + eqtime + 4.0 * lon
    ha = math.radians(solar_min / 4.0 - 180.0)
    phi = math.radians(lat)
    sin_elev = math.sin(phi) * math.sin(decl) + math.cos(phi) * math.cos(decl) * math.cos(ha)
    return math.degrees(math.asin(max(-1.0, min(1.0, sin_elev)))) < -6.0


# -- parsing ------------------------------------------------------------------------------------


def _fail(label: str, reason: str) -> AlertRulesError:
    return AlertRulesError(f"{label}: {reason}")


def _strings(label: str, key: str, raw: Any, allowed: Collection[str] | None) -> frozenset[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
        raise _fail(label, f"'{key}' must be a non-empty list of strings")
    if allowed is not None:
        bad = [x for x in raw if x not in allowed]
        if bad:
            known = ", ".join(sorted(allowed))
            raise _fail(label, f"unknown {key} {', '.join(map(repr, bad))}; known: {known}")
    return frozenset(raw)


def _bool(label: str, key: str, raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise _fail(label, f"'{key}' must be true or false, not {raw!r}")
    return raw


def _risk(label: str, key: str, raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 100:
        raise _fail(label, f"'{key}' must be a whole number from 0 to 100, not {raw!r}")
    return raw


def _severity(label: str, key: str, raw: Any) -> Severity:
    try:
        return Severity(raw)
    except ValueError:
        known = ", ".join(s.value for s in Severity)
        raise _fail(label, f"'{key}' must be one of {known}, not {raw!r}") from None


def _when(label: str, raw: Any, zone_ids: Collection[str] | None) -> When:
    if not isinstance(raw, dict):
        raise _fail(label, "'when' must be an object of conditions ({} matches every event)")
    unknown = sorted(set(raw) - set(_WHEN_KEYS))
    if unknown:
        raise _fail(label, f"unknown condition {unknown[0]!r}; known: {', '.join(_WHEN_KEYS)}")
    kinds = {k.value for k in EventKind}
    w: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "kinds":
            w[key] = _strings(label, "kinds", value, kinds)
        elif key == "zones":
            w[key] = _strings(label, "zones", value, zone_ids)
        elif key == "zone_kinds":
            w[key] = _strings(label, "zone_kinds", value, {k.value for k in ZoneKind})
        elif key == "ship_types":
            w[key] = _strings(label, "ship_types", value, {*FAMILIES, "unknown"})
        elif key == "ais_class":
            w[key] = _strings(label, "ais_class", value, {"A", "B"})
        elif key == "flags":
            flags = _strings(label, "flags", value, None)
            bad = sorted(f for f in flags if not _FLAG.match(f))
            if bad:
                raise _fail(label, f"flags must be ISO 3166 alpha-2 in capitals, not {bad[0]!r}")
            w[key] = flags
        elif key in ("min_risk", "max_risk"):
            w[key] = _risk(label, key, value)
        elif key == "min_severity":
            w[key] = _severity(label, key, value)
        else:
            w[key] = _bool(label, key, value)
    if w.get("min_risk", 0) > w.get("max_risk", 100):
        raise _fail(label, "'min_risk' is above 'max_risk': the rule can never match")
    return When(**w)


def _label(kind: str, index: int, raw: Any) -> str:
    rid = raw.get("id") if isinstance(raw, dict) else None
    return f"{kind} {rid!r}" if isinstance(rid, str) and rid else f"{kind} #{index + 1}"


def _id(label: str, raw: dict[str, Any], seen: set[str]) -> str:
    rid = raw.get("id")
    if not isinstance(rid, str) or not _SLUG.match(rid):
        raise _fail(label, "'id' must be a slug (lower-case letters, digits, '-' and '_')")
    if rid in seen:
        raise _fail(label, "duplicate id")
    seen.add(rid)
    return rid


def _description(label: str, raw: dict[str, Any]) -> str:
    d = raw.get("description", "")
    if not isinstance(d, str):
        raise _fail(label, "'description' must be text")
    return d


def _rule(index: int, raw: Any, seen: set[str], zone_ids: Collection[str] | None) -> Rule:
    label = _label("rule", index, raw)
    if not isinstance(raw, dict):
        raise _fail(label, "must be an object")
    unknown = sorted(set(raw) - {"id", "description", "when", "then", "severity"})
    if unknown:
        raise _fail(label, f"unknown field {unknown[0]!r}")
    rid = _id(label, raw, seen)
    if "when" not in raw:
        raise _fail(label, "missing 'when' (use {} to match every event)")
    then = raw.get("then")
    if then not in ("alert", "event"):
        raise _fail(label, f'\'then\' must be "alert" or "event", not {then!r}')
    severity = None
    if raw.get("severity") is not None:
        if then == "event":
            raise _fail(label, "'severity' is for alerts; this rule makes events")
        severity = _severity(label, "severity", raw["severity"])
    return Rule(
        id=rid,
        when=_when(label, raw["when"], zone_ids),
        alert=then == "alert",
        severity=severity,
        description=_description(label, raw),
    )


def _narrowing(index: int, raw: Any, seen: set[str], zone_ids: Collection[str] | None) -> Narrowing:
    label = _label("narrowing", index, raw)
    if not isinstance(raw, dict):
        raise _fail(label, "must be an object")
    unknown = sorted(set(raw) - {"id", "description", "applies_to", "keep"})
    if unknown:
        raise _fail(label, f"unknown field {unknown[0]!r}")
    rid = _id(label, raw, seen)
    to = raw.get("applies_to")
    if not isinstance(to, dict) or not to or set(to) - {"users", "roles"}:
        raise _fail(label, "'applies_to' must name 'users' and/or 'roles'")
    users = _strings(label, "users", to["users"], None) if "users" in to else frozenset()
    bad = sorted(u for u in users if not _USER.match(u))
    if bad:
        raise _fail(label, f"{bad[0]!r} is not a user name")
    roles = _strings(label, "roles", to["roles"], ROLES) if "roles" in to else frozenset()
    keep = raw.get("keep")
    if not isinstance(keep, dict) or not keep:
        raise _fail(label, "'keep' must say what to keep (kinds, zones, zone_kinds, min_severity)")
    unknown = sorted(set(keep) - set(_KEEP_KEYS))
    if unknown:
        raise _fail(
            label,
            f"a narrowing keeps by {', '.join(_KEEP_KEYS)} only, not {unknown[0]!r}",
        )
    w = _when(label, keep, zone_ids)
    return Narrowing(
        id=rid,
        users=users,
        roles=roles,
        kinds=w.kinds,
        zones=w.zones,
        zone_kinds=w.zone_kinds,
        min_severity=w.min_severity,
        description=_description(label, raw),
    )


def parse_rules(obj: Any, *, zone_ids: Collection[str] | None = None) -> AlertRules:
    """Validate a rules document (the parsed JSON); refuse it naming the rule and the reason.

    ``zone_ids``, when given, are the zones rules may name (others are refused).

    Examples
    --------
    >>> parse_rules({"rules": [{"id": "x", "when": {"kinds": ["zone_entri"]}, "then": "alert"}]})
    Traceback (most recent call last):
    ...
    geo.errors.AlertRulesError: rule 'x': unknown kinds 'zone_entri'; known: ...
    """
    if not isinstance(obj, dict):
        raise AlertRulesError("rules: the file must be a JSON object with a 'rules' list")
    unknown = sorted(set(obj) - {"rules", "narrow", "about"})
    if unknown:
        raise AlertRulesError(f"rules: unknown field {unknown[0]!r} (known: about, rules, narrow)")
    raw_rules = obj.get("rules")
    if not isinstance(raw_rules, list):
        raise AlertRulesError("rules: 'rules' must be a list")
    raw_narrow = obj.get("narrow", [])
    if not isinstance(raw_narrow, list):
        raise AlertRulesError("rules: 'narrow' must be a list")
    seen: set[str] = set()
    rules = tuple(_rule(i, r, seen, zone_ids) for i, r in enumerate(raw_rules))
    narrow = tuple(_narrowing(i, n, seen, zone_ids) for i, n in enumerate(raw_narrow))
    return AlertRules(rules, narrow, json.loads(json.dumps(obj)))


def parse_rules_text(text: str, *, zone_ids: Collection[str] | None = None) -> AlertRules:
    """Parse and validate rules from JSON text."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AlertRulesError(f"rules: not JSON ({exc})") from None
    return parse_rules(obj, zone_ids=zone_ids)


def load_rules_file(
    path: str | Path = SHIPPED_RULES_FILE, *, zone_ids: Collection[str] | None = None
) -> AlertRules:
    """Read and validate a rules file (the only I/O here: reading its text)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise AlertRulesError(f"rules file {p}: {exc.strerror or exc}") from None
    try:
        return parse_rules_text(text, zone_ids=zone_ids)
    except AlertRulesError as exc:
        raise AlertRulesError(f"{p}: {exc}") from None


def every_event_alerts() -> AlertRules:
    """Rules under which every event is an alert (what Mare did before rules)."""
    return parse_rules({"rules": [{"id": "everything", "when": {}, "then": "alert"}]})


def zones_of(ev: Event, here: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return the (id, kind) zones of an event: its own zone, else the zones at its position."""
    if ev.zone is not None:
        kind = ev.details.get("zone_kind")
        return [(ev.zone, str(kind) if kind else "")]
    return list(here)


def keeps(n: Narrowing, alert: Mapping[str, Any], zone_kind: str | None) -> bool:
    """Whether narrowing ``n`` keeps an alert (its API JSON; ``zone_kind`` of its zone)."""
    if n.kinds and alert.get("kind") not in n.kinds:
        return False
    if n.zones and alert.get("zone") not in n.zones:
        return False
    if n.zone_kinds and zone_kind not in n.zone_kinds:
        return False
    if n.min_severity is not None:
        sev = alert.get("severity")
        if sev not in _RANK or _RANK[Severity(sev)] < _RANK[n.min_severity]:
            return False
    return True
