"""Live hub: the one place where vessel changes and alerts fan out to push consumers.

The pipeline publishes; WebSocket, SSE and webhook consumers each hold a `Subscription` and pull
at their own pace. Publishing never waits on a consumer: it appends to two bounded shared logs
and wakes the subscribers, so its cost does not grow with the number of clients.

- Vessel changes go to a change log of batches (bounded by ``vessel_log_size`` vessel states)
  beside a latest-state map. A subscriber that reads late takes only the newest state of each
  vessel (intermediate states of a slow client are dropped by design and counted); one that
  falls behind the log altogether is resynchronised from the latest-state map (counted too).
- Alerts go to a ring (bounded by ``alert_ring_size``) with a strictly increasing sequence id,
  which is the SSE event id. Alerts are never coalesced: a subscriber loses alerts only if it
  falls more than a whole ring behind, and every lost alert is counted. The sequence id is the
  publish wall-clock time in milliseconds, bumped by one where needed to stay strictly
  increasing (and past the highest id stored, `alert_seq_start`), so ids keep increasing across
  restarts. Alert observers (`add_alert_observer`, `app.api.push.seq_recorder`) get each numbered
  alert in order, so the store can record each alert's latest id and a stream resuming from an
  id older than the ring reads the rest from the store on the same clock (`Hub.alert_history`
  and `Subscription.take_alert_window`, which says how far back the ring still reaches).

`publish_vessels`, `remove_vessels` and `publish_alert` may be called from any thread; the
subscribers' wake-ups are handed to their event loop.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from geo.bbox import Bbox, contains

#: ``(min_lon, min_lat, max_lon, max_lat)``; ``min_lon > max_lon`` crosses the antimeridian.
VesselFilter = Callable[[dict[str, Any]], bool]
AlertFilter = Callable[[dict[str, Any]], bool]
#: ``(after, upto)`` -> the stored alerts whose latest publication has a sequence id in
#: ``(after, upto]``, as ``(seq, alert)`` in sequence order (SSE resumption from the store).
AlertHistory = Callable[[int, int], Awaitable[list[tuple[int, dict[str, Any]]]]]
#: Called with every alert entry as it enters the ring (under the hub's lock: must not block).
AlertObserver = Callable[["AlertEntry"], None]
LatencyObserver = Callable[[str, float], None]

#: Defaults sized for the central Med picture: ~5,000 live vessels reporting every few seconds
#: make ~2,000 states/s, so 200k states is ~100 s of history before a reader is resynchronised;
#: 10,000 alerts is days of alerts at the rates the engine produces.
VESSEL_LOG_SIZE = 200_000
ALERT_RING_SIZE = 10_000


def encode(obj: Any) -> str:
    """Return compact JSON (the form every consumer sends)."""
    return json.dumps(obj, separators=(",", ":"))


def in_bbox(vessel: dict[str, Any], bbox: Bbox | None) -> bool:
    """Return whether the vessel's last position lies in ``bbox`` (edges inclusive).

    A vessel without a position is inside only the unbounded view (``bbox=None``).
    """
    return bbox is None or contains(bbox, vessel.get("lon"), vessel.get("lat"))


@dataclass(slots=True)
class _Change:
    seq: int
    vessels: list[dict[str, Any]]
    encoded: list[str]  # each vessel's JSON, made once for every consumer
    removed: list[int]
    at: float  # monotonic publish time, for latency


@dataclass(slots=True)
class _View:
    """Changes after a cursor as one view sees them (shared by consumers with that view)."""

    upsert: list[dict[str, Any]]
    texts: list[str]
    mmsis: list[int]
    #: Changed vessels out of view and removed vessels: removed from a consumer holding them.
    gone: list[int]
    oldest: float | None
    superseded: int = 0
    #: Wall-clock time at which the changes were collected (the diff's ``time``).
    made: float = field(default_factory=time.time)
    _joined: str | None = None

    def joined(self) -> str:
        """Return the upsert JSON texts joined by commas (made once per view)."""
        if self._joined is None:
            self._joined = ",".join(self.texts)
        return self._joined


@dataclass(slots=True)
class Diff:
    """What changed in one subscriber's view since its last read."""

    upsert: list[dict[str, Any]]
    remove: list[int]
    #: Monotonic time at which the oldest change in this diff was published (None if empty).
    oldest: float | None = None
    #: ``upsert`` as JSON texts (encoded once at publication, shared by all consumers).
    upsert_json: list[str] = field(default_factory=list)
    #: ``upsert_json`` joined by commas, the inside of a JSON array (shared by all consumers
    #: that read the same changes with the same view).
    upsert_joined: str = ""
    #: Wall-clock time at which the changes were collected (the same for those consumers).
    made: float = 0.0


