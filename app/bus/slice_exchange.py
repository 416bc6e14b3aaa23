"""What crosses partitions: each slice close's encounter candidates and coverage, and facts.

One engine over the whole feed looks across vessels in two places only, both when a one-minute
slice closes (`geo.engine`): encounters (slow vessels' positions resampled on the minute grid,
matched with everyone else's) and the coverage map that gap judgements read (reports heard and
expected per cell and station). With the vessels split by MMSI between engines, each engine
holds only its own vessels' part of both. So at every slice close each partition publishes its
part (`Contribution`) and waits for every other partition's part of the same close, then
merges them all in partition order:

- the encounter detector is *replicated*: every partition runs the same detector over every
  partition's candidates (`SharedEncounters`), so every partition holds every pair in the
  state one engine would (the last fix time and the identity of a pair's vessels travel with
  the candidates while they matter). A partition keeps the episodes of its own vessels (their
  risk reads them) and publishes those whose lower MMSI is its own: each once;
- the coverage map is replicated the same way (`geo.coverage.Coverage.add_shared`: integer
  counts, summed in any order); each vessel's own reception and rate stay with its owner.

The close is a barrier on event time, not on arrival: ingest decides every close once for all
partitions (`app.bus.ingest_worker`), so a partition never closes a slice before every other
partition has sent what it holds up to that slice's end, whatever the interleaving between
workers, and a worker replaying after a restart reads the others' parts of past closes from the
stream. An encounter is triaged by the riskier of its two vessels: the owner of the higher
MMSI, when the other partition owns the lower, publishes that vessel's facts at the end of the
step (`swap` under the step's key), and the lower's owner waits for them.

Exchanged messages live in the ``<P>_EXCHANGE`` stream, one subject per close (or step),
partition and chunk (a large part, a world feed's first close with every vessel's identity, is
cut under NATS's largest message); the last message of a subject is the part (a replay
publishes the same bytes again).
"""

from __future__ import annotations

import asyncio
import json
import logging
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from typing import Any

import nats.errors
import numpy as np
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from ais_ingest.records import Batch
from app.bus import messages
from app.bus.connect import RETRY_S
from app.bus.subjects import Layout
from geo.alert_rules import VesselFacts
from geo.clock import ClockGuard, LastFix
from geo.config import EngineConfig
from geo.detectors.base import Describer, SliceContext
from geo.detectors.encounter import EncounterDetector
from geo.detectors.encounter_points import Points
from geo.engine import Engine
from geo.events import Event, EventKind
from geo.tracker import Fleet

log = logging.getLogger("app.bus.exchange")

Contribution = dict[str, Any]
#: Longest pause between two looks for another partition's part (the first is 2 ms).
POLL_MAX_S = 0.02
#: Bytes per message of a part: under NATS's default largest message (1 MiB).
CHUNK_BYTES = 512 * 1024
#: On the first message of a part: how many messages it is in.
CHUNKS = "Mare-Chunks"
#: Seconds a partition waits for another's part before it says so in the log (once a wait):
#: past a busy moment, that partition's worker is dead or stuck (docs/scaling.md).
STALL_LOG_S = 30.0


class JudgedClock(ClockGuard):
    """The guard of a partition's engine, which holds and drops nothing.

    Ingest judged every record already, with one guard over the whole feed
    (`app.bus.ingest_worker`): a partition sees a part of the feed, whose pace is not the feed's.
    """

    def filter(self, batch: Batch, watermark: int | None) -> Batch:
        return batch

    def finish(self, watermark: int | None, last_fix: LastFix | None = None) -> Batch:
        return Batch()


