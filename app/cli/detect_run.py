"""The engine's side of ``mare detect``: episodes, the batch loop, and what the run says.

`app.cli.detect` imports this module once it has started decoding: forked first, the
decoding child works on the first batches while this side (the engine and its detectors, the
alert rules, rich's tables) is imported and built (`app.cli.ahead.Decoding`).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ais_ingest.decoder import Decoder
from app.cli.ahead import Decoding
from app.cli.detect_summary import KindCount
from app.cli.detect_timing import DetectTiming
from app.cli.timing import CaptureClock, mostly_untimed, untimed, untimed_message
from app.cli.words import counted
from geo.alert_rules import max_severity
from geo.engine import Engine
from geo.events import Event
from geo.triage import Triage, Triaged

if TYPE_CHECKING:
    from rich.progress import Progress


class EpisodeLog:
    """Latest version of each episode, by `Event.key`, with what the alert rules made of it."""

    def __init__(self, triage: Triage | None = None) -> None:
        self.triage = triage
        self.latest: dict[tuple[object, ...], Event] = {}
        self.decided: dict[tuple[object, ...], Triaged] = {}

    def add(self, events: list[Event]) -> None:
        for ev in events:
            self.latest[ev.key()] = ev
        if self.triage is None:
            return
        for t in self.triage.decide(events):
            key = t.event.key()
            old = self.decided.get(key)
            if old is not None and old.decision.alert and not t.decision.alert:
                t = Triaged(t.event, old.decision, t.situation)  # an alert stays an alert
            elif old is not None:
                sev = max_severity(t.decision.severity, old.decision.severity)
                t = Triaged(t.event, replace(t.decision, severity=sev), t.situation)
            self.decided[key] = t

    def ordered(self) -> list[Event]:
        return sorted(
            self.latest.values(),
            key=lambda e: (e.start_ms, e.kind.value, e.mmsi, e.other_mmsi or 0, e.zone or ""),
        )

    def alert(self, ev: Event) -> bool:
        """Whether a live run made an alert of the episode (``alert`` of its `line`)."""
        t = self.decided.get(ev.key())
        return t is not None and t.decision.alert

    def line(self, ev: Event) -> dict[str, Any]:
        """Return an episode's output object: the contract's, and the rules' verdict."""
        obj = ev.to_dict()
        t = self.decided.get(ev.key())
        if t is not None:
            obj["severity"] = t.decision.severity.value
            obj.update(alert=t.decision.alert, rule=t.decision.rule, situation=t.situation)
        return obj


