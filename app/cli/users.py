"""``mare users add``: people who sign in, created in the configured database."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from app.cli import cli
from app.cli.console import fail, out, warn_legacy_database

users_cli = typer.Typer(help="Manage users.", no_args_is_help=True)
cli.add_typer(users_cli, name="users")


@users_cli.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option("--role", help="admin, officer, analyst or liaison.")],
    zones: Annotated[
        str | None, typer.Option("--zones", help="Liaison's zone ids, comma-separated.")
    ] = None,
    password: Annotated[
        str | None, typer.Option("--password", help="Password (prompted when omitted).")
    ] = None,
) -> None:
    """Create a user in the configured database (MARE_DATABASE_URL)."""
    from app.auth.passwords import MIN_PASSWORD
    from app.auth.service import AuthService
    from app.identity import Role
    from app.settings import ServiceSettings
    from app.store.repo import Repo

    try:
        r = Role(role)
    except ValueError:
        raise fail(f"unknown role {role!r} (admin, officer, analyst, liaison)") from None
    zone_ids = [z.strip() for z in (zones or "").split(",") if z.strip()]
    if r is Role.LIAISON and not zone_ids:
        raise fail("a liaison needs --zones")
    if r is not Role.LIAISON and zone_ids:
        raise fail("only a liaison takes --zones")
    if password is None:
        password = getpass.getpass(f"password for {username}: ")
        if getpass.getpass("again: ") != password:
            raise fail("the passwords differ")
    if len(password) < MIN_PASSWORD:
        raise fail(f"the password must have at least {MIN_PASSWORD} characters")
    settings = ServiceSettings()
    warn_legacy_database(settings)
    try:
        repo = Repo.open(settings.resolved_database_url)
    except Exception as exc:  # noqa: BLE001 - one clear line, whatever the driver raised
        raise fail(f"cannot open the database: {exc}") from None
    try:
        if repo.get_user(username) is not None:
            raise fail(f"user {username} already exists")
        known = {z.id for z in repo.list_zones()}
        unknown = sorted(set(zone_ids) - known)
        if unknown:
            raise fail(f"unknown zones: {', '.join(unknown)}")
        AuthService(repo).create_user(username, password, r, zone_ids or None)
    finally:
        repo.close()
    out.print(f"user {username} ({r.value}) created")
