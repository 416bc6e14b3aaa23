"""``/api/v1/cise``: pushes from partner agencies in, and the partner agreements for admins.

``POST /api/v1/cise/push`` is a partner's endpoint, not a user's: the partner presents the
inbound token its entry in ``MARE_CISE_PARTNERS_FILE`` names, and the Push must name that
partner's service id as its Sender. A valid Push becomes events marked with the partner's
authority (`app.exchange.cise.inbound`), stored as alerts and published live; the answer is a
CISE ``Acknowledgement`` (``Success``). Anything else is refused with a 4xx and an
Acknowledgement whose ``AckDetail`` says why (for a schema error: the element's path and the
schema's reason), and nothing of it is stored. Every exchange, accepted or refused, is audited.

The router's lifespan loads the partners and starts the `CiseDispatcher` (outbound pushes),
after the app's lifespan has set up the hub and the database.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app.api.deps import RepoDep, ServicesDep, allow
from app.api.push.signing import Allowlist
from app.api.services import NotStarted, Services, services_of
from app.exchange.cise.entities import Sender
from app.exchange.cise.envelope import ReceivedPush, build_ack, read_push
from app.exchange.cise.errors import CiseError, CiseSchemaError
from app.exchange.cise.exchange import CiseExchange
from app.exchange.cise.inbound import Origin, events_of_push
from app.exchange.cise.outbound import CiseDispatcher
from app.exchange.cise.partners import Partner, load_partners, partner_of_token
from app.exchange.cise.validate import parse_xml, serialize, tag_of
from app.identity import Role
from app.store.alerts import event_key
from app.wallclock import now_ms

#: Largest Push accepted, in bytes: a few hundred entities; a larger body is refused unread.
MAX_PUSH_BYTES = 2 * 1024 * 1024
XML = "application/xml"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the partners and run the dispatcher beside the API."""
    services = services_of(app)
    settings = services.settings
    repo = services.repo
    path = settings.cise_partners_file
    partners = await asyncio.to_thread(load_partners, path) if path is not None else []
    sender = Sender(authority=settings.cise_authority, service_id=settings.cise_service_id)

    def audit(actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
        repo.audit(actor, action, target=target, detail=detail)

    dispatcher = CiseDispatcher(
        services.hub,
        partners=partners,
        allows=Allowlist(settings.cise_allowlist).allows,
        sender=sender,
        audit=audit,
        vessel=services.live.get,
    )
    await dispatcher.start()
    services.cise = CiseExchange(sender, partners, dispatcher)
    try:
        yield
    finally:
        await dispatcher.stop()
        services.cise = None


router = APIRouter(prefix="/api/v1/cise", tags=["cise"], lifespan=lifespan)


def exchange_of(services: Services) -> CiseExchange:
    """Return the running exchange (set up by this router's lifespan)."""
    if services.cise is None:
        raise NotStarted("the CISE exchange has not started")
    return services.cise


class Refused(CiseError):
    """A push refused with an HTTP status and a CISE acknowledgement code."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


def _ack(
    sender: Sender, code: str, detail: str | None, correlation: str | None, status: int
) -> Response:
    body = serialize(
        build_ack(
            message_id=str(uuid.uuid4()),
            created_ms=now_ms(),
            sender_service_id=sender.service_id,
            code=code,
            detail=detail,
            correlation_id=correlation,
        )
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(body, status_code=status, media_type=XML, headers=headers)


def _partner(request: Request, exchange: CiseExchange) -> Partner:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refused(401, "AuthenticationError", "a partner token is required (Bearer)")
    partner = partner_of_token(exchange.partners, token.strip())
    if partner is None:
        raise Refused(401, "AuthenticationError", "the token is not a partner's")
    return partner


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_PUSH_BYTES:
        raise Refused(413, "BadRequest", f"a Push is at most {MAX_PUSH_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_PUSH_BYTES:
            raise Refused(413, "BadRequest", f"a Push is at most {MAX_PUSH_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _read(body: bytes, partner: Partner) -> ReceivedPush:
    """Parse, validate and check the sender (blocking: run in a worker thread)."""
    try:
        push = read_push(parse_xml(body))
    except CiseSchemaError as exc:
        raise Refused(422, "InvalidRequestObject", f"CISE schema: {exc}") from None
    if push.sender_service_id != partner.service_id:
        raise Refused(
            403,
            "SecurityError",
            f"the Push names sender {push.sender_service_id!r}; partner {partner.id} sends as "
            f"{partner.service_id!r}",
        )
    return push


@router.post(
    "/push",
    summary="Receive a CISE Push from a partner agency (partner token, not a user's)",
    response_class=Response,
    responses={
        200: {"content": {XML: {}}, "description": "Acknowledgement, AckCode Success"},
        401: {"content": {XML: {}}, "description": "no or unknown partner token"},
        403: {"content": {XML: {}}, "description": "the Push's sender is not the partner"},
        413: {"content": {XML: {}}, "description": "the body is too large"},
        422: {"content": {XML: {}}, "description": "not a valid CISE Push: AckDetail says why"},
    },
)
async def receive_push(request: Request, services: ServicesDep) -> Response:
    """Receive a Push: its entities become alerts marked with the partner's authority."""
    exchange = exchange_of(services)
    repo = services.repo
    partner: Partner | None = None
    try:
        partner = _partner(request, exchange)
        body = await _body(request)
        push = await run_in_threadpool(_read, body, partner)
        origin = Origin(
            partner=partner.id,
            authority=partner.authority,
            service_id=partner.service_id,
            message_id=push.message_id,
            received_ms=now_ms(),
            priority=push.priority,
        )
        try:
            events = events_of_push(push.entities, origin)
        except CiseError as exc:
            raise Refused(422, "InvalidRequestObject", str(exc)) from None
    except Refused as exc:
        actor = f"cise:{partner.id}" if partner is not None else "cise:unknown"
        detail = {"status": exc.status, "error": exc.detail, "client": _client(request)}
        await run_in_threadpool(
            repo.audit, actor, "cise.push.refused", target="cise", detail=detail
        )
        return _ack(exchange.sender, exc.code, exc.detail, None, exc.status)
    # The partner's identity of an entity (its UUID) keys the alert, so a later version of it
    # updates the same alert and nothing of Mare's own is ever overwritten.
    keyed = [
        (f"cise:{partner.id}|{ev.details['source'].get('uuid') or event_key(ev)}", ev)
        for ev in events
    ]
    alerts = await run_in_threadpool(repo.write_keyed_events, keyed)
    for alert in alerts:
        services.hub.publish_alert(alert)
    detail = {
        "message_id": push.message_id,
        "entities": [tag_of(e) for e in push.entities],
        "alerts": [a["id"] for a in alerts],
    }
    await run_in_threadpool(
        repo.audit, f"cise:{partner.id}", "cise.push.received", target="cise", detail=detail
    )
    return _ack(exchange.sender, "Success", None, push.message_id, 200)


def _client(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


@router.get("/partners", dependencies=[allow(Role.ADMIN)])
def partners(services: ServicesDep) -> dict[str, Any]:
    """Return this Mare's CISE identity and every partner's agreement (never the tokens)."""
    exchange = exchange_of(services)
    allowlist = Allowlist(services.settings.cise_allowlist)
    return {
        "service_id": exchange.sender.service_id,
        "authority": exchange.sender.authority,
        "allowlist": [f"{e.scheme}://{e.host}:{e.port}{e.path}" for e in allowlist.entries],
        "partners": [
            {**p.public(), "url_allowed": bool(p.url) and allowlist.allows(p.url or "")}
            for p in exchange.partners
        ],
        "outbound": dict(exchange.dispatcher.counts) | {"pending": exchange.dispatcher.pending},
    }


@router.get("/exchanges", dependencies=[allow(Role.ADMIN)])
def exchanges(
    repo: RepoDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[dict[str, Any]]:
    """Return the latest audited exchanges, both ways (sent, failed, received, refused)."""
    return repo.audit_by_action("cise.", limit)
