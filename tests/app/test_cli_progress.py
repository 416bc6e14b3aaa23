"""The progress bar of `mare decode` and `mare detect`: on a terminal only."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.progress import Progress

from app.cli import console


def test_a_progress_bar_only_where_stderr_is_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Elsewhere a transient bar shows nothing: no bar (nor its module, nor its thread)."""
    monkeypatch.setattr(console, "err", Console(stderr=True, force_terminal=False))
    assert console.file_progress() is None
    monkeypatch.setattr(console, "err", Console(stderr=True, force_terminal=True))
    bar = console.file_progress()
    assert isinstance(bar, Progress) and bar.console is console.err
