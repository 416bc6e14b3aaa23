"""A partition's engine fed slice by slice, closing each slice with the other partitions.

Ingest gives every record message its slices (`app.bus.codec.decode_clocked`): the engine
takes each run of records in its slice, and before entering a new slice closes the last one
after the exchange (`app.bus.slice_exchange`): encounter candidates, coverage, the feed's
sampling and contact placements of every partition, merged into this partition's engine so
it closes the slice as one engine over all vessels would. Events of an encounter across
partitions are triaged with the other vessel's facts, asked of its partition.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from ais_ingest.records import Batch
from app.bus.shared_fusion import NO_PLACEMENTS, SharedFusion
from app.bus.slice_exchange import (
    Exchange,
    SharedEncounters,
    cross_encounters,
    facts_from_state,
    facts_to_state,
)
from app.bus.subjects import Layout
from geo.alert_rules import AlertRules, VesselFacts
from geo.engine import Engine
from geo.events import Event
from geo.triage import Triage, Triaged


class Slices:
    """One partition's engine between slice closes (module docstring)."""

    def __init__(
        self,
        engine: Engine,
        shared: SharedEncounters,
        fusion: SharedFusion,
        exchange: Exchange,
        layout: Layout,
        own: Callable[[int], bool],
        rules: AlertRules,
    ) -> None:
        self.engine = engine
        self.shared = shared
        self.fusion = fusion
        self.exchange = exchange
        self.layout = layout
        self.partition = exchange.partition
        self.own = own
        #: Decides each event at the engine step that emits it, as one process does.
        self._triage = Triage(engine, rules).follow()

    @property
    def rules(self) -> AlertRules:
        """The alert rules in force (a ``rules`` message changes them between messages)."""
        return self._triage.rules

    @rules.setter
    def rules(self, rules: AlertRules) -> None:
        self._triage.rules = rules

    @property
    def slice_ms(self) -> int:
        return int(self.engine.config.slice_s * 1000)

    async def batch(self, batch: Batch, clock: dict[str, Any] | None) -> list[Event]:
        """Feed a batch slice by slice as ingest assigned them, closing where it says."""
        engine = self.engine
        if clock is None:  # a message from before ingest kept the clock: the engine's own
            return engine.process(batch)
        events: list[Event] = []
        runs = {int(sid): int(n) for sid, n in clock["runs"]}
        statics = list(zip(batch.statics, clock["statics"], strict=True))
        pos = batch.positions
        at = 0
        for sid in clock["sids"]:
            events += await self.enter(int(sid))
            n = runs.get(int(sid), 0)
            piece = Batch(pos.take(np.arange(at, at + n)), [r for r, s in statics if s == sid])
            at += n
            if len(piece):
                events += engine.process(piece)
        if clock["watermark"] is not None:  # event time as one engine over the feed has it
            w = int(clock["watermark"])
            engine.watermark = w if engine.watermark is None else max(engine.watermark, w)
        return events

    async def tick(self, now: int) -> list[Event]:
        """Ingest's clock moved on without records of this partition: close what is due."""
        lateness = int(round(self.engine.config.live_lateness_s * 1000))
        events = await self.enter((now - lateness) // self.slice_ms, tick=True)
        return events + self.engine.advance(now)

    async def end(self) -> list[Event]:
        """Close the open slice with everyone at the end of input, then flush the engine."""
        events: list[Event] = []
        if self.engine.slice is not None:
            events = await self.enter(self.engine.slice + 1, tick=True, flush=True)
        return events + self.engine.flush()

    async def enter(self, sid: int, *, tick: bool = False, flush: bool = False) -> list[Event]:
        """Be in slice ``sid``: close the slices before it, after the exchange."""
        engine = self.engine
        if engine.slice is None:
            if not tick:  # the feed's first slice, which every partition starts in
                engine.slice = sid
                engine.watermark = sid * self.slice_ms
            return []
        if sid <= engine.slice:
            return []
        await self._swap_close(sid, flush=flush)
        if tick:
            return []  # the caller's advance or flush closes the slice
        lateness = int(round(engine.config.live_lateness_s * 1000))
        return engine.advance(sid * self.slice_ms + lateness)

    async def _swap_close(self, sid: int, *, flush: bool = False) -> None:
        """Exchange the closing slice's cross-partition parts; merge them all into the engine.

        ``flush``: the close before the end of input, after which every pending contact is
        fused (`geo.engine.Engine.flush`): the placements of all of them go with it.
        """
        engine, shared, fusion = self.engine, self.shared, self.fusion
        assert engine.slice is not None
        end = (engine.slice + 1) * self.slice_ms
        mine = {
            "enc": shared.contribution(end, engine.identity.describe),
            "cov": engine.coverage.shared_pending(),
            "sampling": list(engine.gaps.pending),
            "fusion": fusion.contribution(end, engine.fleet, flush=flush),
        }
        if self.layout.partitions == 1:
            shared.take([json.loads(json.dumps(mine["enc"]))])
            return
        parts = await self.exchange.swap("c", str(sid), mine, range(self.layout.partitions))
        for j in sorted(parts):
            if j != self.partition:
                engine.coverage.add_shared(parts[j]["cov"])
        engine.gaps.pending = [sum(int(parts[j]["sampling"][i]) for j in parts) for i in (0, 1)]
        shared.take(parts[j]["enc"] for j in sorted(parts))
        fusion.take([parts[j].get("fusion", NO_PLACEMENTS) for j in sorted(parts)], end,
                    flush=flush)  # fmt: skip

    async def triage(self, events: list[Event], step: str) -> list[Triaged]:
        """Triage the events this partition publishes, each as its engine step knew it.

        An encounter across partitions is decided with the other vessel's facts at that step,
        asked of its partition (which offers its own vessels' facts of the same event).
        """
        own, triage = self.own, self._triage
        cross = cross_encounters(events, own)
        known: dict[int, dict[int, VesselFacts]] = {}
        if cross:
            offer = {repr(e.key()): facts_to_state(triage.facts_at_step(e, int(e.other_mmsi)))
                     for e in cross if e.other_mmsi is not None and own(e.other_mmsi)}  # fmt: skip
            want = sorted({int(e.other_mmsi) % self.layout.partitions
                           for e in cross if own(e.mmsi) and e.other_mmsi is not None})  # fmt: skip
            got = await self.exchange.swap("f", step, offer or None, want)
            theirs = {k: facts_from_state(f) for j in want for k, f in got[j].items()}
            for e in cross:
                if own(e.mmsi) and e.other_mmsi is not None and repr(e.key()) in theirs:
                    known[id(e)] = {int(e.other_mmsi): theirs[repr(e.key())]}
        return triage.decide([e for e in events if own(e.mmsi)], known)
