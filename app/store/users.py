"""Users (argon2id password hashes) and API tokens (only their SHA-256 is stored).

A token is 32 random bytes, so a fast hash is enough to make a stolen table useless (no
dictionary to try); passwords are chosen by people and get argon2id. The plaintext token is
returned once, at creation; ``prefix`` keeps its first characters so people can tell tokens apart.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, select

from app.auth.passwords import hash_password, verify_password
from app.store.errors import NotFound, StoreError
from app.store.store import Store

TOKEN_PREFIX = "mare_"


@dataclass(frozen=True, slots=True)
class User:
    """An account as the API sees it."""

    id: int
    username: str
    role: str
    disabled: bool


def _user(r: object) -> User:
    return User(r.id, r.username, r.role, bool(r.disabled))  # type: ignore[attr-defined]


def token_hash(token: str) -> str:
    """Return the stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(store: Store, *, username: str, password: str, role: str, now_ms: int) -> User:
    """Create an account; a taken username is a `StoreError`."""
    t = store.tables["users"]
    row = {"username": username, "password_hash": hash_password(password), "role": role,
           "disabled": False, "created_at": now_ms}  # fmt: skip

    def run(conn: Connection) -> User:
        if conn.execute(select(t.c.id).where(t.c.username == username)).first():
            raise StoreError(f"user {username!r} already exists")
        conn.execute(t.insert().values(**row))
        return _user(conn.execute(select(t).where(t.c.username == username)).one())

    return store.write(run, "creating a user")  # type: ignore[no-any-return]


def authenticate(store: Store, username: str, password: str) -> User | None:
    """Return the user if the password matches and the account is enabled."""
    t = store.tables["users"]
    r = store.read(lambda c: c.execute(select(t).where(t.c.username == username)).first())
    if r is None or r.disabled or not verify_password(r.password_hash, password):
        return None
    return _user(r)


def create_token(
    store: Store, *, user_id: int, name: str, now_ms: int, expires_at_ms: int | None = None
) -> str:
    """Create an API token for a user and return its plaintext (shown once, never stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    t = store.tables["api_tokens"]
    u = store.tables["users"]

    def run(conn: Connection) -> None:
        if conn.execute(select(u.c.id).where(u.c.id == user_id)).first() is None:
            raise NotFound(f"no user with id {user_id}")
        conn.execute(t.insert().values(user_id=user_id, name=name, token_hash=token_hash(token),
                                       prefix=token[:12], created_at=now_ms,
                                       expires_at=expires_at_ms))  # fmt: skip

    store.write(run, "creating a token")
    return token


def resolve_token(store: Store, token: str, *, now_ms: int) -> User | None:
    """Return the token's user if the token is known, unrevoked, unexpired and the user enabled."""
    t = store.tables["api_tokens"]
    u = store.tables["users"]

    def run(conn: Connection) -> User | None:
        r = conn.execute(
            select(u, t.c.id.label("token_id"), t.c.expires_at, t.c.revoked_at)
            .join(t, t.c.user_id == u.c.id)
            .where(t.c.token_hash == token_hash(token))
        ).first()
        if r is None or r.revoked_at is not None or r.disabled:
            return None
        if r.expires_at is not None and r.expires_at <= now_ms:
            return None
        conn.execute(t.update().where(t.c.id == r.token_id).values(last_used_at=now_ms))
        return _user(r)

    return store.write(run, "checking a token")  # type: ignore[no-any-return]


def revoke_token(store: Store, token: str, *, now_ms: int) -> bool:
    """Revoke a token; return whether it existed and was live."""
    t = store.tables["api_tokens"]
    stmt = (
        t.update()
        .where(t.c.token_hash == token_hash(token), t.c.revoked_at.is_(None))
        .values(revoked_at=now_ms)
    )
    return bool(store.write(lambda c: c.execute(stmt).rowcount, "revoking a token"))
