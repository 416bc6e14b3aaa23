"""Webhook delivery: every alert a subscription matches, POSTed signed, retried with backoff.

The dispatcher is one hub subscriber. Each subscription has its own queue and one worker
that delivers it in order, one request at a time, so a slow or dead receiver delays only its
own deliveries and costs one connection, not one per alert: a task per delivery (as before)
let 9 subscriptions to a dead target run 1,890 tasks at once for 210 alerts, whose retries and
delivery-log writes held the event loop and the database pool (``/healthz`` took up to 26 s).
Retries back off exponentially (1 s, 2 s, 4 s, ... capped, with jitter so that receivers coming
back are not hit by every retry at once) and stop after ``max_attempts`` or on a 4xx answer
other than 408/429 (the request itself is wrong; repeating it cannot help). At most
``max_pending`` deliveries wait in all queues together; beyond that a delivery is dropped,
counted (hub stage ``webhook``), logged as such and written to the delivery log. A deleted
subscription's worker stops at once, its queued deliveries with it. Every attempt is written
to the delivery log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa

from app.api.push.signing import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Allowlist,
    sign,
)
from app.auth.scope import Scope
from app.exchange.delivery import RetryPolicy, is_final
from app.identity import Role, User
from app.live.hub import Hub, HubClosed
from app.store import webhooks as table
from geo.alert_rules import Narrowing

log = logging.getLogger("app.api.push.webhooks")

SEVERITIES = ("info", "low", "medium", "high", "critical")
#: How often subscriptions are re-read even without a change through the API (another process
#: sharing the database may have changed them).
RELOAD_SECONDS = 30.0
#: At most one log line a minute about dropped deliveries (the counter has every one).
DROP_LOG_SECONDS = 60.0


def owner_scope(
    identity: tuple[str, list[str] | None, bool] | None, narrow: tuple[Narrowing, ...] = ()
) -> Scope | None:
    """Return the scope of a subscription's owner as the store has it now (None: delivers nothing).

    A subscription delivers what its owner may see today, not what it could when it subscribed:
    a liaison moved to other zones, or disabled, stops receiving the old zones' alerts.
    ``narrow``: the alert rules' narrowings that apply to the owner (they only take away).
    """
    if identity is None:
        return None
    role, zones, disabled = identity
    if disabled:
        return None
    user = User("", Role(role), tuple(zones) if zones is not None else None, narrow=narrow)
    return Scope.of(user)


def matches(sub: dict[str, Any], alert: dict[str, Any]) -> bool:
    """Return whether a subscription wants an alert (owner's scope, zones, kinds, severity)."""
    if not sub["active"]:
        return False
    scope: Scope | None = sub.get("owner_scope")
    if scope is None or not scope.sees_alert(alert):
        return False
    if sub["zones"] is not None and alert.get("zone") not in sub["zones"]:
        return False
    if sub["kinds"] is not None and alert.get("kind") not in sub["kinds"]:
        return False
    least = sub["min_severity"]
    if least is not None:
        sev = alert.get("severity")
        if sev not in SEVERITIES or SEVERITIES.index(sev) < SEVERITIES.index(least):
            return False
    return True


class WebhookDispatcher:
    """Runs beside the API; `start` subscribes to the hub, `stop` cancels pending deliveries."""

    def __init__(
        self,
        hub: Hub,
        engine: sa.Engine,
        allowlist: Allowlist,
        *,
        max_attempts: int = 6,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
        max_pending: int = 1000,
        timeout: float = 10.0,
    ) -> None:
        self.hub = hub
        self.engine = engine
        self.allowlist = allowlist
        self.retry = RetryPolicy(max_attempts, base_delay, max_delay)
        self.max_pending = max_pending
        self.timeout = timeout
        #: Attempts by outcome (``ok``, ``failed``, ``retried``, ``gave_up``, ``dropped``).
        self.counts: Counter[str] = Counter()
        self._subs: list[dict[str, Any]] | None = None
        self._loaded = 0.0
        #: Per subscription id: its queue of (delivery id, payload) and its worker.
        self._queues: dict[int, deque[tuple[str, dict[str, Any]]]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._wake: dict[int, asyncio.Event] = {}
        #: Drop-log writes in flight (kept so they are awaited at stop).
        self._logs: set[asyncio.Task[None]] = set()
        #: The alert rules' narrowings for (username, role); the service sets it (none here).
        self.narrowings: Callable[[str, str], tuple[Narrowing, ...]] = lambda _u, _r: ()
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self._drop_logged = -DROP_LOG_SECONDS

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            timeout=self.timeout, follow_redirects=False, trust_env=False
        )
        sub = self.hub.subscribe("webhook", vessels=False)
        self._task = asyncio.get_running_loop().create_task(self._run(sub), name="webhooks")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._workers.values(), *self._logs) if t is not None]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        self._workers.clear()
        self._queues.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def invalidate(self) -> None:
        """Re-read subscriptions before the next alert (call after a change)."""
        self._subs = None

    def forget(self, sub_id: int) -> None:
        """Stop delivering to a deleted subscription now: its worker and queue go."""
        self._queues.pop(sub_id, None)
        self._wake.pop(sub_id, None)
        worker = self._workers.pop(sub_id, None)
        if worker is not None:
            worker.cancel()
        self.invalidate()

    @property
    def pending(self) -> int:
        """Deliveries queued or in flight, all subscriptions together."""
        return sum(len(q) for q in self._queues.values())

    async def _subscriptions(self) -> list[dict[str, Any]]:
        if self._subs is None or time.monotonic() - self._loaded > RELOAD_SECONDS:
            subs, owners = await asyncio.to_thread(self._read_subscriptions)
            self._subs = subs
            for s in subs:
                who = owners.get(s["owner"])
                narrow = self.narrowings(s["owner"], who[0]) if who is not None else ()
                s["owner_scope"] = owner_scope(who, narrow)
            self._loaded = time.monotonic()
            alive = {s["id"] for s in self._subs}
            for gone in set(self._queues) - alive:  # deleted elsewhere (another process)
                self.forget(gone)
        return self._subs

    def _read_subscriptions(
        self,
    ) -> tuple[list[dict[str, Any]], dict[str, tuple[str, list[str] | None, bool]]]:
        subs = table.list_subscriptions(self.engine, with_secret=True)
        return subs, table.owner_identities(self.engine)

    async def _run(self, sub: Any) -> None:
        try:
            while True:
                await sub.wait()
                entries = sub.take_alerts()
                if not entries:
                    continue
                targets = await self._subscriptions()
                for entry in entries:
                    for target in targets:
                        if matches(target, entry.alert):
                            self._spawn(target, entry.seq, entry.alert)
        except HubClosed:
            pass
        finally:
            sub.close()

    def _spawn(self, target: dict[str, Any], seq: int, alert: dict[str, Any]) -> None:
        """Queue a delivery for ``target``'s worker (started on its first delivery)."""
        delivery = secrets.token_hex(12)
        loop = asyncio.get_running_loop()
        if self.pending >= self.max_pending:
            self.counts["dropped"] += 1
            self.hub.drops["webhook"] += 1
            if loop.time() - self._drop_logged >= DROP_LOG_SECONDS:
                self._drop_logged = loop.time()
                log.warning(
                    "webhook deliveries dropped: %d queued already (%d dropped so far)",
                    self.max_pending,
                    self.counts["dropped"],
                )
            drop = self._log(target, delivery, alert, 0, None, "dropped: too many pending", 0.0)
            task = loop.create_task(drop)
            self._logs.add(task)
            task.add_done_callback(self._logs.discard)
            return
        sub_id = target["id"]
        queue = self._queues.setdefault(sub_id, deque())
        queue.append((delivery, {"event": "alert", "seq": seq, "alert": alert}))
        wake = self._wake.setdefault(sub_id, asyncio.Event())
        wake.set()
        worker = self._workers.get(sub_id)
        if worker is None or worker.done():
            self._workers[sub_id] = loop.create_task(
                self._work(target, queue, wake), name=f"webhook {sub_id}"
            )

    async def _work(
        self,
        target: dict[str, Any],
        queue: deque[tuple[str, dict[str, Any]]],
        wake: asyncio.Event,
    ) -> None:
        """Deliver one subscription's queue in order, one delivery (and its retries) at a time.

        The head stays in the queue while it is delivered, so ``pending`` counts it.
        """
        while True:
            while not queue:
                wake.clear()
                await wake.wait()
            delivery, payload = queue[0]
            try:
                await self.deliver(target, payload, delivery)
            except Exception:  # a bug must not end the subscription's deliveries
                log.exception("webhook delivery %s failed", delivery)
            if queue and queue[0][0] == delivery:
                queue.popleft()

    async def _log(
        self,
        target: dict[str, Any],
        delivery: str,
        alert: Any,
        attempt: int,
        status: int | None,
        error: str | None,
        ms: float,
    ) -> None:
        try:
            await asyncio.to_thread(
                table.log_delivery,
                self.engine,
                subscription_id=target["id"],
                delivery=delivery,
                alert_id=alert.get("id") if isinstance(alert, dict) else None,
                attempt=attempt,
                ok=error is None,
                status_code=status,
                error=error,
                duration_ms=ms,
            )
        except sa.exc.SQLAlchemyError:
            log.exception("could not log webhook delivery %s", delivery)

    async def attempt(
        self, target: dict[str, Any], payload: dict[str, Any], delivery: str
    ) -> tuple[int | None, str | None, float]:
        """POST once; return (status code or None, error text or None, duration in ms)."""
        if not self.allowlist.allows(target["url"]):
            return None, "target not in MARE_WEBHOOK_ALLOWLIST", 0.0
        now = int(time.time())
        body = json.dumps(
            {"id": delivery, "timestamp": now, **payload}, separators=(",", ":")
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Mare-Webhook/1",
            SIGNATURE_HEADER: sign(target["secret"], body),
            TIMESTAMP_HEADER: str(now),
            DELIVERY_HEADER: delivery,
        }
        assert self._client is not None, "dispatcher not started"
        t0 = time.perf_counter()
        try:
            resp = await self._client.post(target["url"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}".rstrip(": "), _ms(t0)
        error = None if resp.is_success else f"HTTP {resp.status_code}"
        return resp.status_code, error, _ms(t0)

    async def deliver(self, target: dict[str, Any], payload: dict[str, Any], delivery: str) -> bool:
        """Deliver with retries; return whether the receiver accepted (2xx)."""
        alert = payload.get("alert")
        for n in range(1, self.retry.max_attempts + 1):
            status, error, ms = await self.attempt(target, payload, delivery)
            await self._log(target, delivery, alert, n, status, error, ms)
            if error is None:
                self.counts["ok"] += 1
                if alert is not None:
                    self.hub.observe_latency("webhook_alert", ms / 1000)
                return True
            self.counts["failed"] += 1
            if is_final(status) or (status is None and not self.allowlist.allows(target["url"])):
                break
            if n < self.retry.max_attempts:
                self.counts["retried"] += 1
                await asyncio.sleep(self.retry.delay(n))
        self.counts["gave_up"] += 1
        return False


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000
