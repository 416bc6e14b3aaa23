"""Authentication against the store: passwords, login and API tokens, bootstrap, tickets.

Password login is throttled per username and per client (`app.auth.throttle`).

Tokens are kept only as SHA-256 hashes (`app.auth.tokens`), each with an expiry and a
revocation time; a token's user is looked up on every request, so a user removed or demoted
loses access at once, not at token expiry. The clock read here is the wall clock in aware
UTC: expiry is a real-world deadline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool

from app.auth.errors import TooManyAttempts, Unauthorized, WeakSecretError
from app.auth.passwords import hash_password, verify_password
from app.auth.scope import Scope
from app.auth.throttle import Attempt, Locked, LoginThrottle
from app.auth.tickets import TICKETS
from app.auth.tokens import API_PREFIX, LOGIN_PREFIX, hash_token, new_token
from app.identity import Role, User
from app.settings import WEAK_SECRETS
from app.store.repo import Repo, TokenRow
from app.wallclock import utcnow
from geo.alert_rules import Narrowing

log = logging.getLogger("app.auth")

#: A bootstrap token shorter than this is refused in serve mode (it would be guessable).
MIN_SECRET_LENGTH = 24
#: Bootstrap tokens live long: automation must not break at night; revoke to end them.
BOOTSTRAP_DAYS = 365
#: The audit actor of a failed login: nobody proved an identity.
ANONYMOUS = "anonymous"
#: A fixed argon2 hash to verify against when the user does not exist, so that a login for an
#: unknown name costs the same as one with a wrong password (no user enumeration by timing).
_DUMMY_HASH = hash_password("not a real password, only here for constant time")


def check_secret(name: str, value: str | None, *, mode: str) -> None:
    """Refuse an empty, default or short secret in serve mode (`WeakSecretError`)."""
    if mode != "serve" or value is None:
        return
    if value.strip().lower() in WEAK_SECRETS or len(value) < MIN_SECRET_LENGTH:
        raise WeakSecretError(
            f"{name} is empty, a default or shorter than {MIN_SECRET_LENGTH} characters; "
            "set a long random value (e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`)"
        )


class AuthService:
    """The service's authentication, over `Repo` (users and tokens tables)."""

    def __init__(
        self, repo: Repo, *, token_hours: float = 12.0, throttle: LoginThrottle | None = None
    ) -> None:
        self.repo = repo
        self.token_hours = token_hours
        self.throttle = throttle or LoginThrottle()
        #: The narrowings of the alert rules in force for (username, role); the composition
        #: root points it at the pipeline's rules, so a saved change applies to the next check.
        self.narrowings: Callable[[str, str], tuple[Narrowing, ...]] = lambda _u, _r: ()

    # -- users --------------------------------------------------------------------------------

    def create_user(
        self, username: str, password: str, role: Role, zones: list[str] | None = None
    ) -> User:
        """Create a user with an argon2 hash of the password (`Repo` refuses duplicates)."""
        return self.repo.create_user(
            username=username,
            password_hash=hash_password(password),
            role=role,
            zones=zones if role is Role.LIAISON else None,
        )

    def who_sees(self, alert: dict[str, Any]) -> list[str]:
        """Return the names of the enabled users who may see ``alert``, sorted.

        Those are the people it can be assigned to: a liaison of another zone (or one whose
        alert rules narrow the alert away) would be handed an alert it cannot open. The rule is
        the request's own (`Scope` over the user as a token of theirs would stand for it).
        """
        out: list[str] = []
        for u in self.repo.list_users():
            if u.disabled:
                continue
            zones = (u.zones or ()) if u.role is Role.LIAISON else None
            who = User(u.username, u.role, zones, narrow=self.narrowings(u.username, u.role.value))
            if Scope.of(who).sees_alert(alert):
                out.append(u.username)
        return sorted(out)

    # -- tokens -------------------------------------------------------------------------------

    def authenticate(self, token: str) -> User | None:
        """Return the user a token stands for, or None if unknown, expired or revoked."""
        if not token or len(token) > 512:
            return None
        row = self.repo.token_by_hash(hash_token(token))
        if row is None or row.revoked_at is not None:
            return None
        if row.expires_at is not None and row.expires_at <= utcnow():
            return None
        return self.user_of_token(row)

    def user_of_token(self, row: TokenRow) -> User | None:
        """Return who a stored token stands for now (role and zones as at login), None if gone.

        Public because open streams re-check with it (`app.api.push.stream_auth`): one rule for
        requests and streams.
        """
        user = self.repo.get_user(row.username)
        if user is None or user.disabled:
            return None
        role = Role(row.role) if row.role else user.role
        zones = user.zones if role is Role.LIAISON else None
        if role is Role.LIAISON and zones is None:
            zones = ()
        narrow = self.narrowings(user.username, role.value)
        return User(user.username, role, zones, str(row.id), narrow=narrow)

    def login(
        self, username: str, password: str, client: str = "unknown"
    ) -> tuple[str, datetime, User]:
        """Check the password; return a new login token, its expiry and the user.

        ``client`` is the caller's address (`app.auth.throttle.client_key`). Too many failures
        for the username or from the client answer `TooManyAttempts` before any password is
        checked; every failure and lockout goes to the audit log (never the password).
        """
        attempt = self.throttle.begin(username, client)
        if isinstance(attempt, Locked):
            raise TooManyAttempts(
                f"too many failed logins; try again in {attempt.retry_after} s",
                attempt.retry_after,
            )
        try:
            stored = self.repo.password_hash(username)
            ok = verify_password(stored or _DUMMY_HASH, password)
            user = self._issue_login(username) if stored is not None and ok else None
        except BaseException:
            self.throttle.abandon(attempt)
            raise
        if user is None:
            self._failed(attempt, known=stored is not None)
            raise Unauthorized("wrong username or password")
        self.throttle.succeeded(attempt)
        self.repo.audit(username, "login.ok", target=f"user:{username}", detail={"client": client})
        return user

    def _issue_login(self, username: str) -> tuple[str, datetime, User] | None:
        expires = utcnow() + timedelta(hours=self.token_hours)
        token = new_token(LOGIN_PREFIX)
        row = self.repo.add_token(
            username=username,
            name="login",
            kind="login",
            role=None,
            token_hash=hash_token(token),
            expires_at=expires,
        )
        user = self.user_of_token(row)
        return None if user is None else (token, expires, user)  # None: removed meanwhile

    def _failed(self, attempt: Attempt, *, known: bool) -> None:
        """Count a failure, audit it and any lockout it caused, and log the lockout.

        The actor is ``anonymous``: nobody proved who they are, and an admin reading a user's
        acts must not see an attacker's guesses among them. The target names the username
        tried (or the client, for a client lockout).
        """
        locked = self.throttle.failed(attempt)
        name, client = attempt.username, attempt.client
        detail: dict[str, Any] = {"client": client, "username": name, "known_user": known}
        self.repo.audit(ANONYMOUS, "login.failed", target=f"user:{name}", detail=detail)
        policy = self.throttle.policy
        for scope in locked:
            limit = policy.user_failures if scope == "user" else policy.client_failures
            target = f"user:{name}" if scope == "user" else f"client:{client}"
            detail = {
                "scope": scope,
                "client": client,
                "username": name,
                "failures": limit,
                "window_s": policy.window,
            }
            self.repo.audit(ANONYMOUS, "login.lockout", target=target, detail=detail)
            log.warning(
                "login locked for %s %r: %d failures in %.0f s",
                scope,
                target.partition(":")[2],
                limit,
                policy.window,
            )

    def create_api_token(
        self, owner: User, name: str, role: Role | None, expires_in_days: float | None
    ) -> tuple[str, TokenRow]:
        """Return a new API token (shown once) and its stored row."""
        expires = None if expires_in_days is None else utcnow() + timedelta(days=expires_in_days)
        token = new_token(API_PREFIX)
        row = self.repo.add_token(
            username=owner.username,
            name=name,
            kind="api",
            role=None if role is None else role.value,
            token_hash=hash_token(token),
            expires_at=expires,
        )
        return token, row

    def revoke(self, token_id: str) -> bool:
        """Revoke a token by id; False if there is no such live token."""
        return self.repo.revoke_token(token_id, utcnow())

    def bootstrap_admin(self, token: str) -> None:
        """Make ``token`` a valid admin token (user ``admin`` created if missing); idempotent."""
        if self.repo.get_user("admin") is None:
            self.repo.create_user(
                username="admin", password_hash=hash_password(new_token()), role=Role.ADMIN
            )
        if self.repo.token_by_hash(hash_token(token)) is None:
            self.repo.add_token(
                username="admin",
                name="bootstrap",
                kind="api",
                role=Role.ADMIN.value,
                token_hash=hash_token(token),
                expires_at=utcnow() + timedelta(days=BOOTSTRAP_DAYS),
            )

    # -- stream tickets -----------------------------------------------------------------------

    def issue_ticket(self, user: User) -> tuple[str, datetime]:
        """Return a single-use stream ticket for ``user`` and when it expires."""
        value, seconds = TICKETS.issue(user)
        return value, utcnow() + timedelta(seconds=seconds)

    def redeem_ticket(self, value: str) -> User | None:
        """Return the user of a ticket (consumed), re-checking that its token is still live."""
        ticket = TICKETS.redeem(value)
        if ticket is None:
            return None
        if ticket.user.token_id is not None:
            row = self.repo.token_by_id(ticket.user.token_id)
            if row is None or row.revoked_at is not None:
                return None
            if row.expires_at is not None and row.expires_at <= utcnow():
                return None
            return self.user_of_token(row)
        user: User = ticket.user
        return user


async def user_from_token(token: str, auth: AuthService) -> User | None:
    """Return the user of a bearer token (for WebSocket/SSE handlers), None if not valid."""
    return await run_in_threadpool(auth.authenticate, token)


async def user_from_ticket(ticket: str, auth: AuthService | None = None) -> User | None:
    """Return the user of a stream ticket (single use), None if unknown, used or expired.

    With ``auth`` the ticket's token is re-checked (revoked since → None); without, the
    identity captured when the ticket was issued (at most 60 s old) is returned.
    """
    if auth is None:
        found = TICKETS.redeem(ticket)
        return None if found is None else found.user
    return await run_in_threadpool(auth.redeem_ticket, ticket)
