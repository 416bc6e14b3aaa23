"""Webhook delivery: every alert a subscription matches, POSTed signed, retried with backoff.

The dispatcher is one hub subscriber; each delivery runs as its own task so a slow or dead
receiver delays only its own deliveries. Retries back off exponentially (1 s, 2 s, 4 s, ...
capped, with jitter so that receivers coming back are not hit by every retry at once) and stop
after ``max_attempts`` or on a 4xx answer other than 408/429 (the request itself is wrong;
repeating it cannot help). At most ``max_pending`` deliveries are in flight; beyond that a
delivery is dropped, counted (hub stage ``webhook``) and logged as such. Every attempt is
written to the delivery log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import Counter
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
from app.exchange.delivery import Deliveries, RetryPolicy, is_final
from app.identity import Role, User
from app.live.hub import Hub, HubClosed
from app.store import webhooks as table

log = logging.getLogger("app.api.push.webhooks")

SEVERITIES = ("info", "low", "medium", "high", "critical")
#: How often subscriptions are re-read even without a change through the API (another process
#: sharing the database may have changed them).
RELOAD_SECONDS = 30.0


def owner_scope(identity: tuple[str, list[str] | None, bool] | None) -> Scope | None:
    """Return the scope of a subscription's owner as the store has it now (None: delivers nothing).

    A subscription delivers what its owner may see today, not what it could when it subscribed:
    a liaison moved to other zones, or disabled, stops receiving the old zones' alerts.
    """
    if identity is None:
        return None
    role, zones, disabled = identity
    if disabled:
        return None
    user = User("", Role(role), tuple(zones) if zones is not None else None)
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
        self.timeout = timeout
        #: Attempts by outcome (``ok``, ``failed``, ``retried``, ``gave_up``, ``dropped``).
        self.counts: Counter[str] = Counter()
        self._subs: list[dict[str, Any]] | None = None
        self._loaded = 0.0
        self._pending = Deliveries(max_pending)
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            timeout=self.timeout, follow_redirects=False, trust_env=False
        )
        sub = self.hub.subscribe("webhook", vessels=False)
        self._task = asyncio.get_running_loop().create_task(self._run(sub), name="webhooks")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._pending.stop()
        self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def invalidate(self) -> None:
        """Re-read subscriptions before the next alert (call after a change)."""
        self._subs = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def _subscriptions(self) -> list[dict[str, Any]]:
        if self._subs is None or time.monotonic() - self._loaded > RELOAD_SECONDS:
            subs, owners = await asyncio.to_thread(self._read_subscriptions)
            self._subs = subs
            for s in subs:
                s["owner_scope"] = owner_scope(owners.get(s["owner"]))
            self._loaded = time.monotonic()
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
        delivery = secrets.token_hex(12)
        if self._pending.full:
            self.counts["dropped"] += 1
            self.hub.drops["webhook"] += 1
            self._pending.spawn(
                self._log(target, delivery, alert, 0, None, "dropped: too many pending", 0.0)
            )
        else:
            payload = {"event": "alert", "seq": seq, "alert": alert}
            self._pending.spawn(self._deliver_quietly(target, payload, delivery))

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

    async def _deliver_quietly(
        self, target: dict[str, Any], payload: dict[str, Any], delivery: str
    ) -> None:
        await self.deliver(target, payload, delivery)

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
