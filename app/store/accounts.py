"""Users, tokens and the audit log (the store's tables)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from app.identity import Role, User
from app.store.audit import record
from app.store.errors import AlreadyExists, LastAdmin
from app.store.ids import row_id
from app.store.repo_base import RepoBase
from app.wallclock import now_ms, utcnow
from geo.events import format_time


def _audit_entry(r: Any, who: str) -> dict[str, Any]:
    """Return an audit row as the API shows it (``who``: the key naming the actor)."""
    return {
        "time": format_time(r.time),
        who: r.actor,
        "action": r.action,
        "target": r.target,
        "detail": r.details or None,
    }


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
    return row_id(text)


def _user(row: Any) -> User:
    zones = row.zones
    return User(
        row.username,
        Role(row.role),
        tuple(zones) if zones is not None else None,
        disabled=bool(row.disabled),
    )


def _dt(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def _ms(dt: datetime | None) -> int | None:
    return None if dt is None else round(dt.timestamp() * 1000)


def _token(row: Any) -> TokenRow:
    created = _dt(row.created_at)
    assert created is not None
    return TokenRow(
        row.id,
        row.username,
        row.name,
        row.kind,
        row.role,
        created,
        _dt(row.expires_at),
        _dt(row.revoked_at),
    )


class AccountsRepo(RepoBase):
    """Users and tokens (the store's ``users`` and ``api_tokens``), audit entries."""

    def _tokens_query(self) -> Any:
        tok, u = self.store.tables["api_tokens"], self.store.tables["users"]
        return select(tok, u.c.username).join(u, u.c.id == tok.c.user_id)

    def create_user(
        self, *, username: str, password_hash: str, role: Role, zones: list[str] | None = None
    ) -> User:
        u = self.store.tables["users"]
        stmt = u.insert().values(
            username=username,
            password_hash=password_hash,
            role=role.value,
            zones=zones,
            disabled=False,
            created_at=now_ms(),
        )
        try:
            self.store.write(lambda c: c.execute(stmt), "creating a user")
        except IntegrityError as exc:  # two admins creating one name at once: a 409, not a 500
            raise AlreadyExists(f"user {username} already exists") from exc
        return User(username, role, tuple(zones) if zones is not None else None)

    def get_user(self, username: str) -> User | None:
        u = self.store.tables["users"]
        q = select(u).where(u.c.username == username)
        row = self.store.read(lambda c: c.execute(q).first())
        return None if row is None else _user(row)

    def password_hash(self, username: str) -> str | None:
        """Return the hash to check a login against; None for unknown and disabled users."""
        u = self.store.tables["users"]
        q = select(u.c.password_hash).where(u.c.username == username, u.c.disabled.is_(False))
        return self.store.read(lambda c: c.execute(q).scalar())  # type: ignore[no-any-return]

    def list_users(self) -> list[User]:
        u = self.store.tables["users"]
        rows = self.store.read(lambda c: c.execute(select(u).order_by(u.c.username)).all())
        return [_user(r) for r in rows]

    def update_user(
        self,
        username: str,
        *,
        password_hash: str | None,
        role: Role | None,
        zones: list[str] | None,
        disabled: bool | None = None,
        actor: str | None = None,
    ) -> User | None:
        """Change a user; `LastAdmin` if it would leave no enabled admin.

        The check, the change and its audit entry (when ``actor`` is given) are one
        transaction, the other admins' rows locked on PostgreSQL: two admins demoting each
        other at once cannot both succeed.
        """
        values: dict[str, Any] = {}
        if password_hash is not None:
            values["password_hash"] = password_hash
        if disabled is not None:
            values["disabled"] = disabled
        if role is not None:
            values["role"] = role.value
            values["zones"] = zones if role is Role.LIAISON else None
        if values:
            u = self.store.tables["users"]
            stmt = update(u).where(u.c.username == username).values(**values)
            demotes = values.get("disabled") is True or values.get("role", "admin") != "admin"

            def run(c: Any) -> None:
                if demotes:
                    self._keep_an_admin(c, username)
                before = c.execute(select(u).where(u.c.username == username)).first()
                c.execute(stmt)
                if actor is not None and before is not None:
                    changed = {
                        k: v
                        for k, v in values.items()
                        if k != "password_hash" and getattr(before, k) != v
                    }
                    if "password_hash" in values:
                        changed["password"] = "changed"
                    self._audit(c, actor, "user.update", f"user:{username}", changed)

            self.store.write(run, "updating a user")
        return self.get_user(username)

    def _keep_an_admin(self, c: Any, username: str) -> None:
        """Raise `LastAdmin` if ``username`` is the only enabled admin."""
        u = self.store.tables["users"]
        admins = select(u.c.username).where(u.c.role == Role.ADMIN.value, u.c.disabled.is_(False))
        if c.dialect.name == "postgresql":
            admins = admins.with_for_update()
        names = set(c.execute(admins).scalars())
        if names == {username}:
            raise LastAdmin(f"{username} is the last enabled admin: make another admin first")

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
        tok, u = self.store.tables["api_tokens"], self.store.tables["users"]
        owner = select(u.c.id).where(u.c.username == username).scalar_subquery()
        stmt = (
            tok.insert()
            .values(
                user_id=owner,
                name=name,
                kind=kind,
                role=role,
                token_hash=token_hash,
                created_at=_ms(utcnow()),
                expires_at=_ms(expires_at),
            )
            .returning(tok.c.id)
        )

        def run(c: Any) -> Any:
            token_id = c.execute(stmt).scalar_one()
            return c.execute(self._tokens_query().where(tok.c.id == token_id)).one()

        return _token(self.store.write(run, "creating a token"))

    def token_by_hash(self, token_hash: str) -> TokenRow | None:
        tok = self.store.tables["api_tokens"]
        q = self._tokens_query().where(tok.c.token_hash == token_hash)
        row = self.store.read(lambda c: c.execute(q).first())
        return None if row is None else _token(row)

    def token_by_id(self, token_id: str) -> TokenRow | None:
        row_id = _row_id(token_id)
        if row_id is None:
            return None
        tok = self.store.tables["api_tokens"]
        q = self._tokens_query().where(tok.c.id == row_id)
        row = self.store.read(lambda c: c.execute(q).first())
        return None if row is None else _token(row)

    def list_tokens(self, kind: str | None = None) -> list[TokenRow]:
        tok = self.store.tables["api_tokens"]
        q = self._tokens_query().order_by(tok.c.id)
        if kind is not None:
            q = q.where(tok.c.kind == kind)
        return [_token(r) for r in self.store.read(lambda c: c.execute(q).all())]

    def revoke_token(self, token_id: str, at: datetime) -> bool:
        row_id = _row_id(token_id)
        if row_id is None:
            return False
        tok = self.store.tables["api_tokens"]
        stmt = (
            update(tok)
            .where(tok.c.id == row_id, tok.c.revoked_at.is_(None))
            .values(revoked_at=_ms(at))
        )
        return bool(self.store.write(lambda c: c.execute(stmt).rowcount, "revoking a token"))

    def audit(
        self, username: str, action: str, *, target: str, detail: dict[str, Any] | None = None
    ) -> None:
        self.store.write(
            lambda c: self._audit(c, username, action, target, detail), "writing the audit log"
        )

    def _audit(
        self, c: Any, username: str, action: str, target: str, detail: dict[str, Any] | None
    ) -> None:
        """Append an entry on ``c`` (the store's ``audit_log``; no detail is stored as ``{}``)."""
        record(
            c, self.store, actor=username, action=action, target=target, details=detail,
            now_ms=now_ms(),
        )  # fmt: skip

    def audit_by_action(self, prefix: str, limit: int = 200) -> list[dict[str, Any]]:
        """Return the newest audit entries whose action starts with ``prefix``, newest first."""
        a = self.store.tables["audit_log"]
        q = (
            select(a)
            .where(a.c.action.startswith(prefix, autoescape=True))
            .order_by(a.c.id.desc())
            .limit(limit)
        )
        rows = self.store.read(lambda c: c.execute(q).all())
        return [_audit_entry(r, "actor") for r in rows]

    def audit_of_vessel(self, mmsi: int, limit: int = 500) -> list[dict[str, Any]]:
        """Return the audit entries about a vessel, oldest first, each with its ``target``.

        A vessel's trail is what people did about it wherever it was recorded: on the vessel
        itself (``vessel:M``), on its alerts (``alert:ID``, either vessel of an encounter) and on
        its watchlist entries (``watchlist:ID``); the newest ``limit`` of them.
        """
        a, ev, w = (self.store.tables[n] for n in ("audit_log", "events", "watchlist"))

        def read(c: Any) -> list[Any]:
            alerts = c.execute(
                select(ev.c.id).where(or_(ev.c.mmsi == mmsi, ev.c.other_mmsi == mmsi))
            ).scalars()
            watch = c.execute(select(w.c.id).where(w.c.mmsi == mmsi)).scalars()
            targets = [f"vessel:{mmsi}"]
            targets += [f"alert:{i}" for i in alerts] + [f"watchlist:{i}" for i in watch]
            rows: list[Any] = []
            for k in range(0, len(targets), 500):  # bound the IN list (SQLite's variable cap)
                q = select(a).where(a.c.target.in_(targets[k : k + 500]))
                rows += c.execute(q.order_by(a.c.id.desc()).limit(limit)).all()
            return sorted(rows, key=lambda r: r.id)[-limit:]

        return [_audit_entry(r, "user") for r in self.store.read(read)]

    def audit_of(self, target: str) -> list[dict[str, Any]]:

        a = self.store.tables["audit_log"]
        q = select(a).where(a.c.target == target).order_by(a.c.id)
        rows = self.store.read(lambda c: c.execute(q).all())
        return [
            {
                "time": format_time(r.time),
                "user": r.actor,
                "action": r.action,
                "detail": r.details or None,
            }
            for r in rows
        ]
