"""``/api/v1/watchlist``: entries of the watchlist contract; changes reach the engine at once.

An entry's id is also its ``line`` in the engine's `Watchlist`, so "already reported for this
vessel and entry" survives edits of other entries.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, model_validator
from starlette.concurrency import run_in_threadpool

from app.api.deps import CurrentUser, RepoDep, allow
from app.api.errors import ApiError, not_found
from app.api.routes.common import IdPath
from app.api.services import services_of
from app.identity import EDITORS, READERS
from app.store.repo import Repo
from geo.watchlist import Watchlist, normalise_text, parse_watchlist, stored_watchlist

router = APIRouter(prefix="/api/v1/watchlist", tags=["watchlist"])


class WatchIn(BaseModel):
    """One watchlist entry; at least one of mmsi, imo, name, callsign."""

    mmsi: Annotated[int | None, Field(ge=1, le=999_999_999)] = None
    imo: Annotated[int | None, Field(ge=1, le=9_999_999)] = None
    name: Annotated[str | None, Field(max_length=120)] = None
    callsign: Annotated[str | None, Field(max_length=20)] = None
    note: Annotated[str, Field(max_length=2000)] = ""

    @model_validator(mode="after")
    def _one_identifier(self) -> WatchIn:
        if (
            self.mmsi is None
            and self.imo is None
            and normalise_text(self.name) is None
            and normalise_text(self.callsign) is None
        ):
            raise ValueError("give at least one of mmsi, imo, name, callsign")
        return self


def engine_watchlist(rows: list[dict[str, Any]]) -> Watchlist:
    """Return the engine's `Watchlist` of stored entries (id as line number)."""
    return stored_watchlist(rows)


def reload_engine(request: Request, repo: Repo) -> None:
    """Hand the stored watchlist to the running engine."""
    pipeline = services_of(request.app).pipeline
    if pipeline is not None:
        pipeline.set_watchlist(engine_watchlist(repo.list_watch()))


@router.get("", dependencies=[allow(*READERS)])
def list_watch(repo: RepoDep) -> list[dict[str, Any]]:
    """Return every entry."""
    return repo.list_watch()


@router.post("", status_code=201, dependencies=[allow(*EDITORS)])
def add_watch(body: WatchIn, user: CurrentUser, repo: RepoDep, request: Request) -> dict[str, Any]:
    """Add an entry."""
    row = repo.add_watch(body.model_dump())
    repo.audit(user.username, "watchlist.add", target=f"watchlist:{row['id']}")
    reload_engine(request, repo)
    return row


@router.put("/{entry_id:int}", dependencies=[allow(*EDITORS)])
def update_watch(
    entry_id: IdPath, body: WatchIn, user: CurrentUser, repo: RepoDep, request: Request
) -> dict[str, Any]:
    """Replace an entry."""
    row = repo.update_watch(entry_id, body.model_dump())
    if row is None:
        raise not_found(f"watchlist entry {entry_id}")
    repo.audit(user.username, "watchlist.update", target=f"watchlist:{entry_id}")
    reload_engine(request, repo)
    return row


@router.delete("/{entry_id:int}", status_code=204, dependencies=[allow(*EDITORS)])
def delete_watch(entry_id: IdPath, user: CurrentUser, repo: RepoDep, request: Request) -> Response:
    """Delete an entry."""
    if not repo.delete_watch(entry_id):
        raise not_found(f"watchlist entry {entry_id}")
    repo.audit(user.username, "watchlist.delete", target=f"watchlist:{entry_id}")
    reload_engine(request, repo)
    return Response(status_code=204)


@router.post(
    "/import",
    dependencies=[allow(*EDITORS)],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_watch(user: CurrentUser, repo: RepoDep, request: Request) -> dict[str, int]:
    """Add the entries of a watchlist CSV (``mmsi,imo,name,callsign,note``), all or nothing."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(422, "invalid_watchlist", "the watchlist is not UTF-8 text") from None
    parsed = parse_watchlist(text)
    rows = [
        {"mmsi": e.mmsi, "imo": e.imo, "name": e.name, "callsign": e.callsign, "note": e.note}
        for e in parsed.entries
    ]

    def store() -> int:
        n = repo.import_watch(rows)
        repo.audit(user.username, "watchlist.import", target="watchlist", detail={"entries": n})
        reload_engine(request, repo)
        return n

    return {"imported": await run_in_threadpool(store)}
