"""The collector while `mare` imports its command: no pass, then what was built is frozen."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest

from app.cli.batch_gc import imports_frozen


@pytest.fixture
def passes() -> Iterator[list[int]]:
    """The generation of each collector pass made while the test runs."""
    seen: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(note)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)


def test_nothing_is_collected_in_the_block_and_what_it_built_is_frozen(
    passes: list[int],
) -> None:
    frozen = gc.get_freeze_count()
    with imports_frozen():
        built = [[i] for i in range(50_000)]  # ~70 young passes with the collector on
        assert not gc.isenabled()
    assert passes == []
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen + len(built)


def test_a_collector_found_disabled_stays_disabled() -> None:
    gc.disable()
    try:
        with imports_frozen():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


_IMPORT_PASSES = """
import gc, sys
import typer
import app.cli
passes = []
gc.callbacks.append(lambda phase, info: phase == "start" and passes.append(info))
typer.Typer.__call__ = lambda self: None  # the command's imports alone, not its run
sys.argv = ["mare", *sys.argv[1:]]
app.cli.main()
print(len(passes), gc.isenabled(), "app.cli.detect" in sys.modules)
"""


def test_mare_imports_its_command_without_a_collector_pass() -> None:
    """~60 passes over objects that live as long as the process: 0.01-0.03 s of start-up."""
    run = [sys.executable, "-c", _IMPORT_PASSES, "detect", "--help"]
    out = subprocess.run(run, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "True", "True"]
