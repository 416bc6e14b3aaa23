"""``/api/v1/alerts``: filter, acknowledge, assign, resolve, comment; every change audited.

Lifecycle: ``new`` → ``acknowledged`` → ``resolved`` (resolving a new alert acknowledges it
implicitly). Each change is written with who and when in the audit log, and the updated alert is
published to the hub so every open dashboard sees it. Liaisons see, acknowledge and comment on
alerts of their zones only; any other alert is a 404 to them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from app.api.deps import CurrentUser, RepoDep, allow
from app.api.errors import ApiError, bad_request, not_found
from app.api.routes.common import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    IdPath,
    decode_cursor,
    encode_cursor,
    parse_time,
)
from app.api.services import services_of
from app.auth.scope import Scope
from app.identity import ALL_ROLES, EDITORS, Role, User
from app.store.repo import AlertFilter, Repo
from geo.events import EventKind, Severity

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

STATES = ("new", "acknowledged", "resolved")
#: What the dashboard and /stats call open: every alert no one has resolved yet.
OPEN_STATES = ("new", "acknowledged")


class AssignIn(BaseModel):
    """Who should handle the alert (None to unassign)."""

    assignee: str | None


class ResolveIn(BaseModel):
    """An optional closing note."""

    note: str | None = Field(default=None, max_length=4000)


class CommentIn(BaseModel):
    """A comment for the alert's thread."""

    text: str = Field(min_length=1, max_length=4000)


def alert_filter(
    user: User,
    *,
    kind: str | None,
    zone: str | None,
    mmsi: int | None,
    severity: Severity | None,
    state: str | None,
    start: str | None,
    end: str | None,
) -> AlertFilter:
    """Return the store filter of the query parameters, narrowed to a liaison's zones."""
    kinds = [k.strip() for k in (kind or "").split(",") if k.strip()]
    for k in kinds:
        if k not in {e.value for e in EventKind}:
            raise bad_request(f"kind {k!r} is not an event kind")
    asked = [x.strip() for x in (state or "").split(",") if x.strip()]
    for s in asked:
        if s != "open" and s not in STATES:
            raise bad_request(f"state {s!r}: one of open, {', '.join(STATES)}")
    states = list(dict.fromkeys(o for s in asked for o in (OPEN_STATES if s == "open" else (s,))))
    scope = Scope.of(user)
    zones = scope.narrow_zones(z.strip() for z in (zone or "").split(","))
    start_ms, end_ms = parse_time(start, "start"), parse_time(end, "end")
    if start_ms is not None and end_ms is not None and start_ms > end_ms:
        raise bad_request("start is after end")
    return AlertFilter(
        kinds=kinds,
        zones=zones,
        mmsi=mmsi,
        min_severity=severity.value if severity is not None else None,
        states=states,
        start_ms=start_ms,
        end_ms=end_ms,
        narrow=scope.narrow,
    )


def alert_filter_query(
    user: CurrentUser,
    kind: str | None = None,
    zone: str | None = None,
    mmsi: Annotated[int | None, Query(ge=0, le=999_999_999)] = None,
    severity: Severity | None = None,
    state: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> AlertFilter:
    """Read the alert filters of docs/api.md from the query, scoped to the user.

    One dependency for every route that filters alerts (list, export), so they take the same
    parameters with the same validation.
    """
    return alert_filter(
        user, kind=kind, zone=zone, mmsi=mmsi, severity=severity, state=state, start=start, end=end
    )


AlertFilterDep = Annotated[AlertFilter, Depends(alert_filter_query)]


@router.get("", dependencies=[allow(*ALL_ROLES)])
def list_alerts(
    repo: RepoDep,
    f: AlertFilterDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Return alerts matching the filters, newest first (``severity`` is a minimum)."""
    items = repo.list_alerts(f, limit=limit + 1, before_id=decode_cursor(cursor))
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": encode_cursor(items[-1]["id"]) if more else None}


def _visible(user: User, repo: Repo, alert_id: int) -> dict[str, Any]:
    alert = repo.get_alert(alert_id)
    if alert is None or not Scope.of(user).sees_alert(alert):
        raise not_found(f"alert {alert_id}")
    return alert


def _changed(request: Request, alert: dict[str, Any]) -> dict[str, Any]:
    hub = services_of(request.app).hub
    if hub is not None:
        hub.publish_alert(alert)
    return alert


@router.get("/{alert_id:int}", dependencies=[allow(*ALL_ROLES)])
def get_alert(alert_id: IdPath, user: CurrentUser, repo: RepoDep) -> dict[str, Any]:
    """Return one alert."""
    return _visible(user, repo, alert_id)


@router.post(
    "/{alert_id:int}/acknowledge", dependencies=[allow(Role.ADMIN, Role.OFFICER, Role.LIAISON)]
)
def acknowledge(
    alert_id: IdPath, user: CurrentUser, repo: RepoDep, request: Request
) -> dict[str, Any]:
    """Acknowledge an alert (idempotent; a resolved alert is a 409)."""
    alert = _visible(user, repo, alert_id)
    if alert["state"] == "resolved":
        raise ApiError(409, "conflict", f"alert {alert_id} is already resolved")
    if alert["state"] == "acknowledged":
        return alert
    return _changed(request, repo.acknowledge(alert_id, user.username))


@router.post("/{alert_id:int}/assign", dependencies=[allow(*EDITORS)])
def assign(
    alert_id: IdPath, body: AssignIn, user: CurrentUser, repo: RepoDep, request: Request
) -> dict[str, Any]:
    """Assign an alert to a user (or unassign with null)."""
    alert = _visible(user, repo, alert_id)
    if body.assignee is not None and repo.get_user(body.assignee) is None:
        raise bad_request(f"no user {body.assignee!r} to assign to")
    if body.assignee is not None and body.assignee not in services_of(request.app).auth.who_sees(
        alert
    ):
        raise bad_request(f"user {body.assignee!r} may not see alert {alert_id}")
    return _changed(request, repo.assign(alert_id, user.username, body.assignee))


@router.post("/{alert_id:int}/resolve", dependencies=[allow(*EDITORS)])
def resolve(
    alert_id: IdPath,
    user: CurrentUser,
    repo: RepoDep,
    request: Request,
    body: ResolveIn | None = None,
) -> dict[str, Any]:
    """Resolve an alert, with an optional note (kept as a comment)."""
    alert = _visible(user, repo, alert_id)
    if alert["state"] == "resolved":
        raise ApiError(409, "conflict", f"alert {alert_id} is already resolved")
    note = body.note if body is not None else None
    return _changed(request, repo.resolve(alert_id, user.username, note))


@router.post("/{alert_id:int}/comments", dependencies=[allow(*ALL_ROLES)])
def comment(
    alert_id: IdPath, body: CommentIn, user: CurrentUser, repo: RepoDep, request: Request
) -> dict[str, Any]:
    """Add a comment to an alert."""
    _visible(user, repo, alert_id)
    return _changed(request, repo.comment(alert_id, user.username, body.text))


@router.get("/{alert_id:int}/audit", dependencies=[allow(*ALL_ROLES)])
def audit(alert_id: IdPath, user: CurrentUser, repo: RepoDep) -> list[dict[str, Any]]:
    """Return who did what to an alert, and when, oldest first."""
    _visible(user, repo, alert_id)
    return repo.audit_of(f"alert:{alert_id}")
