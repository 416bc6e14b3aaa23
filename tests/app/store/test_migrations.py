from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect, select, text

from app.store import Store
from app.store.autogen import include_object
from app.store.engine import make_engine
from app.store.migrate import alembic_config, head_revision, upgrade
from app.store.repo import Repo
from app.store.schema import make_metadata
from tests.app.store.conftest import create_database, drop_database


def test_migrations_match_the_tables_on_both_backends(store: Store) -> None:
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        assert compare_metadata(ctx, make_metadata(store.postgis)) == []


@pytest.fixture(params=["sqlite", "postgis"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no revision applied) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/old.db"
        return
    url = create_database("mare_mig")
    yield url
    drop_database(url)


def test_service_watchlist_moves_onto_the_store_table_with_its_ids(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        upgrade(engine, "0001")
        with engine.begin() as conn:  # a database the service used before the move
            conn.execute(
                text(
                    "CREATE TABLE svc_watchlist (id INTEGER PRIMARY KEY, mmsi BIGINT, "
                    "imo BIGINT, name VARCHAR(120), callsign VARCHAR(20), note TEXT)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO svc_watchlist VALUES (7, 247000001, NULL, :n, 'IABCDEFGHIJK', "
                    "NULL), (9, NULL, 9074729, 'B', NULL, 'x')"
                ),
                {"n": "N" * 100},
            )
        upgrade(engine)
        assert not inspect(engine).has_table("svc_watchlist")
        store = Store(engine)
        assert [
            (w["id"], w["mmsi"], w["imo"], w["name"], w["callsign"], w["note"])
            for w in Repo(store).list_watch()
        ] == [
            (7, 247000001, None, "N" * 100, "IABCDEFGHIJK", ""),
            (9, None, 9074729, "B", None, "x"),
        ]
        w = store.tables["watchlist"]
        with engine.begin() as conn:  # new entries continue after the moved ids
            new_id = conn.execute(
                w.insert().values(name="C", note="", created_at=1).returning(w.c.id)
            ).scalar()
        assert new_id == 10
    finally:
        engine.dispose()


def test_service_accounts_move_onto_the_store_tables_with_token_ids(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    pg = engine.dialect.name == "postgresql"
    stamp = "TIMESTAMP WITH TIME ZONE" if pg else "DATETIME"
    try:
        upgrade(engine, "0002")
        with engine.begin() as conn:  # a database the service used before the move
            conn.execute(
                text(
                    "CREATE TABLE svc_users (username VARCHAR(64) PRIMARY KEY, password_hash TEXT, "
                    "role VARCHAR(16), zones JSON, created_ms BIGINT)"
                )
            )
            conn.execute(
                text(
                    f"CREATE TABLE svc_api_tokens (id INTEGER PRIMARY KEY, username VARCHAR(64), "
                    f"name VARCHAR(100), kind VARCHAR(8), role VARCHAR(16), "
                    f"token_hash VARCHAR(64), created_at {stamp}, expires_at {stamp}, "
                    f"revoked_at {stamp})"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO svc_users VALUES ('ann', 'h1', 'liaison', '[\"alpha\"]', 1000), "
                    "('bob', 'h2', 'admin', NULL, 2000)"
                )
            )
            created = "2026-11-23 10:00:00.250000" + ("+00" if pg else "")
            conn.execute(
                text(
                    "INSERT INTO svc_api_tokens VALUES "
                    "(5, 'ann', 'login', 'login', NULL, 'aa', :c, NULL, NULL), "
                    "(8, 'bob', 'ci', 'api', 'viewer', 'bb', :c, :c, NULL)"
                ),
                {"c": created},
            )
        upgrade(engine)
        assert not inspect(engine).has_table("svc_users")
        assert not inspect(engine).has_table("svc_api_tokens")
        store = Store(engine)
        u, tok = store.tables["users"], store.tables["api_tokens"]
        with engine.connect() as conn:
            users = conn.execute(select(u.c.username, u.c.role, u.c.zones).order_by(u.c.id)).all()
            tokens = conn.execute(
                select(tok.c.id, u.c.username, tok.c.kind, tok.c.role, tok.c.created_at)
                .join(u, u.c.id == tok.c.user_id)
                .order_by(tok.c.id)
            ).all()
        assert [tuple(r) for r in users] == [("ann", "liaison", ["alpha"]), ("bob", "admin", None)]
        ms = 1_795_428_000_250  # 2026-11-23T10:00:00.250Z
        assert [tuple(r) for r in tokens] == [
            (5, "ann", "login", None, ms),
            (8, "bob", "api", "viewer", ms),
        ]
    finally:
        engine.dispose()


def test_service_assets_move_onto_the_store_table_with_their_ids(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        upgrade(engine, "0003")
        with engine.begin() as conn:  # a database the service used before the move
            conn.execute(
                text(
                    "CREATE TABLE svc_assets (id INTEGER PRIMARY KEY, name VARCHAR(100), "
                    "kind VARCHAR(16), mmsi BIGINT, lat FLOAT, lon FLOAT, max_speed_kn FLOAT, "
                    "updated_ms BIGINT)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO svc_assets VALUES (3, 'P1', 'vessel', 247000009, NULL, NULL, "
                    "25.0, 1795428000250), (6, 'Heli', 'aircraft', NULL, 35.5, 12.5, 120.0, 5)"
                )
            )
        upgrade(engine)
        assert not inspect(engine).has_table("svc_assets")
        a = Store(engine).tables["assets"]
        with engine.begin() as conn:
            rows = conn.execute(select(a).order_by(a.c.id)).all()
            new_id = conn.execute(
                a.insert()
                .values(name="P2", kind="vessel", max_speed_kn=20.0, updated_at=1)
                .returning(a.c.id)
            ).scalar()
        assert [tuple(r) for r in rows] == [
            (3, "P1", "vessel", 247000009, None, None, 25.0, 1795428000250),
            (6, "Heli", "aircraft", None, 35.5, 12.5, 120.0, 5),
        ]
        assert new_id == 7  # new assets continue after the moved ids
    finally:
        engine.dispose()


def test_service_zones_move_onto_the_store_table_as_the_same_zones(fresh_url: str) -> None:
    import json

    from shapely.geometry import MultiPolygon, Polygon

    from app.store.zones import load_zones
    from geo.events import Severity
    from geo.zones import Zone, ZoneAlert, ZoneKind, zone_to_feature

    zone = Zone(
        id="alpha",
        name="Alpha box",
        kind=ZoneKind.SAR_REGION,
        geometry=MultiPolygon([Polygon([(11.9, 35.1), (12.3, 35.1), (12.3, 35.3), (11.9, 35.3)])]),
        alerts=frozenset({ZoneAlert.ENTRY, ZoneAlert.DWELL}),
        dwell_minutes=12.5,
        severity=Severity.HIGH,
        note="test",
        country="MT",
    )
    engine = make_engine(fresh_url)
    try:
        upgrade(engine, "0004")
        with engine.begin() as conn:  # a database the service used before the move
            conn.execute(
                text(
                    "CREATE TABLE svc_zones (id VARCHAR(64) PRIMARY KEY, kind VARCHAR(32), "
                    "feature JSON, updated_ms BIGINT)"
                )
            )
            conn.execute(
                text("INSERT INTO svc_zones VALUES ('alpha', 'sar_region', :f, 1795428000250)"),
                {"f": json.dumps(zone_to_feature(zone))},
            )
        upgrade(engine)
        assert not inspect(engine).has_table("svc_zones")
        (back,) = load_zones(Store(engine))
        assert back == zone
    finally:
        engine.dispose()


def test_service_alerts_and_audit_move_onto_the_store_tables(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        upgrade(engine, "0005")
        with engine.begin() as conn:  # a database the service used before the move
            conn.execute(
                text(
                    "CREATE TABLE svc_events (id INTEGER PRIMARY KEY, key VARCHAR(200), "
                    "kind VARCHAR(32), mmsi BIGINT, other_mmsi BIGINT, zone VARCHAR(64), "
                    "start_ms BIGINT, end_ms BIGINT, lat FLOAT, lon FLOAT, severity VARCHAR(16), "
                    "severity_rank SMALLINT, details JSON, state VARCHAR(16), "
                    "assignee VARCHAR(64), acknowledged_by VARCHAR(64), acknowledged_ms BIGINT, "
                    "resolved_by VARCHAR(64), resolved_ms BIGINT, comments JSON, "
                    "recorded_ms BIGINT)"
                )
            )
            conn.execute(
                text(
                    "CREATE TABLE svc_audit_log (id INTEGER PRIMARY KEY, time_ms BIGINT, "
                    "username VARCHAR(64), action VARCHAR(40), target VARCHAR(100), detail JSON)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO svc_events VALUES (4, 'zone_entry|1|||1000', 'zone_entry', 1, "
                    "NULL, 'alpha', 1000, NULL, 35.0, 12.0, 'high', 2, '{\"a\": 1}', "
                    "'acknowledged', 'ann', 'bob', 2000, NULL, NULL, :c, 1500)"
                ),
                {"c": '[{"user": "bob", "time": "t", "text": "on it"}]'},
            )
            conn.execute(
                text(
                    "INSERT INTO svc_audit_log VALUES (1, 2000, 'bob', 'acknowledge', 'alert:4', "
                    "NULL), (2, 2100, 'bob', 'assign', 'alert:4', '{\"assignee\": \"ann\"}')"
                )
            )
        upgrade(engine)
        assert not inspect(engine).has_table("svc_events")
        assert not inspect(engine).has_table("svc_audit_log")
        store = Store(engine)
        e, a = store.tables["events"], store.tables["audit_log"]
        with engine.connect() as conn:
            ev = conn.execute(select(e)).one()
            audit = conn.execute(
                select(a.c.time, a.c.actor, a.c.action, a.c.details).order_by(a.c.id)
            ).all()
        assert (ev.id, ev.start_time, ev.end_time, ev.acknowledged_at, ev.created_at) == (
            4,
            1000,
            None,
            2000,
            1500,
        )
        assert (ev.state, ev.assignee, ev.details) == ("acknowledged", "ann", {"a": 1})
        assert ev.comments == [{"user": "bob", "time": "t", "text": "on it"}]
        assert [tuple(r) for r in audit] == [
            (2000, "bob", "acknowledge", {}),
            (2100, "bob", "assign", {"assignee": "ann"}),
        ]
    finally:
        engine.dispose()


def test_service_vessel_states_move_onto_the_store_table(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        upgrade(engine, "0006")
        with engine.begin() as conn:  # a database the service used before the move
            conn.execute(
                text(
                    "CREATE TABLE svc_vessels (mmsi BIGINT PRIMARY KEY, name VARCHAR(40), "
                    "last_seen_ms BIGINT, data JSON)"
                )
            )
            conn.execute(
                text("INSERT INTO svc_vessels VALUES (247000001, 'ALFA', 1795428000250, :d)"),
                {"d": '{"mmsi": 247000001, "dark": true, "risk": 0.5}'},
            )
        upgrade(engine)
        assert not inspect(engine).has_table("svc_vessels")
        vs = Store(engine).tables["vessel_states"]
        with engine.connect() as conn:
            row = conn.execute(select(vs)).one()
        assert tuple(row) == (
            247000001,
            "ALFA",
            1795428000250,
            {"mmsi": 247000001, "dark": True, "risk": 0.5},
        )
    finally:
        engine.dispose()


def test_webhook_tables_the_service_made_are_adopted_with_their_rows(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        upgrade(engine, "0007")
        old = MetaData()  # what the dispatcher created with create_all before 0008
        for t in make_metadata(False).tables.values():
            if t.name.startswith("webhook_"):
                t.to_metadata(old)
        old.create_all(engine)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO webhook_subscriptions (name, url, secret, owner, active, "
                    "created_ms) VALUES ('ops', 'http://127.0.0.1:9/h', 's', 'ann', true, 5)"
                )
            )
        upgrade(engine)
        with engine.connect() as conn:
            names = conn.execute(text("SELECT name FROM webhook_subscriptions")).scalars().all()
        assert names == ["ops"]
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"include_object": include_object, "compare_type": True}
            )
            assert compare_metadata(ctx, make_metadata(engine.dialect.name == "postgresql")) == []
    finally:
        engine.dispose()


def test_head_revision_read_from_the_files_is_alembics() -> None:
    """Opening a store reads the head from the revision files, without importing Alembic."""
    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_a_store_opened_at_head_does_not_import_alembic(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from app.store import open_store\n"
        f"open_store('sqlite:///{tmp_path}/a.db').close()\n"  # creates and upgrades
        "assert 'alembic' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    again = (
        "import sys\n"
        "from app.store import open_store\n"
        f"open_store('sqlite:///{tmp_path}/a.db').close()\n"
        "assert 'alembic' not in sys.modules, 'alembic imported'\n"
    )
    subprocess.run([sys.executable, "-c", again], check=True, timeout=120)
