from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import app.cli.commands  # noqa: F401
from app.cli import cli
from app.store.migrate import head_revision


def test_db_upgrade_then_info_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    up = CliRunner().invoke(cli, ["db", "upgrade", "--url", url])
    assert up.exit_code == 0, up.output
    head = head_revision()
    assert head is not None and head != "0001"  # later revisions apply on top of the first
    assert f"schema empty -> {head}" in up.output
    info = CliRunner().invoke(cli, ["db", "info", "--url", url])
    assert info.exit_code == 0 and f"schema:   {head}" in info.output
    assert "positions:0" in info.output


def test_db_upgrade_of_a_bad_url_is_one_line_and_exit_2() -> None:
    res = CliRunner().invoke(cli, ["db", "upgrade", "--url", "oracle://x"])
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_db_maintain_says_what_it_did(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    res = CliRunner().invoke(cli, ["db", "maintain", "--url", url])
    assert res.exit_code == 0, res.output
    assert "partitions indexed: none" in res.output and "positions deleted: 0" in res.output
