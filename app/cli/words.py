"""Words the commands' summaries share, importing no rich (`app.cli.detect_summary`)."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """Return ``n`` with its noun, plural unless one: "1 vessel", "2,000 vessels"."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
