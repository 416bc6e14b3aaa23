"""Contact fusion across partitions: every partition fuses every contact, over every vessel.

Fusing a contact (`geo.detectors.contacts`) asks three things of the AIS picture: which vessels
were near it at its time (placed from their recent fixes), their reported length and type, and
the dark targets seen so far. The vessels are split by MMSI between the partitions; the dark
targets are no vessel's, and a boat without AIS joins whichever target its contacts fit,
wherever the vessels around it are owned. So fusion is *replicated*, as the encounter detector
is (`app.bus.slice_exchange`):

- every contact reaches every partition, in the same step of ingest's sequence (a ``contacts``
  record message, `app.bus.contacts`), so every partition holds the same pending contacts;
- at a slice close, before the engine fuses, each partition places *its own* vessels at the
  time of each contact that the close will fuse (a placement reads one vessel's own fixes,
  so the union of the partitions' placements is one engine's), with their lengths and types,
  and sends them in its part of the close; every partition merges all parts in MMSI order,
  which is the order one engine places vessels in, so the same contacts meet the same
  candidates everywhere;
- every partition then runs the same fusion and holds every dark target; it publishes the
  events of its own numbers: a ``dark_target`` by its target number mod N, a
  ``contact_association`` by its vessel's MMSI (`app.bus.subjects.partition_of`), each once.

The placements are exchanged, not the history: a close sends the rows of the vessels near the
contacts it fuses (often none), never a partition's fleet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from geo.ais_history import Placed
from geo.contacts import Contact
from geo.detectors.contacts import ContactFusion
from geo.tracker import Fleet

Part = dict[str, Any]
#: The part of a close made before contacts were on the bus (a replay after an upgrade).
NO_PLACEMENTS: Part = {"placed": [], "facts": {}, "waits": []}
#: Contacts of a dark target an API node is told at most (its first and its latest): a radar
#: track's contacts, one a minute for days, would outgrow NATS's largest message.
TOLD_CONTACTS = 1000
_COLUMNS = ("mmsi", "lat", "lon", "sog", "cog", "allowance_m")


class SharedFusion(ContactFusion):
    """Contact fusion with the placements of every partition's vessels (module docstring)."""

    merged: dict[tuple[Any, ...], list[Placed]]
    facts: dict[int, tuple[float | None, int | None]]
    #: Per contact of the close to come, whether a vessel of any partition is awaited.
    waits: dict[tuple[Any, ...], bool]
    #: This partition's dark targets as last told (a new worker tells them all again).
    told: dict[int, tuple[Any, ...]]

    @classmethod
    def adopt(cls, base: ContactFusion) -> SharedFusion:
        """Return ``base`` (a new or restored engine's fusion) as one of several."""
        obj = cls.__new__(cls)
        obj.__dict__.update(vars(base))
        obj.merged = {}
        obj.facts = {}
        obj.waits = {}
        obj.told = {}
        return obj

    def due(self, end_ms: int, *, flush: bool) -> list[Contact]:
        """Return the pending contacts the close of the slice ending at ``end_ms`` fuses.

        What `ContactFusion.tick` fuses (settled by then); at the end of input every one
        (`ContactFusion.flush` follows the close).
        """
        until = end_ms - int(self.cfg.contact_settle_s * 1000)
        return [c for _, c in self.pending if flush or c.time_ms <= until]

    def contribution(self, end_ms: int, fleet: Fleet, *, flush: bool) -> Part:
        """Return this partition's placements for the close of the slice ending at ``end_ms``.

        The history is recorded at the slice end first, as the close records it before it
        fuses (recording twice at one end keeps nothing twice).
        """
        self.history.record(end_ms, fleet)
        self._now_ms = end_ms  # the clock the close fuses at (`ContactFusion.fuse_until`)
        rows: list[list[list[Any]]] = []
        facts: dict[str, list[Any]] = {}
        waits: list[bool] = []
        for c in self.due(end_ms, flush=flush):
            p = super().placed_at(c)
            rows.append([getattr(p, col).tolist() for col in _COLUMNS])
            for m in p.mmsi.tolist():
                facts[str(m)] = [self.lengths.get(m), self.types.get(m)]
            waits.append(super().awaiting(c, end_ms))
        return {"placed": rows, "facts": facts, "waits": waits}

    def take(self, parts: list[Part], end_ms: int, *, flush: bool) -> None:
        """Merge every partition's placements (partition order) for the close to come."""
        self.merged = {}
        self.facts = {}
        self.waits = {}
        due = self.due(end_ms, flush=flush)
        for part in parts:
            if len(part["placed"]) != len(due):
                raise ValueError("a partition placed other contacts at this close")
            for m, (length, kind) in part["facts"].items():
                self.facts[int(m)] = (length, kind)
        for k, c in enumerate(due):
            cols = [np.concatenate([np.asarray(p["placed"][k][i]) for p in parts])
                    for i in range(len(_COLUMNS))]  # fmt: skip
            order = np.argsort(cols[0], kind="stable")
            placed = Placed(
                cols[0].astype(np.int64)[order],
                *(col.astype(np.float64)[order] for col in cols[1:]),
            )
            self.merged.setdefault(_key(c), []).append(placed)  # a contact reported twice
            # a vessel of any partition still to be heard after it: every partition waits
            waits = [bool(p["waits"][k]) for p in parts if "waits" in p]
            self.waits[_key(c)] = self.waits.get(_key(c), False) or any(waits)

    def news(self, own: Callable[[int], bool], *, outcomes: bool) -> dict[str, Any]:
        """Return what fusion did in a step that others keep (an event message's ``extra``).

        With ``outcomes`` (partition 0) what each stored contact was fused to, which the store
        records as one process does (`set_contact_fusion`); and the dark targets ``own`` that
        changed or were forgotten, which the API nodes answer ``/api/v1/targets`` from.
        Every partition runs the same fusion, so one tells each; every partition takes its
        outcomes, which would otherwise pile up.
        """
        extra: dict[str, Any] = {}
        fused = [[o.contact.id, o.mmsi, o.target] for o in self.take_outcomes()
                 if o.contact.id is not None]  # fmt: skip
        if fused and outcomes:
            extra["fused"] = fused
        targets: list[dict[str, Any]] = []
        for n in sorted(self.tracks):
            if not own(n):
                continue
            tr = self.tracks[n]
            mark = (len(tr.contacts), tr.closed, tuple(len(v) for v in tr.evidence.values()))
            if self.told.get(n) != mark:
                self.told[n] = mark
                state = tr.to_state()
                if len(tr.contacts) > TOLD_CONTACTS:
                    cs = state["contacts"]
                    state["contacts"] = cs[:1] + cs[1 - TOLD_CONTACTS :]
                targets.append(state)
        gone = sorted(n for n in self.told if n not in self.tracks)
        for n in gone:
            del self.told[n]
        if targets:
            extra["targets"] = targets
        if gone:
            extra["gone"] = gone
        return extra

    # -- what fusion reads ---------------------------------------------------------------------

    def placed_at(self, c: Contact) -> Placed:
        merged = self.merged.get(_key(c))
        return merged.pop(0) if merged else super().placed_at(c)

    def awaiting(self, c: Contact, now_ms: int) -> bool:
        waits = self.waits.get(_key(c))
        return super().awaiting(c, now_ms) if waits is None else waits

    def length_of(self, mmsi: int) -> float | None:
        if mmsi in self.facts:
            return self.facts[mmsi][0]
        return super().length_of(mmsi)

    def type_of(self, mmsi: int) -> int | None:
        if mmsi in self.facts:
            return self.facts[mmsi][1]
        return super().type_of(mmsi)


def _key(c: Contact) -> tuple[Any, ...]:
    return (*c.order_key(), c.id if c.id is not None else -1)
