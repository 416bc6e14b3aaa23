"""Pushing alerts to partner agencies: one hub subscriber, one task per delivery, all audited.

For every stored alert (one with an id) that a partner's agreement covers, a CISE `Push`
carrying the alert's `Anomaly` or `IrregularMigrationIncident` and its vessels is POSTed to the
partner's endpoint, which must be in ``MARE_CISE_ALLOWLIST`` at each attempt (``allows``).
Deliveries are tasks of their own, so a slow or dead partner delays only its own messages and
never the API; retries follow the one rule of `app.exchange.delivery` (as webhooks do), and a
retry resends the same message (same MessageID). At most ``max_pending`` deliveries are in
flight; beyond that a delivery is dropped, counted and audited.

What a partner sent is never pushed on (details.source.via == "cise"): it is theirs to share,
and two Mares that are partners of each other would otherwise echo alerts forever.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from app.exchange.cise import vocab
from app.exchange.cise.entities import (
    Sender,
    VesselFacts,
    event_element,
    event_uuid,
    facts_from_event,
    merge_facts,
    vessel_element,
    vessel_mmsis,
)
from app.exchange.cise.envelope import PushMeta, build_push
from app.exchange.cise.errors import CiseSchemaError
from app.exchange.cise.partners import Partner, covers
from app.exchange.cise.validate import check_message, parse_xml, serialize
from app.exchange.delivery import Deliveries, RetryPolicy, is_final
from app.live.hub import Hub, HubClosed
from app.wallclock import now_ms

log = logging.getLogger("app.exchange.cise")

#: ``audit(actor, action, target, detail)``: writes one audit-log entry (blocking).
AuditFn = Callable[[str, str, str, dict[str, Any]], None]
#: ``vessel(mmsi)``: the live picture's entry of a vessel, None if unknown.
VesselFn = Callable[[int], dict[str, Any] | None]


def facts_from_live(v: dict[str, Any]) -> VesselFacts:
    """Return what the live picture knows of a vessel as `VesselFacts`."""
    length, beam = v.get("length"), v.get("beam")
    return VesselFacts(
        mmsi=int(v["mmsi"]),
        name=v.get("name"),
        callsign=v.get("callsign"),
        imo=v.get("imo"),
        ship_type=v.get("ship_type"),
        flag=v.get("flag"),
        length_m=float(length) if length else None,
        beam_m=int(beam) if beam else None,
        lat=v.get("lat"),
        lon=v.get("lon"),
        time_ms=v.get("last_seen_ms"),
        sog=v.get("speed"),
        cog=v.get("course"),
        heading=v.get("heading"),
        nav_status=v.get("status"),
    )


#: Alert versions remembered as sent, per partner (the oldest forgotten first).
SENT_MEMORY = 50_000
#: The fields of an alert its CISE entity carries; a change elsewhere (state, assignee,
#: comments) is this Mare's own business.
CONTENT_FIELDS = ("kind", "mmsi", "other_mmsi", "zone", "start", "end", "lat", "lon", "severity")


def fingerprint(alert: dict[str, Any]) -> str:
    """Return what a partner's copy of an alert depends on, as one string."""
    content = {k: alert.get(k) for k in CONTENT_FIELDS} | {"details": alert.get("details")}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)


def from_partner(alert: dict[str, Any]) -> bool:
    """Return whether an alert came in from a partner (and so is never pushed on)."""
    source = (alert.get("details") or {}).get("source")
    return isinstance(source, dict) and source.get("via") == "cise"