class SharedEncounters(EncounterDetector):
    """The encounter detector over every partition's candidates; see the module docstring.

    Candidates are matched on the detector's own `mirror` fleet (a slot per vessel that ever was
    a candidate, anywhere), whose last fix times are the owners' as of each close; the partition's
    own candidates wait in `outbox` until the close sends them.
    """

    def __init__(
        self, cfg: EngineConfig, local: Fleet, own: Callable[[int], bool], say: Describer
    ) -> None:
        super().__init__(cfg)
        self.local = local
        self.own = own
        self.mirror = Fleet()
        self.words: dict[int, dict[str, Any]] = {}
        self.mirror_say = Describer(say.place, self._words, say.zones_at_point)
        self.outbox: list[tuple[Any, Any, Any, Any]] = []  # grid ms, mmsi, lat, lon
        self.last_cand: dict[int, int] = {}  # own vessel -> latest grid time it was a candidate
        self.sent_t: dict[int, int] = {}
        self.sent_words: dict[int, str] = {}

    def _words(self, mmsi: int) -> dict[str, object]:
        return dict(self.words.get(mmsi, {}))

    @property
    def _keep_ms(self) -> int:
        """How long after its last candidate a vessel may still be in an open pair (+ margin)."""
        cfg = self.cfg
        return int((cfg.interp_max_s + cfg.encounter_break_s + 3 * cfg.slice_s) * 1000)

    # -- the engine's calls -----------------------------------------------------------------

    def process(self, ctx: SliceContext) -> None:
        before = len(self.new)
        super().process(ctx)
        for gt, pts in self.new[before:]:
            self.outbox.append((gt, self.local.mmsi_col[pts.slot], pts.lat, pts.lon))
        del self.new[before:]

    def tick(self, boundary_ms: int, fleet: Fleet, say: Describer) -> list[Event]:
        return self._mine(super().tick(boundary_ms, self.mirror, self.mirror_say))

    def ongoing(self) -> list[Event]:
        return self._mine(super().ongoing())

    def _mine(self, events: list[Event]) -> list[Event]:
        return [
            e
            for e in events
            if self.own(e.mmsi) or (e.other_mmsi is not None and self.own(e.other_mmsi))
        ]

    # -- the exchange -----------------------------------------------------------------------

    def contribution(self, end_ms: int, describe: Callable[[int], dict[str, Any]]) -> Contribution:
        """Return the partition's part of the close of the slice ending at ``end_ms``."""
        if self.outbox:
            gt = np.concatenate([o[0] for o in self.outbox])
            mm = np.concatenate([o[1] for o in self.outbox])
            lat = np.concatenate([o[2] for o in self.outbox])
            lon = np.concatenate([o[3] for o in self.outbox])
        else:
            gt = mm = np.zeros(0, np.int64)
            lat = lon = np.zeros(0)
        self.outbox = []
        if len(mm):
            um, inv = np.unique(mm, return_inverse=True)
            latest = np.full(len(um), np.iinfo(np.int64).min, np.int64)
            np.maximum.at(latest, inv.ravel(), gt)
            for m, g in zip(um.tolist(), latest.tolist(), strict=True):
                self.last_cand[m] = max(g, self.last_cand.get(m, g))
        horizon = end_ms - self._keep_ms
        for m in [m for m, g in self.last_cand.items() if g < horizon]:
            del self.last_cand[m]
            self.sent_t.pop(m, None)
            self.sent_words.pop(m, None)
        heard: list[list[int]] = []
        words: dict[str, Any] = {}
        for m in sorted(self.last_cand):
            slot = self.local.slot_of.get(m)
            t = -1 if slot is None else int(self.local.t[slot])
            if self.sent_t.get(m) != t:
                heard.append([m, t])
                self.sent_t[m] = t
            w = json.dumps(describe(m), sort_keys=True, default=str)
            if self.sent_words.get(m) != w:
                words[str(m)] = json.loads(w)
                self.sent_words[m] = w
        return {
            "gt": gt.tolist(),
            "mmsi": mm.tolist(),
            "lat": lat.tolist(),
            "lon": lon.tolist(),
            "heard": heard,
            "words": words,
        }

    def take(self, parts: Iterable[Contribution]) -> None:
        """Merge every partition's part of a close (in partition order) before the close."""
        for c in parts:
            if c["heard"]:
                hm = np.array([h[0] for h in c["heard"]], np.int64)
                slots = self.mirror.slots(hm)  # first: new slots may grow the columns
                self.mirror.t[slots] = [h[1] for h in c["heard"]]
            for m, w in c["words"].items():
                self.words[int(m)] = w
            if not c["mmsi"]:
                continue
            um, inv = np.unique(np.array(c["mmsi"], np.int64), return_inverse=True)
            slots = self.mirror.slots(um)[inv.ravel()]
            pts = Points(slots, np.array(c["lat"], float), np.array(c["lon"], float))
            self.new.append((np.array(c["gt"], np.int64), pts))

    # -- snapshot ---------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        state = super().to_state()
        state["shared"] = {
            "mirror": self.mirror.to_state(),
            "words": [[m, w] for m, w in sorted(self.words.items())],
            "outbox": [
                [g.tolist(), m.tolist(), la.tolist(), lo.tolist()] for g, m, la, lo in self.outbox
            ],  # fmt: skip
            "last_cand": sorted(self.last_cand.items()),
            "sent_t": sorted(self.sent_t.items()),
            "sent_words": sorted(self.sent_words.items()),
        }
        return state

    def load_state(self, obj: dict[str, Any]) -> None:
        super().load_state(obj)
        shared = obj.get("shared")
        if shared is None:  # a snapshot of an engine that did not share (one partition)
            return
        self.mirror = Fleet.from_state(shared["mirror"])
        self.words = {int(m): w for m, w in shared["words"]}
        self.outbox = [
            (np.array(g, np.int64), np.array(m, np.int64), np.array(la), np.array(lo))
            for g, m, la, lo in shared["outbox"]
        ]
        self.last_cand = {int(m): int(g) for m, g in shared["last_cand"]}
        self.sent_t = {int(m): int(t) for m, t in shared["sent_t"]}
        self.sent_words = {int(m): str(w) for m, w in shared["sent_words"]}


