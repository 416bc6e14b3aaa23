"""Running the packaged Alembic migrations on a connection (no alembic.ini needed).

Alembic is imported only when a migration runs or a revision is read from a database through
it: opening a store that is already at head (every `mare ingest` of a capture) needs only the
head revision's name, which `head_revision` reads from the revision files' ``revision`` and
``down_revision`` lines. Importing Alembic (its DDL modules for every dialect, Mako) cost the
ingest process 0.3-0.45 s of CPU at each start.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPT_LOCATION = "app.store:migrations"
VERSIONS = Path(__file__).with_name("migrations") / "versions"


def alembic_config(connection: Connection | None = None) -> Config:
    """Return an Alembic config pointing at the packaged migrations, bound to ``connection``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _revision_links(source: str) -> tuple[str, str | None]:
    """Return a revision file's ``(revision, down_revision)``, read from its assignments."""
    found: dict[str, object] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                    found[target.id] = ast.literal_eval(node.value) if node.value else None
    revision, down = found.get("revision"), found.get("down_revision")
    if not isinstance(revision, str) or not (down is None or isinstance(down, str)):
        raise ValueError("a revision file needs revision = '...' and down_revision = '...'|None")
    return revision, down


@cache
def head_revision() -> str | None:
    """Return the newest revision shipped with this version of Mare.

    The one revision no other revision names as its ``down_revision`` (the chain is linear,
    as Alembic's ``get_current_head`` requires); ``None`` if none are shipped.
    """
    links = dict(
        _revision_links(path.read_text(encoding="utf-8"))
        for path in sorted(VERSIONS.glob("*.py"))
        if path.name != "__init__.py"
    )
    heads = set(links) - set(links.values())
    if len(heads) > 1:
        raise ValueError(f"migrations have several heads: {sorted(heads)}")
    return heads.pop() if heads else None


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` in one transaction (PostgreSQL DDL is transactional)."""
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
