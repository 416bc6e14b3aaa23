"""Every command finds the same database, and a service that cannot open it says so in one line.

Real SQLite files under a temporary ``MARE_VAR_DIR``, a real PostGIS database per test that
needs one, the real ``mare`` commands (CliRunner, or a process where the service must start).
"""

from __future__ import annotations

import os
import re
import secrets
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select as sql_select
from typer.testing import CliRunner, Result

from app.auth.passwords import verify_password
from app.cli import cli
from app.cli import commands as _commands  # noqa: F401  (registers the commands)
from app.identity import Role
from app.settings import ServiceSettings, get_settings
from app.store import Store, open_store
from app.store.migrate import head_revision
from app.store.repo import Repo
from geo import shipped
from geo.zones import load_zone_file
from tests.app.processes import interrupt
from tests.app.store.conftest import create_database, drop_database

MARE = Path(sys.executable).with_name("mare")
CAPTURE = "tests/data/ais/pyais/nmea_data_sample.txt"
PASSWORD = "correct horse battery staple"
DOWN = "postgresql://postgres:hunter2@127.0.0.1:1/mare"


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No MARE_* from the caller's environment; MARE_VAR_DIR is a fresh directory."""
    for name in list(os.environ):
        if name.startswith("MARE_"):
            monkeypatch.delenv(name)
    var = tmp_path / "var"
    monkeypatch.setenv("MARE_VAR_DIR", str(var))
    get_settings.cache_clear()
    yield var
    get_settings.cache_clear()


@pytest.fixture
def behind_url(monkeypatch: pytest.MonkeyPatch, var_dir: Path) -> Iterator[str]:
    """A fresh PostGIS database with no schema, as MARE_DATABASE_URL."""
    url = create_database("mare_cli")
    monkeypatch.setenv("MARE_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        yield url
    finally:
        drop_database(url)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def count(store: Store, table: str) -> int:
    t = store.tables[table]
    q = sql_select(func.count()).select_from(t)
    return int(store.read(lambda conn: conn.execute(q).scalar()))


def database_files(var: Path) -> list[str]:
    return sorted(p.name for p in var.iterdir() if p.suffix in (".db", ".sqlite"))


def test_ingest_stores_where_the_service_reads(var_dir: Path) -> None:
    result = invoke("ingest", CAPTURE)
    assert result.exit_code == 0, result.output
    m = re.search(r"stored ([\d,]+) positions", result.output)
    assert m is not None, result.output
    stored = int(m[1].replace(",", ""))
    assert stored > 0
    settings = ServiceSettings(mode="test")  # what `mare serve` opens
    assert settings.resolved_database_url == f"sqlite:///{var_dir / 'mare.sqlite'}"
    repo = Repo.open(settings.resolved_database_url)
    try:
        assert count(repo.store, "positions") == stored
        assert count(repo.store, "vessels") > 0
        pos = repo.store.tables["positions"]
        q = sql_select(pos.c.mmsi, func.count()).group_by(pos.c.mmsi).limit(1)
        mmsi, n = repo.store.read(lambda conn: conn.execute(q).one())
        track = repo.track(int(mmsi), 0, 2**62)  # the service's track query sees the rows
        assert len(track["time_ms"]) == n
        # and the live map at start has every stored vessel, at its latest stored fix
        live = {v["mmsi"]: v for v in repo.load_vessels()}
        assert len(live) == count(repo.store, "vessels")
        ves = repo.store.tables["vessels"]
        last = repo.store.read(
            lambda conn: conn.execute(
                sql_select(ves.c.lat, ves.c.lon, ves.c.time).where(ves.c.mmsi == int(mmsi))
            ).one()
        )
        entry = live[int(mmsi)]
        assert entry["last_seen_ms"] == last.time
        assert (entry["lat"], entry["lon"]) == (round(last.lat, 6), round(last.lon, 6))
    finally:
        repo.close()
    assert database_files(var_dir) == ["mare.sqlite"]


def test_users_add_db_upgrade_and_db_info_share_one_file(var_dir: Path) -> None:
    added = invoke("users", "add", "ann", "--role", "analyst", "--password", PASSWORD)
    assert added.exit_code == 0, added.output
    upgraded = invoke("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert f"{var_dir / 'mare.sqlite'}: schema {head_revision()} -> {head_revision()}" in (
        upgraded.output
    )
    info = invoke("db", "info")
    assert re.search(r"^users:\s+1$", info.output, re.M), info.output
    assert database_files(var_dir) == ["mare.sqlite"]


def test_the_old_default_file_is_named_in_a_warning(var_dir: Path) -> None:
    var_dir.mkdir(parents=True)
    (var_dir / "mare.db").write_bytes(b"")
    result = invoke("db", "info")
    assert result.exit_code == 0, result.output
    warning = next(line for line in result.output.splitlines() if line.startswith("warning:"))
    assert str(var_dir / "mare.db") in warning
    assert f"MARE_DATABASE_URL=sqlite:///{(var_dir / 'mare.db').resolve()}" in warning


def test_users_add_creates_a_liaison_for_its_zones(var_dir: Path) -> None:
    url = ServiceSettings(mode="test").resolved_database_url
    repo = Repo.open(url)
    try:
        repo.put_zones(load_zone_file(shipped.ZONE_FILE))
    finally:
        repo.close()
    zones = "mlt-territorial-sea,ita-territorial-sea"
    args = ("users", "add", "lia", "--role", "liaison", "--zones", zones, "--password", PASSWORD)
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "user lia (liaison) created" in result.output
    repo = Repo.open(url)
    try:
        user = repo.get_user("lia")
        assert user is not None and user.role is Role.LIAISON
        assert sorted(user.zones or ()) == ["ita-territorial-sea", "mlt-territorial-sea"]
        stored_hash = repo.password_hash("lia")
        assert stored_hash is not None and verify_password(stored_hash, PASSWORD)
    finally:
        repo.close()
    again = invoke(*args)
    assert again.exit_code == 2 and "user lia already exists" in again.output
    unknown = invoke(
        "users", "add", "lib", "--role", "liaison", "--zones", "atlantis", "--password", PASSWORD
    )
    assert unknown.exit_code == 2 and "unknown zones: atlantis" in unknown.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "captain"], "unknown role 'captain' (admin, officer, analyst, liaison)"),
        (["--role", "liaison"], "a liaison needs --zones"),
        (["--role", "officer", "--zones", "ita-territorial-sea"], "only a liaison takes --zones"),
    ],
)
def test_users_add_refuses_bad_roles_in_one_line(
    var_dir: Path, args: list[str], message: str
) -> None:
    result = invoke("users", "add", "bob", *args, "--password", PASSWORD)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"error: {message}"]
    assert not var_dir.exists()  # refused before any database was opened


def test_db_upgrade_brings_a_postgis_database_to_the_head(behind_url: str) -> None:
    head = head_revision()
    first = invoke("db", "upgrade")
    assert first.exit_code == 0, first.output
    assert first.output.strip().endswith(f"schema empty -> {head}")
    info = invoke("db", "info")
    assert info.exit_code == 0, info.output
    assert "(postgresql)" in info.output and f"schema:   {head} " in info.output
    assert re.search(r"^partitions: \d+", info.output, re.M), info.output
    again = invoke("db", "upgrade")
    assert again.output.strip().endswith(f"schema {head} -> {head}")
    open_store(behind_url).close()  # what the service does at start: the schema is current


def test_serve_and_demo_refuse_a_postgis_schema_that_is_behind(behind_url: str) -> None:
    for command in ("serve", "demo"):
        result = invoke(command, "--port", "0")
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: database schema is at nothing")
        assert "run `mare db upgrade`" in lines[0]


def test_serve_with_the_database_down_retries_then_exits_with_one_line(
    var_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARE_DATABASE_URL", DOWN)
    monkeypatch.setenv("MARE_BOOTSTRAP_ADMIN_TOKEN", secrets.token_urlsafe(32))
    result = invoke("serve", "--port", "0", "--db-wait", "2")
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "hunter2" not in result.output
    *retries, last = result.output.strip().splitlines()
    assert last.startswith("error: database at postgresql+psycopg://postgres:***@127.0.0.1:1/")
    assert "(waited 2 s, --db-wait)" in last and "Connection refused" in last
    assert retries and all("unavailable, retrying in" in line for line in retries)


def run_until(args: list[str], env: dict[str, str], pattern: str) -> tuple[str, re.Match[str]]:
    """Start ``mare args``, read its output until ``pattern`` shows, then stop it with Ctrl-C."""
    proc = subprocess.Popen(
        [str(MARE), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
    )
    assert proc.stdout is not None
    output = ""
    found = None
    try:
        deadline = time.monotonic() + 90  # a guard against a hang, not a measurement
        while found is None and time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:  # raw reads: a buffered readline would hide lines from select
                output += os.read(proc.stdout.fileno(), 65536).decode(errors="replace")
                found = re.search(pattern, output)
    finally:
        output += interrupt(proc)
    assert found is not None, f"{pattern!r} never printed:\n{output}"
    return output, found


def clean_env(**mare: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARE_")}
    return env | mare


def test_serve_without_sources_says_how_to_configure_one(tmp_path: Path) -> None:
    env = clean_env(MARE_VAR_DIR=str(tmp_path / "var"))
    output, _ = run_until(["serve", "--port", "0"], env, r"warning: no AIS source.*\n")
    line = next(x for x in output.splitlines() if x.startswith("warning: no AIS source"))
    assert "MARE_SOURCES" in line and "udp://0.0.0.0:10110" in line
    assert f"(database: sqlite:///{tmp_path / 'var' / 'mare.sqlite'})" in output


@pytest.mark.slow
def test_demo_uses_mare_database_url_when_set(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.sqlite"
    env = clean_env(MARE_DATABASE_URL=f"sqlite:///{elsewhere}")
    args = ["demo", "--port", "0", "--var", str(tmp_path / "demo"), "--vessels", "5"]
    output, _ = run_until(args, env, r"token: \S+")
    assert f"(database: sqlite:///{elsewhere})" in output
    assert not (tmp_path / "demo" / "mare.sqlite").exists()
    repo = Repo.open(f"sqlite:///{elsewhere}")
    try:
        assert repo.get_user("admin") is not None  # the demo's admin went to the configured file
    finally:
        repo.close()
    again, _ = run_until(args, env, r"token: \S+")  # its own database again: welcome
    assert f"(database: sqlite:///{elsewhere})" in again


def test_demo_refuses_a_database_with_users_that_was_never_a_demos(
    var_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = var_dir / "ops.sqlite"
    monkeypatch.setenv("MARE_DATABASE_URL", f"sqlite:///{real}")
    get_settings.cache_clear()
    made = invoke("users", "add", "watch1", "--role", "officer", "--password", "x" * 16)
    assert made.exit_code == 0, made.output
    result = invoke("demo", "--port", "0", "--var", str(var_dir / "demo"))
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "has users and was never a demo's" in lines[-1]
    store = open_store(f"sqlite:///{real}")
    try:  # nothing of the demo's went in: no zones, no admin
        assert count(store, "zones") == 0 and count(store, "users") == 1
    finally:
        store.close()


@pytest.mark.parametrize(
    ("setting", "text", "named"),
    [
        (
            "MARE_ZONE_FILE",
            '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"z9"},'
            '"geometry":null}]}',
            "zone 'z9'",
        ),
        ("MARE_ASSETS_FILE", "name,kind,mmsi,lat,lon,max_speed_kn\nX,vessel,,,,-3\n", "row 1"),
        ("MARE_WATCHLIST_FILE", "mmsi,imo\nnot-a-number,\n", "watchlist"),
        (
            "MARE_ALERT_RULES_FILE",
            '{"rules": [{"id": "typo", "when": {"kinds": ["zone_entri"]}, "then": "alert"}]}',
            "rule 'typo': unknown kinds 'zone_entri'",
        ),
    ],
)
def test_serve_refuses_a_bad_zone_watchlist_or_assets_file_in_one_line(
    var_dir: Path, monkeypatch: pytest.MonkeyPatch, setting: str, text: str, named: str
) -> None:
    bad = var_dir.parent / "bad.file"
    bad.write_text(text)
    monkeypatch.setenv(setting, str(bad))
    monkeypatch.setenv("MARE_BOOTSTRAP_ADMIN_TOKEN", "mare_t_" + secrets.token_urlsafe(32))
    get_settings.cache_clear()
    result = invoke("serve", "--port", "0")
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0], lines
    assert "Traceback" not in result.output
