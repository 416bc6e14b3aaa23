"""``/api/v1/reports``: the daily situation reports, listed, downloaded and made on demand.

The service makes them just after each UTC midnight (`app.reports.schedule`); a person can make
one for any day now (``POST``), audited. Who sees which report is the one scope rule's
(`Scope.sees_report`): a liaison only those of its own zones, made under its narrowings.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from app.api.deps import CurrentUser, RepoDep, allow
from app.api.errors import bad_request, not_found
from app.api.routes.common import DEFAULT_LIMIT, MAX_LIMIT, IdPath, decode_cursor, encode_cursor
from app.auth.scope import Scope
from app.identity import ALL_ROLES
from app.reports import FORMATS, ReportError, parse_day
from app.reports.schedule import ReportScope, generate
from app.store.repo import Repo
from app.store.reports import StoredReport
from geo.events import format_time

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


class ReportIn(BaseModel):
    """The day (UTC) and the zones (null: the whole area, or a liaison's own zones)."""

    day: str = Field(max_length=32, examples=["2026-06-01"])
    zones: list[Annotated[str, Field(max_length=64)]] | None = Field(default=None, max_length=200)


def report_json(r: StoredReport) -> dict[str, Any]:
    """Return the API's ``Report``: what it covers, who made it when, its files."""
    return {
        "id": r.id,
        "day": r.day,
        "zones": None if r.zones is None else list(r.zones),
        "narrow": list(r.narrow),
        "created_at": format_time(r.created_ms),
        "created_by": r.created_by,
        "files": {
            fmt: {
                "size": r.sizes[fmt],
                "sha256": r.sha256[fmt],
                "url": f"/api/v1/reports/{r.id}?format={fmt}",
            }
            for fmt in FORMATS
        },
    }


def _visible(user: CurrentUser, repo: Repo, report_id: int) -> StoredReport:
    found = repo.report(report_id)
    if found is None or not Scope.of(user).sees_report(found.zones, found.narrow):
        raise not_found(f"report {report_id}")
    return found


@router.get("", dependencies=[allow(*ALL_ROLES)])
def list_reports(
    user: CurrentUser,
    repo: RepoDep,
    day: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Return the stored reports the caller may see, newest day first."""
    try:
        wanted = None if day is None else parse_day(day).isoformat()
    except ReportError as exc:
        raise bad_request(str(exc)) from None
    scope = Scope.of(user)
    seen = [r for r in repo.reports(wanted) if scope.sees_report(r.zones, r.narrow)]
    after = decode_cursor(cursor)
    if after is not None:
        seen = seen[after:]
    page = seen[:limit]
    more = len(seen) > limit
    start = after or 0
    return {
        "items": [report_json(r) for r in page],
        "next_cursor": encode_cursor(start + limit) if more else None,
    }


@router.get(
    "/{report_id:int}",
    dependencies=[allow(*ALL_ROLES)],
    responses={200: {"content": {m: {} for m in FORMATS.values()}, "description": "The file"}},
)
def download_report(
    report_id: IdPath,
    user: CurrentUser,
    repo: RepoDep,
    format: Annotated[str, Query(pattern="^(pdf|html)$")] = "pdf",
) -> Response:
    """Return a stored report's PDF (default) or HTML file."""
    found = _visible(user, repo, report_id)
    data = repo.report_file(report_id, format)
    if data is None:
        raise not_found(f"report {report_id}")
    scope = "all" if found.zones is None else "-".join(found.zones)
    name = f"sitrep-{found.day}-{scope}.{format}"[:120]
    return Response(
        data,
        media_type=FORMATS[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("", status_code=201, dependencies=[allow(*ALL_ROLES)])
def make_report(body: ReportIn, user: CurrentUser, repo: RepoDep) -> dict[str, Any]:
    """Make (or make again) a day's report now, for the caller's scope; audited.

    A liaison's report covers its own zones (by default all of them); asking for another
    zone is a 422 naming it, as for a webhook.
    """
    try:
        day = parse_day(body.day)
    except ReportError as exc:
        raise bad_request(str(exc)) from None
    zones, narrow = Scope.of(user).report_scope(body.zones)
    try:
        made = generate(repo, day, ReportScope(None if zones is None else tuple(zones), narrow),
                        actor=user.username, audit=True)  # fmt: skip
    except ReportError as exc:
        raise bad_request(str(exc)) from None
    return report_json(made)
