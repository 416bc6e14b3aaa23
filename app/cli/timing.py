"""Event time of capture files in the batch commands: the fallback said plainly, ``--assume-time``.

A capture's lines carry their time in a tag block, a logger's timestamp or receiver metadata.
Raw feeds saved as they came (AISHub's, pyais's samples) carry none: each line then gets the
file's modification time, the end of the recording, so a three-minute capture becomes one
instant. Decoding is still right (one warning line says so); behaviour detection is not, since
every rule runs on time (a vessel's second fix at the same instant is dropped, ~13 % of
AISHub's positions, and no speed or duration means anything). ``mare detect`` therefore refuses
such a capture unless told how the lines were spread in time:

``--assume-time SPAN`` (``90s``, ``3m``, ``1h30m``)
    the lines were received evenly over SPAN, in file order, ending at the file's modification
    time: line *i* of *n* is stamped ``mtime - SPAN x (n - 1 - i) / (n - 1)``. Receive order is
    what a raw feed keeps, and an even rate is what a busy feed has over minutes (AISHub's
    sample: 3 min, per its publisher). Lines with a time of their own keep it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from ais_ingest.decoder import capture_time_ms, read_lines
from ais_ingest.records import iso_utc
from ais_ingest.stats import IngestStats

if TYPE_CHECKING:  # the sources package imports asyncio: `mare ingest` only (0.02 s)
    from ais_ingest.sources.spec import SourceSpec

#: A capture whose sentences mostly carry no time of their own has no usable timestamps.
UNTIMED_SHARE = 0.5
_SPAN = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?")


def parse_span(text: str) -> float:
    """Return seconds for ``90s``, ``3m``, ``1h30m``, ``2.5h``; ValueError otherwise.

    >>> parse_span("1h30m"), parse_span("90s")
    (5400.0, 90.0)
    """
    m = _SPAN.fullmatch(text.strip().lower())
    if not text.strip() or m is None or not any(m.groups()):
        raise ValueError(f"{text!r} is not a time span such as 90s, 3m or 1h30m")
    h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    seconds = h * 3600 + mi * 60 + s
    if seconds <= 0:
        raise ValueError(f"{text!r} is not a positive time span")
    return seconds


class CaptureClock:
    """Receive times for one capture's lines: its modification time, or spread over a span."""

    def __init__(self, path: Path, span_s: float | None = None) -> None:
        self.path = path
        self.end_ms = capture_time_ms(path)
        self.span_ms = None if span_s is None else int(round(span_s * 1000))
        self.lines = sum(1 for _ in read_lines(path)) if self.span_ms is not None else 0

    def received(self, first: int, count: int) -> int | list[int]:
        """Return the receive time of lines ``first .. first + count - 1`` (0-based)."""
        if self.span_ms is None:
            return self.end_ms
        last = max(self.lines - 1, 1)
        start = self.end_ms - self.span_ms
        return [start + self.span_ms * i // last for i in range(first, first + count)]


def untimed(before: dict[str, int], stats: IngestStats) -> tuple[int, int]:
    """Return (sentences without a time of their own, sentences) since ``before`` was copied."""
    now = stats.times
    total = sum(now[k] - before.get(k, 0) for k in now)
    return now["receive"] - before.get("receive", 0), total


def mostly_untimed(counts: tuple[int, int]) -> bool:
    """Whether a capture's sentences mostly had no time of their own."""
    no_time, total = counts
    return total > 0 and no_time > UNTIMED_SHARE * total


def untimed_message(clock: CaptureClock, counts: tuple[int, int], *, so_far: bool = False) -> str:
    """One line naming the fallback the lines without a time got (``so_far``: first lines)."""
    no_time, total = counts
    if so_far:
        share = f"{no_time:,} of its first {total:,} sentences"
    elif no_time < total:
        share = f"{no_time:,} of {total:,} sentences"
    else:
        share = f"all {total:,} sentences"
    if clock.span_ms is None:
        return (
            f"{clock.path.name}: {share} carry no time of their own; they were given the file's "
            f"modification time, {iso_utc(clock.end_ms)}, so they are one instant"
        )
    return (
        f"{clock.path.name}: {share} carry no time of their own; they were spread in file order "
        f"over {clock.span_ms / 1000:g} s ending at the file's modification time, "
        f"{iso_utc(clock.end_ms)} (--assume-time)"
    )


def ingest_untimed_message(specs: list[SourceSpec], stats: IngestStats) -> str | None:
    """One line naming the fallback when the captures `mare ingest` read had no usable times.

    Only captures (``file:`` sources) can lack times: a network feed or stdin is heard now, and
    its receive time is its event time. Read at full speed, a capture's lines without a time
    of their own take the file's modification time (so the same file stored twice gives the
    same positions once, `ais_ingest.sources.files`); replayed with ``speed``, the wall clock
    of the replay. Either way the records are stored at times that are not when they were
    sent, which nothing else would tell the user. None when most sentences carried a time.
    """
    files = [s for s in specs if s.kind == "file"]
    if not files or not mostly_untimed((stats.times["receive"], sum(stats.times.values()))):
        return None
    no_time, total = stats.times["receive"], sum(stats.times.values())
    share = f"all {total:,} sentences" if no_time == total else f"{no_time:,} of {total:,}"
    fallbacks = []
    for spec in files:
        if spec.speed:
            fallbacks.append(f"{spec.name}: the wall clock of the replay (speed={spec.speed:g})")
            continue
        from ais_ingest.sources.files import expand_paths

        for path in expand_paths(spec.paths):
            fallbacks.append(
                f"{Path(path).name}: the file's modification time, {iso_utc(capture_time_ms(path))}"
            )
    live = " (live sources included)" if len(files) < len(specs) else ""
    return (
        f"{share}{live} carry no time of their own; they were stored at "
        + "; ".join(fallbacks)
        + ". Behaviour detection on them needs `mare detect --assume-time SPAN`"
    )