@dataclass(slots=True)
class AlertEntry:
    """One alert in the ring with its sequence id and monotonic publish time."""

    seq: int
    alert: dict[str, Any]
    at: float
    #: Ordinal of the alert since the hub started (1, 2, ...): counts what a late reader lost.
    n: int = 0


@dataclass(eq=False)
class Subscription:
    """One consumer's cursor into the hub; pull with `take_diff` / `take_alerts`.

    The view (``bbox`` and ``vessel_filter``) decides which vessels the consumer holds;
    ``alert_filter`` which alerts it gets (liaison scoping plugs in here).
    """

    hub: Hub
    kind: str
    bbox: Bbox | None = None
    vessel_filter: VesselFilter | None = None
    alert_filter: AlertFilter | None = None
    vessel_cursor: int = 0
    alert_cursor: int = 0
    #: Ordinal of the last alert read; None when the cursor came from outside (SSE resume).
    alert_n: int | None = None
    known: set[int] = field(default_factory=set)
    #: Vessels to send on the next diff whatever changed (e.g. newly revealed to a liaison).
    reveal: set[int] = field(default_factory=set)
    #: Whether vessel changes wake this subscriber (alert-only consumers: SSE, webhooks).
    vessels: bool = True
    closed: bool = False
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _loop: asyncio.AbstractEventLoop | None = None

    def sees(self, vessel: dict[str, Any]) -> bool:
        """Return whether ``vessel`` belongs in this subscriber's view."""
        if not in_bbox(vessel, self.bbox):
            return False
        return self.vessel_filter is None or self.vessel_filter(vessel)

    def set_view(self, bbox: Bbox | None, vessel_filter: VesselFilter | None = None) -> None:
        """Change the view; call `snapshot` next so the consumer starts from a full picture."""
        self.bbox = bbox
        self.vessel_filter = vessel_filter

    def snapshot(self, source: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Return every vessel in view now, and restart the diff cursor from here.

        ``source`` is the full live picture when the caller has one (the hub knows only the
        vessels published since it started); read it on the loop right before this call so no
        change falls between the two.
        """
        return self.hub._snapshot(self, source)

    def take_diff(self) -> Diff:
        """Return the newest state of each vessel in view that changed since the last read."""
        return self.hub._take_diff(self)

    def take_alerts(self) -> list[AlertEntry]:
        """Return the alerts this subscriber has not had yet, oldest first (filtered)."""
        return self.hub._take_alerts(self)[0]

    def take_alert_window(self) -> AlertWindow:
        """Like `take_alerts`, with what a reader resuming from the store needs to know.

        The ring's floor and the new cursor are read under the same lock as the entries, so
        ``(cursor before, floor]`` is exactly what the ring could no longer give.
        """
        entries, floor, head = self.hub._take_alerts(self)
        return AlertWindow(entries, floor, head)

    def has_vessel_changes(self) -> bool:
        return bool(self.reveal) or self.vessel_cursor < self.hub._vessel_seq

    @property
    def lag(self) -> int:
        """Return how many vessel publications this subscriber has not read yet."""
        return self.hub._vessel_seq - self.vessel_cursor

    def has_alerts(self) -> bool:
        return self.alert_cursor < self.hub._alert_seq

    async def wait(self, timeout: float | None = None, *, vessels: bool | None = None) -> bool:
        """Wait until something was published (True) or ``timeout`` passed (False).

        Returns at once if there is already something unread (with ``vessels=False``, only
        unread alerts count: a throttled reader waiting for its next diff) or if woken since
        the last wait (a wake-up is never lost; a stale one costs one empty round); raises
        `HubClosed` once the hub or this subscription is closed.
        """
        if self.closed:
            raise HubClosed
        if vessels is None:
            vessels = self.vessels
        if self.has_alerts() or (vessels and self.has_vessel_changes()):
            return True
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            return False
        finally:
            self._wake.clear()
        if self.closed:
            raise HubClosed
        return True

    def poke(self) -> None:
        """Wake a pending `wait` (from the subscriber's own loop), e.g. after a view change."""
        self._wake.set()

    def close(self) -> None:
        """Leave the hub; a pending `wait` raises `HubClosed`."""
        self.hub._unsubscribe(self)

    def _notify(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)


@dataclass(slots=True)
class AlertWindow:
    """One read of a subscriber's alerts (`Subscription.take_alert_window`)."""

    entries: list[AlertEntry]
    #: Highest sequence id no longer in the ring when read: older ones only in the store.
    floor: int
    #: The subscriber's cursor after the read: every alert up to it was considered.
    head: int


class HubClosed(Exception):
    """The hub (or the subscription) was closed; the consumer should end."""


class Hub:
    """Fan-out of vessel changes and alerts to push consumers; see the module docstring."""

    def __init__(
        self,
        *,
        vessel_log_size: int = VESSEL_LOG_SIZE,
        alert_ring_size: int = ALERT_RING_SIZE,
        alert_seq_start: int | None = None,
    ) -> None:
        """``alert_seq_start``: the highest sequence id already used (e.g. stored), if known."""
        self._lock = threading.RLock()
        self._vessel_log_size = vessel_log_size
        self._vessels: dict[int, tuple[int, dict[str, Any], str]] = {}
        self._log: deque[_Change] = deque()
        self._log_states = 0
        self._vessel_seq = 0
        #: Highest vessel seq no longer in the log; a cursor below it must resynchronise.
        self._log_floor = 0
        self._ring: deque[AlertEntry] = deque(maxlen=alert_ring_size)
        self._alert_seq = max(int(time.time() * 1000), alert_seq_start or 0)
        self._alert_n = 0
        #: Highest alert seq no longer in the ring (the start seq before any eviction).
        self._alert_floor = self._alert_seq
        self._subs: set[Subscription] = set()
        #: Diffs already collected for the head ``_views_head``, by (cursor, bbox).
        self._views: dict[tuple[int, Bbox | None], _View] = {}
        self._views_head = -1
        self._closed = False
        #: Optional store-backed history for SSE resumption older than the ring.
        self.alert_history: AlertHistory | None = None
        #: Counts for /metrics: items dropped per stage, alerts by kind, states published.
        self.drops: Counter[str] = Counter()
        self.alerts_by_kind: Counter[str] = Counter()
        self.vessel_states_published = 0
        self._latency_observers: list[LatencyObserver] = []
        self._alert_observers: list[AlertObserver] = []

    # -- publishing (pipeline side) ---------------------------------------------------------

    def publish_vessels(self, vessels: list[dict[str, Any]]) -> None:
        """Record the Vessel JSON of vessels that changed; wakes subscribers, never waits."""
        if not vessels or self._closed:
            return
        with self._lock:
            self._vessel_seq += 1
            seq = self._vessel_seq
            encoded = [encode(v) for v in vessels]
            for v, e in zip(vessels, encoded, strict=True):
                self._vessels[int(v["mmsi"])] = (seq, v, e)
            self._append(_Change(seq, list(vessels), encoded, [], time.monotonic()))
            self.vessel_states_published += len(vessels)
        self._notify_all(vessels=True)

    def remove_vessels(self, mmsis: Iterable[int]) -> None:
        """Forget vessels that left the live picture; subscribers holding them get a remove."""
        gone = [m for m in mmsis if m in self._vessels]
        if not gone or self._closed:
            return
        with self._lock:
            self._vessel_seq += 1
            for m in gone:
                self._vessels.pop(m, None)
            self._append(_Change(self._vessel_seq, [], [], gone, time.monotonic()))
        self._notify_all(vessels=True)

    def publish_alert(self, alert: dict[str, Any], seq: int | None = None) -> None:
        """Append the Alert JSON to the ring with the next sequence id; never waits.

        ``seq``: the id another process gave the alert (an API node on the bus gets alerts
        numbered by the store worker, so every node shows a client the same ids). Ids come in
        order there; one not above the last is one this hub has, and is skipped. The first one
        may be below this hub's start (another machine's clock): the ring starts from it.
        """
        if self._closed:
            return
        with self._lock:
            if seq is None:
                seq = max(self._alert_seq + 1, int(time.time() * 1000))
            elif seq <= self._alert_seq:
                if self._alert_n:
                    return
                self._alert_floor = seq - 1
            self._alert_seq = seq
            self._alert_n += 1
            if len(self._ring) == self._ring.maxlen:
                self._alert_floor = self._ring[0].seq
            entry = AlertEntry(seq, alert, time.monotonic(), self._alert_n)
            self._ring.append(entry)
            self.alerts_by_kind[str(alert.get("kind"))] += 1
            for observe in self._alert_observers:  # in sequence order: under the lock
                observe(entry)
        self._notify_all()

    def _append(self, change: _Change) -> None:
        self._log.append(change)
        self._log_states += len(change.vessels) + len(change.removed)
        while self._log_states > self._vessel_log_size and len(self._log) > 1:
            old = self._log.popleft()
            self._log_states -= len(old.vessels) + len(old.removed)
            self._log_floor = old.seq

    def _notify_all(self, vessels: bool = False) -> None:
        for sub in list(self._subs):
            if sub.vessels or not vessels:
                sub._notify()

    # -- reading (consumer side) ------------------------------------------------------------

    def subscribe(
        self,
        kind: str,
        *,
        bbox: Bbox | None = None,
        vessel_filter: VesselFilter | None = None,
        alert_filter: AlertFilter | None = None,
        alerts_after: int | None = None,
        vessels: bool = True,
    ) -> Subscription:
        """Register a consumer (``kind`` labels it in /metrics: ``websocket``, ``sse``, ...).

        Alerts are delivered from ``alerts_after`` (a sequence id) on, else from now. With
        ``vessels=False`` (an alert-only consumer) vessel changes neither wake it nor count as
        unread. Call from the event loop that will `Subscription.wait`.
        """
        if self._closed:
            raise HubClosed
        with self._lock:
            sub = Subscription(
                hub=self,
                kind=kind,
                bbox=bbox,
                vessel_filter=vessel_filter,
                alert_filter=alert_filter,
                vessel_cursor=self._vessel_seq,
                alert_cursor=self._alert_seq if alerts_after is None else alerts_after,
                alert_n=self._alert_n if alerts_after is None else None,
                vessels=vessels,
                _loop=asyncio.get_running_loop(),
            )
            self._subs.add(sub)
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        sub.closed = True
        with self._lock:
            self._subs.discard(sub)
        sub._notify()

    def _snapshot(
        self, sub: Subscription, source: list[dict[str, Any]] | None
    ) -> list[dict[str, Any]]:
        with self._lock:
            if source is None:
                source = [v for _, v, _ in self._vessels.values()]
            out = [v for v in source if sub.sees(v)]
            sub.vessel_cursor = self._vessel_seq
        sub.known = {int(v["mmsi"]) for v in out}
        sub.reveal.clear()
        return out

    def _take_diff(self, sub: Subscription) -> Diff:
        with self._lock:
            cursor, head = sub.vessel_cursor, self._vessel_seq
            if cursor < self._log_floor:
                self.drops[f"{sub.kind}_resync"] += 1
                changed = {m: (v, e) for m, (s, v, e) in self._vessels.items() if s > cursor}
                removed = {m for m in sub.known if m not in self._vessels}
                view = self._view(changed, removed, None, sub)
            elif sub.vessel_filter is None and not sub.reveal:
                # Consumers reading at the same ticks share one walk of the log per view.
                if self._views_head != head:
                    self._views.clear()
                    self._views_head = head
                key = (cursor, sub.bbox)
                shared = self._views.get(key)
                if shared is None:
                    shared = self._views[key] = self._walk(cursor, sub)
                view = shared
            else:
                view = self._walk(cursor, sub)
            if view.superseded:
                self.drops[f"{sub.kind}_superseded"] += view.superseded
            if sub.reveal:
                has = {*view.mmsis, *view.gone}
                extra = {
                    m: self._vessels[m][1:]
                    for m in sub.reveal
                    if m not in has and m in self._vessels
                }
                if extra:
                    more = self._view(extra, set(), None, sub)
                    view = _View(
                        view.upsert + more.upsert,
                        view.texts + more.texts,
                        view.mmsis + more.mmsis,
                        view.gone + more.gone,
                        view.oldest,
                        view.superseded,
                    )
            sub.reveal.clear()
            sub.vessel_cursor = head
        known = sub.known
        remove = [m for m in view.gone if m in known]
        known.difference_update(remove)
        known.update(view.mmsis)
        return Diff(
            view.upsert,
            remove,
            view.oldest if (view.upsert or remove) else None,
            view.texts,
            view.joined(),
            view.made,
        )

    def _walk(self, cursor: int, sub: Subscription) -> _View:
        """Collect the newest state of each vessel changed after ``cursor``, in ``sub``'s view."""
        changed: dict[int, tuple[dict[str, Any], str]] = {}
        removed: set[int] = set()
        oldest: float | None = None
        superseded = 0
        for ch in reversed(self._log):
            if ch.seq <= cursor:
                break
            oldest = ch.at
            for v, e in zip(ch.vessels, ch.encoded, strict=True):
                m = int(v["mmsi"])
                if m in changed or m in removed:
                    superseded += 1
                else:
                    changed[m] = (v, e)
            for m in ch.removed:
                if m not in changed:
                    removed.add(m)
        view = self._view(changed, removed, oldest, sub)
        view.superseded = superseded
        return view

    @staticmethod
    def _view(
        changed: dict[int, tuple[dict[str, Any], str]],
        removed: set[int],
        oldest: float | None,
        sub: Subscription,
    ) -> _View:
        """Split changes into upserts in ``sub``'s view and vessels to remove if it holds them.

        Depends on the view only (bbox, filter), not on what ``sub`` holds, so it can be shared.
        """
        view = _View([], [], [], [], oldest)
        for m, (v, e) in changed.items():
            if sub.sees(v):
                view.upsert.append(v)
                view.texts.append(e)
                view.mmsis.append(m)
            else:
                view.gone.append(m)
        view.gone.extend(removed)
        return view

    def _take_alerts(self, sub: Subscription) -> tuple[list[AlertEntry], int, int]:
        with self._lock:
            cursor, floor = sub.alert_cursor, self._alert_floor
            if cursor >= self._alert_seq:
                return [], floor, cursor
            if cursor < floor and sub.alert_n is not None and self._ring:
                self.drops[f"{sub.kind}_alerts"] += self._ring[0].n - sub.alert_n - 1
            entries = self._ring_after(cursor)
            sub.alert_cursor = head = self._alert_seq
            sub.alert_n = self._alert_n
        if sub.alert_filter is None:
            return entries, floor, head
        return [e for e in entries if sub.alert_filter(e.alert)], floor, head

    def _ring_after(self, seq: int) -> list[AlertEntry]:
        out: list[AlertEntry] = []
        for e in reversed(self._ring):
            if e.seq <= seq:
                break
            out.append(e)
        out.reverse()
        return out

    def add_alert_observer(self, observer: AlertObserver) -> None:
        """Register ``observer(entry)``, called for every alert as it is numbered (in order)."""
        self._alert_observers.append(observer)

    @property
    def alert_seq(self) -> int:
        """The sequence id of the newest alert (the start value if none yet)."""
        return self._alert_seq

    def vessel(self, mmsi: int) -> dict[str, Any] | None:
        """Return the latest published state of one vessel."""
        got = self._vessels.get(mmsi)
        return None if got is None else got[1]

    # -- observation ------------------------------------------------------------------------

    def subscriptions(self, kind: str | None = None) -> list[Subscription]:
        """Return the current subscriptions (of one kind), e.g. to see who lags."""
        with self._lock:
            return [s for s in self._subs if kind is None or s.kind == kind]

    def clients(self) -> Counter[str]:
        """Return connected consumers by kind."""
        with self._lock:
            return Counter(s.kind for s in self._subs)

    def queue_depths(self) -> dict[str, int]:
        """Return the fill of the shared logs (states in the change log, alerts in the ring)."""
        return {"hub_vessel_log": self._log_states, "hub_alert_ring": len(self._ring)}

    def add_latency_observer(self, observer: LatencyObserver) -> None:
        """Register ``observer(stage, seconds)``, called by consumers as they deliver."""
        self._latency_observers.append(observer)

    def observe_latency(self, stage: str, seconds: float) -> None:
        """Report one publish-to-delivery latency (``stage`` e.g. ``websocket_alert``)."""
        for obs in self._latency_observers:
            obs(stage, seconds)

    @property
    def closed(self) -> bool:
        return self._closed

    def end_streams(self, kinds: Iterable[str]) -> int:
        """End the subscriptions of ``kinds`` (their `wait` raises `HubClosed`); return how many.

        The hub stays open: what is published afterwards still reaches the others (webhooks
        during a shutdown's drain). A server that is shutting down ends its clients' streams
        this way, since it waits for every open response before the app's own shutdown.
        """
        wanted = set(kinds)
        with self._lock:
            subs = [s for s in self._subs if s.kind in wanted]
            self._subs.difference_update(subs)
        for sub in subs:
            sub.closed = True
            sub._notify()
        return len(subs)

    async def close(self) -> None:
        """Stop accepting publications and end every subscriber's `wait` with `HubClosed`."""
        self._closed = True
        with self._lock:
            subs = list(self._subs)
            self._subs.clear()
        for sub in subs:
            sub.closed = True
            sub._notify()
        await asyncio.sleep(0)
