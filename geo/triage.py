"""Triage: the engine's events through the alert rules, and which situation each belongs to.

The same triage runs live (`app.pipeline`), in `mare detect` and in `make eval`, on what the
engine knows when the event is emitted (the vessel's identity, class, flag, risk and watchlist
hits so far), so a replay decides exactly as the live run did.

A *situation* is what a person handles as one alert: the visit of one vessel to one zone
(its entry, dwell and exit), or one episode of anything else (a jump and its return are
already one episode in `geo.detectors`). `situation_key` names it; the store folds every
event of a situation into the one alert the situation raised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ais_ingest.mmsi import flag_of
from geo.alert_rules import AlertRules, Decision, VesselFacts
from geo.engine import Engine
from geo.events import Event, EventKind

_ZONE_KINDS = {EventKind.ZONE_ENTRY, EventKind.ZONE_DWELL, EventKind.ZONE_EXIT}
_CLASS_B_TYPES = (18, 19, 24)


def situation_key(ev: Event) -> str:
    """Return the key of the situation an event belongs to.

    A zone event's situation is the visit: (vessel, zone, entry time to the second). An exit
    carries the time spent inside (``details.inside_s``), from which its entry time follows.

    Examples
    --------
    >>> from geo.events import Severity
    >>> entry = Event(EventKind.ZONE_ENTRY, 7, 60_000, 60_000, 35.0, 12.0, Severity.LOW,
    ...               zone="z")
    >>> leave = Event(EventKind.ZONE_EXIT, 7, 3_660_000, 3_660_000, 35.1, 12.1, Severity.LOW,
    ...               zone="z", details={"inside_s": 3600.0})
    >>> situation_key(entry) == situation_key(leave) == "visit|7|z|60"
    True
    """
    if ev.kind in _ZONE_KINDS and ev.zone is not None:
        entered = ev.start_ms
        if ev.kind is EventKind.ZONE_EXIT:
            inside = ev.details.get("inside_s")
            if isinstance(inside, int | float):
                entered = ev.start_ms - int(round(float(inside) * 1000))
        return f"visit|{ev.mmsi}|{ev.zone}|{int(round(entered / 1000))}"
    kind, mmsi, other, zone, start = ev.key()
    return f"{kind}|{mmsi}|{other if other is not None else ''}|{zone or ''}|{start}"


@dataclass(frozen=True, slots=True)
class Triaged:
    """An event, what the rules decided and the situation it belongs to."""

    event: Event
    decision: Decision
    situation: str


class Triage:
    """Applies alert rules to an engine's events with what the engine knows of their vessels."""

    def __init__(self, engine: Engine, rules: AlertRules) -> None:
        self.engine = engine
        self.rules = rules
        #: Decisions made at the engine's steps (`follow`), by event identity, until asked for,
        #: with the facts of the event's vessels they were made on.
        self._at_step: dict[int, tuple[Triaged, dict[int, VesselFacts]]] = {}

    def follow(self) -> Triage:
        """Decide each event at the engine step that emits it (`Engine.on_step`).

        `decide` then returns those decisions: the same for a capture read in one batch as
        for the live feed, since a vessel's risk is read when its event happened, not at the
        end of a batch that may hold hours of the vessel's later life.
        """
        self.engine.on_step(self._step)
        return self

    def _step(self, events: list[Event], now_ms: int) -> None:
        for t, facts in self._decide_now(events, now_ms):
            self._at_step[id(t.event)] = (t, facts)

    def facts_at_step(self, ev: Event, mmsi: int) -> VesselFacts:
        """Return a vessel of ``ev`` as the event's step knew it (as now, if not followed).

        Another partition, which owns the event's other vessel, decides with these facts.
        """
        got = self._at_step.get(id(ev))
        if got is not None and got[0].event is ev and mmsi in got[1]:
            return got[1][mmsi]
        return self.facts(mmsi)

    def facts(self, mmsi: int, now_ms: int | None = None) -> VesselFacts:
        """Return what the engine knows of a vessel (identity, class, flag, risk, watchlist).

        ``now_ms`` is the event time the risk is read at (default: the engine's).
        """
        eng = self.engine
        ident = eng.identity.describe(mmsi)
        slot = eng.fleet.slot_of.get(mmsi)
        cls: str | None = None
        if slot is not None:
            t = int(eng.fleet.msg_type[slot])
            cls = "B" if t in _CLASS_B_TYPES else "A" if t in (1, 2, 3, 5) else None
        flag = flag_of(mmsi)
        watched = any(e.kind is EventKind.WATCHLIST_MATCH for e in eng.book.get(mmsi, {}).values())
        ship_type = ident.get("ship_type")
        imo = ident.get("imo")
        return VesselFacts(
            mmsi=mmsi,
            risk=eng.vessel_risk_score(mmsi, now_ms),
            ship_type=int(ship_type) if isinstance(ship_type, int) else None,
            ais_class=cls,
            flag=flag.iso_alpha2 if flag is not None else None,
            imo=int(imo) if isinstance(imo, int) and imo > 0 else None,
            name=ident.get("name") or None,
            watchlisted=watched,
        )

    def decide(
        self, events: list[Event], known: dict[int, dict[int, VesselFacts]] | None = None
    ) -> list[Triaged]:
        """Decide each event (an encounter by the riskier of its two vessels).

        An event decided at its step (`follow`) keeps that decision; any other is decided on
        what the engine knows now. ``known`` gives, by event identity, facts of vessels this
        engine does not follow (an encounter's other vessel, from its own partition): such an
        event is decided again with them, beside the step's facts of its own vessel.
        Decisions of a step that no call asked for are dropped.
        """
        made, self._at_step = self._at_step, {}
        known = known or {}

        def at_step(ev: Event) -> Triaged | None:
            got = made.get(id(ev))
            if got is None or got[0].event is not ev:
                return None
            if id(ev) in known:
                return self._decide_one(ev, {**got[1], **known[id(ev)]}.__getitem__)
            return got[0]

        decided = {id(ev): t for ev in events if (t := at_step(ev)) is not None}
        todo = [ev for ev in events if id(ev) not in decided]
        for t, _ in self._decide_now(todo, None, known):
            decided[id(t.event)] = t
        return [decided[id(ev)] for ev in events]

    def _decide_now(
        self,
        events: list[Event],
        now_ms: int | None,
        known: dict[int, dict[int, VesselFacts]] | None = None,
    ) -> list[tuple[Triaged, dict[int, VesselFacts]]]:
        out: list[tuple[Triaged, dict[int, VesselFacts]]] = []
        cache: dict[int, VesselFacts] = {}

        def facts(m: int) -> VesselFacts:
            f = cache.get(m)
            if f is None:
                f = cache[m] = self.facts(m, now_ms)
            return f

        for ev in events:
            given = (known or {}).get(id(ev), {})
            used = {m: given.get(m) or facts(m) for m in (ev.mmsi, ev.other_mmsi) if m is not None}
            out.append((self._decide_one(ev, used.__getitem__), used))
        return out

    def _decide_one(self, ev: Event, facts: Callable[[int], VesselFacts]) -> Triaged:
        v = facts(ev.mmsi)
        if ev.other_mmsi is not None:
            o = facts(ev.other_mmsi)
            if o.risk > v.risk or (o.watchlisted and not v.watchlisted):
                v = o
        here: list[tuple[str, str]] = []
        if ev.zone is None and ev.lat is not None and ev.lon is not None:
            here = [(z.id, str(z.kind)) for z in self.engine.index.zones_at(ev.lon, ev.lat)]
        return Triaged(ev, self.rules.decide(ev, v, here), situation_key(ev))
