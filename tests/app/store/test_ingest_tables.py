"""`mare ingest` of a decoded table stores the positions the NMEA it came from stores."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import cli
from app.cli import commands as _commands  # noqa: F401  (registers the commands)
from app.store import Store

TAGGED = "tests/data/ais/libais/tagblock.nmea"


def _positions(store: Store) -> list[tuple[int, int, float, float]]:
    t = store.tables["positions"]
    q = select(t.c.mmsi, t.c.time, t.c.lat, t.c.lon).order_by(t.c.mmsi, t.c.time)
    return [tuple(r) for r in store.read(lambda c: c.execute(q).all())]


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_a_table_stores_what_its_capture_stores_once(configured: Store, tmp_path: Path) -> None:
    table = tmp_path / "decoded.csv"
    _run("decode", TAGGED, "--format", "csv", "--out", str(table))
    _run("ingest", TAGGED)
    from_nmea = _positions(configured)
    assert from_nmea
    t = configured.tables["positions"]
    configured.write(lambda c: c.execute(t.delete()))
    out = _run("ingest", str(table))
    assert f"stored {len(from_nmea):,} positions" in out
    assert _positions(configured) == from_nmea
    again = _run("ingest", str(table))
    assert "stored 0 positions" in again
    count = configured.read(lambda c: c.execute(select(func.count()).select_from(t)).scalar())
    assert count == len(from_nmea)


def test_tables_and_captures_go_to_separate_runs(configured: Store, tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("mmsi,time,lat,lon\n247000001,2024-01-01T00:00:00Z,40.0,12.0\n")
    result = CliRunner().invoke(cli, ["ingest", str(table), TAGGED])
    assert result.exit_code == 2
    assert "in a run of their own" in result.output


def test_one_vessel_is_said_as_one(configured: Store, tmp_path: Path) -> None:
    table = tmp_path / "one.csv"
    table.write_text("mmsi,time,lat,lon\n247000001,2024-01-01T00:00:00Z,36.0,12.0\n")
    assert "stored 1 position of 1 vessel in" in " ".join(_run("ingest", str(table)).split())
