"""`mare` imports only the module of the command it runs; every name maps to its module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import COMMAND_MODULES
from tests.app.processes import imported_by

#: A capture with tag blocks (event time), which `mare detect` takes without --assume-time.
CAPTURE = "tests/data/ais/libais/tagblock.nmea"

_REGISTERED = """
import importlib, json, sys
import typer.main
from app.cli import cli, load_commands
load_commands(sys.argv[1:])
print(json.dumps(sorted(typer.main.get_command(cli).commands)))
"""


def _registered(*argv: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _REGISTERED, *argv], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    names: list[str] = json.loads(out.stdout)
    return names


@pytest.mark.parametrize("name", sorted(COMMAND_MODULES))
def test_a_command_alone_registers_its_own_name(name: str) -> None:
    assert name in _registered(name, "--help")


def test_help_and_unknown_names_load_every_command() -> None:
    every = _registered("--help")
    assert set(COMMAND_MODULES) <= set(every)
    assert _registered("no-such-command") == every


def test_decode_does_not_import_the_service_engine_or_store() -> None:
    script = (
        "import sys\n"
        "sys.argv = ['mare', 'decode', '--help']\n"
        "from app.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('app.api', 'app.store', 'geo.engine', 'sqlalchemy', 'scipy', 'fastapi')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_detect_imports_the_store_only_for_contacts(tmp_path: Path) -> None:
    """Nor pandas, which only decoded tables need (0.2 s of every NMEA run's start-up)."""
    argv = ["detect", CAPTURE, "-o", str(tmp_path / "ev.jsonl")]
    assert imported_by(argv, ("app.store", "pandas")) == []
    assert (tmp_path / "ev.jsonl").is_file()


def test_ingest_without_a_store_imports_neither_the_store_nor_settings() -> None:
    """SQLAlchemy, pydantic and the store were ~0.3 s of ``--no-store``'s start-up."""
    unneeded = ("app.store", "sqlalchemy", "pydantic", "app.settings")
    assert imported_by(["ingest", "--no-store", CAPTURE], unneeded) == []


def test_the_service_settings_are_built_when_first_made_not_on_import() -> None:
    """`mare ingest`, `db` and `zones` import `app.settings` for `Settings` alone."""
    code = (
        "from app.settings import ServiceSettings as S\n"
        "before = S.__pydantic_complete__\n"
        "S()\n"
        "print(before, S.__pydantic_complete__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]


def test_batch_commands_import_neither_rich_emoji_codes_nor_importlib_resources(
    tmp_path: Path,
) -> None:
    """A file name's ``:colons:`` are not emoji; the MID table is read beside its module."""
    unneeded = ("rich._emoji_codes", "importlib.resources")
    assert imported_by(["decode", CAPTURE, "-o", str(tmp_path / "r.jsonl")], unneeded) == []
    assert imported_by(["detect", CAPTURE, "-o", str(tmp_path / "ev.jsonl")], unneeded) == []


_SETTINGS_PROBE = """
import sys
sys.argv = ['mare', *sys.argv[1:]]
from app.cli import main
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
print('pydantic_settings' in sys.modules, 'asyncio' in sys.modules)
"""


def _decode_probe(tmp_path: Path, env: dict[str, str]) -> tuple[bool, bool, dict[str, int]]:
    stats = tmp_path / "stats.json"
    argv = ["decode", "--format", "none", "--stats", str(stats), CAPTURE, CAPTURE]
    out = subprocess.run(
        [sys.executable, "-c", _SETTINGS_PROBE, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.upper().startswith("MARE_")} | env,
    )
    assert out.returncode == 0, out.stderr
    counts: dict[str, int] = json.loads(stats.read_text())
    settings, asyncio = out.stdout.strip().splitlines()[-1].split()
    return settings == "True", asyncio == "True", counts


def test_decode_starts_without_pydantic_settings_unless_a_decoder_knob_is_set(
    tmp_path: Path,
) -> None:
    """The capture twice: its second copy is all duplicates, unless the window is 0."""
    imported, asyncio, counts = _decode_probe(tmp_path, {})
    assert not imported and counts["duplicate"] > 0
    assert not asyncio  # the sources package (live feeds, asyncio) is `mare ingest`'s
    imported, _, counts = _decode_probe(tmp_path, {"mare_dedupe_seconds": "0"})
    assert imported and counts["duplicate"] == 0


def test_openblas_runs_one_thread_unless_told_otherwise() -> None:
    """Its idle thread spun 0.02-0.03 s of CPU in every command; numpy reads this at import."""
    code = (
        "import os, sys\n"
        "import app.cli\n"
        "print('numpy' in sys.modules, os.environ.get('OPENBLAS_NUM_THREADS'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    for given, expected in ((None, "False 1"), ("2", "False 2")):
        if given is not None:
            env["OPENBLAS_NUM_THREADS"] = given
        run = [sys.executable, "-c", code]
        out = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == expected