def share(engine: Engine, own: Callable[[int], bool], snapshot: bytes | None) -> SharedEncounters:
    """Make a partition's engine one of several: judged clock, replicated encounter detector."""
    engine.clock = JudgedClock(engine.config)
    shared = SharedEncounters(engine.config, engine.fleet, own, engine.say)
    if snapshot is not None:
        shared.load_state(json.loads(snapshot)["encounters"])
    engine.encounters = shared
    return shared


def facts_to_state(f: VesselFacts) -> dict[str, Any]:
    """Return a vessel's facts as JSON-ready data (for the owner of the other vessel)."""
    return asdict(f)


def facts_from_state(obj: dict[str, Any]) -> VesselFacts:
    """Inverse of `facts_to_state`."""
    return VesselFacts(**obj)


def cross_encounters(events: Sequence[Event], own: Callable[[int], bool]) -> list[Event]:
    """Encounters of the step whose two vessels are in different partitions."""
    return [
        e
        for e in events
        if e.kind is EventKind.ENCOUNTER
        and e.other_mmsi is not None
        and own(e.mmsi) != own(e.other_mmsi)
    ]


class Exchange:
    """One partition's side of the exchange stream (see the module docstring)."""

    def __init__(self, js: JetStreamContext, layout: Layout, partition: int) -> None:
        self.js = js
        self.layout = layout
        self.partition = partition
        self.waited_s = 0.0
        self.swaps = 0
        #: Since when (loop time) this partition waits for another's part (None: it does not).
        self.waiting_since: float | None = None

    async def swap(
        self, kind: str, key: str, mine: Contribution | None, want: Iterable[int]
    ) -> dict[int, Contribution]:
        """Publish this partition's part (if any); return the parts of ``want``'s partitions."""
        self.swaps += 1
        out: dict[int, Contribution] = {}
        if mine is not None:
            data = zlib.compress(json.dumps(mine, separators=(",", ":")).encode(), 1)
            subject = self.layout.exchange_subject(kind, key, self.partition)
            chunks = [data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)]
            # the first chunk last: it names the others, so a reader that finds it has them all
            for i in [*range(1, len(chunks)), 0]:
                head = {messages.MSG_ID: f"{subject}.{i}", CHUNKS: str(len(chunks))}
                await self._publish(f"{subject}.{i}", chunks[i], head)
            out[self.partition] = json.loads(zlib.decompress(data))
        loop = asyncio.get_running_loop()
        t0 = self.waiting_since = loop.time()
        try:
            for j in want:
                if j not in out:
                    out[j] = await self._wait(self.layout.exchange_subject(kind, key, j), j)
        finally:
            self.waiting_since = None
        self.waited_s += loop.time() - t0
        return out

    def waiting_s(self) -> float:
        """Return how long this partition has been waiting for another's part (0: it is not)."""
        since = self.waiting_since
        return 0.0 if since is None else asyncio.get_running_loop().time() - since

    async def _publish(self, subject: str, data: bytes, headers: dict[str, str]) -> None:
        while True:
            try:
                await self.js.publish(subject, data, headers=headers, timeout=5.0)
                return
            except (nats.errors.Error, OSError, TimeoutError) as exc:
                log.debug("%s: publish failed (%s); retrying", subject, exc)
                await asyncio.sleep(RETRY_S)

    async def _wait(self, subject: str, partition: int) -> Contribution:
        pause = 0.002
        told = False
        while True:
            if not told and self.waiting_s() > STALL_LOG_S:
                told = True
                log.warning(
                    "partition %d waits for partition %d at %s: is its engine worker running? "
                    "(mare_bus_close_waiting_seconds)",
                    self.partition, partition, subject,
                )  # fmt: skip
            try:
                first = await self.js.get_last_msg(self.layout.exchange_stream, f"{subject}.0")
                parts = [first.data or b""]
                for i in range(1, int((first.headers or {}).get(CHUNKS, 1))):
                    msg = await self.js.get_last_msg(self.layout.exchange_stream, f"{subject}.{i}")
                    parts.append(msg.data or b"")
                return dict(json.loads(zlib.decompress(b"".join(parts))))
            except NotFoundError:
                pass
            except (nats.errors.Error, OSError, TimeoutError) as exc:
                log.debug("%s: read failed (%s); retrying", subject, exc)
            await asyncio.sleep(pause)
            pause = min(POLL_MAX_S, pause * 2)
