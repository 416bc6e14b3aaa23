"""Store fixtures: a fresh PostGIS database per test session, a fresh SQLite file per test.

PostgreSQL comes from ``MARE_TEST_DATABASE_URL`` if set, else the local server; the session
creates ``mare_store_<random>`` with PostGIS, upgrades it the way ``mare db upgrade`` does, and
drops it at the end. Tests parametrised with ``store`` run once per backend.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from app.settings import get_settings
from app.store import Store, open_store
from app.store.engine import make_engine
from app.store.migrate import upgrade

ADMIN_URL = os.environ.get(
    "MARE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TABLES = (
    "positions, vessels, vessel_identities, zones, store_meta, events, watchlist, api_tokens, "
    "users, audit_log, assets, vessel_states, contacts, alert_rules, contact_posts"
)


def with_db(url: str, name: str) -> str:
    """Return ``url`` pointing at database ``name``."""
    base = url.rsplit("/", 1)[0]
    return f"{base}/{name}"


def create_database(prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_db(ADMIN_URL, name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return url


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    url = create_database("mare_store")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    drop_database(url)


@pytest.fixture(params=["sqlite", "postgis"])
def store(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[Store]:
    if request.param == "sqlite":
        s = open_store(f"sqlite:///{tmp_path}/mare.db", attempts=2, backoff_s=0.05)
    else:
        url = request.getfixturevalue("pg_url")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
            parts = conn.execute(
                "SELECT inhrelid::regclass::text FROM pg_inherits "
                "WHERE inhparent = 'positions'::regclass"
            ).fetchall()
            for (name,) in parts:  # each test starts with no partitions, as a fresh database
                conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(name)))
        s = open_store(url, attempts=2, backoff_s=0.05)
    yield s
    s.close()


@pytest.fixture
def configured(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """Point MARE_DATABASE_URL at the (fresh) store the `store` fixture opened."""
    monkeypatch.setenv("MARE_DATABASE_URL", store.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield store
    get_settings.cache_clear()
