"""``/api/v1/cases``: suspect cases, their notes, attachments, timeline and suggested links.

Analysts, officers and admins write; liaisons read the cases that touch their zones (a case
outside is a 404, as any object outside a liaison's scope). Every write is audited with the act
(`app.store.cases`). Making a case can put its vessel on the watchlist (``watch``), and the
engine gets the new entry at once, so its next hit is an alert that names the case.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, field_validator
from starlette.concurrency import run_in_threadpool

from app.api.case_view import load_case, visible_cases
from app.api.deps import CurrentUser, RepoDep, allow
from app.api.routes.common import IdPath
from app.api.routes.watchlist import reload_engine
from app.api.services import services_of
from app.auth.scope import Scope
from app.dossier import Exported, export
from app.identity import ALL_ROLES, Role

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

#: Who works cases: analysts build them, officers act on them, admins everything.
WRITERS = (Role.ADMIN, Role.OFFICER, Role.ANALYST)
Status = Literal["open", "monitoring", "handed_over", "closed"]
Text = Annotated[str, Field(min_length=1, max_length=8000)]


def _stripped(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


class CaseIn(BaseModel):
    """A new case: the vessel, a title, and optionally status, assignee, a first note."""

    mmsi: Annotated[int, Field(ge=1, le=999_999_999)]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    status: Status = "open"
    assignee: Annotated[str | None, Field(max_length=64)] = None
    watch: bool = Field(False, description="Put the vessel on the watchlist too.")
    note: Annotated[str | None, Field(max_length=8000)] = None

    _title = field_validator("title")(_stripped)


class CaseChange(BaseModel):
    """A change of status, assignee or title, with an optional reason."""

    status: Status | None = None
    assignee: Annotated[str | None, Field(max_length=64)] = None
    title: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    note: Annotated[str, Field(max_length=2000)] = ""

    _title = field_validator("title")(_stripped)


class NoteIn(BaseModel):
    """A note's text."""

    text: Text

    _text = field_validator("text")(_stripped)


class LinkIn(BaseModel):
    """An attachment: a linked vessel (``ref`` its MMSI), a contact or an event (their ids)."""

    kind: Literal["vessel", "contact", "event"]
    ref: Annotated[int, Field(ge=1, le=999_999_999)]
    reason: Annotated[str, Field(max_length=2000)] = ""


@router.get("", dependencies=[allow(*ALL_ROLES)])
def list_cases(
    user: CurrentUser,
    repo: RepoDep,
    status: Annotated[Status | None, Query()] = None,
    mmsi: Annotated[int | None, Query(ge=0, le=999_999_999)] = None,
) -> list[dict[str, Any]]:
    """Return the cases the caller may see, newest first (filter by status or vessel)."""
    return visible_cases(repo, Scope.of(user), repo.list_cases(status=status, mmsi=mmsi))


@router.post("", status_code=201, dependencies=[allow(*WRITERS)])
def create_case(body: CaseIn, user: CurrentUser, repo: RepoDep, request: Request) -> dict[str, Any]:
    """Make a vessel a case (audited); with ``watch``, its vessel goes on the watchlist."""
    case = repo.create_case(
        mmsi=body.mmsi,
        title=body.title,
        status=body.status,
        assignee=body.assignee,
        actor=user.username,
        watch=body.watch,
        note=_stripped(body.note) if body.note else None,
    )
    if body.watch:
        reload_engine(request, repo)
    return case


@router.get("/{case_id:int}", dependencies=[allow(*ALL_ROLES)])
def get_case(case_id: IdPath, user: CurrentUser, repo: RepoDep) -> dict[str, Any]:
    """Return a case with its notes, attachments (resolved), changes and the vessel's identity."""
    view = load_case(repo, Scope.of(user), case_id)
    return {
        **view["case"],
        "vessel": view["vessel"],
        "attached": view["attached"],
        "events_total": view["events_total"],
    }


