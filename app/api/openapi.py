"""The OpenAPI document says every error an operation can answer, in the one error shape.

FastAPI documents only the success and a 422 with its own ``HTTPValidationError`` body, which
Mare never sends (`app.api.errors` answers ``{"error", "message", "detail"?}``). Clients that
generate code from ``/openapi.json`` then meet statuses and bodies the contract never named.
The rules below follow from how the service answers, not from each route:

- 401 and 403 wherever a bearer token is required (bad token; role or scope refused);
- 404 wherever the request names something (a path or query parameter: an id, a zone);
- 409 on authenticated writes (the object exists already, or is in a state that forbids the change);
- 413 wherever a body is read (`app.api.guard`), 422 wherever anything is validated;
- 503 everywhere but the liveness probe: the database may be away.

A route documents other answers (429, its media types) in its decorator.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "a stable code (docs/api.md)"},
        "message": {"type": "string", "description": "what went wrong, for a person"},
        "detail": {"description": "machine-readable specifics, when there are any"},
    },
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
DESCRIPTIONS = {
    401: "No token, or one that is unknown, expired or revoked",
    403: "The role or zone scope of the token does not allow this",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with the object's present state",
    413: "Request body too large",
    422: "The request is not valid",
    503: "The database is not available",
}
WRITES = {"post", "put", "patch", "delete"}
#: Operations that never reach the database.
NO_STORE = {("get", "/healthz")}


def error_response(status: int) -> dict[str, Any]:
    """Return the OpenAPI response object of an error status."""
    return {
        "description": DESCRIPTIONS.get(status, "Error"),
        "content": {"application/json": {"schema": ERROR_REF}},
    }


def statuses(path: str, method: str, op: dict[str, Any]) -> set[int]:
    """Return the error statuses an operation can answer, by the rules of the module."""
    found: set[int] = set()
    params = op.get("parameters", [])
    if op.get("security"):
        found |= {401, 403}
    if any(p.get("in") in ("path", "query") for p in params):
        found |= {404, 422}
    if method in WRITES and op.get("security"):
        found.add(409)
    if "requestBody" in op:
        found |= {413, 422}
    if params or "requestBody" in op:
        found.add(422)
    if (method, path) not in NO_STORE:
        found.add(503)
    return found


def with_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Return ``schema`` with every operation's error answers in the Error shape."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if method not in {"get", "put", "post", "delete", "patch", "head", "options"}:
                continue
            responses = op.setdefault("responses", {})
            for status in statuses(path, method, op):
                if str(status) not in responses or status == 422:  # FastAPI's 422 is not ours
                    responses[str(status)] = error_response(status)
            for status, response in responses.items():  # routes' own errors: the same shape
                if status[:1] in "45" and "content" not in response:
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
    return schema


def document_errors(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the document with the error answers added (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_errors(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    summary=app.summary,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
