"""typer's coercion of str, Path and bool parameters without pydantic gives what typer's own
gives: the same values, the same errors; and the batch commands start without pydantic."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from typer import core
from typer.testing import CliRunner

import app.cli  # noqa: F401  (installs the coercion)
from tests.app.processes import imported_by


def _app(seen: list[Any]) -> typer.Typer:
    app = typer.Typer(add_completion=False)

    @app.command()
    def run(
        captures: Annotated[list[Path], typer.Argument()],
        out: Annotated[Path | None, typer.Option("--out")] = None,
        existing: Annotated[Path | None, typer.Option("--existing", exists=True)] = None,
        folder: Annotated[Path | None, typer.Option("--folder", file_okay=False)] = None,
        name: Annotated[str, typer.Option("--name")] = "jsonl",
        maybe: Annotated[str | None, typer.Option("--maybe")] = None,
        tags: Annotated[list[str] | None, typer.Option("--tag")] = None,
        flag: Annotated[bool, typer.Option("--flag")] = False,
        count: Annotated[int, typer.Option("--count", min=1)] = 1,
    ) -> None:
        seen.append((captures, out, existing, folder, name, maybe, tags, flag, count))

    return app


ARGVS = [
    ["a.nmea", "b.nmea.gz"],
    ["a.nmea", "--out", "x.jsonl", "--name", "csv", "--maybe", "", "--tag", "t1", "--tag", "t2"],
    ["a.nmea", "--flag", "--count", "3", "--existing", "{existing}", "--folder", "{tmp}"],
    ["a.nmea", "--existing", "{tmp}/missing.nmea"],  # refused: does not exist
    ["a.nmea", "--folder", "{existing}"],  # refused: a file
    ["a.nmea", "--count", "0"],  # refused by typer's own coercion (a number)
    [],  # refused: the argument is missing
]


@pytest.mark.parametrize("argv", ARGVS)
def test_values_and_errors_are_typer_s(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = tmp_path / "there.nmea"
    existing.write_text("")
    args = [a.format(existing=existing, tmp=tmp_path) for a in argv]
    light = getattr(core, "build_runtime_param")  # noqa: B009 - not in typer.core's exports
    assert getattr(light, "_mare_light", False)
    runs = []
    for build in (light, light.typer_build):
        monkeypatch.setattr(core, "build_runtime_param", build)
        seen: list[Any] = []
        result = CliRunner().invoke(_app(seen), args)
        types = [type(v) for v in seen[0]] if seen else []
        runs.append((result.exit_code, result.output, seen, types))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("command", [["decode", "--format", "none"], ["detect"]])
def test_the_batch_commands_start_without_pydantic(command: list[str], tmp_path: Path) -> None:
    """Importing pydantic and building typer's adapters was 0.1 s of their start-up."""
    empty = tmp_path / "empty.nmea"
    empty.write_text("")
    argv = [*command, "-o", str(tmp_path / "out"), str(empty)]
    assert imported_by(argv, ("pydantic", "pydantic_core")) == []