class CiseDispatcher:
    """Runs beside the API; `start` subscribes to the hub, `stop` cancels pending deliveries."""

    def __init__(
        self,
        hub: Hub,
        *,
        partners: Sequence[Partner],
        allows: Callable[[str], bool],
        sender: Sender,
        audit: AuditFn,
        vessel: VesselFn | None = None,
        max_attempts: int = 6,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
        max_pending: int = 1000,
        timeout: float = 10.0,
    ) -> None:
        self.hub = hub
        self.partners = list(partners)
        self.allows = allows
        self.sender = sender
        self.audit = audit
        self.vessel = vessel
        self.retry = RetryPolicy(max_attempts, base_delay, max_delay)
        self.timeout = timeout
        #: Attempts by outcome (``ok``, ``failed``, ``retried``, ``gave_up``, ``dropped``).
        self.counts: Counter[str] = Counter()
        self._pending = Deliveries(max_pending)
        self._sent: OrderedDict[tuple[str, int], str] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def start(self) -> None:
        if not any(p.send is not None for p in self.partners):
            return  # nobody to send to: no subscriber, no client
        self._client = httpx.AsyncClient(
            timeout=self.timeout, follow_redirects=False, trust_env=False
        )
        sub = self.hub.subscribe("cise", vessels=False)
        self._task = asyncio.get_running_loop().create_task(self._run(sub), name="cise-push")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._pending.stop()
        self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _run(self, sub: Any) -> None:
        try:
            while True:
                await sub.wait()
                for entry in sub.take_alerts():
                    alert = entry.alert
                    if alert.get("id") is None or from_partner(alert):
                        continue
                    content = fingerprint(alert)
                    for partner in self.partners:
                        if covers(partner, alert) and self._changed(partner, alert, content):
                            self._spawn(partner, alert)
        except HubClosed:
            pass
        finally:
            sub.close()

    def _changed(self, partner: Partner, alert: dict[str, Any], content: str) -> bool:
        """Return whether the partner has not been sent this version of the alert yet.

        An alert is published again when a person acknowledges, assigns or comments on it;
        none of that is in the CISE entity, so only a new episode version (its end, position,
        severity, details) goes out again.
        """
        key = (partner.id, int(alert["id"]))
        if self._sent.get(key) == content:
            return False
        self._sent[key] = content
        self._sent.move_to_end(key)
        while len(self._sent) > SENT_MEMORY:
            self._sent.popitem(last=False)
        return True

    def _spawn(self, partner: Partner, alert: dict[str, Any]) -> None:
        if self._pending.full:
            self.counts["dropped"] += 1
            self.hub.drops["cise"] += 1
            detail = {"partner": partner.id, "error": "dropped: too many pending deliveries"}
            self._pending.spawn(self._audit(partner, "cise.push.dropped", alert, detail))
        else:
            self._pending.spawn(self._deliver_quietly(partner, alert))

    def message(self, partner: Partner, alert: dict[str, Any], message_id: str) -> bytes:
        """Return the Push of an alert for a partner (its entity and its vessels)."""
        vessels: dict[int, VesselFacts] = {}
        for mmsi in vessel_mmsis(alert):
            facts = facts_from_event(alert, mmsi)
            live = self.vessel(mmsi) if self.vessel is not None else None
            if live is not None:
                facts = merge_facts(facts_from_live(live), facts)
            elif mmsi == alert.get("mmsi") and alert.get("vessel_name"):
                facts = merge_facts(facts, VesselFacts(mmsi=mmsi, name=alert["vessel_name"]))
            vessels[mmsi] = facts
        entity = event_element(alert, sender=self.sender, vessels=vessels)
        entities = [entity] + [vessel_element(f, sender=self.sender) for f in vessels.values()]
        meta = PushMeta(
            message_id=message_id,
            created_ms=now_ms(),
            sender_service_id=self.sender.service_id,
            recipient_service_id=partner.service_id,
            priority=vocab.PRIORITY.get(str(alert.get("severity")), "Medium"),
            context_id=event_uuid(self.sender, alert),
            purpose=partner.purpose,
            security_level=partner.security_level,
            sensitivity=partner.sensitivity,
        )
        body = serialize(build_push(meta, entities))
        check_message(parse_xml(body))  # a partner gets nothing its gateway would bounce
        return body

    async def _audit(
        self, partner: Partner, action: str, alert: dict[str, Any], detail: dict[str, Any]
    ) -> None:
        try:
            await asyncio.to_thread(
                self.audit, f"cise:{partner.id}", action, f"alert:{alert.get('id')}", detail
            )
        except Exception:  # the audit log is down with the database: say so, go on
            log.exception("could not audit %s of alert %s", action, alert.get("id"))

    async def attempt(self, partner: Partner, body: bytes) -> tuple[int | None, str | None]:
        """POST once; return (status code or None, error text or None)."""
        url = partner.url or ""
        if not self.allows(url):
            return None, "endpoint not in MARE_CISE_ALLOWLIST"
        headers = {"Content-Type": "application/xml", "User-Agent": "Mare-CISE/1"}
        if partner.outbound_token:
            headers["Authorization"] = f"Bearer {partner.outbound_token}"
        assert self._client is not None, "dispatcher not started"
        try:
            resp = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}".rstrip(": ")
        if resp.is_success:
            return resp.status_code, None
        return resp.status_code, f"HTTP {resp.status_code}: {_ack_detail(resp.text)}"

    async def _deliver_quietly(self, partner: Partner, alert: dict[str, Any]) -> None:
        try:
            await self.deliver(partner, alert)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug in building the message must not end the dispatcher
            self.counts["gave_up"] += 1
            log.exception("CISE push of alert %s to %s failed", alert.get("id"), partner.id)

    async def deliver(self, partner: Partner, alert: dict[str, Any]) -> bool:
        """Deliver one alert with retries, auditing every attempt; return whether it arrived."""
        message_id = str(uuid.uuid4())
        try:
            body = await asyncio.to_thread(self.message, partner, alert, message_id)
        except CiseSchemaError as exc:  # a defect in Mare's mapping: say so, send nothing
            self.counts["gave_up"] += 1
            failed: dict[str, Any] = {"partner": partner.id, "message_id": message_id}
            failed["error"] = f"not sent: {exc}"
            await self._audit(partner, "cise.push.failed", alert, failed)
            log.error("CISE push of alert %s not sent: %s", alert.get("id"), exc)
            return False
        for n in range(1, self.retry.max_attempts + 1):
            t0 = time.perf_counter()
            status, error = await self.attempt(partner, body)
            detail = {
                "partner": partner.id,
                "url": partner.url,
                "message_id": message_id,
                "attempt": n,
                "status": status,
                "error": error,
                "ms": round((time.perf_counter() - t0) * 1000, 1),
            }
            if error is None:
                self.counts["ok"] += 1
                await self._audit(partner, "cise.push.sent", alert, detail)
                return True
            self.counts["failed"] += 1
            await self._audit(partner, "cise.push.failed", alert, detail)
            if is_final(status) or not self.allows(partner.url or ""):
                break
            if n < self.retry.max_attempts:
                self.counts["retried"] += 1
                await asyncio.sleep(self.retry.delay(n))
        self.counts["gave_up"] += 1
        log.warning("CISE push of alert %s to %s given up", alert.get("id"), partner.id)
        return False


def _ack_detail(text: str) -> str:
    """Return the AckDetail of a partner's refusal (or the start of its answer)."""
    start = text.find("<AckDetail>")
    if start >= 0:
        end = text.find("</AckDetail>", start)
        if end > start:
            return text[start + len("<AckDetail>") : end][:300]
    return text.strip()[:300]
