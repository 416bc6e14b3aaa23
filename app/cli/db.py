"""``mare db upgrade`` and ``mare db info``: the schema of the configured database."""

from __future__ import annotations

import typer
from sqlalchemy import text

from app.cli import cli
from app.cli.console import DatabaseUrlOpt, fail, warn_legacy_database
from app.settings import get_settings
from app.store.engine import make_engine, redact, resolve_url, with_retries
from app.store.errors import StoreError

db = typer.Typer(help="Database schema: upgrade it, show what it holds.", no_args_is_help=True)
cli.add_typer(db, name="db")


@db.callback()
def _db_group() -> None:
    warn_legacy_database(get_settings())


@db.command("upgrade")
def upgrade_cmd(url: DatabaseUrlOpt = None) -> None:
    """Upgrade the database schema to this version of Mare (PostGIS: run before serving)."""
    from app.store import migrate

    url = url or get_settings().database_url
    try:
        engine = make_engine(url)
        where = redact(resolve_url(url))
        before = with_retries(
            lambda: migrate.current_revision(engine), what="connecting", where=where
        )
        with_retries(lambda: migrate.upgrade(engine), what="upgrading", where=where)
        after = migrate.current_revision(engine)
        engine.dispose()
    except StoreError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"{where}: schema {before or 'empty'} -> {after}")


@db.command("info")
def info_cmd(url: DatabaseUrlOpt = None) -> None:
    """Show the schema revision, row counts and (PostGIS) the daily partitions."""
    from app.store import migrate, partitions

    url = url or get_settings().database_url
    try:
        engine = make_engine(url)
        where = redact(resolve_url(url))
        current = with_retries(
            lambda: migrate.current_revision(engine), what="connecting", where=where
        )
        typer.echo(f"database: {where} ({engine.dialect.name})")
        typer.echo(f"schema:   {current or 'empty'} (this Mare needs {migrate.head_revision()})")
        if current:
            with engine.connect() as conn:
                for table in ("positions", "vessels", "zones", "events", "users"):
                    n = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                    typer.echo(f"{table + ':':<10}{n}")
                if engine.dialect.name == "postgresql":
                    days = partitions.list_partitions(conn)
                    span = f"{days[0]} .. {days[-1]}" if days else "none"
                    typer.echo(f"partitions: {len(days)} ({span})")
        engine.dispose()
    except StoreError as exc:
        raise fail(str(exc)) from None


@db.command("maintain")
def maintain_cmd(url: DatabaseUrlOpt = None) -> None:
    """Create days ahead, build the GiST of days that are over, apply retention (run daily).

    On PostGIS the day being written has no GiST (it costs most of a row's insert); queries
    over a closed day without one still answer, through BRIN on time, only slower over long
    windows. MARE_RETENTION_DAYS says how many days of positions to keep. A running service
    does this itself (at start, hourly, after midnight UTC); one process at a time on PostGIS.
    """
    from app.store import open_store
    from app.store.maintenance import maintain_exclusive
    from app.wallclock import now_ms

    settings = get_settings()
    try:
        store = open_store(url or settings.database_url)
        try:
            done = maintain_exclusive(store, now_ms(), settings.retention_days)
        finally:
            store.close()
    except StoreError as exc:
        raise fail(str(exc)) from None
    if done is None:
        typer.echo("skipped: another process is maintaining this database now")
        return
    for key, value in done.items():
        shown = ", ".join(value) if isinstance(value, list) else str(value)
        typer.echo(f"{key.replace('_', ' ')}: {shown or 'none'}")
