"""Exceptions of authentication and authorisation; `app.api.errors` maps them to 401/403/429."""

from __future__ import annotations


class AuthError(Exception):
    """Base: a request that may not proceed. ``code`` is the API's stable error code."""

    code = "unauthorized"
    status = 401


class Unauthorized(AuthError):
    """No token, an unknown, expired or revoked token, or a wrong password."""


class Forbidden(AuthError):
    """A valid identity without the role the action needs."""

    code = "forbidden"
    status = 403


class WeakSecretError(AuthError):
    """A default or empty secret offered in serve mode (refused at start, never served)."""

    code = "weak_secret"
    status = 500


class TooManyAttempts(AuthError):
    """Login refused for a while after too many failures (``Retry-After`` says how long)."""

    code = "too_many_requests"
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OutOfScope(AuthError):
    """An object outside the caller's scope: answered as if it did not exist (404)."""

    code = "not_found"
    status = 404

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")


class ClaimOutsideScope(AuthError):
    """A subscription asking for zones outside the caller's scope (422, naming them)."""

    code = "invalid_request"
    status = 422

    def __init__(self, message: str, outside: list[str]) -> None:
        super().__init__(message)
        self.detail: dict[str, list[str]] = {"outside": outside}