@router.patch("/{case_id:int}", dependencies=[allow(*WRITERS)])
def change_case(
    case_id: IdPath, body: CaseChange, user: CurrentUser, repo: RepoDep
) -> dict[str, Any]:
    """Change status, assignee or title (each change kept on the timeline, audited)."""
    changes = body.model_dump(exclude_unset=True)
    changes.pop("note", None)
    if "status" in changes and changes["status"] is None:
        del changes["status"]
    if "title" in changes and changes["title"] is None:
        del changes["title"]
    return repo.update_case(case_id, actor=user.username, changes=changes, note=body.note)


@router.post("/{case_id:int}/notes", status_code=201, dependencies=[allow(*WRITERS)])
def add_note(case_id: IdPath, body: NoteIn, user: CurrentUser, repo: RepoDep) -> dict[str, Any]:
    """Append a note (author and time are the caller and now)."""
    return repo.add_note(case_id, actor=user.username, text=body.text)


@router.put("/{case_id:int}/notes/{note_id:int}", dependencies=[allow(*WRITERS)])
def edit_note(
    case_id: IdPath, note_id: IdPath, body: NoteIn, user: CurrentUser, repo: RepoDep
) -> dict[str, Any]:
    """Replace a note's text; the earlier text stays in ``revisions`` and in the audit log."""
    return repo.edit_note(case_id, note_id, actor=user.username, text=body.text)


@router.post("/{case_id:int}/links", status_code=201, dependencies=[allow(*WRITERS)])
def add_link(case_id: IdPath, body: LinkIn, user: CurrentUser, repo: RepoDep) -> dict[str, Any]:
    """Attach a linked vessel, a contact or an event (409 if attached, 404 if it does not exist)."""
    return repo.add_link(
        case_id, kind=body.kind, ref=body.ref, reason=body.reason.strip(), actor=user.username
    )


@router.delete(
    "/{case_id:int}/links/{link_id:int}", status_code=204, dependencies=[allow(*WRITERS)]
)
def remove_link(case_id: IdPath, link_id: IdPath, user: CurrentUser, repo: RepoDep) -> Response:
    """Detach an attachment (audited)."""
    repo.remove_link(case_id, link_id, actor=user.username)
    return Response(status_code=204)


@router.get("/{case_id:int}/suggestions", dependencies=[allow(*WRITERS)])
def suggestions(case_id: IdPath, user: CurrentUser, repo: RepoDep) -> list[dict[str, Any]]:
    """Return vessels the data ties to the case's vessel and that are not linked yet."""
    case = repo.get_case(case_id)
    linked = {ln["ref"] for ln in case["links"] if ln["kind"] == "vessel"}
    return [s for s in repo.suggested_links(case["mmsi"]) if s["mmsi"] not in linked]


@router.get("/{case_id:int}/timeline", dependencies=[allow(*ALL_ROLES)])
async def timeline(case_id: IdPath, user: CurrentUser, repo: RepoDep) -> dict[str, Any]:
    """Return the timeline from the vessel's first sighting, in time order."""
    view = await run_in_threadpool(load_case, repo, Scope.of(user), case_id)
    return {"case": case_id, "items": view["timeline"]}


@router.get(
    "/{case_id:int}/dossier",
    dependencies=[allow(*ALL_ROLES)],
    responses={200: {"content": {"application/pdf": {}, "text/html": {}}}},
)
async def dossier(
    case_id: IdPath,
    user: CurrentUser,
    repo: RepoDep,
    request: Request,
    format: Annotated[Literal["pdf", "html"], Query()] = "pdf",
) -> Response:
    """Return the case as one PDF or HTML dossier; the audit log records what it contained.

    The same case exported twice by the same person gives the same bytes (dated by its newest
    fact, not by the clock). A liaison's dossier holds what the liaison's screen holds.
    """
    land = services_of(request.app).land

    def build() -> Exported:
        view = load_case(repo, Scope.of(user), case_id)
        out = export(view, fmt=format, prepared_by=user.username, land=land)
        repo.record_export(case_id, actor=user.username, contents=out.contents)
        return out

    out = await run_in_threadpool(build)
    disposition = f'attachment; filename="{out.filename}"'
    return Response(
        out.body, media_type=out.media_type, headers={"Content-Disposition": disposition}
    )