def write_events(sink: IO[str], events: Iterable[Event], log: EpisodeLog | None = None) -> None:
    """Write contract JSON lines (with the rules' verdict when ``log`` has one)."""
    for ev in events:
        obj = log.line(ev) if log is not None else ev.to_dict()
        sink.write(json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n")


def kind_counts(events: list[Event], log: EpisodeLog) -> list[KindCount]:
    """Return the rows of the table of events by kind the run ends with."""
    by_kind = Counter(e.kind.value for e in events)
    open_kind = Counter(e.kind.value for e in events if e.open)
    alerted = Counter(e.kind.value for e in events if log.alert(e))
    return [KindCount(k, by_kind[k], open_kind[k], alerted[k]) for k in sorted(by_kind)]


def caption(events: list[Event], lines: int, records: int, seconds: float) -> str:
    """Return the table's line on the records read and the time taken."""
    rate = records / seconds if seconds > 0 else 0.0
    return (
        f"{counted(len(events), 'event')} from {lines:,} lines / {records:,} records in "
        f"{seconds:.2f} s ({rate:,.0f} records/s)"
    )


#: Why a record was not used, as the summary says it.
UNUSED_WORDS = {
    "future_time": "stamped far ahead of the feed's own time",
    "same_time": "at the same time as the vessel's previous fix",
    "out_of_order": "older than the vessel's latest fix",
    "no_position": "without a position",
    "stale_repeat": "repeating a place the vessel had left (a feed's stale repeat)",
}
#: A run that leaves more than this share of its records unused says so in one warning line.
UNUSED_WARN_SHARE = 0.01


def unused_lines(counts: dict[str, Any]) -> tuple[str, str | None]:
    """Return the summary's line on unused records, and a warning line if they are many."""
    unused = {k: v for k, v in counts["unused"].items() if v}
    records = counts["records"]
    parts = ", ".join(f"{n:,} {UNUSED_WORDS.get(k, k)} ({k})" for k, n in unused.items())
    line = f"records not used: {sum(unused.values()):,} of {records:,}" + (
        f": {parts}" if parts else ""
    )
    # Positions that are not available (lat 91) are the sender's; the rest Mare set aside.
    dropped = {k: v for k, v in unused.items() if k != "no_position"}
    total = sum(dropped.values())
    share = total / records if records else 0.0
    warn = None
    if share > UNUSED_WARN_SHARE:
        words = ", ".join(f"{n:,} {UNUSED_WORDS.get(k, k)}" for k, n in dropped.items())
        warn = f"{total:,} of {records:,} records ({100 * share:.1f} %) were set aside: {words}"
    return line, warn


def outage_lines(counts: dict[str, Any]) -> list[str]:
    """One line per receiving station that fell silent, and the silences put down to it."""
    out = []
    for o in counts.get("station_outages", []):
        until = o["until"] or "the end (still silent)"
        out.append(
            f"receiver {o['station']} silent from {o['since']} to {until} "
            f"({o['silent_s'] / 60:.0f} min): its vessels' silences are not gaps"
        )
    if out:
        out[-1] += f"; {counts.get('silences_in_outages', 0):,} silences put down to outages"
    return out


class UntimedCapture(Exception):
    """A capture without usable time stamps, given to behaviour detection without a span."""


def run_detect(
    captures: list[Path],
    engine: Engine,
    decoder: Decoder,
    progress: Progress | None = None,
    *,
    assume_span_s: float | None = None,
    warn: Callable[[str], None] | None = None,
    log: EpisodeLog | None = None,
    ahead: bool = False,
) -> tuple[list[Event], int]:
    """Decode captures batch by batch through the engine; return episodes and lines read.

    ``ahead``: decode in a second process beside the engine (`app.cli.ahead`; the same
    events). The rest as `detect_decoded`.
    """
    clocks = [CaptureClock(path, assume_span_s) for path in captures]
    with Decoding(captures, clocks, decoder, ahead=ahead, lookup=engine.lookup) as decoding:
        return detect_decoded(decoding, clocks, engine, progress, warn=warn, log=log)


def detect_decoded(
    decoding: Decoding,
    clocks: Sequence[CaptureClock],
    engine: Engine,
    progress: Progress | None = None,
    *,
    warn: Callable[[str], None] | None = None,
    log: EpisodeLog | None = None,
    timing: DetectTiming | None = None,
) -> tuple[list[Event], int]:
    """Run the engine over a started decoding of captures; return episodes and lines read.

    ``clocks`` are the captures' clocks the decoding was given. A capture whose sentences
    mostly carry no time of their own raises `UntimedCapture` as soon as its first lines show
    it, unless its clock spreads them over a span (`app.cli.timing`); with one, ``warn`` gets
    one line naming the fallback. ``timing`` adds up the time in the engine (``--timings``).
    """
    log = log if log is not None else EpisodeLog()
    clock = timing if timing is not None else DetectTiming(0.0, 0.0)

    def run(step: Callable[[], list[Event]]) -> None:
        t0 = time.perf_counter()
        log.add(step())
        clock.engine_s += time.perf_counter() - t0

    captures, decoder = decoding.captures, decoding.decoder
    lines = 0
    task = (
        progress.add_task("detecting", total=sum(p.stat().st_size for p in captures))
        if progress
        else None
    )
    current = -1
    before = previous = dict(decoder.stats.times)
    checked = False
    for item in decoding:
        if item.batch is None:  # a capture's end (nothing to say of one without lines)
            counts = untimed(before, decoder.stats)
            if item.capture == current and warn is not None and mostly_untimed(counts):
                warn(untimed_message(clocks[current], counts))
            continue
        if item.capture < 0:  # the decoder's flush, after the last capture
            run(partial(engine.process, item.batch, item.membership))
            continue
        if item.capture != current:
            current, before, checked = item.capture, previous, False
            if progress is not None and task is not None:
                progress.update(task, description=f"detecting {captures[current].name}")
        lines += item.lines
        if not checked and untimed(before, decoder.stats)[1]:
            checked = True
            spread = clocks[current].span_ms is not None
            if not spread and mostly_untimed(untimed(before, decoder.stats)):
                counts = untimed(before, decoder.stats)
                raise UntimedCapture(untimed_message(clocks[current], counts, so_far=True))
        run(partial(engine.process, item.batch, item.membership))
        previous = dict(decoder.stats.times)
        if progress is not None and task is not None:
            progress.advance(task, item.nbytes)
    run(engine.flush)
    return log.ordered(), lines
