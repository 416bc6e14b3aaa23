"""Users, tokens and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from app.auth.models import Role, User
from app.service import tables as t
from app.service.repo_base import RepoBase, aware, now_ms


@dataclass(frozen=True, slots=True)
class TokenRow:
    """A stored token (its hash only) and its lifecycle."""

    id: int
    username: str
    name: str
    kind: str
    role: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def _row_id(text: str) -> int | None:
    """Return a token id from its text form, None if it cannot be one (not a 32-bit row id)."""
    if not text.isdigit() or len(text) > 10 or int(text) > 2**31 - 1:
        return None
    return int(text)


def _user(row: Any) -> User:
    zones = row.zones
    return User(row.username, Role(row.role), tuple(zones) if zones is not None else None)


def _token(row: Any) -> TokenRow:
    created = aware(row.created_at)
    assert created is not None
    return TokenRow(
        row.id,
        row.username,
        row.name,
        row.kind,
        row.role,
        created,
        aware(row.expires_at),
        aware(row.revoked_at),
    )


class AccountsRepo(RepoBase):
    """Users, tokens and audit entries."""

    def create_user(
        self, *, username: str, password_hash: str, role: Role, zones: list[str] | None = None
    ) -> User:
        with self.engine.begin() as c:
            c.execute(
                t.users.insert().values(
                    username=username,
                    password_hash=password_hash,
                    role=role.value,
                    zones=zones,
                    created_ms=now_ms(),
                )
            )
        return User(username, role, tuple(zones) if zones is not None else None)

    def get_user(self, username: str) -> User | None:
        with self.engine.connect() as c:
            row = c.execute(select(t.users).where(t.users.c.username == username)).first()
        return None if row is None else _user(row)

    def password_hash(self, username: str) -> str | None:
        with self.engine.connect() as c:
            return c.execute(
                select(t.users.c.password_hash).where(t.users.c.username == username)
            ).scalar()

    def list_users(self) -> list[User]:
        with self.engine.connect() as c:
            return [_user(r) for r in c.execute(select(t.users).order_by(t.users.c.username))]

    def update_user(
        self,
        username: str,
        *,
        password_hash: str | None,
        role: Role | None,
        zones: list[str] | None,
    ) -> User | None:
        values: dict[str, Any] = {}
        if password_hash is not None:
            values["password_hash"] = password_hash
        if role is not None:
            values["role"] = role.value
            values["zones"] = zones if role is Role.LIAISON else None
        with self.engine.begin() as c:
            if values:
                c.execute(update(t.users).where(t.users.c.username == username).values(**values))
        return self.get_user(username)

    def add_token(
        self,
        *,
        username: str,
        name: str,
        kind: str,
        role: str | None,
        token_hash: str,
        expires_at: datetime | None,
    ) -> TokenRow:
        from app.auth.service import utcnow

        with self.engine.begin() as c:
            row = c.execute(
                t.api_tokens.insert()
                .values(
                    username=username,
                    name=name,
                    kind=kind,
                    role=role,
                    token_hash=token_hash,
                    created_at=utcnow(),
                    expires_at=expires_at,
                )
                .returning(*t.api_tokens.c)
            ).one()
        return _token(row)

    def token_by_hash(self, token_hash: str) -> TokenRow | None:
        with self.engine.connect() as c:
            row = c.execute(
                select(t.api_tokens).where(t.api_tokens.c.token_hash == token_hash)
            ).first()
        return None if row is None else _token(row)

    def token_by_id(self, token_id: str) -> TokenRow | None:
        row_id = _row_id(token_id)
        if row_id is None:
            return None
        with self.engine.connect() as c:
            row = c.execute(select(t.api_tokens).where(t.api_tokens.c.id == row_id)).first()
        return None if row is None else _token(row)

    def list_tokens(self, kind: str | None = None) -> list[TokenRow]:
        q = select(t.api_tokens).order_by(t.api_tokens.c.id)
        if kind is not None:
            q = q.where(t.api_tokens.c.kind == kind)
        with self.engine.connect() as c:
            return [_token(r) for r in c.execute(q)]

    def revoke_token(self, token_id: str, at: datetime) -> bool:
        row_id = _row_id(token_id)
        if row_id is None:
            return False
        with self.engine.begin() as c:
            res = c.execute(
                update(t.api_tokens)
                .where(t.api_tokens.c.id == row_id, t.api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
        return bool(res.rowcount)

    def audit(
        self, username: str, action: str, *, target: str, detail: dict[str, Any] | None = None
    ) -> None:
        with self.engine.begin() as c:
            self._audit(c, username, action, target, detail)

    def _audit(
        self, c: Any, username: str, action: str, target: str, detail: dict[str, Any] | None
    ) -> None:
        c.execute(
            t.audit_log.insert().values(
                time_ms=now_ms(), username=username, action=action, target=target, detail=detail
            )
        )

    def audit_of(self, target: str) -> list[dict[str, Any]]:
        from geo.events import format_time

        with self.engine.connect() as c:
            rows = c.execute(
                select(t.audit_log).where(t.audit_log.c.target == target).order_by(t.audit_log.c.id)
            ).all()
        return [
            {
                "time": format_time(r.time_ms),
                "user": r.username,
                "action": r.action,
                "detail": r.detail,
            }
            for r in rows
        ]
