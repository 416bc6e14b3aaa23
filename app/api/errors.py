"""One table from every package's exceptions to HTTP answers ``{"error", "message", "detail"?}``.

Bad input is a 4xx with a sentence a human can act on; a 500 is a bug. The table is ordered
from specific to general and matched with ``isinstance``, so a subclass added later in a
package (a new `GeoError`) is answered by its base's row without a change here.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ais_ingest.errors import IngestError, SourceError, SourceURLError
from app.api.services import NotStarted
from app.auth.errors import AuthError, TooManyAttempts
from app.store.errors import (
    AlreadyExists,
    InvalidTransition,
    NotFound,
    SchemaOutOfDate,
    StoreError,
    StoreUnavailable,
    ZoneInvalid,
)
from geo.engine import SnapshotError
from geo.errors import AlertRulesError, GeoError, ZoneFileError
from geo.watchlist import WatchlistError

log = logging.getLogger("app.api.errors")


class ApiError(Exception):
    """An answer decided by a route: status, stable code and message (and optional detail)."""

    def __init__(
        self, status: int, code: str, message: str, detail: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail


def not_found(what: str) -> ApiError:
    """Return the 404 for an object that does not exist, or that the caller may not see."""
    return ApiError(404, "not_found", f"{what} not found")


def bad_request(message: str, detail: dict[str, Any] | None = None) -> ApiError:
    """Return a 422 for input the schema accepted but the meaning does not."""
    return ApiError(422, "invalid_request", message, detail)


#: (exception type, status, code), first match wins.
TABLE: list[tuple[type[Exception], int, str]] = [
    (ZoneInvalid, 422, "invalid_zone"),
    (NotFound, 404, "not_found"),
    (InvalidTransition, 409, "conflict"),
    (AlreadyExists, 409, "conflict"),
    # Not the caller's fault, and not a bug either: the database is away or behind.
    (StoreUnavailable, 503, "store_unavailable"),
    (SchemaOutOfDate, 503, "store_unavailable"),
    (StoreError, 503, "store_unavailable"),
    (ZoneFileError, 422, "invalid_zone"),
    (WatchlistError, 422, "invalid_watchlist"),
    (AlertRulesError, 422, "invalid_rules"),
    (SnapshotError, 422, "invalid_snapshot"),
    (GeoError, 422, "invalid_request"),
    (SourceURLError, 422, "invalid_source"),
    (SourceError, 409, "source_unavailable"),
    (IngestError, 422, "invalid_request"),
]


def _body(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"error": code, "message": message}
    if detail is not None:
        out["detail"] = detail
    return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(_body(exc.code, exc.message, exc.detail), status_code=exc.status)


async def _auth_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    detail = getattr(exc, "detail", None)
    return JSONResponse(
        _body(exc.code, _first_line(exc), detail), status_code=exc.status, headers=headers
    )


async def _not_started(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(_body("not_ready", _first_line(exc)), status_code=503)


async def _table_error(request: Request, exc: Exception) -> JSONResponse:
    for exc_type, status, code in TABLE:
        if isinstance(exc, exc_type):
            return JSONResponse(_body(code, _first_line(exc)), status_code=status)
    raise exc


def _validation_message(errors: list[Any]) -> str:
    if not errors:
        return "the request is not valid"
    first = errors[0]
    loc = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body",))
    msg = str(first.get("msg", "invalid value"))
    return f"{loc}: {msg}" if loc else msg


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
        for e in exc.errors()
    ]
    return JSONResponse(
        _body("invalid_request", _validation_message(errors), {"errors": errors}),
        status_code=422,
    )


_HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return JSONResponse(
        _body(code, message), status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    """Answer 422 for a value the database refused (out of its type's range, unstorable).

    The routes bound what they can (ids, MMSIs, lengths) and the guard refuses NUL, so this is
    the net under them: the caller sent something the store cannot keep, which is the caller's
    to fix (422), not a fault of the service; the log keeps the driver's words for the bug.
    """
    log.warning("database refused a value: %s", _first_line(exc))
    return JSONResponse(
        _body("invalid_request", "a value in the request cannot be stored (out of range)"),
        status_code=422,
    )


def add_exception_handlers(app: FastAPI) -> None:
    """Install the handlers: `ApiError`, auth, the package table, validation and HTTP errors."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(AuthError, _auth_error)
    app.add_exception_handler(NotStarted, _not_started)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(sqlalchemy.exc.DataError, _data_error)
    for base in (GeoError, IngestError, StoreError):
        app.add_exception_handler(base, _table_error)
