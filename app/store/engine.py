"""Database URLs and engines: which driver, which pragmas, and retries with backoff.

A plain ``postgresql://`` URL gets the psycopg 3 driver (the one that speaks COPY), and
``sqlite:///path`` gets WAL mode so readers (the API) never block the writer (ingest).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from app.store.errors import StoreUnavailable, StoreURLError

if TYPE_CHECKING:
    from app.settings import Settings

T = TypeVar("T")

#: Default retry schedule: 5 attempts waiting 0.5, 1, 2, 4 s between them (7.5 s in all), long
#: enough for a PostgreSQL restart or a fail-over of a managed database, short enough for a CLI.
DEFAULT_ATTEMPTS = 5
DEFAULT_BACKOFF_S = 0.5


def resolve_url(url: str | None, settings: Settings | None = None) -> str:
    """Return the SQLAlchemy URL for a ``MARE_DATABASE_URL`` value.

    None (or empty) means the configured database, `Settings.resolved_database_url`: the same
    default for every command.
    """
    if url is None or not url.strip():
        # here, not at import: pydantic is ~0.1 s of a capture's ingest start (`app.cli.ingest`)
        from app.settings import get_settings

        url = (settings or get_settings()).resolved_database_url
    url = url.strip()
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith("sqlite:///") or url == "sqlite://":
        return url
    raise StoreURLError(
        f"unsupported database URL {redact(url)!r}: use postgresql://user@host:port/db "
        "or sqlite:///path"
    )


def redact(url: str) -> str:
    """Return the URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL too broken to parse is shown as it is
        return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoint, no corruption
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str | None) -> Engine:
    """Create the engine for a ``MARE_DATABASE_URL`` value; nothing is connected yet.

    ``hide_parameters``: a failed statement's error (logged with its traceback) would
    otherwise carry its bound values, among them webhook secrets and password hashes.
    """
    sa_url = resolve_url(url)
    if sa_url.startswith("sqlite"):
        path = make_url(sa_url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(sa_url, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        sa_url,
        pool_pre_ping=True,
        pool_size=4,
        hide_parameters=True,
        connect_args={"connect_timeout": 5, "application_name": "mare"},
    )


def is_connection_error(exc: BaseException) -> bool:
    """Whether an error means the database went away (retry) rather than a bad statement."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        return True
    try:
        import psycopg

        return isinstance(exc, psycopg.OperationalError)
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False


def one_line(exc: BaseException) -> str:
    """Return the first line of a driver error, without SQLAlchemy's background links."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def with_retries(
    fn: Callable[[], T],
    *,
    what: str,
    where: str,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff_s: float = DEFAULT_BACKOFF_S,
) -> T:
    """Run ``fn`` (one whole transaction), retrying connection errors with exponential backoff.

    Only a transaction that never committed is retried, and every write of the store is
    idempotent (natural keys), so a retry after a commit whose acknowledgement was lost stores
    nothing twice. After the last attempt the error is a `StoreUnavailable` with one line.
    """
    delay = backoff_s
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            if attempt == attempts:
                raise StoreUnavailable(
                    f"database at {where} unavailable while {what} "
                    f"({attempts} attempts): {one_line(exc)}"
                ) from exc
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover
