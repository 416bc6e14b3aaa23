"""``mare zones import|export``: the zone-file contract in and out of the database, all or nothing.

On the default SQLite file (under a fresh ``MARE_VAR_DIR``) and on a fresh PostGIS database
upgraded by ``mare db upgrade``. What the person at the terminal sees (exit status, stdout
against stderr, one error line, no traceback) is checked on the ``mare`` process; the setup
and the variations run the same commands in-process (CliRunner), which costs no interpreter
start on a machine the suite shares.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.cli import commands as _commands  # noqa: F401  (registers the commands)
from app.settings import get_settings
from app.store import open_store
from app.store.zones import zones_version
from geo import shipped
from geo.zones import Zone, load_zone_file, parse_zones
from tests.app.store.conftest import create_database, drop_database

MARE = Path(sys.executable).with_name("mare")
SMALL = Path("tests/data/zones/valid_small.geojson")
BOWTIE = Path("tests/data/zones/bowtie.geojson")
DOWN = "postgresql://postgres@127.0.0.1:1/mare"


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


@dataclass
class Db:
    """Where a test's `mare` commands write: their MARE_* settings and the database URL."""

    settings: dict[str, str]
    url: str

    def mare(self, *args: str) -> Ran:
        """Run ``mare ARGS`` as a process, with no MARE_* but the test's."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MARE_")}
        done = subprocess.run(
            [str(MARE), *args],
            env=env | self.settings,
            capture_output=True,
            text=True,
            timeout=120,  # a guard against a hang, not a measurement
        )
        return Ran(done.returncode, done.stdout, done.stderr)

    def run(self, *args: str) -> Ran:
        """Run ``mare ARGS`` in this process, with the same settings."""
        unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("MARE_")}
        get_settings.cache_clear()
        try:
            r = CliRunner(env=unset | self.settings).invoke(cli, list(args))
        finally:
            get_settings.cache_clear()
        if r.exception is not None and not isinstance(r.exception, SystemExit):
            raise r.exception
        return Ran(r.exit_code, r.stdout, r.stderr)

    def ok(self, *args: str, process: bool = False) -> Ran:
        done = self.mare(*args) if process else self.run(*args)
        assert done.code == 0, done.stdout + done.stderr
        return done

    def export(self) -> str:
        return self.ok("zones", "export").stdout

    def audit(self) -> list[dict[str, Any]]:
        store = open_store(self.url)
        try:
            a = store.tables["audit_log"]
            q = select(a.c.actor, a.c.action, a.c.target, a.c.details).order_by(a.c.id)
            return [dict(r._mapping) for r in store.read(lambda c: c.execute(q).all())]
        finally:
            store.close()

    def version(self) -> int:
        store = open_store(self.url)
        try:
            return zones_version(store)
        finally:
            store.close()


def new_db(backend: str, tmp_path: Path, name: str) -> Iterator[Db]:
    var = tmp_path / name
    if backend == "sqlite":
        yield Db({"MARE_VAR_DIR": str(var)}, f"sqlite:///{var / 'mare.sqlite'}")
        return
    url = create_database("mare_cli_zones")
    try:
        db = Db({"MARE_VAR_DIR": str(var), "MARE_DATABASE_URL": url}, url)
        db.ok("db", "upgrade")  # PostGIS is upgraded by the operator, never on open
        yield db
    finally:
        drop_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db(backend: str, tmp_path: Path) -> Iterator[Db]:
    yield from new_db(backend, tmp_path, "var")


@pytest.fixture
def other_db(backend: str, tmp_path: Path) -> Iterator[Db]:
    yield from new_db(backend, tmp_path, "other")


def contract(zone: Zone) -> tuple[object, ...]:
    """Every attribute of the zone contract but the geometry (compared with ``equals``)."""
    return (zone.id, zone.name, zone.kind, zone.alerts, zone.dwell_minutes, zone.severity,
            zone.note, zone.country)  # fmt: skip


def assert_same_zones(got: list[Zone], want: list[Zone]) -> None:
    by_id = {z.id: z for z in got}
    assert sorted(by_id) == sorted(z.id for z in want)
    for zone in want:
        assert contract(by_id[zone.id]) == contract(zone)
        assert by_id[zone.id].geometry.equals(zone.geometry), zone.id


def test_export_of_an_import_is_the_zone_file_and_round_trips(
    db: Db, other_db: Db, tmp_path: Path
) -> None:
    empty = db.ok("zones", "export")
    assert json.loads(empty.stdout) == {"type": "FeatureCollection", "features": []}
    assert "exported 0 zones" in empty.stderr  # the summary never mixes into the file

    done = db.ok("zones", "import", str(shipped.ZONE_FILE), process=True)
    shipped_zones = load_zone_file(shipped.ZONE_FILE)
    assert f"imported {len(shipped_zones)} zones" in done.stdout
    exported = tmp_path / "exported.geojson"
    done = db.ok("zones", "export", "--out", str(exported), process=True)
    assert done.stdout == "" and f"exported {len(shipped_zones)} zones" in done.stderr
    first = exported.read_text(encoding="utf-8")
    assert_same_zones(parse_zones(json.loads(first)), shipped_zones)
    # one feature a line, so that a diff of two exports shows the zones that changed
    assert len(first.splitlines()) == len(shipped_zones) + 2

    # export -> import -> export: the same bytes
    other_db.ok("zones", "import", str(exported), process=True)
    assert other_db.ok("zones", "export", process=True).stdout == first


def test_import_adds_and_updates_by_id_and_replace_keeps_only_the_file(db: Db) -> None:
    db.ok("zones", "import", str(shipped.ZONE_FILE))
    small = load_zone_file(SMALL)
    done = db.ok("zones", "import", str(SMALL))
    assert f"({len(small)} new, 0 updated)" in done.stdout
    everything = parse_zones(json.loads(db.export()))
    assert len(everything) == len(load_zone_file(shipped.ZONE_FILE)) + len(small)

    done = db.ok("zones", "import", str(SMALL), "--replace", "--actor", "ops-desk")
    removed = sorted(z.id for z in everything if z.id not in {s.id for s in small})
    assert f"(0 new, {len(small)} updated, {len(removed)} removed)" in done.stdout
    assert_same_zones(parse_zones(json.loads(db.export())), small)

    # audited as the API's zone import is: who, what, which zones
    entries = [e for e in db.audit() if e["action"] == "zone.import"]
    assert len(entries) == 3 and all(e["target"] == "zones" for e in entries)
    last = entries[-1]
    assert [e["actor"].startswith("cli:") for e in entries] == [True, True, False]
    assert last["actor"] == "ops-desk"
    assert last["details"] == {
        "ids": [z.id for z in small],
        "replace": True,
        "removed": removed,
        "file": str(SMALL.resolve()),
    }


def test_bad_file_is_refused_in_one_line_and_nothing_is_imported(db: Db, tmp_path: Path) -> None:
    db.ok("zones", "import", str(SMALL))
    before, version, audit = db.export(), db.version(), db.audit()
    # a file whose first zones are good and whose last is not: none of them may land
    good = json.loads(shipped.ZONE_FILE.read_text(encoding="utf-8"))
    bad = json.loads(BOWTIE.read_text(encoding="utf-8"))["features"][0]
    mixed = tmp_path / "mixed.geojson"
    mixed.write_text(json.dumps({**good, "features": [*good["features"], bad]}))

    for args in (["zones", "import", str(mixed)], ["zones", "import", str(mixed), "--replace"]):
        done = db.mare(*args)
        assert done.code != 0 and done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith("error: ") and "'bowtie'" in lines[0], lines
        assert "Self-intersection" in lines[0], lines
    assert (db.export(), db.version(), db.audit()) == (before, version, audit)


MALFORMED = [
    ("{", "not JSON"),
    ('{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
    (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"id": "x", "name": "X", "kind": "harbour"}, "geometry": {"type": "Polygon", '
        '"coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}',
        "zone 'x': unknown kind 'harbour'",
    ),
    (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"name": "X", "kind": "custom"}, "geometry": null}]}',
        "zone #0: has no id property",
    ),
]


def test_malformed_files_are_one_error_line_each(tmp_path: Path) -> None:
    # refused before the database is opened: one backend says it for both
    (db,) = new_db("sqlite", tmp_path, "var")
    for i, (content, reason) in enumerate(MALFORMED):
        path = tmp_path / f"zones{i}.geojson"
        path.write_text(content)
        done = db.run("zones", "import", str(path))
        assert done.code != 0 and done.stdout == ""
        assert done.stderr.count("\n") == 1 and reason in done.stderr, done.stderr
    missing = db.run("zones", "import", str(tmp_path / "missing.geojson"))
    assert missing.code != 0 and "cannot read" in missing.stderr
    nowhere = db.run("zones", "export", "--out", str(tmp_path / "no" / "such" / "dir.geojson"))
    assert nowhere.code != 0
    assert nowhere.stderr.startswith("error: cannot write") and nowhere.stderr.count("\n") == 1
    assert parse_zones(json.loads(db.export())) == []


def test_unreachable_database_is_one_error_line(tmp_path: Path) -> None:
    settings = {"MARE_VAR_DIR": str(tmp_path / "var"), "MARE_DATABASE_URL": DOWN}
    done = Db(settings, DOWN).run("zones", "import", str(SMALL))
    assert done.code != 0 and done.stdout == ""
    assert done.stderr.startswith("error: database at") and done.stderr.count("\n") == 1
